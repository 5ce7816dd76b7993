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
    /** Why not, when not valid: malformed, type, algorithm, unknown_key, signature, unsupported. */
    problem?: "malformed" | "type" | "algorithm" | "unknown_key" | "signature" | "unsupported";
    /** The key id of the header. */
    kid?: string;
    /** The document (the payload), when it decodes; trust it only when valid. */
    document?: {
        id?: string;
        decision?: string;
        departs_from_rules?: string[];
        [k: string]: unknown;
    };
}
/**
 * Verifies a result document (a compact JWS, EdDSA over Ed25519) against a
 * JWKS with WebCrypto. It checks the header's typ and alg, the key's type
 * and the signature; not the key's validity period (biogate doc verify
 * does that too).
 */
export declare function verifyDocument(jws: string, jwks: {
    keys: JWK[];
}): Promise<DocumentCheck>;
/** Fetches the gateway's JWKS (same origin by default) and verifies jws with it. */
export declare function verifyDocumentAt(jws: string, base?: string): Promise<DocumentCheck>;
