/**
 * The per-image work: JPEG or PNG bytes in (told apart by content), frame payload out (decode
 * at a DCT scale chosen from the target size, orientation, colour model, resize, fit, layout).
 * Pure and synchronous, so it runs the same on the main thread and on workers.
 *
 * @module
 */
import { decodeJpeg, isJpeg, readJpegInfo } from "../decode/mod.ts";
import { FastJpegDecoder } from "../decode/fast/mod.ts";
import { decodePng, PNG_SIGNATURE } from "../decode/png/mod.ts";
import {
  type DecodedImage,
  type DecodeOptions,
  JpegError,
  type JpegWarning,
  UnsupportedJpegError,
} from "../decode/types.ts";
import type { Layout } from "../formats/frame.ts";
import { type FitMode, planFit, resizeInto, type ResizeMode } from "../transform/resize.ts";

/** Options for {@linkcode renderImage} and {@linkcode renderJpeg}. */
export interface RenderOptions {
  /** Target size; the decoded size when absent. */
  width?: number;
  /** Target size; the decoded size when absent. */
  height?: number;
  /** 3 (RGB, default) or 1 (grey). */
  channels?: 1 | 3;
  /** Payload layout. Default `chw`. */
  layout?: Layout;
  /** Interpolation. Default `bilinear`. */
  resize?: ResizeMode;
  /** Aspect handling. Default `stretch`. */
  fit?: FitMode;
  /** Apply EXIF orientation. Default true. */
  orientation?: boolean;
  /** Pixel limit (decompression bombs). */
  maxPixels?: number;
  /** Scan limit. */
  maxScans?: number;
  /** Decode at 1/2, 1/4 or 1/8 scale in the DCT domain when the target is that small. Default true. */
  dctScale?: boolean;
  /**
   * `auto` (default): the WASM SIMD fast path, falling back to the TypeScript decoder for what
   * it does not handle (CMYK, arithmetic, rotated EXIF...); `wasm`: fast path only (unsupported
   * files fail); `ts`: the TypeScript decoder only. PNGs have one decoder and ignore this.
   */
  decoder?: DecoderChoice;
  /** Refuse a JPEG whose decode has warnings (a `JpegWarningError`) instead of rendering it. */
  strict?: boolean;
}

/** Which decoder renders a JPEG. */
export type DecoderChoice = "auto" | "wasm" | "ts";
/** Every decoder choice, for CLI validation. */
export const DECODER_CHOICES: readonly DecoderChoice[] = ["auto", "wasm", "ts"];

let fastDecoder: FastJpegDecoder | null | undefined; // one per thread, created on first use

function getFastDecoder(): FastJpegDecoder | null {
  if (fastDecoder === undefined) {
    try {
      fastDecoder = FastJpegDecoder.create();
    } catch {
      fastDecoder = null; // no WebAssembly SIMD here: the TypeScript decoder does everything
    }
  }
  return fastDecoder;
}

/**
 * Render with the WASM fast path: fused decode, DCT scaling, resize and layout straight into
 * the payload. Returns null when the fast path does not handle the file.
 */
function renderFast(
  bytes: Uint8Array,
  options: RenderOptions,
  reuse?: Uint8Array,
): Rendered | null {
  const fast = getFastDecoder();
  if (!fast) return null;
  const channels = options.channels ?? 3;
  const layout = options.layout ?? "chw";
  const orientation = options.orientation ?? true;
  if (options.width === undefined || options.height === undefined) {
    const img = fast.decode(bytes, {
      maxPixels: options.maxPixels,
      maxScans: options.maxScans,
      gray: channels === 1,
      orientation,
      strict: options.strict,
    });
    if (!img) return null;
    const data = resizeInto(img, { width: img.width, height: img.height, channels, layout });
    return { width: img.width, height: img.height, channels, layout, data, warnings: img.warnings };
  }
  const width = options.width, height = options.height;
  const info = readJpegInfo(bytes);
  const plan = planFit(info.width, info.height, width, height, options.fit ?? "stretch");
  const r = plan.srcRect;
  const x0 = Math.round(r.x), y0 = Math.round(r.y);
  const out = fits(reuse, channels * width * height) ?? new Uint8Array(channels * width * height);
  const handled = fast.decodeInto(bytes, {
    width,
    height,
    layout,
    channels,
    resize: options.resize ?? "bilinear",
    srcRect: {
      x: x0,
      y: y0,
      w: Math.max(1, Math.min(info.width - x0, Math.round(r.w))),
      h: Math.max(1, Math.min(info.height - y0, Math.round(r.h))),
    },
    dstRect: plan.dstRect,
    maxPixels: options.maxPixels,
    maxScans: options.maxScans,
    orientation,
    strict: options.strict,
  }, out);
  return handled
    ? { width, height, channels, layout, data: out, warnings: fast.lastWarnings }
    : null;
}

/** `buf` when it has exactly `n` bytes (a recycled payload buffer), else undefined. */
function fits(buf: Uint8Array | undefined, n: number): Uint8Array | undefined {
  return buf && buf.length === n ? buf : undefined;
}

/** A rendered frame payload. */
export interface Rendered {
  /** Width. */
  width: number;
  /** Height. */
  height: number;
  /** Channels. */
  channels: 1 | 3;
  /** Layout. */
  layout: Layout;
  /** Payload bytes. */
  data: Uint8Array;
  /** What the JPEG decode recovered from (absent or empty: nothing). */
  warnings?: JpegWarning[];
}

/**
 * Pick the largest DCT scale (1, 2, 4, 8) whose decoded image still covers the region of the
 * source that the target shows, at no less than the target's resolution.
 *
 * @param srcW Display-oriented source width.
 * @param srcH Display-oriented source height.
 * @param dstW Target width.
 * @param dstH Target height.
 * @param fit Fit mode.
 * @returns The scale denominator.
 * @example
 * ```ts
 * import { chooseDctScale } from "./render.ts";
 * chooseDctScale(1920, 1080, 853, 480, "stretch"); // 2
 * ```
 */
export function chooseDctScale(
  srcW: number,
  srcH: number,
  dstW: number,
  dstH: number,
  fit: FitMode,
): 1 | 2 | 4 | 8 {
  const { srcRect, dstRect } = planFit(srcW, srcH, dstW, dstH, fit);
  for (const s of [8, 4, 2] as const) {
    if (srcRect.w / s >= dstRect.w && srcRect.h / s >= dstRect.h) return s;
  }
  return 1;
}

/**
 * Decode one JPEG and turn it into a frame payload.
 *
 * @param bytes The JPEG file.
 * @param options Size, layout and decoder options.
 * @param reuse A spent payload buffer to render into when it has the right size (a new one is
 *   allocated otherwise).
 * @returns The payload and its shape.
 * @throws {import("../decode/types.ts").JpegError} when the JPEG cannot be decoded.
 * @example
 * ```ts
 * import { renderJpeg } from "./render.ts";
 * const jpeg = await Deno.readFile("fixtures/frames/169_0.jpg");
 * const f = renderJpeg(jpeg, { width: 64, height: 48 }); // f.data.length === 3 * 64 * 48
 * ```
 */
export function renderJpeg(
  bytes: Uint8Array,
  options: RenderOptions = {},
  reuse?: Uint8Array,
): Rendered {
  const choice = options.decoder ?? "auto";
  if (choice !== "ts" && (options.dctScale ?? true)) {
    const fast = renderFast(bytes, options, reuse);
    if (fast) return fast;
    if (choice === "wasm") {
      throw new UnsupportedJpegError(
        `the WASM fast path does not handle this file (${
          getFastDecoder()?.lastNotHandledReason || "no WebAssembly SIMD"
        }); use --decoder auto`,
      );
    }
  }
  const channels = options.channels ?? 3;
  const orientation = options.orientation ?? true;
  const decodeOptions: DecodeOptions = {
    maxPixels: options.maxPixels,
    maxScans: options.maxScans,
    orientation,
    gray: channels === 1,
    scale: 1,
    strict: options.strict,
  };
  const sized = options.width !== undefined && options.height !== undefined;
  if (sized && (options.dctScale ?? true)) {
    const info = readJpegInfo(bytes);
    const swap = orientation && info.orientation >= 5 && info.orientation <= 8;
    const w = swap ? info.height : info.width, h = swap ? info.width : info.height;
    decodeOptions.scale = chooseDctScale(
      w,
      h,
      options.width!,
      options.height!,
      options.fit ?? "stretch",
    );
  }
  return transform(decodeJpeg(bytes, decodeOptions), options, reuse);
}

/** A decoded image through resize, fit, colour model and layout: the stage every format shares. */
function transform(img: DecodedImage, options: RenderOptions, reuse?: Uint8Array): Rendered {
  const channels = options.channels ?? 3;
  const layout = options.layout ?? "chw";
  const sized = options.width !== undefined && options.height !== undefined;
  const width = sized ? options.width! : img.width;
  const height = sized ? options.height! : img.height;
  const data = resizeInto(img, {
    width,
    height,
    channels,
    layout,
    resize: options.resize,
    fit: options.fit,
  }, fits(reuse, channels * width * height));
  return { width, height, channels, layout, data, warnings: img.warnings };
}

/** The image formats framepipe decodes. */
export type ImageKind = "jpeg" | "png";

/**
 * Tell a JPEG from a PNG by content (file names are not trusted). A file whose first 8 bytes
 * match at least 6 of the PNG signature's counts as a PNG, so a damaged signature (a text-mode
 * transfer) is reported as a corrupt PNG rather than as "not an image".
 *
 * @param bytes The file's contents (the first 8 bytes are enough).
 * @returns `jpeg`, `png`, or null for anything else.
 * @example
 * ```ts
 * import { sniffImage } from "./render.ts";
 * sniffImage(await Deno.readFile("fixtures/frames/169_0.jpg")); // "jpeg"
 * ```
 */
export function sniffImage(bytes: Uint8Array): ImageKind | null {
  if (isJpeg(bytes)) return "jpeg";
  if (bytes.length < 8) return null;
  let same = 0;
  for (let i = 0; i < 8; i++) if (bytes[i] === PNG_SIGNATURE[i]) same++;
  return same >= 6 ? "png" : null;
}

/**
 * Decode one PNG and turn it into a frame payload through the same resize, fit, colour model
 * and layout stage as JPEGs (`src/transform/resize.ts`).
 *
 * @param bytes The PNG file.
 * @param options Size, layout, colour model and the pixel limit (`decoder`, `orientation`,
 *   `maxScans` and `dctScale` are JPEG options and are ignored).
 * @param reuse A spent payload buffer to render into when it has the right size.
 * @returns The payload and its shape.
 * @throws {import("../decode/png/errors.ts").PngError} when the PNG cannot be decoded.
 * @throws {import("../decode/types.ts").ImageTooLargeError} above `maxPixels`.
 * @example
 * ```ts
 * import { renderPng } from "./render.ts";
 * const png = await Deno.readFile("../shared/png-corpus/good/basn2c08.png");
 * renderPng(png, { width: 16, height: 16 }).data.length; // 3 * 16 * 16
 * ```
 */
export function renderPng(
  bytes: Uint8Array,
  options: RenderOptions = {},
  reuse?: Uint8Array,
): Rendered {
  return transform(decodePng(bytes, { maxPixels: options.maxPixels }), options, reuse);
}

/**
 * Decode one image, JPEG or PNG (told apart by {@linkcode sniffImage}), and turn it into a
 * frame payload.
 *
 * @param bytes The file.
 * @param options Size, layout and decoder options.
 * @param reuse A spent payload buffer to render into when it has the right size.
 * @returns The payload and its shape.
 * @throws {import("../decode/types.ts").JpegError} when the image cannot be decoded (a
 *   `PngError` for PNGs) or is neither a JPEG nor a PNG.
 * @example
 * ```ts
 * import { renderImage } from "./render.ts";
 * const f = renderImage(await Deno.readFile("fixtures/frames/169_0.jpg"), { width: 64, height: 48 });
 * // f.data.length === 3 * 64 * 48
 * ```
 */
export function renderImage(
  bytes: Uint8Array,
  options: RenderOptions = {},
  reuse?: Uint8Array,
): Rendered {
  const kind = sniffImage(bytes);
  if (kind === "png") return renderPng(bytes, options, reuse);
  if (kind === "jpeg") return renderJpeg(bytes, options, reuse);
  throw new JpegError(
    bytes.length === 0
      ? "empty file: not a JPEG or PNG"
      : `not a JPEG or PNG file: starts with ${
        Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0").toUpperCase())
          .join(" ")
      }`,
  );
}
