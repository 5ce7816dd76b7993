export * from "./messages.js";
export * from "./iin.js";
export * from "./frame.js";
export * from "./crypto.js";
export * from "./session.js";
