// Typed messages of biogate's session protocol, version 1
// (docs/protocol.md). Unknown fields are ignored in both directions; a
// client must ignore message types and values it does not know.
/** The protocol version this library speaks: the `v` of every message. */
export const PROTOCOL_VERSION = 1;
/** All liveness commands, in the order the protocol lists them. */
export const LIVENESS_COMMANDS = ["turn_left", "turn_right", "tilt_left", "tilt_right", "move_closer"];
/** All modalities, in the order the protocol lists them. */
export const MODALITIES = ["face", "finger", "face_and_finger"];
/** All finger positions, in ISO/IEC 19794 order (position 1 first). */
export const FINGER_POSITIONS = [
    "right_thumb", "right_index", "right_middle", "right_ring", "right_little",
    "left_thumb", "left_index", "left_middle", "left_ring", "left_little",
];
/** All finger hints, in the order the protocol lists them. */
export const FINGER_HINTS = ["no_finger", "off_centre", "too_small", "press_harder", "press_lighter", "dry_or_wet"];
