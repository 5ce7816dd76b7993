// The kiosk's operator settings, kept in this browser's localStorage: the
// API key is typed once by the operator and never put in a URL or a log.
import { FINGER_POSITIONS, MODALITIES } from "../../client/dist/index.js";
const STORAGE_KEY = "biogate.settings";
const DEFAULTS = {
    key: "", mode: "relay", width: 640, fps: 10, commands: [], modality: "face", fingerReader: false, reader: "", finger: "right_index",
};
function clamp(n, lo, hi, def) {
    const v = Math.round(Number(n));
    return Number.isFinite(v) && v >= lo && v <= hi ? v : def;
}
function normalise(s) {
    const modality = MODALITIES.includes(s.modality) ? s.modality : "face";
    return {
        key: typeof s.key === "string" ? s.key : "",
        mode: s.mode === "kiosk" ? "kiosk" : "relay",
        width: clamp(s.width, 160, 1920, DEFAULTS.width),
        fps: clamp(s.fps, 1, 30, DEFAULTS.fps),
        commands: Array.isArray(s.commands) ? s.commands.filter((c) => typeof c === "string") : [],
        modality,
        fingerReader: modality !== "face" || s.fingerReader === true,
        reader: typeof s.reader === "string" ? s.reader.trim() : "",
        finger: FINGER_POSITIONS.includes(s.finger) ? s.finger : DEFAULTS.finger,
    };
}
/** The stored settings, or the defaults. */
export function loadSettings() {
    try {
        return normalise(JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "{}"));
    }
    catch {
        return { ...DEFAULTS };
    }
}
/** Stores s (normalised) and returns what was stored. */
export function saveSettings(s) {
    const n = normalise(s);
    localStorage.setItem(STORAGE_KEY, JSON.stringify(n));
    return n;
}
