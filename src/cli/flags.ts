/**
 * The one place that turns the options a library message points at ({@linkcode OptionHint})
 * into the flags that set them: library messages say what failed, the CLI adds the flag to use.
 *
 * @module
 */
import type { OptionHint, OptionName } from "../util/hint.ts";

/** The flag that sets each option a library message can point at. */
export const FLAG_OF: Readonly<Record<OptionName, string>> = Object.freeze({
  connectTimeout: "--connect-timeout",
  stallTimeout: "--stall-timeout",
  maxRetries: "--max-retries",
  ca: "--ca",
  tlsCert: "--tls-cert",
  tlsKey: "--tls-key",
  labelField: "--label-field",
  labelStride: "--label-stride",
  onMissingLabel: "--on-missing-label",
  every: "--every",
  labels: "--labels",
  decoder: "--decoder",
  maxPixels: "--max-pixels",
  token: "--token",
  maxLag: "--max-lag",
  maxlen: "--maxlen",
  retainBytes: "--retain-mb",
  size: "--size",
  ffmpeg: "--ffmpeg",
  host: "--host",
  port: "--port",
  slow: "--slow",
  buffer: "--buffer",
});

/**
 * A message with the flags of its hints added in parentheses (unchanged without hints).
 *
 * @param message The library's message.
 * @param hints The options it points at.
 * @returns The line the CLI prints.
 * @example
 * ```ts
 * import { withFlags } from "./flags.ts";
 * withFlags("gave up after 2 retries", [{ option: "maxRetries", value: 2 }]);
 * // "gave up after 2 retries (--max-retries 2)"
 * ```
 */
export function withFlags(message: string, hints: readonly OptionHint[] = []): string {
  if (hints.length === 0) return message;
  const flags = hints.map((h) =>
    h.value === undefined ? FLAG_OF[h.option] : `${FLAG_OF[h.option]} ${h.value}`
  );
  return `${message} (${[...new Set(flags)].join(", ")})`;
}
