// One verification session over the gateway's WebSocket.
import { base64urlEncode, newNonce } from "./crypto.js";
import { encodeFrame } from "./frame.js";
import { PROTOCOL_VERSION } from "./messages.js";
/** The subprotocol the gateway answers with. */
export const SUBPROTOCOL = "biogate.v1";
/** Prefix of the subprotocol that carries the API key (unpadded base64url). */
export const KEY_SUBPROTOCOL_PREFIX = "biogate.key.";
/**
 * The subprotocols that authenticate a browser's WebSocket: the key never
 * goes in the URL, and browsers cannot set headers on a WebSocket.
 */
export function subprotocols(apiKey) {
    return [SUBPROTOCOL, KEY_SUBPROTOCOL_PREFIX + base64urlEncode(new TextEncoder().encode(apiKey))];
}
/** The session URL of a gateway page's own origin: ws(s)://host/v1/session. */
export function sessionURL(origin = location.origin) {
    return origin.replace(/^http/, "ws") + "/v1/session";
}
// fingerStart is start.finger with only the fields given: an absent reader
// is the daemon's default one.
function fingerStart(f) {
    const finger = { position: f.position };
    if (f.reader)
        finger.reader = f.reader;
    if (f.impressions !== undefined)
        finger.impressions = f.impressions;
    return finger;
}
/**
 * Session is one verification: connect, start, (relay) send frames, and
 * listen to the gateway's messages with on(). Not reusable: one session per
 * connection.
 */
export class Session {
    /** The gateway's hello. */
    hello;
    /** The session's current state; "done" after the close too. */
    state = "waiting_start";
    /** The client_nonce sent with start. */
    clientNonce = "";
    ws;
    handlers = new Map();
    closeHandlers = new Set();
    seq = 0;
    aborted = false;
    closed = null;
    constructor(ws, hello, early) {
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
    static connect(opts) {
        return new Promise((resolve, reject) => {
            const ws = new WebSocket(opts.url, subprotocols(opts.apiKey));
            ws.binaryType = "arraybuffer";
            const early = [];
            let hello = null;
            const timer = setTimeout(() => { ws.close(); reject(new Error("the gateway did not answer")); }, opts.timeoutMs ?? 10000);
            ws.onmessage = (ev) => {
                if (typeof ev.data !== "string")
                    return;
                const m = JSON.parse(ev.data);
                if (!hello) {
                    if (m.type !== "hello") {
                        clearTimeout(timer);
                        ws.close();
                        reject(new Error("no hello from the gateway"));
                        return;
                    }
                    hello = m;
                    clearTimeout(timer);
                    resolve(new Session(ws, hello, early));
                    return;
                }
                early.push(m);
            };
            ws.onclose = (ev) => {
                clearTimeout(timer);
                if (!hello)
                    reject(new Error(`could not open a session (close ${ev.code})`));
            };
        });
    }
    /** Calls handler for every message of type; it returns the unsubscribe function. */
    on(type, handler) {
        let set = this.handlers.get(type);
        if (!set)
            this.handlers.set(type, (set = new Set()));
        set.add(handler);
        return () => set.delete(handler);
    }
    /** Calls handler once when the socket closes (at once if it has). */
    onClose(handler) {
        if (this.closed)
            handler(this.closed);
        else
            this.closeHandlers.add(handler);
    }
    /**
     * Sends start: a face's; a finger's when o.modality is "finger"; both
     * (the face, then the finger) when it is "face_and_finger".
     */
    start(o) {
        this.clientNonce = o.clientNonce ?? newNonce();
        if (o.modality === "finger") {
            this.send({
                v: PROTOCOL_VERSION, type: "start", iin: o.iin, modality: "finger", consent: o.consent,
                client_nonce: this.clientNonce, finger: fingerStart(o.finger),
            });
            return;
        }
        const camera = { mode: o.mode };
        if (o.cameraName)
            camera.name = o.cameraName;
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
    sendFrame(jpeg, captureMillis = Date.now()) {
        if (this.ws.readyState !== WebSocket.OPEN || (this.state !== "capturing" && this.state !== "liveness"))
            return false;
        if (jpeg.length > this.hello.limits.max_frame_bytes)
            return false;
        if (this.ws.bufferedAmount > 2 * this.hello.limits.max_frame_bytes)
            return false;
        this.seq++;
        this.ws.send(encodeFrame(this.seq, captureMillis, jpeg));
        return true;
    }
    /** Relay: says no more frames come. */
    endOfFrames() {
        this.send({ v: PROTOCOL_VERSION, type: "end_of_frames", last_seq: this.seq });
    }
    /** Stops the session: the gateway sends state done (cancelled) and closes. */
    cancel() {
        this.send({ v: PROTOCOL_VERSION, type: "cancel" });
    }
    /** Closes the socket without cancelling first. */
    close() {
        this.ws.close(1000);
    }
    send(m) {
        if (this.ws.readyState === WebSocket.OPEN)
            this.ws.send(JSON.stringify(m));
    }
    receive(data) {
        if (typeof data !== "string")
            return; // the gateway sends no binary messages
        let m;
        try {
            m = JSON.parse(data);
        }
        catch {
            return;
        }
        this.dispatch(m);
    }
    dispatch(m) {
        if (m.type === "state")
            this.state = m.state;
        if (m.type === "aborted")
            this.aborted = true;
        this.handlers.get(m.type)?.forEach((h) => h(m));
    }
    closedWith(code, reason) {
        const info = { code, reason, aborted: this.aborted, done: this.state === "done" };
        this.state = "done";
        this.closed = info;
        this.closeHandlers.forEach((h) => h(info));
        this.closeHandlers.clear();
    }
}
