/**
 * Reconstructed PNG scanlines to 8-bit pixels: grey stays one channel (1, 2 and 4-bit grey
 * scaled to 0-255), everything else becomes RGB (palette expanded); alpha is dropped, not
 * composited; 16-bit samples keep their high byte (`v >> 8`). This matches Pillow's
 * `Image.open(p).convert("RGB")` (gamma and colour chunks are not applied).
 *
 * @module
 */
import { ColorType } from "./chunks.ts";

/** One scanline's destination: pixels go to `out[(at + i * step) * channels ...]`. */
export interface RowTarget {
  /** Output pixels, interleaved. */
  out: Uint8Array;
  /** Output channels: 1 (grey types) or 3. */
  channels: 1 | 3;
  /** Pixel index of the line's first pixel in `out`. */
  at: number;
  /** Pixel step between the line's pixels (1, or the Adam7 pass's column step). */
  step: number;
}

/** Output channels for a colour type: 1 for grey and grey+alpha, 3 otherwise. */
export function outputChannels(colorType: number): 1 | 3 {
  return colorType === ColorType.GREY || colorType === ColorType.GREY_ALPHA ? 1 : 3;
}

/** Multiplier taking a `depth`-bit grey sample to 0-255. */
const GREY_SCALE: Record<number, number> = { 1: 255, 2: 85, 4: 17, 8: 1 };

/**
 * Convert one reconstructed scanline of `width` pixels.
 *
 * @param src The reconstructed data.
 * @param so Offset of the line's first sample (after its filter byte).
 * @param width Pixels in the line.
 * @param png Bit depth, colour type and (for colour type 3) the 256-entry RGB palette.
 * @param t Where the pixels go.
 * @example
 * ```ts
 * import { convertRow } from "./pixels.ts";
 * const out = new Uint8Array(6);
 * convertRow(new Uint8Array([1, 2, 3, 255, 4, 5, 6, 255]), 0, 2,
 *   { bitDepth: 8, colorType: 6 }, { out, channels: 3, at: 0, step: 1 }); // out = 1,2,3,4,5,6
 * ```
 */
export function convertRow(
  src: Uint8Array,
  so: number,
  width: number,
  png: { bitDepth: number; colorType: number; palette?: Uint8Array },
  t: RowTarget,
): void {
  const { out, step } = t;
  const depth = png.bitDepth, ct = png.colorType;
  if (ct === ColorType.GREY && depth < 8) {
    const perByte = 8 / depth, mask = (1 << depth) - 1, scale = GREY_SCALE[depth];
    for (let x = 0, d = t.at; x < width; x++, d += step) {
      const shift = 8 - depth * (1 + (x % perByte));
      out[d] = ((src[so + ((x * depth) >> 3)] >> shift) & mask) * scale;
    }
    return;
  }
  if (ct === ColorType.PALETTE) {
    const pal = png.palette!;
    const mask = (1 << depth) - 1;
    for (let x = 0, d = t.at * 3; x < width; x++, d += 3 * step) {
      const i = depth === 8
        ? src[so + x]
        : (src[so + ((x * depth) >> 3)] >> (8 - depth * (1 + (x % (8 / depth))))) & mask;
      out[d] = pal[i * 3];
      out[d + 1] = pal[i * 3 + 1];
      out[d + 2] = pal[i * 3 + 2];
    }
    return;
  }
  // 8 and 16-bit samples: take every `inc`-th byte (the high byte of a 16-bit sample).
  const bps = depth >> 3; // bytes per sample
  const samples = ct === ColorType.GREY ? 1 : ct === ColorType.GREY_ALPHA ? 2 : ct === 2 ? 3 : 4;
  const px = samples * bps; // bytes per source pixel
  if (t.channels === 1) {
    for (let x = 0, s = so, d = t.at; x < width; x++, s += px, d += step) out[d] = src[s];
    return;
  }
  if (px === 3 && step === 1) {
    out.set(src.subarray(so, so + 3 * width), t.at * 3); // 8-bit RGB: a straight copy
    return;
  }
  for (let x = 0, s = so, d = t.at * 3; x < width; x++, s += px, d += 3 * step) {
    out[d] = src[s];
    out[d + 1] = src[s + bps];
    out[d + 2] = src[s + 2 * bps];
  }
}
