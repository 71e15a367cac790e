/**
 * The one message interface the library takes: informational lines and warnings. The CLI
 * passes its stderr logger; library users pass their own or nothing ({@linkcode SILENT_LOG}).
 *
 * @module
 */

import type { OptionHint } from "./hint.ts";

/** Where library parts report connections, retries, drops and other events. */
export interface Log {
  /** An informational line (the CLI hides it unless asked), with the options it points at. */
  info(msg: string, hints?: readonly OptionHint[]): void;
  /** A warning (always shown by the CLI, which adds the flags of `hints`). */
  warn(msg: string, hints?: readonly OptionHint[]): void;
}

/**
 * A log that discards everything (the default when no log is given).
 *
 * @example
 * ```ts
 * import { SILENT_LOG } from "./log.ts";
 * SILENT_LOG.warn("nobody hears this");
 * ```
 */
export const SILENT_LOG: Log = Object.freeze({ info() {}, warn() {} });
