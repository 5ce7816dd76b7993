// The kiosk's operator settings, kept in this browser's localStorage: the
// API key is typed once by the operator and never put in a URL or a log.

import { FINGER_POSITIONS, MODALITIES } from "../../client/dist/index.js";
import type { CameraMode, FingerPosition, Modality } from "../../client/dist/index.js";

/** What the operator sets once per kiosk. */
export interface Settings {
  /** API key with the kiosk and/or relay scope (a finger session needs kiosk). */
  key: string;
  /** relay: the browser's camera; kiosk: the gateway's camera. */
  mode: CameraMode;
  /** Relay frame width in pixels (the height follows the camera's aspect). */
  width: number;
  /** Relay frames per second (at most hello.limits.max_fps). */
  fps: number;
  /** Fixed liveness commands: tests and demos only (the gateway must allow them). */
  commands: string[];
  /**
   * The check the start screen begins with; finger implies fingerReader.
   * face_and_finger: every check is both, required (the face, then the
   * finger): the person is offered no choice; it implies fingerReader.
   */
  modality: Modality;
  /** The gateway has a fingerprint reader for this kiosk: the start screen offers face or finger (unless both are required). */
  fingerReader: boolean;
  /** The reader's id from GET /v1/devices; empty for the gateway's default reader. */
  reader: string;
  /** The finger asked for. */
  finger: FingerPosition;
}

const STORAGE_KEY = "biogate.settings";
const DEFAULTS: Settings = {
  key: "", mode: "relay", width: 640, fps: 10, commands: [], modality: "face", fingerReader: false, reader: "", finger: "right_index",
};

function clamp(n: unknown, lo: number, hi: number, def: number): number {
  const v = Math.round(Number(n));
  return Number.isFinite(v) && v >= lo && v <= hi ? v : def;
}

function normalise(s: Partial<Settings>): Settings {
  const modality: Modality = MODALITIES.includes(s.modality as Modality) ? (s.modality as Modality) : "face";
  return {
    key: typeof s.key === "string" ? s.key : "",
    mode: s.mode === "kiosk" ? "kiosk" : "relay",
    width: clamp(s.width, 160, 1920, DEFAULTS.width),
    fps: clamp(s.fps, 1, 30, DEFAULTS.fps),
    commands: Array.isArray(s.commands) ? s.commands.filter((c) => typeof c === "string") : [],
    modality,
    fingerReader: modality !== "face" || s.fingerReader === true,
    reader: typeof s.reader === "string" ? s.reader.trim() : "",
    finger: FINGER_POSITIONS.includes(s.finger as FingerPosition) ? (s.finger as FingerPosition) : DEFAULTS.finger,
  };
}

/** The stored settings, or the defaults. */
export function loadSettings(): Settings {
  try {
    return normalise(JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "{}"));
  } catch {
    return { ...DEFAULTS };
  }
}

/** Stores s (normalised) and returns what was stored. */
export function saveSettings(s: Partial<Settings>): Settings {
  const n = normalise(s);
  localStorage.setItem(STORAGE_KEY, JSON.stringify(n));
  return n;
}
