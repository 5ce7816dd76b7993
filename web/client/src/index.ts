// @biogate/client: a client for biogate's WebSocket verification protocol
// (docs/protocol.md), for kiosk pages, web and mobile apps.

export * from "./messages.js";
export * from "./iin.js";
export * from "./frame.js";
export * from "./crypto.js";
export * from "./session.js";
