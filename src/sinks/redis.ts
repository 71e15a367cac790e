/**
 * Open a `redis://` / `rediss://` destination (used by the table in `open_sink.ts`).
 *
 * @module
 */
import { readPem } from "../net/connect.ts";
import { resolveRedisPassword } from "../redis/password.ts";
import { RedisSink } from "../redis/sink.ts";
import { parseRedisUrl } from "../redis/url.ts";
import { type OpenSinkOptions, REDIS_DEFAULTS, SinkError } from "./options.ts";

/**
 * A sink adding every frame to a Redis stream.
 *
 * @param dest `redis://[USER@]HOST:PORT/STREAM` or `rediss://...`.
 * @param o Format (must be `frame`), Redis settings, log and signal.
 * @returns The sink (it connects on `start`).
 * @throws {SinkError} a format other than `frame`.
 * @throws {import("../redis/errors.ts").RedisSetupError} a malformed URL.
 */
export async function openRedisSink(dest: string, o: OpenSinkOptions): Promise<RedisSink> {
  const target = parseRedisUrl(dest, "destination");
  const r = o.redis ?? {};
  if (o.format !== "frame") {
    throw new SinkError(
      `${target.display}: Redis entries hold frame records; use the frame format, not ${o.format}`,
    );
  }
  if (r.maxlen !== undefined && r.maxLag !== undefined && r.maxlen <= r.maxLag) {
    o.log?.warn(
      `trimming to ${r.maxlen} entries with a max lag of ${r.maxLag} may drop entries before ` +
        `the slowest group reads them`,
      [{ option: "maxlen", value: r.maxlen }, { option: "maxLag", value: r.maxLag }],
    );
  }
  const pw = resolveRedisPassword();
  return new RedisSink({
    target,
    maxlen: r.maxlen,
    maxLag: r.maxLag,
    waitGroups: r.waitGroups,
    retainBytes: r.retainBytes,
    password: pw?.password,
    passwordFrom: pw?.from,
    caPem: r.ca ? await readPem(r.ca, "ca") : undefined,
    connectTimeoutMs: r.connectTimeoutMs ?? REDIS_DEFAULTS.connectTimeoutMs,
    log: o.log,
    signal: o.signal,
  });
}
