/**
 * One-line messages on stderr. stdout carries frames only.
 *
 * @module
 */

import type { OptionHint } from "../util/hint.ts";
import { withFlags } from "./flags.ts";

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
   * An informational line (suppressed by `--quiet`), with the flags of the options it points at.
   * @param msg The message.
   * @param hints Options the line points at.
   */
  info(msg: string, hints?: readonly OptionHint[]): void {
    if (!this.quiet) this.raw(`framepipe: ${withFlags(msg, hints)}\n`);
  }

  /**
   * A warning (always printed), with the flags of the options it points at.
   * @param msg The message.
   * @param hints Options the warning points at.
   */
  warn(msg: string, hints?: readonly OptionHint[]): void {
    this.raw(`framepipe: ${withFlags(msg, hints)}\n`);
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
