/**
 * `decodePng`: a PNG file to 8-bit interleaved pixels (every colour type and bit depth, Adam7
 * interlacing, every filter), checked against PngSuite and Pillow.
 *
 * @module
 */
import { type DecodedImage, DEFAULT_MAX_PIXELS } from "../types.ts";
import { parsePng, type PngFile } from "./chunks.ts";
import { inflateExact } from "./inflate.ts";
import { convertRow, outputChannels } from "./pixels.ts";
import { unfilter } from "./unfilter.ts";

/** Options for {@linkcode decodePng}. */
export interface PngDecodeOptions {
  /** Refuse images whose declared width*height exceeds this, before allocating. Default 50e6. */
  maxPixels?: number;
}

/** Adam7 passes (section 8.2): first column, first row, column step, row step. */
const ADAM7: readonly (readonly [number, number, number, number])[] = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/** A sub-image of the file's data: one Adam7 pass, or the whole image. */
interface Pass {
  x0: number;
  y0: number;
  dx: number;
  dy: number;
  /** Pixels per line. */
  w: number;
  /** Lines. */
  h: number;
  /** Bytes per line, without the filter byte. */
  stride: number;
}

/**
 * The passes of an image and the inflated size they need (each line: a filter byte and its
 * samples; empty passes take no bytes).
 *
 * @param png The header.
 * @returns The passes and their total size.
 * @example
 * ```ts
 * import { planPasses } from "./decode.ts";
 * planPasses({ width: 854, height: 480, bitDepth: 8, samples: 3, interlaced: false }).bytes;
 * // 480 * (1 + 854 * 3)
 * ```
 */
export function planPasses(
  png: { width: number; height: number; bitDepth: number; samples: number; interlaced: boolean },
): { passes: Pass[]; bytes: number } {
  const bits = png.samples * png.bitDepth;
  const grid = png.interlaced ? ADAM7 : [[0, 0, 1, 1] as const];
  const passes: Pass[] = [];
  let bytes = 0;
  for (const [x0, y0, dx, dy] of grid) {
    const w = png.width > x0 ? Math.ceil((png.width - x0) / dx) : 0;
    const h = png.height > y0 ? Math.ceil((png.height - y0) / dy) : 0;
    if (w === 0 || h === 0) continue;
    const stride = Math.ceil((w * bits) / 8);
    passes.push({ x0, y0, dx, dy, w, h, stride });
    bytes += h * (1 + stride);
  }
  return { passes, bytes };
}

/**
 * Turn inflated image data into pixels: undo the filters in place, then convert each line.
 *
 * @param png The parsed file.
 * @param raw The inflated data, exactly `planPasses(png).bytes` long (modified).
 * @returns The decoded image (1 channel for grey types, 3 otherwise).
 * @throws {import("./errors.ts").PngError} an unknown filter type.
 * @example
 * ```ts
 * import { parsePng } from "./chunks.ts";
 * import { inflateExact } from "./inflate.ts";
 * import { planPasses, reconstruct } from "./decode.ts";
 * const png = parsePng(await Deno.readFile("../shared/png-corpus/good/basi0g08.png"));
 * const img = reconstruct(png, inflateExact(png.idat, planPasses(png).bytes));
 * ```
 */
export function reconstruct(png: PngFile, raw: Uint8Array): DecodedImage {
  const { width, height } = png;
  const channels = outputChannels(png.colorType);
  const bpp = Math.max(1, (png.samples * png.bitDepth) >> 3);
  if (!png.interlaced && png.bitDepth === 8 && png.samples === channels) {
    // 8-bit grey or RGB: the samples are the pixels. Undo the filters, then squeeze out the
    // filter bytes in place (rows move down, never over a row not yet moved): no second buffer.
    const stride = width * channels;
    unfilter(raw, 0, height, stride, bpp);
    for (let y = 0; y < height; y++) {
      raw.copyWithin(y * stride, y * (stride + 1) + 1, (y + 1) * (stride + 1));
    }
    return { width, height, channels, data: raw.subarray(0, height * stride), orientation: 1 };
  }
  const out = new Uint8Array(width * height * channels);
  let o = 0;
  for (const p of planPasses(png).passes) {
    unfilter(raw, o, p.h, p.stride, bpp);
    const target = { out, channels, at: 0, step: p.dx };
    for (let j = 0; j < p.h; j++) {
      target.at = (p.y0 + j * p.dy) * width + p.x0;
      convertRow(raw, o + j * (p.stride + 1) + 1, p.w, png, target);
    }
    o += p.h * (p.stride + 1);
  }
  return { width, height, channels, data: out, orientation: 1 };
}

/**
 * Decode a PNG file to 8-bit interleaved pixels: grey and grey+alpha files give one channel
 * (resizing turns it into RGB when asked), the others RGB; alpha is dropped (not composited),
 * palettes are expanded, 16-bit samples keep their high byte, gamma is not applied.
 *
 * @param bytes The PNG file.
 * @param options The pixel limit.
 * @returns The decoded image (orientation 1: PNG orientation is not applied).
 * @throws {import("./errors.ts").PngError} anything corrupt, truncated or not a PNG.
 * @throws {import("../types.ts").ImageTooLargeError} above `maxPixels`, before allocating.
 * @example
 * ```ts
 * import { decodePng } from "./decode.ts";
 * const img = decodePng(await Deno.readFile("../shared/png-corpus/good/basn2c08.png"));
 * // img.width === 32, img.channels === 3, img.data.length === 32 * 32 * 3
 * ```
 */
export function decodePng(bytes: Uint8Array, options: PngDecodeOptions = {}): DecodedImage {
  const png = parsePng(bytes, options.maxPixels ?? DEFAULT_MAX_PIXELS);
  return reconstruct(png, inflateExact(png.idat, planPasses(png).bytes));
}
