/**
 * Colour conversion of one output row: YCbCr -> RGB with libjpeg's 16-bit
 * fixed-point tables (jdcolor.c), RGB passthrough, CMYK / YCCK -> RGB the way
 * djpeg's PPM writer does it (R = C*K/255 on the Adobe-inverted stored values),
 * and luma for grey output.
 *
 * @module
 */

const SCALEBITS = 16;
const ONE_HALF = 1 << (SCALEBITS - 1);
function fix(x: number): number {
  return Math.round(x * (1 << SCALEBITS));
}

/** `Cr -> R` offset. */
export const CR_R: Int32Array = new Int32Array(256);
/** `Cb -> B` offset. */
export const CB_B: Int32Array = new Int32Array(256);
/** `Cr -> G` contribution, scaled by 2^16. */
export const CR_G: Int32Array = new Int32Array(256);
/** `Cb -> G` contribution, scaled by 2^16, with the rounding half. */
export const CB_G: Int32Array = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  const x = i - 128;
  CR_R[i] = (fix(1.402) * x + ONE_HALF) >> SCALEBITS;
  CB_B[i] = (fix(1.772) * x + ONE_HALF) >> SCALEBITS;
  CR_G[i] = -fix(0.71414) * x;
  CB_G[i] = -fix(0.34414) * x + ONE_HALF;
}

/** Clamp lookup: `CL[v + 384]` for v in -384..639. */
const CL = new Uint8Array(1024);
for (let i = 0; i < 1024; i++) {
  const v = i - 384;
  CL[i] = v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * Convert one row of YCbCr samples to interleaved RGB.
 *
 * @param y Luma plane/row buffer.
 * @param yo Offset of the row in `y`.
 * @param cb Cb row buffer.
 * @param cbo Offset in `cb`.
 * @param cr Cr row buffer.
 * @param cro Offset in `cr`.
 * @param out Output RGB buffer.
 * @param oo Offset in `out`.
 * @param w Pixels.
 * @returns Nothing.
 * @example
 * ```ts
 * yccToRgbRow(yRow, 0, cbRow, 0, crRow, 0, rgb, 0, width);
 * ```
 */
export function yccToRgbRow(
  y: Uint8Array,
  yo: number,
  cb: Uint8Array,
  cbo: number,
  cr: Uint8Array,
  cro: number,
  out: Uint8Array,
  oo: number,
  w: number,
): void {
  for (let x = 0; x < w; x++) {
    const Y = y[yo + x] + 384;
    const b = cb[cbo + x];
    const r = cr[cro + x];
    out[oo] = CL[Y + CR_R[r]];
    out[oo + 1] = CL[Y + ((CB_G[b] + CR_G[r]) >> SCALEBITS)];
    out[oo + 2] = CL[Y + CB_B[b]];
    oo += 3;
  }
}

/**
 * Interleave three planes (RGB JPEG, or any 3 channels) into one row.
 *
 * @param a First channel row.
 * @param ao Offset in `a`.
 * @param b Second channel row.
 * @param bo Offset in `b`.
 * @param c Third channel row.
 * @param co Offset in `c`.
 * @param out Output buffer.
 * @param oo Offset in `out`.
 * @param w Pixels.
 * @returns Nothing.
 * @example
 * ```ts
 * interleaveRow(r, 0, g, 0, b, 0, rgb, 0, width);
 * ```
 */
export function interleaveRow(
  a: Uint8Array,
  ao: number,
  b: Uint8Array,
  bo: number,
  c: Uint8Array,
  co: number,
  out: Uint8Array,
  oo: number,
  w: number,
): void {
  for (let x = 0; x < w; x++) {
    out[oo] = a[ao + x];
    out[oo + 1] = b[bo + x];
    out[oo + 2] = c[co + x];
    oo += 3;
  }
}

/**
 * Grey row -> RGB row (replicate).
 *
 * @param g Grey row.
 * @param go Offset in `g`.
 * @param out Output buffer.
 * @param oo Offset in `out`.
 * @param w Pixels.
 * @returns Nothing.
 * @example
 * ```ts
 * grayToRgbRow(yRow, 0, rgb, 0, width);
 * ```
 */
export function grayToRgbRow(g: Uint8Array, go: number, out: Uint8Array, oo: number, w: number) {
  for (let x = 0; x < w; x++) {
    const v = g[go + x];
    out[oo] = v;
    out[oo + 1] = v;
    out[oo + 2] = v;
    oo += 3;
  }
}

/**
 * Convert an RGB row (as produced from YCC or CMY planes) in place from
 * "CMY as decoded" + K to RGB: `R = C*K/255` rounded, as djpeg does on the
 * stored (Adobe-inverted) CMYK values. When `invert` is true the RGB row holds
 * the YCC-converted values and C = 255 - R' first (YCCK).
 *
 * @param rgb Row holding 3 channels per pixel (modified in place).
 * @param ro Offset in `rgb`.
 * @param k K row.
 * @param ko Offset in `k`.
 * @param w Pixels.
 * @param invert True for YCCK (C = 255 - converted value).
 * @returns Nothing.
 * @example
 * ```ts
 * cmykToRgbRow(rgb, 0, kRow, 0, width, false);
 * ```
 */
export function cmykToRgbRow(
  rgb: Uint8Array,
  ro: number,
  k: Uint8Array,
  ko: number,
  w: number,
  invert: boolean,
): void {
  const e = ro + w * 3;
  for (let i = ro, j = ko; i < e; j++) {
    const K = k[j];
    for (let c = 0; c < 3; c++, i++) {
      const C = invert ? 255 - rgb[i] : rgb[i];
      rgb[i] = ((2 * C * K + 255) / 510) | 0;
    }
  }
}

const R_Y = fix(0.299);
const G_Y = fix(0.587);
const B_Y = fix(0.114);

/**
 * Luma of an RGB row (libjpeg rgb_gray coefficients), writing one byte per pixel.
 *
 * @param rgb RGB row.
 * @param ro Offset in `rgb`.
 * @param out Grey output.
 * @param oo Offset in `out`.
 * @param w Pixels.
 * @returns Nothing.
 * @example
 * ```ts
 * rgbToGrayRow(rgb, 0, grey, 0, width);
 * ```
 */
export function rgbToGrayRow(rgb: Uint8Array, ro: number, out: Uint8Array, oo: number, w: number) {
  for (let x = 0; x < w; x++, ro += 3) {
    out[oo + x] = (R_Y * rgb[ro] + G_Y * rgb[ro + 1] + B_Y * rgb[ro + 2] + ONE_HALF) >> SCALEBITS;
  }
}
