/**
 * A minimal PNG encoder: 8-bit RGB (colour type 2), no interlace, IDAT compressed with
 * `node:zlib` `deflateSync`. Enough for contact sheets; no dependencies, no file reads.
 *
 * @module
 */
import { deflateSync } from "node:zlib";

/** The 8-byte PNG signature. */
export const PNG_SIGNATURE: Uint8Array = new Uint8Array([
  0x89,
  0x50,
  0x4e,
  0x47,
  0x0d,
  0x0a,
  0x1a,
  0x0a,
]);

/** CRC-32 (IEEE 802.3, polynomial 0xEDB88320) lookup table. */
const CRC_TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * CRC-32 of bytes, as PNG chunks use it.
 *
 * @param bytes The data.
 * @param crc A running CRC to continue (default: start fresh).
 * @returns The CRC as an unsigned 32-bit integer.
 * @example
 * ```ts
 * import { crc32 } from "./png.ts";
 * crc32(new TextEncoder().encode("IEND")); // 0xae426082
 * ```
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** Bad arguments to {@linkcode encodePng}. */
export class PngEncodeError extends Error {
  /**
   * Make the error.
   *
   * @param message What is wrong.
   */
  constructor(message: string) {
    super(message);
    this.name = "PngEncodeError";
  }
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  v.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * Encode an interleaved RGB image as a PNG file.
 *
 * @param width Width in pixels (>= 1).
 * @param height Height in pixels (>= 1).
 * @param rgb `width*height*3` bytes, `(y*width + x)*3 + c`.
 * @returns The PNG file bytes.
 * @throws {PngEncodeError} a zero size or a wrong buffer length.
 * @example
 * ```ts
 * import { encodePng } from "./png.ts";
 * const red = new Uint8Array(4 * 4 * 3).map((_, i) => i % 3 === 0 ? 255 : 0);
 * await Deno.writeFile("red.png", encodePng(4, 4, red));
 * ```
 */
export function encodePng(width: number, height: number, rgb: Uint8Array): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new PngEncodeError(`a PNG needs a size of at least 1x1, not ${width}x${height}`);
  }
  if (rgb.length !== width * height * 3) {
    throw new PngEncodeError(
      `expected ${width * height * 3} bytes of RGB for ${width}x${height}, got ${rgb.length}`,
    );
  }
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  ihdr[10] = 0; // compression: deflate
  ihdr[11] = 0; // filter method 0
  ihdr[12] = 0; // no interlace
  // Each scanline: filter type byte (1 = Sub: difference to the pixel on the left), then pixels.
  const stride = width * 3;
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const o = y * (stride + 1);
    const row = rgb.subarray(y * stride, (y + 1) * stride);
    raw[o] = 1;
    for (let i = 0; i < stride; i++) raw[o + 1 + i] = (row[i] - (i >= 3 ? row[i - 3] : 0)) & 0xff;
  }
  const idat = new Uint8Array(deflateSync(raw, { level: 9 }));
  const parts = [
    PNG_SIGNATURE,
    chunk("IHDR", ihdr),
    chunk("IDAT", idat),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
