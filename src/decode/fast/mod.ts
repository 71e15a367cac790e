/**
 * The fast path: a purpose-built JPEG decoder in C compiled to wasm32 + SIMD
 * (`c/jpeg.c`, embedded as base64 in `wasm_bytes.ts`), with fused chroma
 * upsampling, colour conversion and resampling straight into the caller's
 * target size and layout (planar CHW, interleaved HWC or one grey channel).
 *
 * Handles baseline / extended Huffman (SOF0, SOF1) and progressive (SOF2) 8-bit
 * files with 1 or 3 components (YCbCr, or RGB per Adobe/component ids), any
 * integer sampling ratios (4:4:4, 4:2:2, 4:2:0, 4:4:0, 4:1:1, ...), restart
 * intervals and the standard Huffman tables when a file has no DHT. Everything
 * else (arithmetic coding, lossless, hierarchical, 12-bit, CMYK/YCCK, non-integer
 * sampling ratios, or an EXIF orientation other than 1 while orientation is
 * requested) is "not handled": {@linkcode FastJpegDecoder.decodeInto} returns
 * false and {@linkcode FastJpegDecoder.decode} returns null, so the caller falls
 * back to the TypeScript decoder.
 *
 * ## Resampling semantics
 *
 * The decoder picks a DCT scale s (1, 2, 4 or 8, see {@linkcode chooseScale}) and
 * decodes to `ceil(W/s) x ceil(H/s)`, which covers the full-resolution image with
 * pixels of size s: a full-resolution source rectangle (x, y, w, h) is
 * (x/s, y/s, w/s, h/s) in decoded coordinates. For `dw` destination pixels,
 * r = (w/s) / dw and, with pixel centres:
 *
 * - nearest: `sx = floor(x/s + (dx + 0.5) * r)`, clamped to the image;
 * - bilinear: `sx = x/s + (dx + 0.5) * r - 0.5`, 2 taps `floor(sx)` and `floor(sx) + 1`
 *   weighted `1 - f` and `f`, indices clamped to the edge; when r > 2 (downscaling by
 *   more than 2x) bilinear is computed as area;
 * - area: box `[x/s + dx*r, x/s + (dx+1)*r)` clamped to the image, each source pixel
 *   weighted by its fractional coverage, normalised.
 *
 * Separable (x, then y), 14-bit fixed-point weights, results rounded half up to u8.
 * The part of the target outside `dstRect` is filled with 0.
 *
 * @module
 */

import {
  type DecodedImage,
  type DecodeOptions,
  DEFAULT_MAX_PIXELS,
  DEFAULT_MAX_SCANS,
  ImageTooLargeError,
  type JpegDecoder,
  JpegError,
  type JpegWarning,
  UnsupportedJpegError,
} from "../types.ts";
import { JpegWarningError, jpegWarnings } from "../warnings.ts";
import { BR, E, E_MESSAGES, NH_MESSAGES, P, R, ST } from "./codes.ts";
import { WASM_BASE64 } from "./wasm_bytes.ts";

/** A rectangle in pixels. */
export interface Rect {
  /** Left edge. */
  x: number;
  /** Top edge. */
  y: number;
  /** Width (> 0). */
  w: number;
  /** Height (> 0). */
  h: number;
}

/** What {@linkcode FastJpegDecoder.decodeInto} produces. */
export interface FastDecodeRequest {
  /** Target width of the whole output buffer. */
  width: number;
  /** Target height of the whole output buffer. */
  height: number;
  /** Planar `out[c*H*W + y*W + x]` or interleaved `out[(y*W + x)*C + c]`. */
  layout: "chw" | "hwc";
  /** 3 = RGB, 1 = grey (luma). */
  channels: 1 | 3;
  /** Interpolation from the (DCT-scaled) decoded image to the target. */
  resize: "nearest" | "bilinear" | "area";
  /** Source crop in full-resolution source pixels (for fit "cover"). Default: whole image. */
  srcRect?: Rect;
  /** Where the image goes inside the target (for fit "contain"); the rest is 0. Default: whole target. */
  dstRect?: Rect;
  /** Refuse images whose declared width*height exceeds this, before allocating. Default 50e6. */
  maxPixels?: number;
  /** Refuse progressive files with more scans than this. Default 1000. */
  maxScans?: number;
  /**
   * When true (the default) a file whose EXIF orientation is not 1 is reported as not
   * handled, so the caller can decode and rotate it another way. False ignores the tag.
   */
  orientation?: boolean;
  /** Triangle-filter ("fancy") chroma upsampling like libjpeg's default. Default true. */
  fancyUpsampling?: boolean;
  /** Refuse a file whose decode has warnings with a `JpegWarningError`. Default false. */
  strict?: boolean;
  /**
   * Benchmarking only: 1 = stop after entropy decoding + IDCT (no output stage),
   * 3 = entropy decoding only. The output is then garbage.
   */
  profileStages?: number;
}

/**
 * The largest DCT scale (1, 2, 4 or 8) whose output `ceil(src/s)` is still >= the
 * target in both dimensions.
 */
export function chooseScale(srcW: number, srcH: number, dstW: number, dstH: number): 1 | 2 | 4 | 8 {
  for (const s of [8, 4, 2] as const) {
    if (Math.ceil(srcW / s) >= dstW && Math.ceil(srcH / s) >= dstH) return s;
  }
  return 1;
}

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

let cachedModule: WebAssembly.Module | undefined;
function wasmModule(): WebAssembly.Module {
  cachedModule ??= new WebAssembly.Module(decodeBase64(WASM_BASE64));
  return cachedModule;
}

interface Exports {
  memory: WebAssembly.Memory;
  fp_params(): number;
  fp_result(): number;
  fp_input(size: number): number;
  fp_decode(maxPixels: number): number;
}

function isNonNegInt(v: number): boolean {
  return Number.isInteger(v) && v >= 0;
}

function checkRect(r: Rect, what: string): void {
  if (
    !isNonNegInt(r.x) || !isNonNegInt(r.y) || !isNonNegInt(r.w) || !isNonNegInt(r.h) || !r.w || !r.h
  ) {
    throw new RangeError(`${what} must have non-negative integer x, y and positive w, h`);
  }
}

/** Header facts reported by the last decode call. */
export interface FastDecodeInfo {
  /** Stored width. */
  width: number;
  /** Stored height. */
  height: number;
  /** Component count. */
  components: number;
  /** Progressive file. */
  progressive: boolean;
  /** EXIF orientation (1 when absent). */
  orientation: number;
  /** DCT scale used (1, 2, 4, 8). */
  scale: number;
}

/**
 * One wasm instance with its own memory arena, reused across frames (memory only
 * grows when a larger image arrives). Not thread-safe; use one per worker.
 */
export class FastJpegDecoder {
  /** Name used in logs and benches. */
  readonly name = "wasm-simd";
  #ex: Exports;
  #params: Int32Array;
  #result: Int32Array;
  /** Why the last call returned "not handled" (empty when it was handled). */
  lastNotHandledReason = "";
  /** Warnings of the last successful decode (empty when there was none). */
  lastWarnings: JpegWarning[] = [];

  private constructor(ex: Exports) {
    this.#ex = ex;
    this.#params = new Int32Array(ex.memory.buffer, ex.fp_params(), 32);
    this.#result = new Int32Array(ex.memory.buffer, ex.fp_result(), 16);
  }

  /** Instantiate the embedded wasm synchronously. */
  static create(): FastJpegDecoder {
    const inst = new WebAssembly.Instance(wasmModule(), {});
    return new FastJpegDecoder(inst.exports as unknown as Exports);
  }

  #views(): void {
    if (this.#params.buffer !== this.#ex.memory.buffer) {
      this.#params = new Int32Array(this.#ex.memory.buffer, this.#ex.fp_params(), 32);
      this.#result = new Int32Array(this.#ex.memory.buffer, this.#ex.fp_result(), 16);
    }
  }

  #run(
    bytes: Uint8Array,
    fill: (p: Int32Array) => void,
    maxPixels: number,
    strict: boolean | undefined,
  ): boolean {
    const ex = this.#ex;
    const ptr = ex.fp_input(bytes.length);
    if (ptr === 0) throw new JpegError("out of memory for the input buffer");
    new Uint8Array(ex.memory.buffer, ptr, bytes.length).set(bytes);
    this.#views();
    const p = this.#params;
    p.fill(0);
    p[P.LEN] = bytes.length;
    fill(p);
    const maxScans = p[P.MAXSCANS];
    const st = ex.fp_decode(maxPixels);
    this.#views();
    const r = this.#result;
    const detail = r[R.DETAIL];
    this.lastWarnings = [];
    switch (st) {
      case ST.OK:
        this.lastNotHandledReason = "";
        this.lastWarnings = jpegWarnings({
          extraneous: r[R.WARN_EXTRANEOUS],
          noEoi: r[R.WARN_NO_EOI] !== 0,
          scanParameters: r[R.WARN_SCAN_PARAMETERS] !== 0,
        });
        if (strict && this.lastWarnings.length) throw new JpegWarningError(this.lastWarnings);
        return true;
      case ST.NOT_HANDLED:
        this.lastNotHandledReason = NH_MESSAGES[detail] ?? `feature ${detail}`;
        return false;
      case ST.TOO_LARGE:
        if (detail === E.SCANS) {
          throw new ImageTooLargeError(`JPEG has more than ${maxScans} scans`);
        }
        throw new ImageTooLargeError(
          `JPEG is ${r[R.W]}x${r[R.H]} = ${
            r[R.W] * r[R.H]
          } pixels, above the limit of ${maxPixels}`,
        );
      case ST.BAD_REQUEST:
        throw new RangeError(
          detail === BR.SRC_RECT
            ? `srcRect lies outside the ${r[R.W]}x${r[R.H]} image`
            : detail === BR.DST_RECT
            ? "dstRect lies outside the target"
            : "bad decode request",
        );
      case ST.ERROR:
      default:
        throw new JpegError(`invalid JPEG: ${E_MESSAGES[detail] ?? `error ${detail}`}`);
    }
  }

  /** Header facts of the last decoded file. */
  get info(): FastDecodeInfo {
    this.#views();
    const r = this.#result;
    return {
      width: r[R.W],
      height: r[R.H],
      components: r[R.NCOMP],
      progressive: r[R.PROGRESSIVE] !== 0,
      orientation: r[R.ORIENT],
      scale: r[R.SCALE],
    };
  }

  #outView(): Uint8Array {
    const r = this.#result;
    return new Uint8Array(
      this.#ex.memory.buffer,
      r[R.OUTPTR],
      r[R.OUTW] * r[R.OUTH] * r[R.CHANNELS],
    );
  }

  /**
   * Decode and resample into a wasm-owned buffer and return a view of it (valid
   * until the next call on this decoder). Returns null when not handled.
   * @throws {JpegError} corrupt data, {ImageTooLargeError} above the limits
   */
  decodeView(bytes: Uint8Array, req: FastDecodeRequest): Uint8Array | null {
    const { width, height } = req;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
      throw new RangeError("target width and height must be positive integers");
    }
    if (req.srcRect) checkRect(req.srcRect, "srcRect");
    if (req.dstRect) {
      checkRect(req.dstRect, "dstRect");
      const d = req.dstRect;
      if (d.x + d.w > width || d.y + d.h > height) {
        throw new RangeError("dstRect lies outside the target");
      }
    }
    const ok = this.#run(
      bytes,
      (p) => {
        p[P.MODE] = 0;
        p[P.DSTW] = width;
        p[P.DSTH] = height;
        p[P.LAYOUT] = req.layout === "hwc" ? 1 : 0;
        p[P.CHANNELS] = req.channels === 1 ? 1 : 3;
        p[P.RESIZE] = req.resize === "nearest" ? 0 : req.resize === "bilinear" ? 1 : 2;
        if (req.srcRect) {
          p[P.SRCX] = req.srcRect.x;
          p[P.SRCY] = req.srcRect.y;
          p[P.SRCW] = req.srcRect.w;
          p[P.SRCH] = req.srcRect.h;
        }
        if (req.dstRect) {
          p[P.DRX] = req.dstRect.x;
          p[P.DRY] = req.dstRect.y;
          p[P.DRW] = req.dstRect.w;
          p[P.DRH] = req.dstRect.h;
        }
        p[P.MAXSCANS] = req.maxScans ?? DEFAULT_MAX_SCANS;
        p[P.ORIENT] = req.orientation === false ? 0 : 1;
        p[P.FANCY] = req.fancyUpsampling === false ? 0 : 1;
        p[P.PROFILE] = req.profileStages ?? 0;
      },
      req.maxPixels ?? DEFAULT_MAX_PIXELS,
      req.strict,
    );
    return ok ? this.#outView() : null;
  }

  /**
   * Decode into `out` (length `channels * width * height`). Returns false when the
   * file uses features the fast path does not handle (the caller falls back).
   * @throws {JpegError} corrupt or truncated data
   * @throws {ImageTooLargeError} above `maxPixels` / `maxScans`
   */
  decodeInto(bytes: Uint8Array, req: FastDecodeRequest, out: Uint8Array): boolean {
    const need = req.channels * req.width * req.height;
    if (out.length !== need) throw new RangeError(`out has ${out.length} bytes, expected ${need}`);
    const view = this.decodeView(bytes, req);
    if (!view) return false;
    out.set(view);
    return true;
  }

  /**
   * Plain decode at DCT scale 1/2/4/8 to interleaved RGB (or grey). Returns null when
   * not handled (including an EXIF orientation != 1 while `orientation` is not false).
   */
  decode(bytes: Uint8Array, options: DecodeOptions = {}): DecodedImage | null {
    const scale = options.scale ?? 1;
    if (![1, 2, 4, 8].includes(scale)) throw new RangeError("scale must be 1, 2, 4 or 8");
    const channels = options.gray ? 1 : 3;
    const ok = this.#run(
      bytes,
      (p) => {
        p[P.MODE] = 1;
        p[P.SCALE] = scale;
        p[P.LAYOUT] = 1;
        p[P.CHANNELS] = channels;
        p[P.MAXSCANS] = options.maxScans ?? DEFAULT_MAX_SCANS;
        p[P.ORIENT] = options.orientation === false ? 0 : 1;
        p[P.FANCY] = 1;
      },
      options.maxPixels ?? DEFAULT_MAX_PIXELS,
      options.strict,
    );
    if (!ok) return null;
    const r = this.#result;
    return {
      width: r[R.OUTW],
      height: r[R.OUTH],
      channels,
      data: this.#outView().slice(),
      orientation: r[R.ORIENT],
      warnings: this.lastWarnings,
    };
  }

  /** A {@linkcode JpegDecoder} (name "wasm-simd") that throws UnsupportedJpegError when not handled. */
  asJpegDecoder(): JpegDecoder {
    return {
      name: "wasm-simd",
      decode: (bytes: Uint8Array, options?: DecodeOptions): DecodedImage => {
        const img = this.decode(bytes, options);
        if (!img) {
          throw new UnsupportedJpegError(
            `not handled by the wasm fast path: ${this.lastNotHandledReason}`,
          );
        }
        return img;
      },
    };
  }
}
