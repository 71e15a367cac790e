/**
 * The decoder interface every JPEG decoder in framepipe implements, and its errors.
 *
 * A decoder turns JPEG bytes into an 8-bit image in interleaved (HWC) order.
 * Resizing and the planar CHW layout are separate stages (see `src/transform/`).
 *
 * @module
 */

/** Default `maxPixels`: refuse images larger than this before allocating (50 megapixels). */
export const DEFAULT_MAX_PIXELS = 50_000_000;

/** Default `maxScans`: refuse progressive files with more scans than this (CPU amplification). */
export const DEFAULT_MAX_SCANS = 1000;

/** Options for {@linkcode decodeJpeg}. Every field is optional. */
export interface DecodeOptions {
  /** Refuse images whose declared width*height exceeds this, before allocating. Default 50e6. */
  maxPixels?: number;
  /** Refuse files with more scans than this. Default 1000. */
  maxScans?: number;
  /**
   * DCT-domain downscale denominator: 1 (full size), 2, 4 or 8. The output is
   * `ceil(width / scale) x ceil(height / scale)` (before orientation). Default 1.
   */
  scale?: 1 | 2 | 4 | 8;
  /** Output one channel (luma) instead of RGB. Default false. */
  gray?: boolean;
  /** Apply the EXIF orientation tag (rotate/flip to display orientation). Default true. */
  orientation?: boolean;
  /**
   * Refuse a file whose decode has warnings (see {@linkcode JpegWarning}) with a
   * `JpegWarningError` instead of returning it. Default false.
   */
  strict?: boolean;
}

/** What a {@linkcode JpegWarning} is about. */
export type JpegWarningKind = "extraneous-bytes" | "premature-end" | "scan-parameters";

/**
 * A problem a decode recovered from with every pixel decoded, as libjpeg-turbo warns about
 * (`djpeg` exits 2): a few data bytes skipped before a marker, no EOI marker after the last
 * scan, or spectral parameters in a sequential scan. Anything that leaves pixels undecoded is an
 * error instead.
 */
export interface JpegWarning {
  /**
   * `extraneous-bytes`: data bytes skipped before a marker; `premature-end`: no EOI marker;
   * `scan-parameters`: a sequential scan's Ss/Se/Ah/Al are not 0/63/0/0 (ignored).
   */
  kind: JpegWarningKind;
  /** One line saying what was found. */
  message: string;
}

/** A decoded image: `data[(y * width + x) * channels + c]`. */
export interface DecodedImage {
  /** Width in pixels (after scaling and orientation). */
  width: number;
  /** Height in pixels (after scaling and orientation). */
  height: number;
  /** 3 for RGB, 1 for grey. */
  channels: 1 | 3;
  /** Interleaved pixels, `height * width * channels` bytes. */
  data: Uint8Array;
  /** The EXIF orientation tag found in the file (1-8, 1 when absent), applied or not. */
  orientation: number;
  /** What the decode recovered from (absent or empty: nothing). */
  warnings?: JpegWarning[];
}

/** What the file header says, read without decoding the scans. */
export interface JpegInfo {
  /** Width as stored (before orientation). */
  width: number;
  /** Height as stored (before orientation). */
  height: number;
  /** Number of colour components: 1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK. */
  components: number;
  /** Sample precision in bits (8, or 12 for extended files). */
  precision: number;
  /** True for progressive (SOF2/SOF6/SOF10) files. */
  progressive: boolean;
  /** True for arithmetic-coded (SOF9-SOF11) files. */
  arithmetic: boolean;
  /** EXIF orientation tag, 1 when absent. */
  orientation: number;
}

/** Options of a {@linkcode JpegError}: the standard ones and where in the file it failed. */
export interface JpegErrorOptions extends ErrorOptions {
  /** The scan (1-based) being decoded. */
  scan?: number;
  /** The MCU row of that scan. */
  mcuRow?: number;
}

/** A JPEG that cannot be decoded: corrupt, truncated or not a JPEG at all. */
export class JpegError extends Error {
  /** A corrupt or unsupported file is a data error (the CLI exits 1). */
  readonly kind = "data";
  /** The scan (1-based) being decoded when it failed, when it failed inside a scan. */
  readonly scan?: number;
  /** The MCU row of that scan. */
  readonly mcuRow?: number;
  /**
   * Make the error.
   *
   * @param message What could not be done and why.
   * @param options Standard error options (`cause`) and the scan / MCU row it failed in.
   */
  constructor(message: string, options?: JpegErrorOptions) {
    super(message, options);
    this.name = "JpegError";
    if (options?.scan !== undefined) this.scan = options.scan;
    if (options?.mcuRow !== undefined) this.mcuRow = options.mcuRow;
  }
}

/** A valid JPEG that uses a feature this decoder does not implement (e.g. lossless, 12-bit). */
export class UnsupportedJpegError extends JpegError {
  /**
   * Make the error.
   *
   * @param message Which feature is unsupported.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UnsupportedJpegError";
  }
}

/** An image above the pixel (or scan) limit, refused before allocating. */
export class ImageTooLargeError extends JpegError {
  /**
   * Make the error.
   *
   * @param message The declared size and the limit.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ImageTooLargeError";
  }
}

/**
 * Refuse a declared size above the pixel limit, before anything is allocated for it (JPEG SOF and
 * PNG IHDR alike, so both formats word it the same).
 *
 * @param width Declared width.
 * @param height Declared height.
 * @param maxPixels The limit.
 * @throws {ImageTooLargeError} when `width * height > maxPixels`.
 * @example
 * ```ts
 * checkPixelLimit(1920, 1080, DEFAULT_MAX_PIXELS); // fine; 40000x40000 would throw
 * ```
 */
export function checkPixelLimit(width: number, height: number, maxPixels: number): void {
  if (width * height <= maxPixels) return;
  throw new ImageTooLargeError(
    `image is ${width}x${height} (${megapixels(width * height)} megapixels), above the ${
      megapixels(maxPixels)
    }-megapixel limit; raise --max-pixels to allow it`,
  );
}

function megapixels(px: number): string {
  const mp = px / 1e6;
  return mp >= 10 ? String(Math.round(mp)) : String(Math.round(mp * 10) / 10);
}

/** The one small interface a decoder implements, so it can be swapped. */
export interface JpegDecoder {
  /** A short name for logs and benches, e.g. "ts" or "wasm-simd". */
  readonly name: string;
  /**
   * Decode a whole JPEG.
   * @throws {JpegError} corrupt or truncated data
   * @throws {UnsupportedJpegError} valid but unsupported features
   * @throws {ImageTooLargeError} above `maxPixels` / `maxScans`
   */
  decode(bytes: Uint8Array, options?: DecodeOptions): DecodedImage;
}
