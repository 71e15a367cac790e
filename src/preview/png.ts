/**
 * A minimal PNG encoder: 8-bit RGB (colour type 2), no interlace, IDAT compressed with
 * `node:zlib` `deflateSync`. Enough for contact sheets; no dependencies, no file reads. The
 * signature and CRC-32 are the decoder's (`src/decode/png/`). Kept rather than replaced by
 * fast-png's encoder: fast-png lost the decode measurement (see `bench/png_bench.ts`), and this
 * encoder is 40 lines on the runtime's native zlib.
 *
 * @module
 */
import { deflateSync } from "node:zlib";
import { crc32, PNG_SIGNATURE } from "../decode/png/mod.ts";

export { crc32, PNG_SIGNATURE };

/** Bad arguments to {@linkcode encodePng}. */
export class PngEncodeError extends Error {
  /** Exit-code kind: frames that cannot make a PNG (exit 1). */
  readonly kind = "data";
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
