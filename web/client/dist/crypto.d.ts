/** SHA-256 of the UTF-8 text, as 64 lowercase hex digits: start.consent.text_sha256. */
export declare function sha256Hex(text: string): Promise<string>;
/** A random client_nonce: 22 characters of base64url (128 bits). */
export declare function newNonce(): string;
/** Unpadded base64url of bytes. */
export declare function base64urlEncode(b: Uint8Array): string;
/** Decodes unpadded base64url; it throws on other characters. */
export declare function base64urlDecode(s: string): Uint8Array;
/** The JOSE "typ" of biogate's result documents. */
export declare const DOCUMENT_TYPE = "biogate-result+jws";
/** One key of the gateway's JWKS (GET /.well-known/jwks.json). */
export interface JWK {
    kty: string;
    crv?: string;
    x?: string;
    kid: string;
    alg?: string;
    use?: string;
}
/** The outcome of verifyDocument. */
export interface DocumentCheck {
    /** Whether the signature verifies with the named key of the set. */
    valid: boolean;
    /**
     * Why not, when not valid: malformed, type, algorithm, unknown_key,
     * signature, unsupported; with VerifyOptions also nonce (another
     * request's document), stale (older than maxAgeMs), future (issued
     * more than CLOCK_SKEW_MS ahead of now) and subject (another IIN).
     */
    problem?: "malformed" | "type" | "algorithm" | "unknown_key" | "signature" | "unsupported" | "nonce" | "stale" | "future" | "subject";
    /** The key id of the header. */
    kid?: string;
    /** The document (the payload), when it decodes; trust it only when valid. */
    document?: {
        id?: string;
        decision?: string;
        issued_at?: string;
        client_nonce?: string;
        departs_from_rules?: string[];
        [k: string]: unknown;
    };
}
/**
 * What a relying party expects of a document it asked for, beyond its
 * signature (biogate doc verify --nonce, --max-age; Go's
 * document.VerifyOptions). Without them a document of an earlier session
 * verifies too.
 */
export interface VerifyOptions {
    /** The client_nonce sent in start: the document's must equal it. */
    nonce?: string;
    /** The longest time, in milliseconds, since the decision (issued_at). */
    maxAgeMs?: number;
    /** The IIN the relying party asked about: the document's subject.iin must equal it. */
    iin?: string;
    /** The verifier's time (default Date.now()). */
    now?: Date | number;
}
/** How far a document's issued_at may run ahead of the verifier's clock (Go's document.ClockSkew). */
export declare const CLOCK_SKEW_MS: number;
/**
 * Verifies a result document (a compact JWS, EdDSA over Ed25519) against a
 * JWKS with WebCrypto. It checks the header's typ and alg, the key's type
 * and the signature; not the key's validity period (biogate doc verify
 * does that too). With opts it then checks the client nonce and the
 * decision's age, as a relying party must to refuse a replayed document.
 */
export declare function verifyDocument(jws: string, jwks: {
    keys: JWK[];
}, opts?: VerifyOptions): Promise<DocumentCheck>;
/** Fetches the gateway's JWKS (same origin by default) and verifies jws with it (and opts). */
export declare function verifyDocumentAt(jws: string, base?: string, opts?: VerifyOptions): Promise<DocumentCheck>;
