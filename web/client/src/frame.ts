// The relay frame of docs/protocol.md (devices/relay owns the format): a
// 16-byte header, big-endian, then exactly one JPEG.

/** Length of the relay frame header, in bytes. */
export const FRAME_HEADER_BYTES = 16;
/** Version of the relay frame format. */
export const FRAME_VERSION = 1;

/**
 * Encodes one relay frame: magic "BG", version 1, flags 0, seq (uint32,
 * increasing from frame to frame), the capture time in Unix milliseconds
 * (int64), then the JPEG. It throws if jpeg is not framed as a JPEG (FF D8
 * FF ... FF D9), which the gateway would drop.
 */
export function encodeFrame(seq: number, captureMillis: number, jpeg: Uint8Array): Uint8Array {
  if (!Number.isInteger(seq) || seq < 0 || seq > 0xffffffff) throw new RangeError("seq must be a uint32");
  const n = jpeg.length;
  if (n < 5 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8 || jpeg[2] !== 0xff || jpeg[n - 2] !== 0xff || jpeg[n - 1] !== 0xd9) {
    throw new TypeError("not a complete JPEG");
  }
  const out = new Uint8Array(FRAME_HEADER_BYTES + n);
  const dv = new DataView(out.buffer);
  out[0] = 0x42; // B
  out[1] = 0x47; // G
  out[2] = FRAME_VERSION;
  out[3] = 0;
  dv.setUint32(4, seq, false);
  dv.setBigInt64(8, BigInt(Math.trunc(captureMillis)), false);
  out.set(jpeg, FRAME_HEADER_BYTES);
  return out;
}

/** The fields of a relay frame header. */
export interface FrameHeader { version: number; flags: number; seq: number; captureMillis: number }

/** Decodes a relay frame's header; null when it is short or its magic is not "BG". */
export function decodeFrameHeader(b: Uint8Array): FrameHeader | null {
  if (b.length < FRAME_HEADER_BYTES || b[0] !== 0x42 || b[1] !== 0x47) return null;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { version: b[2], flags: b[3], seq: dv.getUint32(4, false), captureMillis: Number(dv.getBigInt64(8, false)) };
}
