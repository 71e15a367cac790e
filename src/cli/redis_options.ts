/**
 * Options of `--out redis://` (`--maxlen`, `--max-lag`, `--wait-groups`), shared by every
 * frame-producing command through `OUTPUT_OPTIONS`. `--connect-timeout` and `--ca` are the
 * network options' own; with a `redis://` destination they apply to Redis.
 *
 * @module
 */
import { DEFAULT_MAX_LAG, DEFAULT_RETAIN_BYTES } from "../redis/sink.ts";
import { parseRedisUrl } from "../redis/url.ts";
import { REDIS_DEFAULTS, type RedisOutOptions } from "../sinks/options.ts";
import { int, type OptionValues, UsageError } from "./options.ts";

/** The option table (part of `OUTPUT_OPTIONS`). */
export const REDIS_OPTIONS = {
  maxlen: int(
    "N",
    "--out redis://: keep about N entries (XADD MAXLEN ~ N), dropping the oldest (live sources)",
    { min: 1 },
  ),
  "max-lag": int(
    "N",
    `--out redis://: lossless; wait while the slowest consumer group has N entries undelivered or pending (default ${DEFAULT_MAX_LAG} without --maxlen)`,
    { min: 1 },
  ),
  "wait-groups": int(
    "N",
    "--out redis://: wait until N consumer groups exist before the first frame",
  ),
  "retain-mb": int(
    "N",
    `--out redis:// --max-lag: keep up to N MB of frames not yet acknowledged by every group, to republish them if Redis restarts without persistence (default ${
      DEFAULT_RETAIN_BYTES / (1 << 20)
    }; beyond it such a restart fails the run, exit 1)`,
    { min: 0 },
  ),
};

/** Values {@linkcode parseRedisOptions} reads (its own, and `--ca`, `--connect-timeout`). */
export type RedisValues = OptionValues<typeof REDIS_OPTIONS> & {
  ca?: string;
  "connect-timeout"?: number;
};

/**
 * True for a `redis://` or `rediss://` destination.
 *
 * @param out The `--out` value.
 * @returns Whether it is Redis.
 */
export function isRedisUrl(out: string): boolean {
  return /^rediss?:\/\//i.test(out);
}

/**
 * Read the Redis options; checks they fit `--out`.
 *
 * @param v Parsed values.
 * @param given Options the user gave.
 * @param out The `--out` value.
 * @returns The options, or undefined when `--out` is not Redis.
 * @throws {UsageError} options without `--out redis://`.
 */
export function parseRedisOptions(
  v: RedisValues,
  given: Set<string>,
  out: string,
): RedisOutOptions | undefined {
  if (!isRedisUrl(out)) {
    for (const k of Object.keys(REDIS_OPTIONS)) {
      if (given.has(k)) throw new UsageError(`--${k} needs --out redis://HOST:PORT/STREAM`);
    }
    return undefined;
  }
  parseRedisUrl(out, "--out"); // a malformed URL is one line before anything runs
  if (given.has("ca") && !/^rediss:\/\//i.test(out)) {
    throw new UsageError("--ca needs rediss:// (TLS)");
  }
  return {
    maxlen: v.maxlen,
    maxLag: v["max-lag"],
    waitGroups: v["wait-groups"],
    retainBytes: v["retain-mb"] === undefined ? undefined : v["retain-mb"] * (1 << 20),
    connectTimeoutMs: given.has("connect-timeout") && v["connect-timeout"] !== undefined
      ? v["connect-timeout"]
      : REDIS_DEFAULTS.connectTimeoutMs,
    ca: v.ca,
  };
}
