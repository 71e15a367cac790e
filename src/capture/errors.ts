/**
 * Errors of live capture: setup problems the user must fix (exit 2) and connection or data
 * failures that outlasted the retries (exit 1).
 *
 * @module
 */
import { HintedError, type HintedErrorOptions } from "../util/hint.ts";

/**
 * A capture setup problem (ffmpeg missing, no SRT support, bad URL, wrong passphrase):
 * retrying cannot help. The CLI prints the message and exits with code 2.
 */
export class CaptureSetupError extends HintedError {
  /** Exit-code kind: the user's to fix (exit 2). */
  readonly kind = "setup";
  /**
   * Make the error.
   *
   * @param message What is wrong and how to fix it (never contains a passphrase).
   * @param options Standard error options and the options it points at.
   */
  constructor(message: string, options?: HintedErrorOptions) {
    super(message, options);
    this.name = "CaptureSetupError";
  }
}

/**
 * A capture failure after the retries were used up (refused connection, timeout, stream that
 * keeps dropping, undecodable input). The CLI prints the message and exits with code 1.
 */
export class CaptureError extends HintedError {
  /** Exit-code kind: the stream failed for good (exit 1). */
  readonly kind = "data";
  /**
   * Make the error.
   *
   * @param message What failed (never contains a passphrase).
   * @param options Standard error options and the options it points at.
   */
  constructor(message: string, options?: HintedErrorOptions) {
    super(message, options);
    this.name = "CaptureError";
  }
}
