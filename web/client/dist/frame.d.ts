/** Length of the relay frame header, in bytes. */
export declare const FRAME_HEADER_BYTES = 16;
/** Version of the relay frame format. */
export declare const FRAME_VERSION = 1;
/**
 * Encodes one relay frame: magic "BG", version 1, flags 0, seq (uint32,
 * increasing from frame to frame), the capture time in Unix milliseconds
 * (int64), then the JPEG. It throws if jpeg is not framed as a JPEG (FF D8
 * FF ... FF D9), which the gateway would drop.
 */
export declare function encodeFrame(seq: number, captureMillis: number, jpeg: Uint8Array): Uint8Array;
/** The fields of a relay frame header. */
export interface FrameHeader {
    version: number;
    flags: number;
    seq: number;
    captureMillis: number;
}
/** Decodes a relay frame's header; null when it is short or its magic is not "BG". */
export declare function decodeFrameHeader(b: Uint8Array): FrameHeader | null;
