// One verification session over the gateway's WebSocket.

import { base64urlEncode, newNonce } from "./crypto.js";
import { encodeFrame } from "./frame.js";
import type {
  CameraMode, ClientMessage, Consent, FingerStart, HelloMessage, LivenessCommand, ServerMessage, ServerMessageMap,
  SessionState,
} from "./messages.js";
import { PROTOCOL_VERSION } from "./messages.js";

/** The subprotocol the gateway answers with. */
export const SUBPROTOCOL = "biogate.v1";
/** Prefix of the subprotocol that carries the API key (unpadded base64url). */
export const KEY_SUBPROTOCOL_PREFIX = "biogate.key.";

/**
 * The subprotocols that authenticate a browser's WebSocket: the key never
 * goes in the URL, and browsers cannot set headers on a WebSocket.
 */
export function subprotocols(apiKey: string): string[] {
  return [SUBPROTOCOL, KEY_SUBPROTOCOL_PREFIX + base64urlEncode(new TextEncoder().encode(apiKey))];
}

/** The session URL of a gateway page's own origin: ws(s)://host/v1/session. */
export function sessionURL(origin: string = location.origin): string {
  return origin.replace(/^http/, "ws") + "/v1/session";
}

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

// fingerStart is start.finger with only the fields given: an absent reader
// is the daemon's default one.
function fingerStart(f: FingerStart): FingerStart {
  const finger: FingerStart = { position: f.position };
  if (f.reader) finger.reader = f.reader;
  if (f.impressions !== undefined) finger.impressions = f.impressions;
  return finger;
}

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
export class Session {
  /** The gateway's hello. */
  readonly hello: HelloMessage;
  /** The session's current state; "done" after the close too. */
  state: SessionState = "waiting_start";
  /** The client_nonce sent with start. */
  clientNonce = "";
  private readonly ws: WebSocket;
  private handlers = new Map<string, Set<Handler<any>>>();
  private closeHandlers = new Set<Handler<CloseInfo>>();
  private seq = 0;
  private aborted = false;
  private closed: CloseInfo | null = null;

  private constructor(ws: WebSocket, hello: HelloMessage, early: ServerMessage[]) {
    this.ws = ws;
    this.hello = hello;
    ws.onmessage = (ev) => this.receive(ev.data);
    ws.onclose = (ev) => this.closedWith(ev.code, ev.reason);
    // Messages that came with hello are delivered once handlers can exist.
    queueMicrotask(() => early.forEach((m) => this.dispatch(m)));
  }

  /**
   * Opens a session and resolves with it once hello arrived. It rejects
   * when the socket fails first: a wrong key (401), a disallowed origin
   * (403) or an unreachable gateway look the same to a browser.
   */
  static connect(opts: ConnectOptions): Promise<Session> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(opts.url, subprotocols(opts.apiKey));
      ws.binaryType = "arraybuffer";
      const early: ServerMessage[] = [];
      let hello: HelloMessage | null = null;
      const timer = setTimeout(() => { ws.close(); reject(new Error("the gateway did not answer")); }, opts.timeoutMs ?? 10000);
      ws.onmessage = (ev) => {
        if (typeof ev.data !== "string") return;
        const m = JSON.parse(ev.data) as ServerMessage;
        if (!hello) {
          if (m.type !== "hello") { clearTimeout(timer); ws.close(); reject(new Error("no hello from the gateway")); return; }
          hello = m;
          clearTimeout(timer);
          resolve(new Session(ws, hello, early));
          return;
        }
        early.push(m);
      };
      ws.onclose = (ev) => {
        clearTimeout(timer);
        if (!hello) reject(new Error(`could not open a session (close ${ev.code})`));
      };
    });
  }

  /** Calls handler for every message of type; it returns the unsubscribe function. */
  on<K extends keyof ServerMessageMap>(type: K, handler: Handler<ServerMessageMap[K]>): () => void {
    let set = this.handlers.get(type);
    if (!set) this.handlers.set(type, (set = new Set()));
    set.add(handler);
    return () => set!.delete(handler);
  }

  /** Calls handler once when the socket closes (at once if it has). */
  onClose(handler: Handler<CloseInfo>): void {
    if (this.closed) handler(this.closed);
    else this.closeHandlers.add(handler);
  }

  /**
   * Sends start: a face's; a finger's when o.modality is "finger"; both
   * (the face, then the finger) when it is "face_and_finger".
   */
  start(o: StartOptions): void {
    this.clientNonce = o.clientNonce ?? newNonce();
    if (o.modality === "finger") {
      this.send({
        v: PROTOCOL_VERSION, type: "start", iin: o.iin, modality: "finger", consent: o.consent,
        client_nonce: this.clientNonce, finger: fingerStart(o.finger),
      });
      return;
    }
    const camera: { mode: CameraMode; name?: string } = { mode: o.mode };
    if (o.cameraName) camera.name = o.cameraName;
    const commands = o.commands?.length ? { commands: o.commands } : {};
    if (o.modality === "face_and_finger") {
      this.send({
        v: PROTOCOL_VERSION, type: "start", iin: o.iin, modality: "face_and_finger", consent: o.consent,
        client_nonce: this.clientNonce, camera, ...commands, finger: fingerStart(o.finger),
      });
      return;
    }
    this.send({
      v: PROTOCOL_VERSION, type: "start", iin: o.iin, modality: "face", consent: o.consent,
      client_nonce: this.clientNonce, camera, ...commands,
    });
  }

  /**
   * Sends one relay frame (a complete JPEG). It sends nothing and returns
   * false when the session is not capturing or the socket is backed up
   * (more than two frames of max_frame_bytes queued): drop the frame, a
   * newer one will do.
   */
  sendFrame(jpeg: Uint8Array, captureMillis: number = Date.now()): boolean {
    if (this.ws.readyState !== WebSocket.OPEN || (this.state !== "capturing" && this.state !== "liveness")) return false;
    if (jpeg.length > this.hello.limits.max_frame_bytes) return false;
    if (this.ws.bufferedAmount > 2 * this.hello.limits.max_frame_bytes) return false;
    this.seq++;
    this.ws.send(encodeFrame(this.seq, captureMillis, jpeg) as Uint8Array<ArrayBuffer>);
    return true;
  }

  /** Relay: says no more frames come. */
  endOfFrames(): void {
    this.send({ v: PROTOCOL_VERSION, type: "end_of_frames", last_seq: this.seq });
  }

  /** Stops the session: the gateway sends state done (cancelled) and closes. */
  cancel(): void {
    this.send({ v: PROTOCOL_VERSION, type: "cancel" });
  }

  /** Closes the socket without cancelling first. */
  close(): void {
    this.ws.close(1000);
  }

  private send(m: ClientMessage): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(m));
  }

  private receive(data: unknown): void {
    if (typeof data !== "string") return; // the gateway sends no binary messages
    let m: ServerMessage;
    try {
      m = JSON.parse(data);
    } catch {
      return;
    }
    this.dispatch(m);
  }

  private dispatch(m: ServerMessage): void {
    if (m.type === "state") this.state = m.state;
    if (m.type === "aborted") this.aborted = true;
    this.handlers.get(m.type)?.forEach((h) => h(m));
  }

  private closedWith(code: number, reason: string): void {
    const info: CloseInfo = { code, reason, aborted: this.aborted, done: this.state === "done" };
    this.state = "done";
    this.closed = info;
    this.closeHandlers.forEach((h) => h(info));
    this.closeHandlers.clear();
  }
}
