/** The protocol version this library speaks: the `v` of every message. */
export declare const PROTOCOL_VERSION = 1;
/** Session states, as `state.state` reports them. */
export type SessionState = "waiting_start" | "capturing" | "liveness" | "submitting" | "done";
/** Liveness commands (left and right are the person's own). */
export type LivenessCommand = "turn_left" | "turn_right" | "tilt_left" | "tilt_right" | "move_closer";
/** All liveness commands, in the order the protocol lists them. */
export declare const LIVENESS_COMMANDS: readonly LivenessCommand[];
/** Quality hints the protocol knows; new ones may come: ignore unknown. */
export type QualityHint = "no_face" | "multiple_faces" | "no_colour" | "too_dark" | "too_bright" | "too_far" | "too_close" | "not_centered" | "blurry" | "turn_to_camera";
/** Outcomes of a verification. */
export type Decision = "match" | "no_match" | "spoof" | "refused" | "error";
/** Where a session's frames come from. */
export type CameraMode = "kiosk" | "relay";
/** The person's consent, as `start.consent`. */
export interface Consent {
    text_id: string;
    /** SHA-256 of the exact text shown, 64 lowercase hex digits (see sha256Hex). */
    text_sha256: string;
    /** RFC 3339 time with a zone. */
    accepted_at: string;
}
/** Client → gateway: begins the verification. */
export interface StartMessage {
    v: 1;
    type: "start";
    iin: string;
    modality: "face";
    consent: Consent;
    client_nonce: string;
    camera: {
        mode: CameraMode;
        name?: string;
    };
    /** Fixed commands: tests and demonstrations only (--allow-fixed-commands). */
    commands?: LivenessCommand[];
}
/** Client → gateway: stops the session. */
export interface CancelMessage {
    v: 1;
    type: "cancel";
}
/** Client → gateway, relay: no more frames. */
export interface EndOfFramesMessage {
    v: 1;
    type: "end_of_frames";
    last_seq: number;
}
/** Any client → gateway message. */
export type ClientMessage = StartMessage | CancelMessage | EndOfFramesMessage;
/** The limits in force, as `hello.limits`. */
export interface Limits {
    max_message_bytes: number;
    max_frame_bytes: number;
    /** Most pixels (width x height) a relay frame's JPEG may declare; a larger frame is refused (frame_too_large). */
    max_frame_pixels: number;
    max_fps: number;
    session_seconds: number;
    /** Seconds from the upgrade within which start must be accepted (start_timeout). */
    start_seconds: number;
    /** Seconds a relay session may go without a frame (idle_timeout). */
    idle_seconds: number;
    ping_seconds: number;
    max_attempts: number;
    /** Milliseconds allowed for each liveness command, from its issue (each issued command repeats it as timeout_ms). */
    command_timeout_ms: number;
}
export interface HelloMessage {
    v: 1;
    type: "hello";
    session_id: string;
    versions: number[];
    limits: Limits;
    fixed_commands_allowed: boolean;
}
export interface StateMessage {
    v: 1;
    type: "state";
    state: SessionState;
    reason?: "completed" | "cancelled" | "error";
}
export interface QualityMessage {
    v: 1;
    type: "quality";
    hints: string[];
    score: number;
}
export interface CommandMessage {
    v: 1;
    type: "command";
    status: "issued" | "progress" | "passed" | "failed";
    command: LivenessCommand;
    attempt: number;
    index: number;
    count: number;
    timeout_ms?: number;
    progress?: number;
    reason?: string;
    attempts_left?: number;
}
export interface PassiveMessage {
    v: 1;
    type: "passive";
    decision: "live" | "spoof" | "undecided";
    p_live: number;
    frames: number;
}
export interface SubmittingMessage {
    v: 1;
    type: "submitting";
    request_id: string;
}
export interface ResultMessage {
    v: 1;
    type: "result";
    session_id: string;
    decision: Decision;
    similarity?: number;
    reasons?: string[];
    idec_request_id?: string;
    client_nonce: string;
    fixed_commands: boolean;
    departs_from_rules?: string[];
    attempts: number;
    decided_at: string;
    /** The signed result document: a compact JWS (see verifyDocument). */
    document?: string;
}
export interface ErrorMessage {
    v: 1;
    type: "error";
    code: string;
    message: string;
    fatal: boolean;
    field?: string;
    retry_after?: number;
}
export interface AbortedMessage {
    v: 1;
    type: "aborted";
    reason: string;
}
/** Kiosk mode: a downscaled picture of the gateway's camera (JPEG, base64). */
export interface PreviewMessage {
    v: 1;
    type: "preview";
    jpeg: string;
    width: number;
    height: number;
}
/** Any gateway → client message this library knows. */
export type ServerMessage = HelloMessage | StateMessage | QualityMessage | CommandMessage | PassiveMessage | SubmittingMessage | ResultMessage | ErrorMessage | AbortedMessage | PreviewMessage;
/** Maps each gateway message type to its message. */
export type ServerMessageMap = {
    [M in ServerMessage as M["type"]]: M;
};
