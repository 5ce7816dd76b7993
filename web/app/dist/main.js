// The kiosk page: IIN (and, where the kiosk has a fingerprint reader, face
// or finger), consent, then either capture (the browser's camera through
// the relay, or the gateway's own camera with its preview) with liveness
// commands, or the impressions of a finger on the gateway's reader, or
// both in turn where the operator requires both (face_and_finger: the
// finger screen follows the face's submitting once IDEC matched the face);
// and the result with its signed document checked in the browser.
import { Session, iinValid, sha256Hex, sessionURL, verifyDocumentAt, FINGER_HINTS, FINGER_POSITIONS, LIVENESS_COMMANDS, MODALITIES, } from "../../client/dist/index.js";
import { LANGS, has, t } from "./i18n.js";
import { loadSettings, saveSettings } from "./settings.js";
const $ = (id) => document.getElementById(id);
const STEPS = ["iin", "consent", "capture", "finger", "result", "gone"];
let lang = localStorage.getItem("biogate.lang") || "kk";
let settings = loadSettings();
let step = "iin";
let iin = "";
// The check chosen on the start screen, and the one the running session makes.
let modality = settings.modality;
let checking = "face";
// The running session reached state finger (in face_and_finger: the face matched).
let fingerStage = false;
let session = null;
let result = null;
let lastError = null;
let cancelled = false;
let stream = null;
let frameTimer = 0;
let watchdog = 0;
// Dynamic texts re-rendered on a language switch.
let hintKey = "";
let commandMsg = null;
let statusKey = "";
let fingerMsg = null;
let fingerHintKey = "";
let fingerDone = 0; // impressions captured
let goneKey = "gone_text";
let goneHeading = "gone_heading";
function show(s) {
    step = s;
    document.body.dataset.step = s;
    for (const id of STEPS)
        $("step-" + id).hidden = id !== s;
    $("step-" + s).querySelector("h2")?.focus();
    if (s === "iin")
        $("iin").focus();
}
function applyLang(l) {
    lang = l;
    localStorage.setItem("biogate.lang", l);
    document.documentElement.lang = l;
    for (const el of document.querySelectorAll("[data-i18n]"))
        el.textContent = t(l, el.dataset.i18n);
    for (const b of document.querySelectorAll("button.lang"))
        b.setAttribute("aria-pressed", String(b.dataset.lang === l));
    document.title = t(l, "title");
    renderDynamic();
}
function renderDynamic() {
    renderChoice();
    $("consent-text").textContent = t(lang, consentKey());
    renderFinger();
    $("capture-part").hidden = checking !== "face_and_finger";
    $("status").textContent = statusKey ? t(lang, statusKey) : "";
    $("hint").textContent = hintKey ? t(lang, hintKey) : "";
    const box = $("command");
    if (commandMsg) {
        const m = commandMsg;
        box.hidden = false;
        box.dataset.status = m.status;
        box.dataset.command = m.command;
        let text = t(lang, "cmd_" + m.command);
        if (m.status === "passed")
            text += " — " + t(lang, "cmd_passed");
        if (m.status === "failed")
            text = t(lang, "cmd_failed");
        $("command-text").textContent = text;
        $("command-progress").value = m.status === "passed" ? 1 : (m.progress ?? 0);
        $("command-step").textContent = t(lang, "cmd_step", { index: m.index + 1, count: m.count, attempt: m.attempt });
    }
    else {
        box.hidden = true;
    }
    if (result)
        renderResult(result);
    $("gone-heading").textContent = t(lang, goneHeading);
    $("gone-message").textContent = goneKey.startsWith("raw:") ? goneKey.slice(4) : t(lang, goneKey);
}
// renderChoice shows face or finger on the start screen, where the kiosk
// has a fingerprint reader; where the operator requires both, no choice but
// a note that the face comes first, then the finger.
function renderChoice() {
    const both = settings.modality === "face_and_finger";
    if (both)
        modality = "face_and_finger";
    else if (!settings.fingerReader || modality === "face_and_finger")
        modality = "face";
    $("modality-choice").hidden = both || !settings.fingerReader;
    $("modality-both").hidden = !both;
    for (const b of document.querySelectorAll("button.modality")) {
        b.setAttribute("aria-pressed", String(b.dataset.modality === modality));
    }
}
function consentKey() {
    if (modality === "face_and_finger")
        return "consent_text_face_finger";
    return modality === "finger" ? "consent_text_finger" : "consent_text";
}
// CONSENT_IDS are the consent texts' ids (with the language appended).
const CONSENT_IDS = {
    face: "biogate-kiosk-consent-v1-",
    finger: "biogate-kiosk-consent-finger-v1-",
    face_and_finger: "biogate-kiosk-consent-face-finger-v1-",
};
// The finger screen: which finger (the hand and its name), what to do now,
// why the last image was not kept, and the impressions taken so far.
function renderFinger() {
    const m = fingerMsg;
    const pos = m?.position ?? settings.finger;
    const hand = $("hand");
    hand.dataset.hand = pos.startsWith("left_") ? "left" : "right";
    const digit = pos.slice(pos.indexOf("_") + 1);
    for (const el of hand.querySelectorAll(".digit"))
        el.classList.toggle("on", el.dataset.digit === digit);
    $("finger-name").textContent = t(lang, "finger_" + pos);
    const box = $("finger-box");
    box.dataset.status = statusKey || !m ? "" : m.status;
    let text = "";
    if (statusKey)
        text = t(lang, statusKey);
    else if (m?.status === "place")
        text = t(lang, "finger_place", { finger: t(lang, "finger_obj_" + pos), impression: m.impression, count: m.count });
    else if (m?.status === "lift")
        text = t(lang, "finger_lift");
    else if (m?.status === "captured")
        text = t(lang, "finger_captured", { quality: m.quality ?? 0 });
    else if (m?.status === "rejected")
        text = t(lang, "finger_rejected");
    $("finger-text").textContent = text;
    // The hint, unless it would repeat the text above it.
    const hint = statusKey === "submitting" || (m?.status === "rejected" && fingerHintKey === "finger_rejected") ? "" : fingerHintKey;
    $("finger-hint").textContent = hint ? t(lang, hint) : "";
    const count = m?.count ?? 0;
    const list = $("finger-impressions");
    while (list.children.length > count)
        list.lastElementChild.remove();
    while (list.children.length < count)
        list.append(document.createElement("li"));
    [...list.children].forEach((li, i) => {
        li.dataset.state = i < fingerDone ? "done" : i + 1 === m?.impression ? "current" : "todo";
    });
    $("finger-step").textContent = count ? t(lang, "finger_progress", { done: fingerDone, count }) : "";
    // Both required: the face is behind the person, the finger is next.
    const part = checking === "face_and_finger" && fingerStage;
    $("finger-part").hidden = !part;
    $("finger-part").textContent = part ? t(lang, "part_finger") : "";
}
function renderResult(r) {
    const d = $("result-decision");
    d.dataset.decision = r.decision;
    const finger = checking === "finger" || r.finger !== undefined;
    // Both required and the session reached the finger: the face matched
    // (else there is no finger step), a match is both, a no_match the finger's.
    const both = checking === "face_and_finger" && (fingerStage || r.finger !== undefined);
    let key = "decision_" + r.decision + (finger && has("decision_" + r.decision + "_finger") ? "_finger" : "");
    if (both && r.decision === "match")
        key = "decision_match_both";
    d.textContent = t(lang, key);
    // A reason with a text of its own is said in words; others as they are.
    $("result-reasons").textContent = (r.reasons ?? []).map((x) => (has("reason_" + x) ? t(lang, "reason_" + x) : x)).join(" ");
    const dep = r.departs_from_rules ?? [];
    $("departs").hidden = dep.length === 0 && !r.fixed_commands;
    $("departs-list").textContent = dep.join(", ") || (r.fixed_commands ? "fixed_commands" : "");
    // The face's part, where the session went on to the finger (IDEC matched the face).
    $("result-face-rows").hidden = !both;
    $("result-face").textContent = both ? t(lang, "result_face_confirmed") : "";
    $("result-finger-rows").hidden = !r.finger;
    if (r.finger) {
        $("result-finger").textContent = has("finger_" + r.finger.position) ? t(lang, "finger_" + r.finger.position) : r.finger.position;
        $("result-quality").textContent = String(r.finger.quality);
    }
    const sig = $("doc-signature");
    if (!r.document) {
        sig.dataset.verified = "false";
        sig.textContent = t(lang, "signature_none");
    }
    else if (sig.dataset.verified === "true") {
        sig.textContent = "✔ " + t(lang, "signature_ok") + (sig.dataset.kid ? ` (${sig.dataset.kid})` : "");
    }
    else if (sig.dataset.verified === "false") {
        sig.textContent = "✘ " + t(lang, "signature_bad") + (sig.dataset.problem ? ` (${sig.dataset.problem})` : "");
    }
    else {
        sig.textContent = "…";
    }
}
// --- IIN and consent ---------------------------------------------------
function onIIN(ev) {
    ev.preventDefault();
    const v = $("iin").value.replace(/\s+/g, "");
    const err = $("iin-error");
    if (!iinValid(v)) {
        // Refused here, before any session or camera.
        err.dataset.i18n = "iin_invalid";
        err.textContent = t(lang, "iin_invalid");
        err.hidden = false;
        $("iin").setAttribute("aria-invalid", "true");
        $("iin").focus();
        return;
    }
    err.hidden = true;
    $("iin").removeAttribute("aria-invalid");
    iin = v;
    show("consent");
}
function choose(m) {
    if (settings.modality === "face_and_finger")
        return; // no choice: both
    modality = settings.fingerReader ? m : "face";
    renderDynamic();
}
async function onConsent() {
    checking = modality;
    const text = t(lang, consentKey());
    const textID = CONSENT_IDS[checking] + lang;
    const consent = { text_id: textID, text_sha256: await sha256Hex(text), accepted_at: new Date().toISOString().replace(/\.\d+Z$/, "Z") };
    resetCapture();
    show(checking === "finger" ? "finger" : "capture");
    statusKey = "connecting";
    renderDynamic();
    if (!settings.key) {
        gone("error_heading", "connect_failed");
        return;
    }
    let s;
    try {
        s = await Session.connect({ url: sessionURL(), apiKey: settings.key });
    }
    catch {
        gone("error_heading", "connect_failed");
        return;
    }
    session = s;
    // mine drops the events of a session the page has left.
    const mine = (f) => (...a) => { if (session === s)
        f(...a); };
    s.on("state", mine((m) => onState(m.state)));
    s.on("quality", mine((m) => {
        // The first hint the page knows; unknown ones are ignored.
        const known = m.hints.find((h) => t("en", "hint_" + h) !== "hint_" + h);
        hintKey = known ? "hint_" + known : m.hints.length ? hintKey : "hint_ok";
        renderDynamic();
    }));
    s.on("command", mine((m) => { commandMsg = m; hintKey = ""; renderDynamic(); }));
    s.on("finger", mine((m) => onFinger(m)));
    s.on("submitting", mine(() => { statusKey = "submitting"; hintKey = ""; commandMsg = null; renderDynamic(); }));
    s.on("preview", mine((m) => {
        const img = $("kiosk-preview");
        img.src = "data:image/jpeg;base64," + m.jpeg;
        img.hidden = false;
    }));
    s.on("result", mine((m) => onResult(m)));
    s.on("error", mine((m) => {
        lastError = m;
        if (!m.fatal && s.state === "waiting_start")
            s.cancel(); // the page cannot correct its start
    }));
    for (const type of ["hello", "state", "quality", "command", "finger", "submitting", "preview", "result", "error", "passive", "aborted"]) {
        s.on(type, mine(() => kick()));
    }
    s.onClose(mine((c) => onClose(c)));
    const finger = { position: settings.finger, reader: settings.reader || undefined };
    const commands = settings.commands.filter((c) => LIVENESS_COMMANDS.includes(c));
    if (checking === "finger") {
        s.start({ modality: "finger", iin, consent, finger });
    }
    else if (checking === "face_and_finger") {
        s.start({ modality: "face_and_finger", iin, consent, mode: settings.mode, commands: commands.length ? commands : undefined, finger });
    }
    else {
        s.start({ iin, consent, mode: settings.mode, commands: commands.length ? commands : undefined });
    }
    kick();
}
// kick restarts the watchdog: a session that hears nothing from the
// gateway for 12 s while capturing (hints come every second) is lost. A
// finger session is quiet while it waits for the finger, and the gateway
// ends it itself after idle_seconds: the page waits 15 s longer than that.
function kick() {
    clearTimeout(watchdog);
    if (step !== "capture" && step !== "finger")
        return;
    const watched = step === "finger" ? ["finger"] : ["capturing", "liveness"];
    const ms = step === "finger" ? ((session?.hello.limits.idle_seconds ?? 15) + 15) * 1000 : 12000;
    watchdog = window.setTimeout(() => {
        if ((step === "capture" || step === "finger") && session && watched.includes(session.state)) {
            const s = session;
            session = null;
            s.close();
            gone("gone_heading", "gone_text");
        }
    }, ms);
}
// --- capture -------------------------------------------------------------
function onState(st) {
    if (st === "finger") {
        // face_and_finger: the face matched; from its submitting to the finger screen.
        fingerStage = true;
        stopCamera();
        statusKey = "reader_starting";
        hintKey = "";
        commandMsg = null;
        if (step === "capture")
            show("finger");
        renderDynamic();
    }
    if (st === "capturing") {
        statusKey = settings.mode === "relay" ? "camera_starting" : "";
        renderDynamic();
        if (settings.mode === "relay")
            startRelay();
    }
    if (st === "liveness") {
        statusKey = "";
        renderDynamic();
    }
    if (st === "submitting" || st === "done")
        stopCamera();
}
async function startRelay() {
    const video = $("video");
    video.hidden = false;
    try {
        stream = await navigator.mediaDevices.getUserMedia({
            audio: false,
            video: { width: { ideal: settings.width }, frameRate: { ideal: Math.max(settings.fps, 15) } },
        });
    }
    catch {
        session?.cancel();
        gone("error_heading", "camera_failed");
        return;
    }
    if (step !== "capture" || !session) {
        stopCamera();
        return;
    }
    video.srcObject = stream;
    await video.play().catch(() => undefined);
    statusKey = "";
    renderDynamic();
    const canvas = document.createElement("canvas");
    const ctx = canvas.getContext("2d");
    const s = session;
    let busy = false;
    const fps = Math.min(settings.fps, s.hello.limits.max_fps);
    const tick = () => {
        if (busy || video.readyState < 2 || !video.videoWidth)
            return;
        const w = Math.min(settings.width, video.videoWidth);
        canvas.width = w;
        canvas.height = Math.round((w * video.videoHeight) / video.videoWidth);
        ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
        const at = Date.now();
        busy = true;
        canvas.toBlob(async (blob) => {
            try {
                if (blob)
                    s.sendFrame(new Uint8Array(await blob.arrayBuffer()), at);
            }
            finally {
                busy = false;
            }
        }, "image/jpeg", 0.88);
    };
    frameTimer = window.setInterval(tick, Math.round(1000 / fps));
}
// --- finger ----------------------------------------------------------------
function onFinger(m) {
    fingerMsg = m;
    statusKey = "";
    if (m.status === "captured") {
        fingerDone = Math.max(fingerDone, m.impression);
        fingerHintKey = "";
    }
    // A rejected image's hint stays up while the person places the finger
    // again, until an impression is kept.
    if (m.status === "rejected") {
        // A hint the page does not know (or none) is a plain "try again".
        fingerHintKey = m.hint && FINGER_HINTS.includes(m.hint) ? "finger_hint_" + m.hint : "finger_rejected";
    }
    renderDynamic();
}
function stopCamera() {
    clearInterval(frameTimer);
    frameTimer = 0;
    stream?.getTracks().forEach((tr) => tr.stop());
    stream = null;
    const video = $("video");
    video.srcObject = null;
}
function resetCapture() {
    result = null;
    lastError = null;
    cancelled = false;
    hintKey = "";
    commandMsg = null;
    statusKey = "";
    fingerMsg = null;
    fingerHintKey = "";
    fingerDone = 0;
    fingerStage = false;
    const sig = $("doc-signature");
    sig.dataset.verified = "pending";
    delete sig.dataset.kid;
    delete sig.dataset.problem;
    $("doc-id").textContent = "";
    const img = $("kiosk-preview");
    img.hidden = true;
    img.removeAttribute("src");
    $("video").hidden = settings.mode !== "relay";
}
// --- result and endings ------------------------------------------------
async function onResult(r) {
    result = r;
    stopCamera();
    clearTimeout(watchdog);
    show("result");
    renderDynamic();
    if (!r.document)
        return;
    const sig = $("doc-signature");
    try {
        const chk = await verifyDocumentAt(r.document);
        $("doc-id").textContent = String(chk.document?.id ?? "");
        sig.dataset.verified = String(chk.valid);
        if (chk.kid)
            sig.dataset.kid = chk.kid;
        if (chk.problem)
            sig.dataset.problem = chk.problem;
    }
    catch {
        sig.dataset.verified = "false";
        sig.dataset.problem = "jwks";
    }
    if (result === r)
        renderDynamic();
}
function onClose(c) {
    session = null;
    stopCamera();
    clearTimeout(watchdog);
    if (result || cancelled)
        return;
    if (c.aborted)
        gone("gone_heading", "aborted_text");
    else if (lastError)
        gone("error_heading", errorKey(lastError));
    else
        gone("gone_heading", "gone_text");
}
// errorKey is the text of an error: the finger session's own where it has
// one (idle_timeout), the code's, or else the gateway's English message.
function errorKey(e) {
    const key = "err_" + e.code;
    if ((checking === "finger" || fingerStage) && has(key + "_finger"))
        return key + "_finger";
    return has(key) ? key : "raw:" + e.message;
}
function gone(heading, key) {
    stopCamera();
    goneHeading = heading;
    goneKey = key;
    show("gone");
    renderDynamic();
}
function restart() {
    if (session) {
        cancelled = true;
        session.cancel();
        session = null;
    }
    stopCamera();
    resetCapture();
    iin = "";
    modality = settings.modality;
    $("iin").value = "";
    show("iin");
    renderDynamic();
}
// --- settings ----------------------------------------------------------
function openSettings() {
    // The stored key is never shown again: empty keeps it.
    const keyInput = $("set-key");
    keyInput.value = "";
    keyInput.placeholder = settings.key ? "••••••••" : "";
    $("set-mode").value = settings.mode;
    $("set-modality").value = settings.modality;
    $("set-finger-reader").checked = settings.fingerReader;
    $("set-finger").value = settings.finger;
    $("set-reader").value = settings.reader;
    syncReaderSetting();
    $("set-width").value = String(settings.width);
    $("set-fps").value = String(settings.fps);
    $("set-commands").value = settings.commands.join(",");
    $("settings").showModal();
}
// A kiosk that offers the finger first, or requires both, has a reader: the
// box is ticked and fixed while so.
function syncReaderSetting() {
    const finger = $("set-modality").value !== "face";
    const box = $("set-finger-reader");
    if (finger)
        box.checked = true;
    box.disabled = finger;
}
function settingModality(v) {
    return MODALITIES.includes(v) ? v : "face";
}
function closeSettings() {
    const d = $("settings");
    if (d.returnValue === "save") {
        settings = saveSettings({
            key: $("set-key").value.trim() || settings.key,
            mode: $("set-mode").value === "kiosk" ? "kiosk" : "relay",
            width: Number($("set-width").value),
            fps: Number($("set-fps").value),
            commands: $("set-commands").value.split(",").map((c) => c.trim()).filter(Boolean),
            modality: settingModality($("set-modality").value),
            fingerReader: $("set-finger-reader").checked,
            finger: $("set-finger").value,
            reader: $("set-reader").value,
        });
        if (step === "iin")
            modality = settings.modality;
        renderDynamic();
    }
    $("set-key").value = "";
    $("step-" + step).querySelector("h2")?.focus();
}
function init() {
    for (const b of document.querySelectorAll("button.lang")) {
        b.addEventListener("click", () => applyLang(b.dataset.lang));
    }
    if (!LANGS.includes(lang))
        lang = "kk";
    const fingers = $("set-finger");
    for (const p of FINGER_POSITIONS) {
        const o = document.createElement("option");
        o.value = p;
        o.dataset.i18n = "finger_" + p;
        fingers.append(o);
    }
    for (const b of document.querySelectorAll("button.modality")) {
        b.addEventListener("click", () => choose(b.dataset.modality === "finger" ? "finger" : "face"));
    }
    $("iin-form").addEventListener("submit", onIIN);
    $("iin").addEventListener("input", () => { $("iin-error").hidden = true; });
    $("consent-accept").addEventListener("click", () => void onConsent());
    $("consent-decline").addEventListener("click", restart);
    $("cancel").addEventListener("click", restart);
    $("finger-cancel").addEventListener("click", restart);
    $("new-check").addEventListener("click", restart);
    $("start-again").addEventListener("click", restart);
    $("open-settings").addEventListener("click", openSettings);
    $("set-modality").addEventListener("change", syncReaderSetting);
    $("settings").addEventListener("close", closeSettings);
    applyLang(lang);
    show("iin");
    if (!settings.key)
        openSettings();
}
init();
