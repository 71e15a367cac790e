/**
 * The error label readers raise.
 *
 * @module
 */

/** A label file could not be understood, or does not fit the inputs (CLI exit code 2). */
export class LabelError extends Error {
  /** Exit-code kind: the user's to fix (exit 2). */
  readonly kind = "setup";
  /**
   * Make the error.
   *
   * @param message What is wrong, in which file, and how to fix it.
   */
  constructor(message: string) {
    super(message);
    this.name = "LabelError";
  }
}
