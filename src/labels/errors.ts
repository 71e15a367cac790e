/**
 * The error label readers raise.
 *
 * @module
 */
import { HintedError, type HintedErrorOptions } from "../util/hint.ts";

/** A label file could not be understood, or does not fit the inputs (CLI exit code 2). */
export class LabelError extends HintedError {
  /** Exit-code kind: the user's to fix (exit 2). */
  readonly kind = "setup";
  /**
   * Make the error.
   *
   * @param message What is wrong, in which file, and how to fix it.
   * @param options Standard error options and the options it points at.
   */
  constructor(message: string, options?: HintedErrorOptions) {
    super(message, options);
    this.name = "LabelError";
  }
}
