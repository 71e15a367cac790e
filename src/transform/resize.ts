/**
 * Resize, fit and lay out a decoded image into a frame payload.
 *
 * Coordinates use pixel centres: destination pixel `d` of a destination run of `n` pixels
 * that maps onto the source interval `[s0, s0 + len)` samples the source at
 * `s0 + (d + 0.5) * len / n - 0.5`.
 *
 * - `nearest`: source index `floor(s0 + (d + 0.5) * len / n)`, clamped.
 * - `bilinear`: 2x2 interpolation at the sample point, clamp-to-edge; when shrinking an axis by
 *   more than 2x it is computed as `area` (plain bilinear would skip source pixels and alias),
 *   the same rule the WASM fast path follows.
 * - `area`: box average of the source interval `[s0 + d*len/n, s0 + (d+1)*len/n)`, weighted by
 *   fractional coverage (what OpenCV calls INTER_AREA; best for large downscales).
 *
 * Results round half up to u8.
 *
 * @module
 */
import type { DecodedImage } from "../decode/types.ts";
import type { Layout } from "../formats/frame.ts";

/** Interpolation used when resizing. */
export type ResizeMode = "nearest" | "bilinear" | "area";
/** Every resize mode, for CLI validation. */
export const RESIZE_MODES: readonly ResizeMode[] = ["nearest", "bilinear", "area"];
/** How the source aspect ratio is matched to the target size. */
export type FitMode = "stretch" | "contain" | "cover";
/** Every fit mode, for CLI validation. */
export const FIT_MODES: readonly FitMode[] = ["stretch", "contain", "cover"];

/** A rectangle; source rectangles may be fractional. */
export interface Rect {
  /** Left. */
  x: number;
  /** Top. */
  y: number;
  /** Width. */
  w: number;
  /** Height. */
  h: number;
}

/** Where the source goes in the target, for a fit mode. */
export interface FitPlan {
  /** Source region (in source pixels) that is shown. */
  srcRect: Rect;
  /** Destination region (whole pixels); outside it the target is 0 (black). */
  dstRect: Rect;
}

/**
 * Work out the source crop and destination box for a fit mode.
 *
 * @param srcW Source width.
 * @param srcH Source height.
 * @param dstW Target width.
 * @param dstH Target height.
 * @param fit `stretch` (ignore aspect), `contain` (letterbox), `cover` (centre crop).
 * @returns The plan.
 * @example
 * ```ts
 * import { planFit } from "./resize.ts";
 * planFit(1920, 1080, 100, 100, "contain"); // dstRect { x: 0, y: 22, w: 100, h: 56 }
 * ```
 */
export function planFit(
  srcW: number,
  srcH: number,
  dstW: number,
  dstH: number,
  fit: FitMode,
): FitPlan {
  const whole: Rect = { x: 0, y: 0, w: srcW, h: srcH };
  if (fit === "contain") {
    const s = Math.min(dstW / srcW, dstH / srcH);
    const w = Math.max(1, Math.min(dstW, Math.round(srcW * s)));
    const h = Math.max(1, Math.min(dstH, Math.round(srcH * s)));
    return {
      srcRect: whole,
      dstRect: { x: (dstW - w) >> 1, y: (dstH - h) >> 1, w, h },
    };
  }
  if (fit === "cover") {
    const s = Math.max(dstW / srcW, dstH / srcH);
    const w = dstW / s, h = dstH / s;
    return {
      srcRect: { x: (srcW - w) / 2, y: (srcH - h) / 2, w, h },
      dstRect: { x: 0, y: 0, w: dstW, h: dstH },
    };
  }
  return { srcRect: whole, dstRect: { x: 0, y: 0, w: dstW, h: dstH } };
}

/** Per-axis sampling table: for each destination index, its source taps and weights. */
interface Axis {
  /** First tap per destination index. */
  start: Int32Array;
  /** Number of taps per destination index. */
  count: Int32Array;
  /** Weights, `maxTaps` per destination index. */
  weight: Float32Array;
  /** Stride of `weight`. */
  maxTaps: number;
}

function buildAxis(mode: ResizeMode, srcLen: number, s0: number, len: number, n: number): Axis {
  const scale = len / n;
  const start = new Int32Array(n), count = new Int32Array(n);
  if (mode === "nearest") {
    const weight = new Float32Array(n).fill(1);
    for (let d = 0; d < n; d++) {
      start[d] = clamp(Math.floor(s0 + (d + 0.5) * scale), 0, srcLen - 1);
      count[d] = 1;
    }
    return { start, count, weight, maxTaps: 1 };
  }
  if (mode === "bilinear" && scale <= 2) {
    const weight = new Float32Array(2 * n);
    for (let d = 0; d < n; d++) {
      const c = s0 + (d + 0.5) * scale - 0.5;
      const i0 = Math.floor(c);
      const f = c - i0;
      const a = clamp(i0, 0, srcLen - 1), b = clamp(i0 + 1, 0, srcLen - 1);
      start[d] = a;
      if (b === a || f === 0) {
        count[d] = 1;
        weight[2 * d] = 1;
      } else {
        count[d] = 2;
        weight[2 * d] = 1 - f;
        weight[2 * d + 1] = f;
      }
    }
    return { start, count, weight, maxTaps: 2 };
  }
  // area: fractional coverage of [lo, hi)
  const maxTaps = Math.ceil(scale) + 2;
  const weight = new Float32Array(maxTaps * n);
  for (let d = 0; d < n; d++) {
    let lo = s0 + d * scale, hi = s0 + (d + 1) * scale;
    lo = Math.max(0, Math.min(lo, srcLen));
    hi = Math.max(0, Math.min(hi, srcLen));
    if (hi - lo < 1e-9) {
      // degenerate (outside the source): nearest edge pixel
      start[d] = clamp(Math.floor(lo), 0, srcLen - 1);
      count[d] = 1;
      weight[d * maxTaps] = 1;
      continue;
    }
    const first = Math.floor(lo);
    const last = Math.min(srcLen - 1, Math.ceil(hi) - 1);
    const span = hi - lo;
    start[d] = first;
    let k = 0;
    for (let i = first; i <= last && k < maxTaps; i++, k++) {
      const cov = Math.min(hi, i + 1) - Math.max(lo, i);
      weight[d * maxTaps + k] = cov / span;
    }
    count[d] = k;
  }
  return { start, count, weight, maxTaps };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Options for {@linkcode resizeInto}. */
export interface ResizeOptions {
  /** Target width. */
  width: number;
  /** Target height. */
  height: number;
  /** Output channels: 3 (RGB) or 1 (grey). Grey from RGB uses BT.601 luma. */
  channels: 1 | 3;
  /** Output layout. */
  layout: Layout;
  /** Interpolation. Default `bilinear`. */
  resize?: ResizeMode;
  /** Aspect handling. Default `stretch`. */
  fit?: FitMode;
}

/**
 * Convert an interleaved RGB image to one luma channel (BT.601, as libjpeg does).
 *
 * @param src An RGB image.
 * @returns A grey image (or `src` when it already has one channel).
 */
export function toGray(src: DecodedImage): DecodedImage {
  if (src.channels === 1) return src;
  const n = src.width * src.height;
  const out = new Uint8Array(n);
  const d = src.data;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    out[i] = (19595 * d[j] + 38470 * d[j + 1] + 7471 * d[j + 2] + 32768) >>> 16;
  }
  return { ...src, channels: 1, data: out };
}

/**
 * Resize (or only re-layout) a decoded image into a frame payload.
 *
 * @param src Decoded interleaved image (1 or 3 channels).
 * @param options Target size, channels, layout, interpolation and fit.
 * @param out Optional output buffer of `channels * width * height` bytes (reused when given).
 * @returns The payload.
 * @example
 * ```ts
 * import { resizeInto } from "./resize.ts";
 * const src = { width: 2, height: 1, channels: 3 as const, orientation: 1,
 *   data: new Uint8Array([255, 0, 0, 0, 0, 255]) };
 * const chw = resizeInto(src, { width: 2, height: 1, channels: 3, layout: "chw" });
 * // chw: R plane [255, 0], G plane [0, 0], B plane [0, 255]
 * ```
 */
export function resizeInto(
  src: DecodedImage,
  options: ResizeOptions,
  out?: Uint8Array,
): Uint8Array {
  const { width: W, height: H, channels: C, layout } = options;
  const mode = options.resize ?? "bilinear";
  const fit = options.fit ?? "stretch";
  const need = W * H * C;
  if (!out) out = new Uint8Array(need);
  else if (out.length !== need) {
    throw new RangeError(`output buffer is ${out.length}, need ${need}`);
  }

  // Colour model first: grey output from RGB input is converted once, before resizing.
  let img = src;
  if (C === 1 && src.channels === 3) img = toGray(src);
  const srcC = img.channels;
  const expand = C === 3 && srcC === 1; // grey source to RGB output: replicate

  const sw = img.width, sh = img.height;
  // Fast path: same size, stretch: only re-layout.
  if (sw === W && sh === H) {
    relayout(img.data, out, W, H, srcC, C, layout);
    return out;
  }
  const plan = planFit(sw, sh, W, H, fit);
  const { srcRect, dstRect } = plan;
  if (dstRect.w !== W || dstRect.h !== H) out.fill(0);
  const ax = buildAxis(mode, sw, srcRect.x, srcRect.w, dstRect.w);
  const ay = buildAxis(mode, sh, srcRect.y, srcRect.h, dstRect.h);

  const dw = dstRect.w, dh = dstRect.h;
  const data = img.data;
  // Horizontal pass over the source rows that are actually used, into float rows.
  let rowLo = sh, rowHi = -1;
  for (let d = 0; d < dh; d++) {
    rowLo = Math.min(rowLo, ay.start[d]);
    rowHi = Math.max(rowHi, ay.start[d] + ay.count[d] - 1);
  }
  const rows = rowHi - rowLo + 1;
  const tmp = scratch(rows * dw * srcC);
  const xs = ax.start, xc = ax.count, xw = ax.weight, xt = ax.maxTaps;
  if (xt === 2) {
    // Up to two taps (bilinear within 2x, the common case): no tap loop. A one-tap entry has
    // weight 0 on its second tap, so reading the (clamped) neighbour adds exactly 0.
    const last = sw - 1;
    for (let r = 0; r < rows; r++) {
      const srow = (rowLo + r) * sw * srcC;
      const trow = r * dw * srcC;
      if (srcC === 3) {
        for (let d = 0, t = trow; d < dw; d++, t += 3) {
          const s = xs[d], w0 = xw[2 * d], w1 = xw[2 * d + 1];
          const p = srow + s * 3, q = srow + (s < last ? s + 1 : s) * 3;
          tmp[t] = w0 * data[p] + w1 * data[q];
          tmp[t + 1] = w0 * data[p + 1] + w1 * data[q + 1];
          tmp[t + 2] = w0 * data[p + 2] + w1 * data[q + 2];
        }
      } else {
        for (let d = 0; d < dw; d++) {
          const s = xs[d];
          tmp[trow + d] = xw[2 * d] * data[srow + s] +
            xw[2 * d + 1] * data[srow + (s < last ? s + 1 : s)];
        }
      }
    }
  } else {
    for (let r = 0; r < rows; r++) {
      const srow = (rowLo + r) * sw * srcC;
      const trow = r * dw * srcC;
      for (let d = 0; d < dw; d++) {
        const s = xs[d], n = xc[d], wo = d * xt;
        if (srcC === 3) {
          let a = 0, b = 0, c = 0;
          for (let k = 0; k < n; k++) {
            const w = xw[wo + k], p = srow + (s + k) * 3;
            a += w * data[p];
            b += w * data[p + 1];
            c += w * data[p + 2];
          }
          const t = trow + d * 3;
          tmp[t] = a;
          tmp[t + 1] = b;
          tmp[t + 2] = c;
        } else {
          let a = 0;
          for (let k = 0; k < n; k++) a += xw[wo + k] * data[srow + s + k];
          tmp[trow + d] = a;
        }
      }
    }
  }
  // Vertical pass: accumulate one output row from its source rows (contiguous, branch-free
  // loops), then store it in the output layout.
  const ys = ay.start, yc = ay.count, yw = ay.weight, yt = ay.maxTaps;
  const plane = W * H;
  const rowLen = dw * srcC;
  const acc = new Float64Array(rowLen); // double sums, like a scalar accumulator
  for (let dy = 0; dy < dh; dy++) {
    const s = ys[dy] - rowLo, n = yc[dy], wo = dy * yt;
    let base = s * rowLen;
    const w0 = yw[wo];
    const rowStart = (dy + dstRect.y) * W + dstRect.x; // pixel index of the row's first pixel
    if (srcC === 3 && n <= 2) {
      // RGB from one or two rows: combine and store in one pass per channel (the same sums
      // as the accumulator below: w0*a, then + w1*b)
      const b1 = base + rowLen, w1 = n === 2 ? yw[wo + 1] : 0;
      if (layout === "chw") {
        const g = plane, b = 2 * plane;
        for (let i = 0, o = rowStart; i < rowLen; i += 3, o++) {
          if (n === 2) {
            out[o] = u8(w0 * tmp[base + i] + w1 * tmp[b1 + i]);
            out[o + g] = u8(w0 * tmp[base + i + 1] + w1 * tmp[b1 + i + 1]);
            out[o + b] = u8(w0 * tmp[base + i + 2] + w1 * tmp[b1 + i + 2]);
          } else {
            out[o] = u8(w0 * tmp[base + i]);
            out[o + g] = u8(w0 * tmp[base + i + 1]);
            out[o + b] = u8(w0 * tmp[base + i + 2]);
          }
        }
      } else {
        const o = rowStart * 3;
        if (n === 2) {
          for (let i = 0; i < rowLen; i++) out[o + i] = u8(w0 * tmp[base + i] + w1 * tmp[b1 + i]);
        } else {
          for (let i = 0; i < rowLen; i++) out[o + i] = u8(w0 * tmp[base + i]);
        }
      }
      continue;
    }
    for (let i = 0; i < rowLen; i++) acc[i] = w0 * tmp[base + i];
    for (let k = 1; k < n; k++) {
      const w = yw[wo + k];
      base += rowLen;
      for (let i = 0; i < rowLen; i++) acc[i] += w * tmp[base + i];
    }
    if (srcC === 1) {
      for (let dx = 0; dx < dw; dx++) {
        const v = acc[dx];
        const u8 = v <= 0 ? 0 : v >= 255 ? 255 : (v + 0.5) | 0;
        const p = rowStart + dx;
        if (!expand) out[p] = u8;
        else if (layout === "chw") out[p] = out[p + plane] = out[p + 2 * plane] = u8;
        else out[p * 3] = out[p * 3 + 1] = out[p * 3 + 2] = u8;
      }
    } else if (layout === "chw") {
      for (let c = 0; c < 3; c++) {
        const o = c * plane + rowStart;
        for (let dx = 0, i = c; dx < dw; dx++, i += 3) {
          const v = acc[i];
          out[o + dx] = v <= 0 ? 0 : v >= 255 ? 255 : (v + 0.5) | 0;
        }
      }
    } else {
      const o = rowStart * 3;
      for (let i = 0; i < rowLen; i++) {
        const v = acc[i];
        out[o + i] = v <= 0 ? 0 : v >= 255 ? 255 : (v + 0.5) | 0;
      }
    }
  }
  return out;
}

/** Round half up and clamp to u8, as every store of this module does. */
function u8(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : (v + 0.5) | 0;
}

let scratchBuf = new Float32Array(0); // the horizontal pass's rows, reused between calls

/** A float buffer of at least `n` elements (grown, never shrunk; one per thread). */
function scratch(n: number): Float32Array {
  if (scratchBuf.length < n) scratchBuf = new Float32Array(n);
  return scratchBuf;
}

/** Copy an interleaved image into the output layout without resampling. */
function relayout(
  src: Uint8Array,
  out: Uint8Array,
  W: number,
  H: number,
  srcC: number,
  C: number,
  layout: Layout,
): void {
  const n = W * H;
  if (srcC === C && (layout === "hwc" || C === 1)) {
    out.set(src.subarray(0, n * C));
    return;
  }
  if (srcC === 1) {
    // grey to RGB
    if (layout === "chw") {
      out.set(src.subarray(0, n), 0);
      out.set(src.subarray(0, n), n);
      out.set(src.subarray(0, n), 2 * n);
    } else {
      for (let i = 0, o = 0; i < n; i++, o += 3) out[o] = out[o + 1] = out[o + 2] = src[i];
    }
    return;
  }
  // RGB interleaved to planar
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    out[i] = src[j];
    out[n + i] = src[j + 1];
    out[2 * n + i] = src[j + 2];
  }
}
