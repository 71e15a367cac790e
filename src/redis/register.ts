/**
 * Registers `redis://` and `rediss://` with {@linkcode registerSink}. Importing this module is
 * enough (`src/cli/common.ts` does).
 *
 * @module
 */
import { UsageError } from "../cli/args.ts";
import { readPem } from "../net/connect.ts";
import { type OpenSinkOptions, registerSink } from "../sinks/open_sink.ts";
import { resolveRedisPassword } from "./password.ts";
import { RedisSink } from "./sink.ts";
import { parseRedisUrl } from "./url.ts";

async function openRedis(url: URL, o: OpenSinkOptions): Promise<RedisSink> {
  const target = parseRedisUrl(url.href, "--out");
  const r = o.redis ?? { connectTimeoutMs: 30_000 };
  if (o.format !== "frame") {
    throw new UsageError(
      `--out ${target.display}: Redis entries hold frame records; drop --format ${o.format}`,
    );
  }
  if (r.maxlen !== undefined && r.maxLag !== undefined && r.maxlen <= r.maxLag) {
    o.log?.warn(
      `--maxlen ${r.maxlen} <= --max-lag ${r.maxLag}: trimming may drop entries before the slowest group reads them`,
    );
  }
  const pw = resolveRedisPassword();
  return new RedisSink({
    target,
    maxlen: r.maxlen,
    maxLag: r.maxLag,
    waitGroups: r.waitGroups,
    password: pw?.password,
    passwordFrom: pw?.from,
    caPem: r.ca ? await readPem(r.ca, "--ca") : undefined,
    connectTimeoutMs: r.connectTimeoutMs,
    log: o.log,
    signal: o.signal,
  });
}

registerSink("redis:", openRedis);
registerSink("rediss:", openRedis);
