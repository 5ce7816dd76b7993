// The kiosk page's finger sessions in a real browser: Debian's chromium
// against biogated with a folder-backed fingerprint reader (--finger-reader
// dir:PATH, one image per capture) and the IDEC emulator holding a finger
// of ENROLLED_IIN (see harness.mjs).
//
//   npm run e2e                                   (with the face tests)
//   node --test test/e2e/finger.test.mjs          (these alone, from web/)

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as h from "./harness.mjs";

const why = h.missingFinger();
if (why && process.env.CI === "true") throw new Error("browser tests cannot run under CI=true: " + why);

describe("kiosk page, finger sessions", { skip: why || false, timeout: 10 * 60 * 1000 }, () => {
  let gwMatch; // its reader: a blank image, then three more impressions of the enrolled finger
  let gwOther; // its reader: three impressions of another finger
  before(async () => {
    h.clearShots("finger");
    h.build();
    await h.startIDEC({ face: false, fingers: [{ iin: h.ENROLLED_IIN, position: "right_index", image: h.fvc("101_1.png") }] });
    const same = h.readerFolder("match", ["101_2.png", "101_3.png", "101_4.png"].map(h.fvc), { blank: true });
    const other = h.readerFolder("other", ["102_2.png", "102_3.png", "102_4.png"].map(h.fvc));
    gwMatch = await h.startGateway("biogated-finger", ["--finger-reader", `dir:${same}?ppi=500`]);
    gwOther = await h.startGateway("biogated-finger-other", ["--finger-reader", `dir:${other}?ppi=500`]);
  });
  after(() => h.stopAll());

  /**
   * Opens the page, types the settings (finger: the check offered first;
   * else face first, with the reader offered), and records what the page
   * shows: every text of the finger screen and every step, in order, in
   * window.__shown (the folder reader may go faster than screenshots).
   */
  async function open(gateway, { modality }) {
    const browser = await h.launch();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const received = [];
    const sent = [];
    page.on("websocket", (ws) => {
      ws.on("framereceived", (f) => { if (typeof f.payload === "string") received.push(JSON.parse(f.payload)); });
      ws.on("framesent", (f) => { if (typeof f.payload === "string") sent.push(JSON.parse(f.payload)); });
    });
    page.on("pageerror", (e) => console.log("# page error:", e.message));
    await page.addInitScript(() => {
      window.__shown = [];
      document.addEventListener("DOMContentLoaded", () => {
        const watch = (id, read, opts) => new MutationObserver(() => {
          const v = read(document.getElementById(id));
          if (v) window.__shown.push([id, v]);
        }).observe(document.getElementById(id), opts);
        for (const id of ["finger-text", "finger-hint", "finger-step"]) watch(id, (el) => el.textContent, { childList: true, characterData: true, subtree: true });
        watch("step-finger", (el) => (el.hidden ? "" : "shown"), { attributes: true, attributeFilter: ["hidden"] });
      });
    });
    await page.goto(gateway.url + "/");
    await page.locator("#settings[open]").waitFor();
    await page.fill("#set-key", gateway.key);
    await page.selectOption("#set-modality", modality);
    if (modality === "face") await page.check("#set-finger-reader");
    await page.selectOption("#set-finger", "right_index");
    await page.fill("#set-reader", ""); // the gateway's default reader
    await h.shot(page, `settings-${modality}`);
    await page.click("#settings-save");
    await page.locator("#settings:not([open])").waitFor({ state: "attached" });
    return { browser, page, received, sent };
  }

  async function enterIIN(page, iin) {
    await page.locator("body[data-step=iin]").waitFor();
    await page.fill("#iin", iin);
  }

  /** The index in shown of the first [id, text] whose text matches re, -1 if none. */
  const at = (shown, id, re) => shown.findIndex(([i, v]) => i === id && re.test(v));

  test("the enrolled finger, after a blank image, ends in a signed match", async () => {
    const { browser, page, received, sent } = await open(gwMatch, { modality: "finger" });
    await page.click("button.lang[data-lang=en]");
    await enterIIN(page, h.ENROLLED_IIN);
    assert.equal(await page.getAttribute("#choose-finger", "aria-pressed"), "true", "finger is offered first");
    await h.shot(page, "iin-finger-chosen");
    await page.keyboard.press("Enter");
    await page.locator("body[data-step=consent]").waitFor();
    assert.match(await page.textContent("#consent-text"), /fingerprint/);
    await h.shot(page, "consent-finger");
    await page.click("#consent-accept");
    // The finger screen: the shot is taken while it is up, or of the result.
    await page.waitForFunction(() => window.__shown.some(([id]) => id === "finger-text"), null, { timeout: 30000 });
    await h.shot(page, "finger-screen");
    await page.waitForFunction(() => window.__shown.some(([id]) => id === "finger-hint"), null, { timeout: 30000 });
    await h.shot(page, "finger-after-blank");
    await page.locator("body[data-step=result]").waitFor({ timeout: 120000 });
    await page.locator("#doc-signature[data-verified=true]").waitFor({ timeout: 10000 });
    await h.shot(page, "finger-match");

    // What went out: a finger start, no camera.
    const start = sent.find((m) => m.type === "start");
    assert.equal(start.modality, "finger");
    assert.deepEqual(start.finger, { position: "right_index" });
    assert.equal(start.camera, undefined);
    assert.match(start.consent.text_id, /finger/);

    // What came in: the blank image rejected (no_finger), then three impressions kept.
    const fingers = received.filter((m) => m.type === "finger");
    assert.deepEqual(fingers[0] && [fingers[0].status, fingers[0].impression, fingers[0].count], ["place", 1, 3]);
    const rejected = fingers.find((m) => m.status === "rejected");
    assert.equal(rejected?.hint, "no_finger", JSON.stringify(fingers));
    assert.equal(rejected.impression, 1);
    assert.deepEqual(fingers.filter((m) => m.status === "captured").map((m) => m.impression), [1, 2, 3]);
    const states = received.filter((m) => m.type === "state").map((m) => m.state);
    assert.deepEqual(states.slice(0, 4), ["waiting_start", "finger", "submitting", "done"]);

    // What the page showed, in order: place, the no_finger hint, place again, captured.
    const shown = await page.evaluate(() => window.__shown);
    assert.ok(at(shown, "step-finger", /^shown$/) >= 0, "the finger screen was shown");
    const place1 = at(shown, "finger-text", /^Place your right index finger on the reader \(1 of 3\)$/);
    const noFinger = at(shown, "finger-hint", /^No finger was seen on the reader$/);
    const captured = at(shown, "finger-text", /^Captured \(quality \d+\)$/);
    assert.ok(place1 >= 0, JSON.stringify(shown));
    assert.ok(noFinger > place1, "the no_finger hint after the first place: " + JSON.stringify(shown));
    assert.ok(captured > noFinger, "captured after the hint: " + JSON.stringify(shown));
    assert.ok(shown.slice(noFinger).some(([id, v]) => id === "finger-text" && v === "Place your right index finger on the reader (1 of 3)"),
      "place again after the rejected image");
    assert.ok(at(shown, "finger-text", /\(3 of 3\)$/) > captured, "the third impression is asked for");
    assert.ok(at(shown, "finger-step", /^Prints taken: 3 of 3$/) >= 0, JSON.stringify(shown));
    assert.ok(at(shown, "finger-text", /^Checking/) > captured, "checking on submitting");

    // The result: match, the finger and its quality, a verified document.
    const result = received.find((m) => m.type === "result");
    assert.equal(result.decision, "match", JSON.stringify(result));
    assert.equal(result.finger.position, "right_index");
    assert.equal(result.finger.impressions, 3);
    assert.match(result.finger.template_sha256, /^[0-9a-f]{64}$/);
    assert.equal(await page.getAttribute("#result-decision", "data-decision"), "match");
    assert.equal(await page.textContent("#result-decision"), "Identity confirmed");
    assert.ok(await page.isVisible("#result-finger-rows dd"), "the finger is shown");
    assert.equal(await page.textContent("#result-finger"), "Right index finger");
    assert.equal(await page.textContent("#result-quality"), String(result.finger.quality));
    assert.equal(await page.isVisible("#departs"), false, "a finger check under the rules");
    await browser.close();
  });

  test("another finger, chosen on the start screen, ends in no_match", async () => {
    const { browser, page, received, sent } = await open(gwOther, { modality: "face" });
    await page.click("button.lang[data-lang=ru]");
    await enterIIN(page, h.ENROLLED_IIN);
    assert.equal(await page.getAttribute("#choose-face", "aria-pressed"), "true", "face is offered first");
    // By keyboard: the person switches to the finger.
    await page.focus("#choose-finger");
    await page.keyboard.press("Enter");
    assert.equal(await page.getAttribute("#choose-finger", "aria-pressed"), "true");
    assert.equal(await page.getAttribute("#choose-face", "aria-pressed"), "false");
    await h.shot(page, "iin-switched-to-finger");
    await page.click("#iin-continue");
    await page.locator("body[data-step=consent]").waitFor();
    assert.match(await page.textContent("#consent-text"), /отпечаток/);
    await page.click("#consent-accept");
    await page.waitForFunction(() => window.__shown.some(([id]) => id === "finger-text"), null, { timeout: 30000 });
    await h.shot(page, "finger-screen-ru");
    await page.locator("body[data-step=result]").waitFor({ timeout: 120000 });
    await page.locator("#doc-signature:not([data-verified=pending])").waitFor({ timeout: 10000 });
    await h.shot(page, "finger-no-match");

    assert.equal(sent.find((m) => m.type === "start")?.modality, "finger");
    const shown = await page.evaluate(() => window.__shown);
    assert.ok(at(shown, "finger-text", /^Приложите указательный палец правой руки к сканеру \(1 из 3\)$/) >= 0, JSON.stringify(shown));
    assert.ok(at(shown, "finger-text", /^Отпечаток снят \(качество \d+\)$/) >= 0, JSON.stringify(shown));
    const result = received.find((m) => m.type === "result");
    assert.equal(result.decision, "no_match", JSON.stringify(result));
    assert.equal(result.finger.position, "right_index");
    assert.equal(await page.getAttribute("#result-decision", "data-decision"), "no_match");
    assert.equal(await page.textContent("#result-decision"), "Отпечаток пальца не совпадает с ИИН");
    assert.equal(await page.textContent("#result-finger"), "Указательный палец правой руки");
    assert.equal(await page.getAttribute("#doc-signature", "data-verified"), "true");
    // A new check starts with the operator's choice again: face.
    await page.click("#new-check");
    await page.locator("body[data-step=iin]").waitFor();
    assert.equal(await page.getAttribute("#choose-face", "aria-pressed"), "true");
    await browser.close();
  });

  test("neither the key nor the IIN is in the finger gateways' logs", () => {
    for (const gw of [gwMatch, gwOther]) {
      const log = readFileSync(gw.proc.logFile, "utf8");
      assert.match(log, /session closed/, "the log has the sessions");
      assert.ok(!log.includes(gw.key), "the API key is in the log");
      assert.ok(!log.includes(h.ENROLLED_IIN), "the IIN is in the log");
    }
  });
});
