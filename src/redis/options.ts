/**
 * Options of `--out redis://` (`--maxlen`, `--max-lag`, `--wait-groups`), shared by every
 * frame-producing command through `OUTPUT_OPTIONS`. `--connect-timeout` and `--ca` are the
 * network options' own; with a `redis://` destination they apply to Redis.
 *
 * @module
 */
import {
  type OptionSpec,
  parseIntOption,
  parsePositive,
  UsageError,
  type Values,
} from "../cli/args.ts";
import { DEFAULT_MAX_LAG } from "./sink.ts";

/** The option table (appended to `OUTPUT_OPTIONS`). */
export const REDIS_OPTIONS: OptionSpec[] = [
  {
    name: "maxlen",
    type: "string",
    arg: "N",
    help:
      "--out redis://: keep about N entries (XADD MAXLEN ~ N), dropping the oldest (live sources)",
  },
  {
    name: "max-lag",
    type: "string",
    arg: "N",
    help:
      `--out redis://: lossless; wait while the slowest consumer group has N entries undelivered or pending (default ${DEFAULT_MAX_LAG} without --maxlen)`,
  },
  {
    name: "wait-groups",
    type: "string",
    arg: "N",
    help: "--out redis://: wait until N consumer groups exist before the first frame",
  },
];

/** Parsed `--out redis://` options. */
export interface RedisOutOptions {
  /** `--maxlen`. */
  maxlen?: number;
  /** `--max-lag`. */
  maxLag?: number;
  /** `--wait-groups`. */
  waitGroups?: number;
  /** `--connect-timeout` in ms (0 = forever), per outage. */
  connectTimeoutMs: number;
  /** `--ca` PEM file for `rediss://`. */
  ca?: string;
}

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
 * The values the network options should see: with a Redis destination, `--connect-timeout`,
 * `--ca` and `--reconnect` belong to Redis (reconnecting is always on).
 *
 * @param v Parsed values.
 * @param out The `--out` value.
 * @returns `v`, or a copy without those keys.
 */
export function netValuesFor(v: Values, out: string): Values {
  if (!isRedisUrl(out)) return v;
  return { ...v, "connect-timeout": undefined, ca: undefined, reconnect: undefined };
}

/**
 * Read the Redis options; checks they fit `--out`.
 *
 * @param v Parsed values.
 * @param out The `--out` value.
 * @param format The `--format` value.
 * @returns The options, or undefined when `--out` is not Redis.
 * @throws {UsageError} options without `--out redis://`, bad numbers, a non-`frame` format.
 */
export function parseRedisOptions(
  v: Values,
  out: string,
  format = "frame",
): RedisOutOptions | undefined {
  if (!isRedisUrl(out)) {
    for (const k of ["maxlen", "max-lag", "wait-groups"]) {
      if (v[k] !== undefined) throw new UsageError(`--${k} needs --out redis://HOST:PORT/STREAM`);
    }
    return undefined;
  }
  if (format !== "frame") {
    throw new UsageError(
      `--out ${
        out.split("/").slice(0, 3).join("/")
      }/...: Redis entries hold frame records; drop --format ${format}`,
    );
  }
  if (v.ca !== undefined && !/^rediss:\/\//i.test(out)) {
    throw new UsageError("--ca needs rediss:// (TLS)");
  }
  const num = (k: string, min: number) =>
    v[k] === undefined ? undefined : parseIntOption(k, v[k] as string, min);
  const timeout = (v["connect-timeout"] as string | undefined) ?? "30";
  return {
    maxlen: num("maxlen", 1),
    maxLag: num("max-lag", 1),
    waitGroups: num("wait-groups", 0),
    connectTimeoutMs: timeout.trim() === "0" ? 0 : parsePositive("connect-timeout", timeout) * 1000,
    ca: v.ca as string | undefined,
  };
}
