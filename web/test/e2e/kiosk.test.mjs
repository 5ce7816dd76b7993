// The kiosk page in a real browser: Debian's chromium, a face clip as its
// camera, against biogated and the IDEC emulator (see harness.mjs).
//
//   npm run e2e        (from web/, after npm ci; hack/web-test.sh runs it)

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as h from "./harness.mjs";

const why = h.missing();
if (why && process.env.CI === "true") throw new Error("browser tests cannot run under CI=true: " + why);

describe("kiosk page", { skip: why || false, timeout: 15 * 60 * 1000 }, () => {
  let gw; // the gateway of the relay tests
  // The kiosk tests' gateway, with the genuine clip as its camera. It has its
  // own data folder: the replay cue remembers every session's frames, so on
  // gw, whose relay tests have already shown this recording, a kiosk session
  // on it would rightly be refused as replayed_frames.
  let kiosk;
  before(async () => {
    h.clearShots();
    h.build();
    await h.startIDEC();
    gw = await h.startGateway("biogated");
    kiosk = await h.startGateway("biogated-kiosk", ["--camera", "file:" + h.clips.genuineMP4]);
  });
  after(() => h.stopAll());

  /** Opens the page in a new browser on clip, types the settings, and watches the sockets. */
  async function open(clip, gateway, { mode = "relay", commands = "" } = {}) {
    const browser = await h.launch(clip);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const sockets = [];
    const received = [];
    page.on("websocket", (ws) => {
      sockets.push(ws.url());
      ws.on("framereceived", (f) => {
        if (typeof f.payload === "string") received.push(JSON.parse(f.payload));
      });
    });
    page.on("pageerror", (e) => console.log("# page error:", e.message));
    await page.goto(gateway.url + "/");
    // No key yet: the settings dialog opens by itself.
    await page.locator("#settings[open]").waitFor();
    await page.fill("#set-key", gateway.key);
    await page.selectOption("#set-mode", mode);
    await page.fill("#set-commands", commands);
    await page.fill("#set-fps", "10");
    await page.click("#settings-save");
    await page.locator("#settings:not([open])").waitFor({ state: "attached" });
    return { browser, page, sockets, received };
  }

  async function enterIIN(page, iin) {
    await page.locator("body[data-step=iin]").waitFor();
    await page.fill("#iin", iin);
    await page.keyboard.press("Enter"); // keyboard only
  }

  test("an invalid IIN is refused before any capture", async () => {
    const { browser, page, sockets } = await open(h.clips.genuine, gw);
    await h.shot(page, "iin-empty");
    await enterIIN(page, "790303402567"); // check digit off by one
    await page.locator("#iin-error").waitFor({ state: "visible" });
    await h.shot(page, "iin-refused");
    assert.equal(await page.getAttribute("body", "data-step"), "iin");
    assert.equal(await page.getAttribute("#iin", "aria-invalid"), "true");
    assert.match(await page.textContent("#iin-error"), /ЖСН/); // Kazakh by default
    // The language switch, by keyboard: the message follows.
    await page.focus("button.lang[data-lang=en]");
    await page.keyboard.press("Enter");
    assert.match(await page.textContent("#iin-error"), /not valid/);
    await h.shot(page, "iin-refused-en");
    await page.waitForTimeout(500);
    assert.deepEqual(sockets, [], "no session may be opened for an invalid IIN");
    assert.equal(await page.evaluate(() => document.querySelector("video").srcObject), null, "no camera");
    await browser.close();
  });

  test("the genuine clip in relay mode ends in a signed match", async () => {
    const { browser, page, received, sockets } = await open(h.clips.genuine, gw, { commands: "move_closer" });
    await page.click("button.lang[data-lang=ru]");
    await enterIIN(page, h.ENROLLED_IIN);
    await page.locator("body[data-step=consent]").waitFor();
    await h.shot(page, "consent");
    await page.click("#consent-accept");
    await page.locator("body[data-step=capture]").waitFor();
    await page.locator("#hint:not(:empty)").waitFor({ timeout: 30000 });
    await h.shot(page, "relay-capturing");
    await page.locator("#command:not([hidden])").waitFor({ timeout: 30000 });
    await h.shot(page, "relay-command");
    await page.locator("body[data-step=result]").waitFor({ timeout: 120000 });
    await page.locator("#doc-signature[data-verified=true]").waitFor({ timeout: 10000 });
    await h.shot(page, "relay-match");
    assert.equal(await page.getAttribute("#result-decision", "data-decision"), "match");
    assert.ok(await page.isVisible("#departs"), "the departure from the rules is shown");
    assert.match(await page.textContent("#departs-list"), /fixed_commands/);
    assert.match(await page.textContent("#departs-list"), /fewer_than_3_commands/);
    // The key travelled as a subprotocol, never in the URL.
    assert.deepEqual(sockets, [gw.url.replace("http", "ws") + "/v1/session"]);
    const result = received.find((m) => m.type === "result");
    assert.ok(result?.document, "the result carries a document");
    const doc = JSON.parse(Buffer.from(result.document.split(".")[1], "base64url").toString());
    assert.equal(await page.textContent("#doc-id"), doc.id);
    assert.deepEqual(doc.departs_from_rules, result.departs_from_rules);
    // The gateway's own verifier agrees with the browser.
    const f = join(h.tmpDir(), "match.jws");
    writeFileSync(f, result.document);
    const out = execFileSync(h.bin("biogate"), ["doc", "verify", f, "--jwks", gw.url + "/.well-known/jwks.json", "--json"]).toString();
    const v = JSON.parse(out);
    assert.equal(v.valid, true, out);
    assert.equal(v.decision, "match", out);
    assert.equal(v.id, doc.id, out);
    assert.equal(v.kid, await page.getAttribute("#doc-signature", "data-kid"), "the browser and biogate used the same key");
    assert.deepEqual(v.departs_from_rules, ["fixed_commands", "fewer_than_3_commands"], out);
    // A tampered document does not verify in the browser.
    const bad = result.document.slice(0, -4) + (result.document.endsWith("AAAA") ? "BBBB" : "AAAA");
    const chk = await page.evaluate(async (jws) => (await import("/client/dist/index.js")).verifyDocumentAt(jws), bad);
    assert.equal(chk.valid, false);
    await browser.close();
  });

  test("the attack clip ends in spoof", async () => {
    const { browser, page } = await open(h.clips.attack, gw);
    await enterIIN(page, h.OTHER_IIN);
    await page.click("#consent-accept");
    await page.locator("body[data-step=capture]").waitFor();
    await page.locator("#hint:not(:empty)").waitFor({ timeout: 30000 });
    await h.shot(page, "attack-capturing");
    await page.locator("body[data-step=result]").waitFor({ timeout: 120000 });
    await page.locator("#doc-signature:not([data-verified=pending])").waitFor({ timeout: 10000 });
    await h.shot(page, "attack-spoof");
    assert.equal(await page.getAttribute("#result-decision", "data-decision"), "spoof");
    assert.equal(await page.getAttribute("#doc-signature", "data-verified"), "true");
    assert.equal(await page.isVisible("#departs"), false, "random commands: no departure");
    await browser.close();
  });

  test("kiosk mode shows the gateway's camera and ends in a match", async () => {
    const { browser, page, received } = await open(h.clips.genuine, kiosk, { mode: "kiosk", commands: "move_closer" });
    await page.click("button.lang[data-lang=en]");
    await enterIIN(page, h.ENROLLED_IIN);
    await page.click("#consent-accept");
    await page.locator("#kiosk-preview:not([hidden])").waitFor({ timeout: 30000 });
    await page.waitForFunction(() => {
      const img = document.getElementById("kiosk-preview");
      return img.complete && img.naturalWidth > 0 && img.getBoundingClientRect().height > 100;
    });
    assert.equal(await page.isVisible("#video"), false, "kiosk mode: no browser camera");
    await h.shot(page, "kiosk-preview");
    await page.locator("body[data-step=result]").waitFor({ timeout: 120000 });
    await page.locator("#doc-signature[data-verified=true]").waitFor({ timeout: 10000 });
    await h.shot(page, "kiosk-match");
    assert.equal(await page.getAttribute("#result-decision", "data-decision"), "match");
    const previews = received.filter((m) => m.type === "preview");
    assert.ok(previews.length > 0 && previews[0].width <= 320, `${previews.length} previews`);
    await browser.close();
  });

  test("the same recording played again to the kiosk camera ends in spoof", async () => {
    // What an attacker who recorded a kiosk session would try: the camera's
    // clip again, the same command, the enrolled IIN.
    const { browser, page, received } = await open(h.clips.genuine, kiosk, { mode: "kiosk", commands: "move_closer" });
    await enterIIN(page, h.ENROLLED_IIN);
    await page.click("#consent-accept");
    await page.locator("body[data-step=result]").waitFor({ timeout: 120000 });
    await page.locator("#doc-signature[data-verified=true]").waitFor({ timeout: 10000 });
    await h.shot(page, "kiosk-replayed");
    const result = received.find((m) => m.type === "result");
    assert.equal(result.decision, "spoof", JSON.stringify(result));
    assert.deepEqual(result.reasons, ["replayed_frames"]);
    assert.equal(await page.getAttribute("#result-decision", "data-decision"), "spoof");
    await browser.close();
  });

  test("neither the key nor an IIN is in the gateways' logs", () => {
    for (const g of [gw, kiosk]) {
      const log = readFileSync(g.proc.logFile, "utf8");
      assert.match(log, /session closed/, "the log has the sessions");
      assert.ok(!log.includes(g.key), "the API key is in the log");
      assert.ok(!log.includes(Buffer.from(g.key).toString("base64url")), "the encoded API key is in the log");
      for (const iin of [h.ENROLLED_IIN, h.OTHER_IIN]) assert.ok(!log.includes(iin), "an IIN is in the log");
    }
  });

  test("a gateway stopped mid-session shows a clear message", async () => {
    // No drain (biogated's own tests cover it): on SIGTERM a running
    // session is aborted at once, which is what this page must explain.
    const doomed = await h.startGateway("biogated-doomed", ["--drain-grace=-1s"]);
    const { browser, page } = await open(h.clips.genuine, doomed, { commands: "move_closer" });
    await page.click("button.lang[data-lang=en]");
    await enterIIN(page, h.ENROLLED_IIN);
    await page.click("#consent-accept");
    await page.locator("#hint:not(:empty)").waitFor({ timeout: 30000 });
    await h.shot(page, "before-stop");
    doomed.proc.kill("SIGTERM");
    await page.locator("body[data-step=gone]").waitFor({ timeout: 20000 });
    await h.shot(page, "gateway-stopped");
    assert.match(await page.textContent("#gone-message"), /shutting down|connection was lost/);
    assert.ok(await page.isVisible("#start-again"));
    // Not frozen: the page goes back to the start.
    await page.focus("#start-again");
    await page.keyboard.press("Enter");
    await page.locator("body[data-step=iin]").waitFor();
    await doomed.proc.exited;
    await browser.close();
  });

  test("a gateway killed outright (no aborted message) shows a clear message", async () => {
    const doomed = await h.startGateway("biogated-killed");
    const { browser, page } = await open(h.clips.genuine, doomed, { commands: "move_closer" });
    await page.click("button.lang[data-lang=en]");
    await enterIIN(page, h.ENROLLED_IIN);
    await page.click("#consent-accept");
    await page.locator("#hint:not(:empty)").waitFor({ timeout: 30000 });
    doomed.proc.kill("SIGKILL");
    await page.locator("body[data-step=gone]").waitFor({ timeout: 20000 });
    await h.shot(page, "gateway-killed");
    assert.match(await page.textContent("#gone-message"), /connection was lost/);
    assert.ok(await page.isVisible("#start-again"));
    await doomed.proc.exited;
    await browser.close();
  });
});
