// Typed messages of biogate's session protocol, version 1
// (docs/protocol.md). Unknown fields are ignored in both directions; a
// client must ignore message types and values it does not know.
/** The protocol version this library speaks: the `v` of every message. */
export const PROTOCOL_VERSION = 1;
/** All liveness commands, in the order the protocol lists them. */
export const LIVENESS_COMMANDS = ["turn_left", "turn_right", "tilt_left", "tilt_right", "move_closer"];
