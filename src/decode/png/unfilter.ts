/**
 * PNG filter reconstruction (section 9): each scanline starts with a filter-type byte (0 None,
 * 1 Sub, 2 Up, 3 Average, 4 Paeth) and is undone in place, from the reconstructed line above.
 *
 * @module
 */
import { PngError } from "./errors.ts";

/**
 * Undo the filters of `rows` scanlines stored back to back in `raw` from `start`, each one
 * filter byte followed by `stride` bytes. Works in place; the first line's "line above" is 0.
 *
 * @param raw Inflated image data (modified).
 * @param start Offset of the first line's filter byte.
 * @param rows Number of scanlines.
 * @param stride Bytes per scanline, without the filter byte.
 * @param bpp Bytes per complete pixel, at least 1 (the filter unit, section 9.2).
 * @throws {PngError} an unknown filter type.
 * @example
 * ```ts
 * import { unfilter } from "./unfilter.ts";
 * const raw = new Uint8Array([1, 5, 1, 1]); // one Sub line of 3 grey samples
 * unfilter(raw, 0, 1, 3, 1); // raw is now [1, 5, 6, 7]
 * ```
 */
export function unfilter(
  raw: Uint8Array,
  start: number,
  rows: number,
  stride: number,
  bpp: number,
): void {
  const line = stride + 1;
  for (let y = 0; y < rows; y++) {
    const o = start + y * line + 1; // first sample of this line
    const f = raw[o - 1];
    if (f === 0) continue;
    // The first line's "line above" is all 0: Up is None, Paeth is Sub, Average halves the left.
    if (f === 1 || (f === 4 && y === 0)) sub(raw, o, stride, bpp);
    else if (f === 2) {
      if (y > 0) {
        for (let i = o, up = o - line, end = o + stride; i < end; i++, up++) raw[i] += raw[up];
      }
    } else if (f === 3) average(raw, o, y === 0 ? -1 : o - line, stride, bpp);
    else if (f === 4) paeth(raw, o, o - line, stride, bpp);
    else {
      throw new PngError(
        `invalid PNG: unknown filter type ${f} on scanline ${y} (corrupt file: copy or export it again)`,
      );
    }
  }
}

// The three filters that predict from the left run one channel at a time (k = 0 .. bpp-1,
// stepping bpp) so the left and upper-left samples stay in locals: no store-to-load
// round trip per byte. Paeth picks its predictor without branches (noisy frames make the
// choice random, and mispredicted branches cost more than the arithmetic).

/** Sub (section 9.2): add the left sample. */
function sub(raw: Uint8Array, o: number, stride: number, bpp: number): void {
  const end = o + stride;
  for (let k = 0; k < bpp && k < stride; k++) {
    let a = raw[o + k];
    for (let i = o + k + bpp; i < end; i += bpp) {
      a = (a + raw[i]) & 0xff;
      raw[i] = a;
    }
  }
}

/** Average (section 9.2): add the floor mean of left and above (`up` < 0: no line above). */
function average(raw: Uint8Array, o: number, up: number, stride: number, bpp: number): void {
  const end = o + stride;
  const d = up - o;
  for (let k = 0; k < bpp && k < stride; k++) {
    let a = (raw[o + k] + (up < 0 ? 0 : raw[up + k] >> 1)) & 0xff;
    raw[o + k] = a;
    for (let i = o + k + bpp; i < end; i += bpp) {
      a = (raw[i] + ((a + (up < 0 ? 0 : raw[i + d])) >> 1)) & 0xff;
      raw[i] = a;
    }
  }
}

/** Paeth (section 9.4) with a line above. */
function paeth(raw: Uint8Array, o: number, up: number, stride: number, bpp: number): void {
  const end = o + stride;
  const d = up - o;
  for (let k = 0; k < bpp && k < stride; k++) {
    // first pixel: left and upper-left are 0, the predictor is the sample above
    let a = (raw[o + k] + raw[up + k]) & 0xff, c = raw[up + k];
    raw[o + k] = a;
    for (let i = o + k + bpp; i < end; i += bpp) {
      const b = raw[i + d];
      const x = b - c, y = a - c, z = x + y; // p - a, p - b, p - c with p = a + b - c
      const sx = x >> 31, sy = y >> 31, sz = z >> 31;
      const pa = (x ^ sx) - sx, pb = (y ^ sy) - sy, pc = (z ^ sz) - sz;
      const notA = ((pb - pa) | (pc - pa)) >> 31; // -1 unless pa <= pb and pa <= pc
      const notB = (pc - pb) >> 31; // -1 unless pb <= pc
      a = (raw[i] + (a ^ ((a ^ (b ^ ((b ^ c) & notB))) & notA))) & 0xff;
      raw[i] = a;
      c = b;
    }
  }
}
