/**
 * One-line messages on stderr. stdout carries frames only.
 *
 * @module
 */

const enc = new TextEncoder();

/** Writes `framepipe: ...` lines to stderr. */
export class Logger {
  /** Suppress informational lines (errors and warnings still print). */
  quiet: boolean;

  /**
   * @param quiet Start quiet.
   */
  constructor(quiet = false) {
    this.quiet = quiet;
  }

  /**
   * An informational line (suppressed by `--quiet`).
   * @param msg The message.
   */
  info(msg: string): void {
    if (!this.quiet) this.raw(`framepipe: ${msg}\n`);
  }

  /**
   * A warning (always printed).
   * @param msg The message.
   */
  warn(msg: string): void {
    this.raw(`framepipe: ${msg}\n`);
  }

  /**
   * An error line (always printed).
   * @param msg The message.
   */
  error(msg: string): void {
    this.raw(`framepipe: error: ${msg}\n`);
  }

  /**
   * Write raw text to stderr, ignoring a closed stderr.
   * @param text The text.
   */
  raw(text: string): void {
    try {
      const b = enc.encode(text);
      let off = 0;
      while (off < b.length) off += Deno.stderr.writeSync(b.subarray(off));
    } catch {
      // stderr closed: nothing sensible to do
    }
  }
}
