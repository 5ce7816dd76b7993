// Unit tests of face_and_finger sessions (both required: the face, then the
// fingerprint once IDEC matched the face) in the protocol client and the
// page's settings and texts (the committed build), over a fake WebSocket.
// npm test.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Session, MODALITIES } from "../../client/dist/index.js";
import { TEXTS, LANGS } from "../../app/dist/i18n.js";

const HELLO = {
  v: 1, type: "hello", session_id: "4b0e2f4c-8a43-4e0b-9d62-3a8a2f0f7c11", versions: [1], fixed_commands_allowed: true,
  limits: {
    max_message_bytes: 16384, max_frame_bytes: 524288, max_frame_pixels: 2073600, max_fps: 15, session_seconds: 120,
    start_seconds: 10, idle_seconds: 15, ping_seconds: 20, max_attempts: 3, command_timeout_ms: 6000,
  },
};
const CONSENT = { text_id: "biogate-kiosk-consent-face-finger-v1-en", text_sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", accepted_at: "2026-03-02T09:14:51Z" };
const NONCE = "q7Lx0d3J-2fKq9wZr1Tb";

// FakeSocket stands in for the browser's WebSocket: it records what the
// client sends (text as JSON, binary as bytes), and the test delivers the
// gateway's messages with receive.
class FakeSocket {
  static OPEN = 1;
  static last = null;
  readyState = 1;
  bufferedAmount = 0;
  sent = [];
  frames = [];
  constructor(url, protocols) {
    this.url = url;
    this.protocols = protocols;
    FakeSocket.last = this;
  }
  send(data) {
    if (typeof data === "string") this.sent.push(JSON.parse(data));
    else this.frames.push(data);
  }
  close(code = 1000, reason = "") {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  receive(m) { this.onmessage?.({ data: JSON.stringify({ v: 1, ...m }) }); }
}

async function connected() {
  globalThis.WebSocket = FakeSocket;
  const p = Session.connect({ url: "ws://127.0.0.1:1/v1/session", apiKey: "k" });
  FakeSocket.last.receive(HELLO);
  const s = await p;
  return { s, ws: FakeSocket.last };
}

test("face_and_finger start: the face's camera and commands, and the finger", async () => {
  const { s, ws } = await connected();
  s.start({
    modality: "face_and_finger", iin: "790303402568", consent: CONSENT, clientNonce: NONCE, mode: "kiosk", cameraName: "front",
    commands: ["move_closer"], finger: { position: "left_index", reader: "dir-0", impressions: 1 },
  });
  assert.deepEqual(ws.sent, [{
    v: 1, type: "start", iin: "790303402568", modality: "face_and_finger", consent: CONSENT, client_nonce: NONCE,
    camera: { mode: "kiosk", name: "front" }, commands: ["move_closer"], finger: { position: "left_index", reader: "dir-0", impressions: 1 },
  }]);
  assert.equal(s.clientNonce, NONCE);
});

test("face_and_finger start: relay, no commands, the default reader: only the fields given", async () => {
  const { s, ws } = await connected();
  s.start({ modality: "face_and_finger", iin: "790303402568", consent: CONSENT, mode: "relay", commands: [], finger: { position: "right_index", reader: "" } });
  const [m] = ws.sent;
  assert.equal(m.modality, "face_and_finger");
  assert.deepEqual(m.camera, { mode: "relay" });
  assert.equal("commands" in m, false);
  assert.deepEqual(m.finger, { position: "right_index" });
  assert.match(m.client_nonce, /^[A-Za-z0-9_-]{22}$/);
});

test("face_and_finger: the face's states, then finger, then the result with both", async () => {
  const { s, ws } = await connected();
  const states = [];
  const fingers = [];
  const results = [];
  s.on("state", (m) => states.push(m.state));
  s.on("finger", (m) => fingers.push(m));
  s.on("result", (m) => results.push(m));
  s.start({ modality: "face_and_finger", iin: "790303402568", consent: CONSENT, mode: "relay", finger: { position: "right_index" } });
  ws.receive({ type: "state", state: "waiting_start" });
  ws.receive({ type: "state", state: "capturing" });
  const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0xff, 0xd9]);
  assert.equal(s.sendFrame(jpeg), true, "relay frames while the face is captured");
  ws.receive({ type: "state", state: "liveness" });
  assert.equal(s.sendFrame(jpeg), true);
  ws.receive({ type: "state", state: "submitting" });
  ws.receive({ type: "submitting", request_id: "b8f8b7a4-5d3e-4c59-a7d7-1f6c0e3a9e20" });
  assert.equal(s.sendFrame(jpeg), false, "no frames once the face is with IDEC");
  ws.receive({ type: "state", state: "finger" });
  assert.equal(s.state, "finger");
  assert.equal(s.sendFrame(jpeg), false, "no frames in state finger");
  ws.receive({ type: "finger", status: "place", position: "right_index", impression: 1, count: 3 });
  ws.receive({ type: "finger", status: "lift", position: "right_index", impression: 1, count: 3 });
  ws.receive({ type: "finger", status: "captured", position: "right_index", impression: 1, count: 3, quality: 64 });
  ws.receive({ type: "state", state: "submitting" });
  ws.receive({ type: "submitting", request_id: "0d1f5a8e-8d0b-4d6a-9b57-5b1f0a7c2e11" });
  ws.receive({
    type: "result", session_id: HELLO.session_id, decision: "match", similarity: 0.982, idec_request_id: "IDEC-FACE-1",
    client_nonce: s.clientNonce, fixed_commands: false, attempts: 1, decided_at: "2026-03-02T09:15:19Z",
    finger: { position: "right_index", quality: 64, impressions: 1, template_sha256: "cd".repeat(32), similarity: 0.71, idec_request_id: "IDEC-FINGER-1" },
  });
  ws.receive({ type: "state", state: "done", reason: "completed" });
  assert.deepEqual(states, ["waiting_start", "capturing", "liveness", "submitting", "finger", "submitting", "done"]);
  assert.equal(ws.frames.length, 2);
  assert.deepEqual(fingers.map((m) => m.status), ["place", "lift", "captured"]);
  const [r] = results;
  assert.equal(r.similarity, 0.982, "the result's own similarity is the face's");
  assert.equal(r.idec_request_id, "IDEC-FACE-1");
  assert.deepEqual(r.finger, { position: "right_index", quality: 64, impressions: 1, template_sha256: "cd".repeat(32), similarity: 0.71, idec_request_id: "IDEC-FINGER-1" });
  ws.close(1000);
});

test("face_and_finger: a face that did not match ends with the face, no finger", async () => {
  const { s, ws } = await connected();
  const states = [];
  let result = null;
  s.on("state", (m) => states.push(m.state));
  s.on("result", (m) => { result = m; });
  s.start({ modality: "face_and_finger", iin: "790303402568", consent: CONSENT, mode: "kiosk", finger: { position: "right_index" } });
  for (const st of ["waiting_start", "capturing", "liveness", "submitting"]) ws.receive({ type: "state", state: st });
  ws.receive({
    type: "result", session_id: HELLO.session_id, decision: "no_match", similarity: 0.12, reasons: ["below_threshold"], idec_request_id: "IDEC-FACE-2",
    client_nonce: s.clientNonce, fixed_commands: false, attempts: 1, decided_at: "2026-03-02T09:15:19Z",
  });
  ws.receive({ type: "state", state: "done", reason: "completed" });
  assert.equal(states.includes("finger"), false);
  assert.equal(result.decision, "no_match");
  assert.equal(result.finger, undefined);
  ws.close(1000);
});

test("modalities are the ones docs/protocol.md lists, result.finger names the finger's IDEC answer", () => {
  const doc = readFileSync(new URL("../../../docs/protocol.md", import.meta.url), "utf8");
  const row = (start, field) => {
    const line = doc.slice(doc.indexOf(start)).split("\n").find((l) => l.startsWith("| `" + field + "` |"));
    assert.ok(line, `docs/protocol.md: the ${field} row after ${start}`);
    return line;
  };
  const modality = row("### `start`", "modality");
  assert.deepEqual(MODALITIES.filter((m) => modality.includes("`" + m + "`")), [...MODALITIES]);
  assert.equal(MODALITIES.join(","), "face,finger,face_and_finger");
  const finger = row("### `result`", "finger");
  for (const f of ["position", "quality", "impressions", "template_sha256", "similarity", "idec_request_id"]) {
    assert.ok(finger.includes("`" + f + "`"), f);
  }
});

test("settings: face and fingerprint is kept, implies the reader; an unknown check is face", async () => {
  const store = new Map();
  globalThis.localStorage = {
    getItem: (k) => (store.has(k) ? store.get(k) : null),
    setItem: (k, v) => store.set(k, String(v)),
  };
  const { loadSettings, saveSettings } = await import("../../app/dist/settings.js");
  const both = saveSettings({ key: "k", modality: "face_and_finger", fingerReader: false, finger: "left_thumb" });
  assert.equal(both.modality, "face_and_finger");
  assert.equal(both.fingerReader, true, "both required: the kiosk has a reader");
  assert.deepEqual(loadSettings(), both);
  assert.equal(saveSettings({ modality: "face_or_whatever" }).modality, "face");
  assert.equal(saveSettings({ modality: "face" }).fingerReader, false);
});

test("page texts: face and fingerprint in the three languages, its own consent", () => {
  for (const l of LANGS) {
    for (const k of ["modality_face_and_finger", "modality_both_note", "consent_text_face_finger", "part_face", "part_finger",
      "result_face", "result_face_confirmed", "decision_match_both"]) {
      assert.ok(TEXTS[l][k]?.trim(), `${l}.${k}`);
    }
    const c = TEXTS[l].consent_text_face_finger;
    assert.notEqual(c, TEXTS[l].consent_text, l);
    assert.notEqual(c, TEXTS[l].consent_text_finger, l);
  }
  assert.equal(TEXTS.en.part_finger, "Face confirmed. Now your fingerprint.");
});
