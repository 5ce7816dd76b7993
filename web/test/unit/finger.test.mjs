// Unit tests of finger sessions in the protocol client (the committed
// build): the start it encodes and the finger messages it decodes, over a
// fake WebSocket. npm test.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Session, FINGER_POSITIONS, FINGER_HINTS } from "../../client/dist/index.js";
import { TEXTS, LANGS, t } from "../../app/dist/i18n.js";

const HELLO = {
  v: 1, type: "hello", session_id: "4b0e2f4c-8a43-4e0b-9d62-3a8a2f0f7c11", versions: [1], fixed_commands_allowed: false,
  limits: {
    max_message_bytes: 16384, max_frame_bytes: 524288, max_frame_pixels: 2073600, max_fps: 15, session_seconds: 120,
    start_seconds: 10, idle_seconds: 15, ping_seconds: 20, max_attempts: 3, command_timeout_ms: 6000,
  },
};
const CONSENT = { text_id: "biogate-kiosk-consent-finger-v1-en", text_sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", accepted_at: "2026-03-02T09:14:51Z" };

// FakeSocket stands in for the browser's WebSocket: it records what the
// client sends, and the test delivers the gateway's messages with receive.
class FakeSocket {
  static OPEN = 1;
  static last = null;
  readyState = 1;
  sent = [];
  constructor(url, protocols) {
    this.url = url;
    this.protocols = protocols;
    FakeSocket.last = this;
  }
  send(data) { this.sent.push(JSON.parse(data)); }
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

test("finger start: modality finger, the finger, no camera and no commands", async () => {
  const { s, ws } = await connected();
  s.start({ modality: "finger", iin: "790303402568", consent: CONSENT, clientNonce: "q7Lx0d3J-2fKq9wZr1Tb", finger: { position: "right_index", reader: "dir-0", impressions: 3 } });
  assert.deepEqual(ws.sent, [{
    v: 1, type: "start", iin: "790303402568", modality: "finger", consent: CONSENT, client_nonce: "q7Lx0d3J-2fKq9wZr1Tb",
    finger: { position: "right_index", reader: "dir-0", impressions: 3 },
  }]);
  assert.equal(s.clientNonce, "q7Lx0d3J-2fKq9wZr1Tb");
});

test("finger start: an absent or empty reader and absent impressions are left out", async () => {
  const { s, ws } = await connected();
  s.start({ modality: "finger", iin: "790303402568", consent: CONSENT, finger: { position: "left_thumb", reader: "" } });
  const [m] = ws.sent;
  assert.deepEqual(m.finger, { position: "left_thumb" });
  assert.equal("camera" in m, false);
  assert.equal("commands" in m, false);
  assert.match(m.client_nonce, /^[A-Za-z0-9_-]{22}$/);
});

test("face start is unchanged: modality face by default, with its camera", async () => {
  const { s, ws } = await connected();
  s.start({ iin: "790303402568", consent: CONSENT, mode: "kiosk", cameraName: "front", commands: ["move_closer"], clientNonce: "q7Lx0d3J-2fKq9wZr1Tb" });
  assert.deepEqual(ws.sent, [{
    v: 1, type: "start", iin: "790303402568", modality: "face", consent: CONSENT, client_nonce: "q7Lx0d3J-2fKq9wZr1Tb",
    camera: { mode: "kiosk", name: "front" }, commands: ["move_closer"],
  }]);
  assert.equal("finger" in ws.sent[0], false);
});

test("finger messages: state finger, each status in order, result.finger", async () => {
  const { s, ws } = await connected();
  const states = [];
  const fingers = [];
  const results = [];
  s.on("state", (m) => states.push(m.state));
  s.on("finger", (m) => fingers.push(m));
  s.on("result", (m) => results.push(m));
  s.sendFrame(new Uint8Array([0xff, 0xd8, 0xff, 0xd9])); // no frames in a finger session
  s.start({ modality: "finger", iin: "790303402568", consent: CONSENT, finger: { position: "right_index" } });
  ws.receive({ type: "state", state: "waiting_start" });
  ws.receive({ type: "state", state: "finger" });
  assert.equal(s.state, "finger");
  assert.equal(s.sendFrame(new Uint8Array([0xff, 0xd8, 0xff, 0xd9])), false, "no relay frames in state finger");
  const steps = [
    { status: "place", impression: 1 },
    { status: "lift", impression: 1 },
    { status: "rejected", impression: 1, quality: 0, hint: "no_finger" },
    { status: "place", impression: 1 },
    { status: "lift", impression: 1 },
    { status: "captured", impression: 1, quality: 72, hint: "press_harder" },
    { status: "rejected", impression: 2, quality: 12, hint: "a_hint_of_a_later_version" },
  ];
  for (const st of steps) ws.receive({ type: "finger", position: "right_index", count: 3, ...st, unknown_field: true });
  ws.receive({ type: "state", state: "submitting" });
  ws.receive({
    type: "result", session_id: HELLO.session_id, decision: "match", similarity: 0.91, client_nonce: s.clientNonce,
    fixed_commands: false, attempts: 1, decided_at: "2026-03-02T09:15:19Z",
    finger: { position: "right_index", quality: 72, impressions: 3, template_sha256: "ab".repeat(32) },
  });
  ws.receive({ type: "state", state: "done", reason: "completed" });
  assert.deepEqual(states, ["waiting_start", "finger", "submitting", "done"]);
  assert.deepEqual(fingers.map((m) => [m.status, m.impression, m.quality, m.hint]), steps.map((st) => [st.status, st.impression, st.quality, st.hint]));
  assert.ok(fingers.every((m) => m.type === "finger" && m.position === "right_index" && m.count === 3));
  assert.deepEqual(results[0].finger, { position: "right_index", quality: 72, impressions: 3, template_sha256: "ab".repeat(32) });
  assert.equal(s.state, "done");
  ws.close(1000);
});

test("finger positions and hints are the ones docs/protocol.md lists", () => {
  const doc = readFileSync(new URL("../../../docs/protocol.md", import.meta.url), "utf8");
  const row = (start, field) => {
    const section = doc.slice(doc.indexOf(start));
    const line = section.split("\n").find((l) => l.startsWith("| `" + field + "` |"));
    assert.ok(line, `docs/protocol.md: the ${field} row after ${start}`);
    return line;
  };
  const positions = [...row("### `start`", "finger.position").matchAll(/`((?:right|left)_[a-z]+)`/g)].map((m) => m[1]);
  assert.deepEqual(positions, [...FINGER_POSITIONS]);
  const hintRow = row("### `finger`", "hint");
  const hints = [...hintRow.slice(hintRow.indexOf("):")).matchAll(/`([a-z_]+)`/g)].map((m) => m[1]);
  assert.deepEqual(hints, [...FINGER_HINTS]);
});

test("page texts: every finger, hint, reason and error of finger sessions", () => {
  const keys = Object.keys(TEXTS.en);
  for (const p of FINGER_POSITIONS) {
    for (const k of ["finger_" + p, "finger_obj_" + p]) assert.ok(keys.includes(k), k);
  }
  for (const h of FINGER_HINTS) assert.ok(keys.includes("finger_hint_" + h), h);
  for (const k of ["reason_no_finger", "reason_no_reference_finger", "err_reader_unavailable", "err_idle_timeout_finger",
    "decision_no_match_finger", "consent_text_finger", "finger_place", "finger_lift", "finger_captured", "finger_rejected"]) {
    assert.ok(keys.includes(k), k);
  }
  const place = (l, p) => t(l, "finger_place", { finger: t(l, "finger_obj_" + p), impression: 1, count: 3 });
  assert.equal(place("en", "right_index"), "Place your right index finger on the reader (1 of 3)");
  assert.equal(place("ru", "left_little"), "Приложите мизинец левой руки к сканеру (1 из 3)");
  assert.equal(place("kk", "right_thumb"), "Оң қолыңыздың бас бармағын сканерге қойыңыз (1/3)");
  assert.equal(t("en", "finger_captured", { quality: 72 }), "Captured (quality 72)");
  for (const l of LANGS) {
    assert.doesNotMatch(place(l, "left_ring"), /[{}]|finger_obj_/, l);
    assert.notEqual(TEXTS[l].consent_text_finger, TEXTS[l].consent_text, l);
  }
});
