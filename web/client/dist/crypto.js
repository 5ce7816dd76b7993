// Hashes, nonces and result documents with WebCrypto (browsers and Node).
/** SHA-256 of the UTF-8 text, as 64 lowercase hex digits: start.consent.text_sha256. */
export async function sha256Hex(text) {
    const d = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
    return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}
/** A random client_nonce: 22 characters of base64url (128 bits). */
export function newNonce() {
    return base64urlEncode(crypto.getRandomValues(new Uint8Array(16)));
}
/** Unpadded base64url of bytes. */
export function base64urlEncode(b) {
    let s = "";
    for (const x of b)
        s += String.fromCharCode(x);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
/** Decodes unpadded base64url; it throws on other characters. */
export function base64urlDecode(s) {
    if (!/^[A-Za-z0-9_-]*$/.test(s))
        throw new TypeError("not base64url");
    const b = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
    return Uint8Array.from(b, (c) => c.charCodeAt(0));
}
/** The JOSE "typ" of biogate's result documents. */
export const DOCUMENT_TYPE = "biogate-result+jws";
/** How far a document's issued_at may run ahead of the verifier's clock (Go's document.ClockSkew). */
export const CLOCK_SKEW_MS = 2 * 60 * 1000;
/** Compares two strings in time that depends on their lengths only. */
function sameString(a, b) {
    const x = new TextEncoder().encode(a);
    const y = new TextEncoder().encode(b);
    let d = x.length ^ y.length;
    for (let i = 0; i < x.length; i++)
        d |= x[i] ^ (i < y.length ? y[i] : 0);
    return d === 0;
}
/** The relying party's checks of a document whose signature verified. */
function expect(document, opts) {
    if (opts.nonce !== undefined && opts.nonce !== "") {
        if (typeof document.client_nonce !== "string" || !sameString(opts.nonce, document.client_nonce))
            return "nonce";
    }
    if (opts.maxAgeMs !== undefined && opts.maxAgeMs > 0) {
        const issued = typeof document.issued_at === "string" ? Date.parse(document.issued_at) : NaN;
        if (Number.isNaN(issued))
            return "malformed";
        const now = opts.now === undefined ? Date.now() : +opts.now;
        if (now - issued > opts.maxAgeMs)
            return "stale";
        if (issued - now > CLOCK_SKEW_MS)
            return "future";
    }
    if (opts.iin !== undefined && opts.iin !== "") {
        const subject = document.subject;
        if (subject?.iin !== opts.iin)
            return "subject";
    }
    return undefined;
}
/**
 * Verifies a result document (a compact JWS, EdDSA over Ed25519) against a
 * JWKS with WebCrypto. It checks the header's typ and alg, the key's type
 * and the signature; not the key's validity period (biogate doc verify
 * does that too). With opts it then checks the client nonce and the
 * decision's age, as a relying party must to refuse a replayed document.
 */
export async function verifyDocument(jws, jwks, opts = {}) {
    const parts = jws.split(".");
    if (parts.length !== 3)
        return { valid: false, problem: "malformed" };
    let header;
    let document;
    let sig;
    try {
        const dec = new TextDecoder("utf-8", { fatal: true });
        header = JSON.parse(dec.decode(base64urlDecode(parts[0])));
        document = JSON.parse(dec.decode(base64urlDecode(parts[1])));
        sig = base64urlDecode(parts[2]);
    }
    catch {
        return { valid: false, problem: "malformed" };
    }
    const kid = header.kid;
    if (header.typ !== DOCUMENT_TYPE)
        return { valid: false, problem: "type", kid, document };
    if (header.alg !== "EdDSA")
        return { valid: false, problem: "algorithm", kid, document };
    const jwk = jwks.keys.find((k) => k.kid === kid);
    if (!jwk || jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || !jwk.x || (jwk.alg && jwk.alg !== "EdDSA")) {
        return { valid: false, problem: "unknown_key", kid, document };
    }
    let key;
    try {
        key = await crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: jwk.x }, { name: "Ed25519" }, false, ["verify"]);
    }
    catch {
        return { valid: false, problem: "unsupported", kid, document };
    }
    const data = new TextEncoder().encode(parts[0] + "." + parts[1]);
    const ok = await crypto.subtle.verify({ name: "Ed25519" }, key, sig, data);
    if (!ok)
        return { valid: false, problem: "signature", kid, document };
    if (document === null || typeof document !== "object")
        return { valid: false, problem: "malformed", kid };
    const problem = expect(document, opts);
    return problem ? { valid: false, problem, kid, document } : { valid: true, kid, document };
}
/** Fetches the gateway's JWKS (same origin by default) and verifies jws with it (and opts). */
export async function verifyDocumentAt(jws, base = "", opts = {}) {
    const res = await fetch(base + "/.well-known/jwks.json", { cache: "no-store" });
    if (!res.ok)
        throw new Error(`jwks: HTTP ${res.status}`);
    return verifyDocument(jws, await res.json(), opts);
}
