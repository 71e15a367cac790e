/**
 * The PNG decoder's error. It extends {@linkcode JpegError}, framepipe's decode-error base, so
 * every path that skips or fails on a bad JPEG (`images`, `readRgbImage`, the worker pool, the
 * CLI's exit code 1) treats a bad PNG the same way; pixel limits throw the shared
 * {@linkcode ImageTooLargeError}.
 *
 * @module
 */
import { ImageTooLargeError, JpegError } from "../types.ts";

export { ImageTooLargeError };

/** A PNG that cannot be decoded: corrupt, truncated or not a PNG at all. */
export class PngError extends JpegError {
  /**
   * Make the error.
   *
   * @param message What could not be done and why, e.g. `invalid PNG: CRC mismatch in the IDAT
   *   chunk (corrupt file)`.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PngError";
  }
}
