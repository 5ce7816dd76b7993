// Typed messages of biogate's session protocol, version 1
// (docs/protocol.md). Unknown fields are ignored in both directions; a
// client must ignore message types and values it does not know.

/** The protocol version this library speaks: the `v` of every message. */
export const PROTOCOL_VERSION = 1;

/**
 * Session states, as `state.state` reports them (`finger` in finger
 * sessions, instead of capturing and liveness; in face_and_finger sessions
 * after the face's submitting, once IDEC matched the face).
 */
export type SessionState = "waiting_start" | "capturing" | "liveness" | "finger" | "submitting" | "done";

/** Liveness commands (left and right are the person's own). */
export type LivenessCommand = "turn_left" | "turn_right" | "tilt_left" | "tilt_right" | "move_closer";

/** All liveness commands, in the order the protocol lists them. */
export const LIVENESS_COMMANDS: readonly LivenessCommand[] = ["turn_left", "turn_right", "tilt_left", "tilt_right", "move_closer"];

/** Quality hints the protocol knows; new ones may come: ignore unknown. */
export type QualityHint =
  | "no_face" | "multiple_faces" | "no_colour" | "too_dark" | "too_bright" | "too_far" | "too_close"
  | "not_centered" | "blurry" | "turn_to_camera";

/** Outcomes of a verification. */
export type Decision = "match" | "no_match" | "spoof" | "refused" | "error";

/** Where a session's frames come from. */
export type CameraMode = "kiosk" | "relay";

/**
 * What a session verifies: a face; a fingerprint on the gateway's reader;
 * or both, required (face_and_finger: the face first, then the fingerprint
 * once IDEC matched the face). A finger needs the key's kiosk scope.
 */
export type Modality = "face" | "finger" | "face_and_finger";

/** All modalities, in the order the protocol lists them. */
export const MODALITIES: readonly Modality[] = ["face", "finger", "face_and_finger"];

/** Finger positions, ISO/IEC 19794 positions 1-10 (right thumb to left little finger). */
export type FingerPosition =
  | "right_thumb" | "right_index" | "right_middle" | "right_ring" | "right_little"
  | "left_thumb" | "left_index" | "left_middle" | "left_ring" | "left_little";

/** All finger positions, in ISO/IEC 19794 order (position 1 first). */
export const FINGER_POSITIONS: readonly FingerPosition[] = [
  "right_thumb", "right_index", "right_middle", "right_ring", "right_little",
  "left_thumb", "left_index", "left_middle", "left_ring", "left_little",
];

/** Hints of a finger message; new ones may come: show a generic "try again" for unknown ones. */
export type FingerHint = "no_finger" | "off_centre" | "too_small" | "press_harder" | "press_lighter" | "dry_or_wet";

/** All finger hints, in the order the protocol lists them. */
export const FINGER_HINTS: readonly FingerHint[] = ["no_finger", "off_centre", "too_small", "press_harder", "press_lighter", "dry_or_wet"];

/** Where a finger message is in an impression's life (see FingerMessage). */
export type FingerStatus = "place" | "lift" | "captured" | "rejected";

/** The person's consent, as `start.consent`. */
export interface Consent {
  text_id: string;
  /** SHA-256 of the exact text shown, 64 lowercase hex digits (see sha256Hex). */
  text_sha256: string;
  /** RFC 3339 time with a zone. */
  accepted_at: string;
}

/** What a finger (or face_and_finger) session captures, as `start.finger`. */
export interface FingerStart {
  position: FingerPosition;
  /** A fingerprint reader's id from GET /v1/devices (kind fingerprint); absent for the daemon's default reader. */
  reader?: string;
  /** Good impressions to take, 1-5 (the gateway's default: 3); the best by quality is sent. */
  impressions?: number;
}

/** Client → gateway: begins a face verification. */
export interface FaceStartMessage {
  v: 1;
  type: "start";
  iin: string;
  modality: "face";
  consent: Consent;
  client_nonce: string;
  camera: { mode: CameraMode; name?: string };
  /** Fixed commands: tests and demonstrations only (--allow-fixed-commands). */
  commands?: LivenessCommand[];
}

/** Client → gateway: begins a fingerprint verification on the gateway's reader (no camera, no commands). */
export interface FingerStartMessage {
  v: 1;
  type: "start";
  iin: string;
  modality: "finger";
  consent: Consent;
  client_nonce: string;
  finger: FingerStart;
}

/**
 * Client → gateway: begins a verification of both, required: the face (its
 * camera and commands as in a face start), then the fingerprint on the
 * gateway's reader once IDEC matched the face (a key with the kiosk scope).
 */
export interface FaceAndFingerStartMessage {
  v: 1;
  type: "start";
  iin: string;
  modality: "face_and_finger";
  consent: Consent;
  client_nonce: string;
  camera: { mode: CameraMode; name?: string };
  /** Fixed commands: tests and demonstrations only (--allow-fixed-commands). */
  commands?: LivenessCommand[];
  finger: FingerStart;
}

/** Client → gateway: begins the verification. */
export type StartMessage = FaceStartMessage | FingerStartMessage | FaceAndFingerStartMessage;

/** Client → gateway: stops the session. */
export interface CancelMessage { v: 1; type: "cancel" }

/** Client → gateway, relay: no more frames. */
export interface EndOfFramesMessage { v: 1; type: "end_of_frames"; last_seq: number }

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
  v: 1; type: "hello"; session_id: string; versions: number[]; limits: Limits; fixed_commands_allowed: boolean;
}
export interface StateMessage { v: 1; type: "state"; state: SessionState; reason?: "completed" | "cancelled" | "error" }
export interface QualityMessage { v: 1; type: "quality"; hints: string[]; score: number }
export interface CommandMessage {
  v: 1; type: "command"; status: "issued" | "progress" | "passed" | "failed"; command: LivenessCommand;
  attempt: number; index: number; count: number; timeout_ms?: number; progress?: number; reason?: string; attempts_left?: number;
}
export interface PassiveMessage { v: 1; type: "passive"; decision: "live" | "spoof" | "undecided"; p_live: number; frames: number }
/**
 * In state finger: one step of an impression. place: ask for the finger;
 * lift: the reader has it (hold still, then lift); captured: kept;
 * rejected: not kept, hint says why, and place follows for the same
 * impression.
 */
export interface FingerMessage {
  v: 1; type: "finger"; status: FingerStatus; position: FingerPosition;
  /** The impression being taken, 1-based, of count. */
  impression: number; count: number;
  /** captured, rejected: the image's quality, 0-100. */
  quality?: number;
  /** rejected (and captured when the print could be better): a FingerHint, or one this library does not know. */
  hint?: string;
}
/** result.finger: what a finger (or face_and_finger) session sent to IDEC, and IDEC's answer on it. */
export interface FingerResult {
  position: FingerPosition;
  /** The sent impression's quality, 0-100. */
  quality: number;
  /** The good impressions kept. */
  impressions: number;
  /** SHA-256 of the sent impression's ISO/IEC 19794-2 template (names this capture, not the person). */
  template_sha256: string;
  /** IDEC's similarity on the fingerprint, 0-1; absent unless IDEC answered. */
  similarity?: number;
  /** IDEC's id of the fingerprint's request, when it answered. */
  idec_request_id?: string;
}
export interface SubmittingMessage { v: 1; type: "submitting"; request_id: string }
export interface ResultMessage {
  v: 1; type: "result"; session_id: string; decision: Decision; similarity?: number; reasons?: string[];
  idec_request_id?: string; client_nonce: string; fixed_commands: boolean; departs_from_rules?: string[];
  attempts: number; decided_at: string;
  /**
   * Finger and face_and_finger sessions, when an impression was sent
   * (absent for a face, and for a face_and_finger session that ended with
   * the face). In a face_and_finger session the result's own similarity
   * and idec_request_id are the face's; the fingerprint's are here.
   */
  finger?: FingerResult;
  /** The signed result document: a compact JWS (see verifyDocument). */
  document?: string;
}
export interface ErrorMessage {
  v: 1; type: "error"; code: string; message: string; fatal: boolean; field?: string; retry_after?: number;
}
export interface AbortedMessage { v: 1; type: "aborted"; reason: string }
/** Kiosk mode: a downscaled picture of the gateway's camera (JPEG, base64). */
export interface PreviewMessage { v: 1; type: "preview"; jpeg: string; width: number; height: number }

/** Any gateway → client message this library knows. */
export type ServerMessage =
  | HelloMessage | StateMessage | QualityMessage | CommandMessage | PassiveMessage | FingerMessage | SubmittingMessage
  | ResultMessage | ErrorMessage | AbortedMessage | PreviewMessage;

/** Maps each gateway message type to its message. */
export type ServerMessageMap = { [M in ServerMessage as M["type"]]: M };
