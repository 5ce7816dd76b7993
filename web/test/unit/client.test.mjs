// Unit tests of the protocol client (the committed build, as the page
// loads it) and of the page's texts. npm test.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  iinValid, iinProblem, checkDigit, encodeFrame, decodeFrameHeader, FRAME_HEADER_BYTES, sha256Hex, verifyDocument,
  base64urlEncode, base64urlDecode, subprotocols, newNonce, LIVENESS_COMMANDS, DOCUMENT_TYPE,
} from "../../client/dist/index.js";
import { TEXTS, LANGS, t } from "../../app/dist/i18n.js";

// withCheckDigit completes 11 digits with their check digit (or null).
function withCheckDigit(s11) {
  const c = checkDigit(s11 + "0");
  return c < 0 ? null : s11 + c;
}

test("IIN: the valid examples pass, every other check digit fails", () => {
  for (const iin of ["850101300015", "790303402568", "061211600012"]) {
    assert.equal(iinValid(iin), true, iin);
    for (let d = 0; d <= 9; d++) {
      const other = iin.slice(0, 11) + d;
      if (other !== iin) assert.equal(iinProblem(other), "check_digit", other);
    }
  }
});

test("IIN: length, digits, century and birth date", () => {
  assert.equal(iinProblem(""), "length");
  assert.equal(iinProblem("79030340256"), "length");
  assert.equal(iinProblem("7903034025681"), "length");
  assert.equal(iinProblem("79030340256a"), "digits");
  assert.equal(iinProblem(" 90303402568"), "digits");
  assert.equal(iinProblem(withCheckDigit("79030370256")), "century"); // digit 7 = 7
  assert.equal(iinProblem(withCheckDigit("79030300256")), "century"); // digit 7 = 0
  assert.equal(iinProblem(withCheckDigit("79023030256")), "birth_date"); // 30 February
  assert.equal(iinProblem(withCheckDigit("79130330256")), "birth_date"); // month 13
  assert.equal(iinValid(withCheckDigit("00022950256")), true); // 29 February 2000 (digit 7 = 5)
  assert.equal(iinProblem(withCheckDigit("00022930256")), "birth_date"); // 1900 was no leap year
});

test("IIN: a number both weight sets give 10 is never issued", () => {
  // Search the 11-digit prefixes of one birth date for such a number.
  let found = null;
  for (let n = 0; n < 100000 && !found; n++) {
    const s = "790303" + String(n).padStart(5, "0");
    if (checkDigit(s + "0") < 0) found = s;
  }
  assert.ok(found, "some prefix is never issued");
  for (let d = 0; d <= 9; d++) assert.equal(iinProblem(found + d), "never_issued");
});

test("relay frame: header layout of devices/relay", () => {
  const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
  const f = encodeFrame(0x01020304, 1772445731020, jpeg);
  assert.equal(f.length, FRAME_HEADER_BYTES + jpeg.length);
  assert.deepEqual([...f.slice(0, 8)], [0x42, 0x47, 1, 0, 1, 2, 3, 4]);
  assert.equal(new DataView(f.buffer).getBigInt64(8, false), 1772445731020n);
  assert.deepEqual([...f.slice(16)], [...jpeg]);
  assert.deepEqual(decodeFrameHeader(f), { version: 1, flags: 0, seq: 0x01020304, captureMillis: 1772445731020 });
  assert.throws(() => encodeFrame(1, 0, jpeg.slice(0, -1)), /JPEG/);
  assert.throws(() => encodeFrame(-1, 0, jpeg), RangeError);
  assert.equal(decodeFrameHeader(Uint8Array.from([0x42, 0x48, ...new Array(20).fill(0)])), null);
});

test("hashes, nonces, base64url and the key subprotocol", async () => {
  assert.equal(await sha256Hex("test"), "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
  const n = newNonce();
  assert.match(n, /^[A-Za-z0-9_-]{22}$/);
  assert.notEqual(n, newNonce());
  for (const len of [0, 1, 2, 3, 31, 32]) {
    const b = Uint8Array.from({ length: len }, (_, i) => (i * 37 + 250) & 255);
    assert.deepEqual(base64urlDecode(base64urlEncode(b)), b);
  }
  assert.throws(() => base64urlDecode("a+b/"));
  const key = "demo-kiosk-0123456789/+=";
  const [v1, k] = subprotocols(key);
  assert.equal(v1, "biogate.v1");
  assert.match(k, /^biogate\.key\.[A-Za-z0-9_-]+$/); // a valid HTTP token, whatever the key holds
  assert.equal(new TextDecoder().decode(base64urlDecode(k.slice("biogate.key.".length))), key);
});

async function signer(kid) {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
  const jwk = { ...(await crypto.subtle.exportKey("jwk", pair.publicKey)), kid, alg: "EdDSA", use: "sig" };
  delete jwk.key_ops;
  delete jwk.ext;
  const sign = async (header, payload) => {
    const enc = (o) => base64urlEncode(new TextEncoder().encode(JSON.stringify(o)));
    const input = enc(header) + "." + enc(payload);
    const sig = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, pair.privateKey, new TextEncoder().encode(input)));
    return input + "." + base64urlEncode(sig);
  };
  return { jwk, sign };
}

test("result documents: signature, type, algorithm and key are checked", async () => {
  const a = await signer("kid-a");
  const b = await signer("kid-b");
  const jwks = { keys: [a.jwk] };
  const doc = { v: 1, id: "0123456789abcdef0123456789abcdef", decision: "match", departs_from_rules: ["fixed_commands"] };
  const good = await a.sign({ alg: "EdDSA", typ: DOCUMENT_TYPE, kid: "kid-a" }, doc);
  const ok = await verifyDocument(good, jwks);
  assert.equal(ok.valid, true);
  assert.equal(ok.kid, "kid-a");
  assert.deepEqual(ok.document, doc);

  const [h, p, s] = good.split(".");
  const forged = h + "." + base64urlEncode(new TextEncoder().encode(JSON.stringify({ ...doc, decision: "no_match" }))) + "." + s;
  assert.equal((await verifyDocument(forged, jwks)).problem, "signature");
  assert.equal((await verifyDocument(await b.sign({ alg: "EdDSA", typ: DOCUMENT_TYPE, kid: "kid-a" }, doc), jwks)).problem, "signature");
  assert.equal((await verifyDocument(await b.sign({ alg: "EdDSA", typ: DOCUMENT_TYPE, kid: "kid-b" }, doc), jwks)).problem, "unknown_key");
  assert.equal((await verifyDocument(await a.sign({ alg: "none", typ: DOCUMENT_TYPE, kid: "kid-a" }, doc), jwks)).problem, "algorithm");
  assert.equal((await verifyDocument(await a.sign({ alg: "EdDSA", typ: "JWT", kid: "kid-a" }, doc), jwks)).problem, "type");
  assert.equal((await verifyDocument("a.b", jwks)).problem, "malformed");
  assert.equal((await verifyDocument(h + ".!!." + s, jwks)).problem, "malformed");
});

test("result documents: a replayed document is refused for its nonce and its age", async () => {
  const a = await signer("kid-a");
  const jwks = { keys: [a.jwk] };
  const header = { alg: "EdDSA", typ: DOCUMENT_TYPE, kid: "kid-a" };
  const now = Date.parse("2026-12-06T10:00:00.000Z");
  const old = await a.sign(header, { v: 2, decision: "match", client_nonce: "earlier-session-nonce-AAAA", issued_at: "2026-12-06T09:00:00.000Z" });
  const fresh = await a.sign(header, { v: 2, decision: "match", client_nonce: "nonce-of-this-request-0042", issued_at: "2026-12-06T09:59:55.000Z", subject: { iin: "790303402568" } });
  const opts = { nonce: "nonce-of-this-request-0042", maxAgeMs: 10 * 60 * 1000, now };

  // The attack: the earlier session's document passes the signature check.
  assert.equal((await verifyDocument(old, jwks)).valid, true);
  assert.equal((await verifyDocument(old, jwks, { nonce: opts.nonce, now })).problem, "nonce");
  assert.equal((await verifyDocument(old, jwks, { maxAgeMs: opts.maxAgeMs, now })).problem, "stale");
  assert.equal((await verifyDocument(old, jwks, { ...opts, nonce: "earlier-session-nonce-AAAA" })).problem, "stale");
  const ok = await verifyDocument(fresh, jwks, opts);
  assert.equal(ok.valid, true, ok.problem);
  assert.equal((await verifyDocument(fresh, jwks, { ...opts, nonce: "nonce-of-this-request-004" })).problem, "nonce");
  assert.equal((await verifyDocument(fresh, jwks, { ...opts, nonce: "nonce-of-this-request-00420" })).problem, "nonce");
  assert.equal((await verifyDocument(fresh, jwks, { ...opts, now: new Date(now + 3600_000) })).problem, "stale");
  assert.equal((await verifyDocument(fresh, jwks, { ...opts, now: now - 60_000 })).valid, true); // clock behind, within the skew
  assert.equal((await verifyDocument(fresh, jwks, { ...opts, now: now - 10 * 60_000 })).problem, "future");
  assert.equal((await verifyDocument(fresh, jwks, { ...opts, iin: "061211600012" })).problem, "subject");
  assert.equal((await verifyDocument(fresh, jwks, { ...opts, iin: "790303402568" })).valid, true);
  const undated = await a.sign(header, { v: 2, client_nonce: opts.nonce });
  assert.equal((await verifyDocument(undated, jwks, opts)).problem, "malformed");
});

test("page texts: every key in the three languages, every hint and command", () => {
  const keys = Object.keys(TEXTS.en);
  for (const l of LANGS) {
    assert.deepEqual(Object.keys(TEXTS[l]).sort(), [...keys].sort(), l);
    for (const k of keys) assert.ok(TEXTS[l][k].trim(), `${l}.${k} is empty`);
  }
  // The hints docs/protocol.md lists, each with a text.
  const doc = readFileSync(new URL("../../../docs/protocol.md", import.meta.url), "utf8");
  const table = doc.slice(doc.indexOf("The hints:"), doc.indexOf("### `command`"));
  const hints = [...table.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]);
  assert.ok(hints.length >= 9, `${hints.length} hints in docs/protocol.md`);
  for (const h of hints) assert.ok(keys.includes("hint_" + h), h);
  for (const c of LIVENESS_COMMANDS) assert.ok(keys.includes("cmd_" + c), c);
  for (const d of ["match", "no_match", "spoof", "refused", "error"]) assert.ok(keys.includes("decision_" + d), d);
  // The reasons a cue decides a spoof with, each explained to the person.
  for (const r of ["flat_presentation", "injection_suspected", "replayed_frames"]) {
    assert.ok(doc.includes("`" + r + "`"), `docs/protocol.md lists ${r}`);
    assert.ok(keys.includes("reason_" + r), r);
  }
  assert.equal(t("en", "cmd_step", { index: 2, count: 3, attempt: 1 }), "Step 2 of 3, attempt 1");
  assert.notEqual(TEXTS.kk.consent_text, TEXTS.ru.consent_text);
});
