/**
 * Options that errors and warnings point at. A library message says what failed in the
 * library's words; the option that changes the outcome rides along as a field
 * ({@linkcode OptionHint}), and the CLI, the only part that knows flags, adds the flag that
 * sets it (`src/cli/flags.ts`).
 *
 * @module
 */

/** The options a message can point at (the CLI maps each to its flag). */
export type OptionName =
  | "connectTimeout"
  | "stallTimeout"
  | "maxRetries"
  | "ca"
  | "tlsCert"
  | "tlsKey"
  | "labelField"
  | "labelStride"
  | "onMissingLabel"
  | "every"
  | "labels"
  | "decoder"
  | "maxPixels"
  | "token"
  | "maxLag"
  | "maxlen"
  | "retainBytes"
  | "size"
  | "ffmpeg"
  | "host"
  | "port"
  | "slow"
  | "buffer";

/** One option a message points at, with the value to show next to it (a limit, a choice). */
export interface OptionHint {
  /** The option. */
  readonly option: OptionName;
  /** The value to show, e.g. the retry limit that ran out or `skip|none`. */
  readonly value?: string | number;
}

/** Standard error options plus the options the error points at. */
export interface HintedErrorOptions extends ErrorOptions {
  /** Options that fix or explain the error. */
  hints?: readonly OptionHint[];
}

/**
 * An error that carries the options it points at: the base of the library's error classes that
 * name a setting (each adds its exit-code `kind` and `name`).
 *
 * @example
 * ```ts
 * import { HintedError } from "./hint.ts";
 * new HintedError("gave up after 2 retries", { hints: [{ option: "maxRetries", value: 2 }] }).hints;
 * ```
 */
export class HintedError extends Error {
  /** Options that fix or explain it (the CLI names their flags). */
  readonly hints: readonly OptionHint[];
  /**
   * Make the error.
   *
   * @param message What failed, in the library's words.
   * @param options Standard error options and the options it points at.
   */
  constructor(message: string, options?: HintedErrorOptions) {
    super(message, options);
    this.hints = options?.hints ?? [];
  }
}

/**
 * The option hints a thrown value carries (none when it has no `hints` field).
 *
 * @param err Any thrown value.
 * @returns Its hints.
 * @example
 * ```ts
 * import { hintsOf } from "./hint.ts";
 * hintsOf(Object.assign(new Error("x"), { hints: [{ option: "maxRetries", value: 3 }] })); // one
 * hintsOf(new Error("x")); // []
 * ```
 */
export function hintsOf(err: unknown): readonly OptionHint[] {
  const h = (err as { hints?: unknown } | null)?.hints;
  return Array.isArray(h) ? h : [];
}
