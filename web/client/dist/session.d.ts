import type { CameraMode, Consent, FingerStart, HelloMessage, LivenessCommand, ServerMessageMap, SessionState } from "./messages.js";
/** The subprotocol the gateway answers with. */
export declare const SUBPROTOCOL = "biogate.v1";
/** Prefix of the subprotocol that carries the API key (unpadded base64url). */
export declare const KEY_SUBPROTOCOL_PREFIX = "biogate.key.";
/**
 * The subprotocols that authenticate a browser's WebSocket: the key never
 * goes in the URL, and browsers cannot set headers on a WebSocket.
 */
export declare function subprotocols(apiKey: string): string[];
/** The session URL of a gateway page's own origin: ws(s)://host/v1/session. */
export declare function sessionURL(origin?: string): string;
/** Options of Session.connect. */
export interface ConnectOptions {
    /** ws:// or wss:// URL of /v1/session (see sessionURL). */
    url: string;
    /** An API key with the kiosk and/or relay scope. */
    apiKey: string;
    /** How long to wait for hello, in milliseconds [10000]. */
    timeoutMs?: number;
}
/** Options of Session.start for a face. */
export interface FaceStartOptions {
    /** "face" (the default when absent). */
    modality?: "face";
    iin: string;
    consent: Consent;
    mode: CameraMode;
    /** Kiosk camera id from GET /v1/devices; absent for the default. */
    cameraName?: string;
    /** Fixed commands (tests and demos; the gateway must allow them). */
    commands?: LivenessCommand[];
    /** The app's nonce; a random one when absent. */
    clientNonce?: string;
}
/** Options of Session.start for a fingerprint on the gateway's reader (a key with the kiosk scope). */
export interface FingerStartOptions {
    modality: "finger";
    iin: string;
    consent: Consent;
    /** The finger, and optionally the reader and the number of impressions. */
    finger: FingerStart;
    /** The app's nonce; a random one when absent. */
    clientNonce?: string;
}
/**
 * Options of Session.start for both, required (a key with the kiosk scope):
 * the face, as FaceStartOptions, then the fingerprint on the gateway's
 * reader once IDEC matched the face.
 */
export interface FaceAndFingerStartOptions {
    modality: "face_and_finger";
    iin: string;
    consent: Consent;
    mode: CameraMode;
    /** Kiosk camera id from GET /v1/devices; absent for the default. */
    cameraName?: string;
    /** Fixed commands (tests and demos; the gateway must allow them). */
    commands?: LivenessCommand[];
    /** The finger, and optionally the reader and the number of impressions. */
    finger: FingerStart;
    /** The app's nonce; a random one when absent. */
    clientNonce?: string;
}
/** Options of Session.start. */
export type StartOptions = FaceStartOptions | FingerStartOptions | FaceAndFingerStartOptions;
/** How a session's socket closed. */
export interface CloseInfo {
    /** The WebSocket close code (1000 normal, 1001 going away, 1006 lost). */
    code: number;
    reason: string;
    /** The gateway sent aborted (it is shutting down). */
    aborted: boolean;
    /** The session reached state done before the close. */
    done: boolean;
}
type Handler<T> = (m: T) => void;
/**
 * Session is one verification: connect, start, (relay) send frames, and
 * listen to the gateway's messages with on(). Not reusable: one session per
 * connection.
 */
export declare class Session {
    /** The gateway's hello. */
    readonly hello: HelloMessage;
    /** The session's current state; "done" after the close too. */
    state: SessionState;
    /** The client_nonce sent with start. */
    clientNonce: string;
    private readonly ws;
    private handlers;
    private closeHandlers;
    private seq;
    private aborted;
    private closed;
    private constructor();
    /**
     * Opens a session and resolves with it once hello arrived. It rejects
     * when the socket fails first: a wrong key (401), a disallowed origin
     * (403) or an unreachable gateway look the same to a browser.
     */
    static connect(opts: ConnectOptions): Promise<Session>;
    /** Calls handler for every message of type; it returns the unsubscribe function. */
    on<K extends keyof ServerMessageMap>(type: K, handler: Handler<ServerMessageMap[K]>): () => void;
    /** Calls handler once when the socket closes (at once if it has). */
    onClose(handler: Handler<CloseInfo>): void;
    /**
     * Sends start: a face's; a finger's when o.modality is "finger"; both
     * (the face, then the finger) when it is "face_and_finger".
     */
    start(o: StartOptions): void;
    /**
     * Sends one relay frame (a complete JPEG). It sends nothing and returns
     * false when the session is not capturing or the socket is backed up
     * (more than two frames of max_frame_bytes queued): drop the frame, a
     * newer one will do.
     */
    sendFrame(jpeg: Uint8Array, captureMillis?: number): boolean;
    /** Relay: says no more frames come. */
    endOfFrames(): void;
    /** Stops the session: the gateway sends state done (cancelled) and closes. */
    cancel(): void;
    /** Closes the socket without cancelling first. */
    close(): void;
    private send;
    private receive;
    private dispatch;
    private closedWith;
}
export {};
