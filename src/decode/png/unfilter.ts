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
    const up = o - line; // first sample of the line above (only read when y > 0)
    const f = raw[o - 1];
    if (f === 0) continue;
    if (f === 1) {
      for (let i = o + bpp, end = o + stride; i < end; i++) raw[i] += raw[i - bpp];
    } else if (f === 2) {
      if (y > 0) { for (let i = 0; i < stride; i++) raw[o + i] += raw[up + i]; }
    } else if (f === 3) {
      if (y === 0) {
        for (let i = bpp; i < stride; i++) raw[o + i] += raw[o + i - bpp] >> 1;
      } else {
        for (let i = 0; i < bpp && i < stride; i++) raw[o + i] += raw[up + i] >> 1;
        for (let i = bpp; i < stride; i++) {
          raw[o + i] += (raw[o + i - bpp] + raw[up + i]) >> 1;
        }
      }
    } else if (f === 4) {
      if (y === 0) {
        // Paeth with the line above all 0 predicts the left neighbour (a Sub line).
        for (let i = o + bpp, end = o + stride; i < end; i++) raw[i] += raw[i - bpp];
      } else {
        paeth(raw, o, up, stride, bpp);
      }
    } else {
      throw new PngError(
        `invalid PNG: unknown filter type ${f} on scanline ${y} (corrupt file: copy or export it again)`,
      );
    }
  }
}

/** Paeth reconstruction of one line with a line above (section 9.4). */
function paeth(raw: Uint8Array, o: number, up: number, stride: number, bpp: number): void {
  // Left and upper-left are 0 for the first pixel: the predictor is the byte above.
  for (let i = 0; i < bpp && i < stride; i++) raw[o + i] += raw[up + i];
  for (let i = bpp; i < stride; i++) {
    const a = raw[o + i - bpp], b = raw[up + i], c = raw[up + i - bpp];
    const pa0 = b - c, pb0 = a - c;
    const pa = pa0 < 0 ? -pa0 : pa0;
    const pb = pb0 < 0 ? -pb0 : pb0;
    const pc1 = pa0 + pb0;
    const pc = pc1 < 0 ? -pc1 : pc1;
    raw[o + i] += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
  }
}
