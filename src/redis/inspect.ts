/**
 * `framepipe inspect redis://HOST:PORT/STREAM`: describe a framepipe Redis stream without
 * consuming it: length, first/last entry ids, the stream header, each producer's state and end
 * counts, consumer groups with their lag and pending counts, Redis memory, and a scan of the
 * entries' sequence numbers (holes, repeats, announced gaps; see `net/seq.ts`).
 *
 * @module
 */
import { KIND_FRAME, KIND_HEADER, readRecordHeader, RECORD_HEADER_SIZE } from "../formats/frame.ts";
import { readPem } from "../net/connect.ts";
import { SeqCheck, type SeqCounts } from "../net/seq.ts";
import { RedisConnection } from "./connection.ts";
import { RedisSetupError } from "./errors.ts";
import { FIELD_HEAD, FIELD_META, headerKey, PRODUCER_RUNNING, producersKey } from "./layout.ts";
import { resolveRedisPassword } from "./password.ts";
import { type GroupInfo, parseGroups } from "./sink.ts";
import { parseRedisUrl } from "./url.ts";

/** What `inspect redis://` prints (`--json` prints it as is). */
export interface RedisStreamInfo {
  /** `redis://HOST:PORT/STREAM`. */
  url: string;
  /** Server version (`INFO server`). */
  redis_version: string | null;
  /** Entries in the stream now (`XLEN`). */
  length: number;
  /** Oldest entry id, null when empty. */
  first_id: string | null;
  /** Newest entry id, null when empty. */
  last_id: string | null;
  /** Header metadata (`STREAM:header`), null when no producer has started. */
  header: Record<string, unknown> | null;
  /** Producers: `running`, or ended with their end-of-stream counts. */
  producers: { id: string; state: "running" | "ended"; end: Record<string, unknown> | null }[];
  /** Consumer groups with lag (Redis >= 7) and pending counts, and their consumers. */
  groups:
    (GroupInfo & { consumers_detail: { name: string; pending: number; idle_ms: number }[] })[];
  /** Bytes the stream key uses (`MEMORY USAGE`), null when refused. */
  stream_bytes: number | null;
  /** The server's `used_memory`, null when refused. */
  used_memory: number | null;
  /**
   * Sequence numbers of the frame entries (the first {@linkcode MAX_SCAN} entries), null with
   * several producers (their sequences interleave).
   */
  seq: (SeqCounts & { scanned: number; complete: boolean }) | null;
}

/** Entries `inspect redis://` reads at most for its sequence check. */
export const MAX_SCAN = 20_000;

/** Read the entries' record heads (in batches) and check their sequence numbers. */
async function scanSeq(
  conn: RedisConnection,
  stream: string,
): Promise<SeqCounts & { scanned: number; complete: boolean }> {
  const check = new SeqCheck();
  let scanned = 0, start = "-", complete = false;
  const dec = new TextDecoder();
  while (scanned < MAX_SCAN) {
    const batch = await conn.send<unknown[]>(
      ["XRANGE", stream, start, "+", "COUNT", "64"],
      true,
    );
    if (!batch?.length) {
      complete = true;
      break;
    }
    for (const e of batch) {
      const [id, flat] = e as [Uint8Array, Uint8Array[]];
      scanned++;
      start = "(" + dec.decode(id);
      const f = pairs(flat.map((x, i) => i % 2 ? x : dec.decode(x)));
      const h = f.get(FIELD_HEAD);
      if (!(h instanceof Uint8Array) || h.length < RECORD_HEADER_SIZE) continue;
      const head = readRecordHeader(h);
      if (head.kind === KIND_HEADER) check.header();
      else if (head.kind === KIND_FRAME) {
        let gap: unknown;
        const m = f.get(FIELD_META);
        try {
          gap = m instanceof Uint8Array ? JSON.parse(dec.decode(m)).gap : undefined;
        } catch {
          // metadata that is not JSON: no announced gap
        }
        check.frame(head.seq, gap);
      }
    }
  }
  return { ...check.counts, scanned, complete };
}

function pairs(a: unknown): Map<string, unknown> {
  const m = new Map<string, unknown>();
  if (Array.isArray(a)) { for (let i = 0; i + 1 < a.length; i += 2) m.set(String(a[i]), a[i + 1]); }
  return m;
}

async function optional<T>(f: () => Promise<T>): Promise<T | null> {
  try {
    return await f();
  } catch {
    return null;
  }
}

/**
 * Read a stream's description.
 *
 * @param conn A ready connection.
 * @param stream The stream key.
 * @param url For the result.
 * @returns The description.
 */
export async function describeStream(
  conn: RedisConnection,
  stream: string,
  url: string,
): Promise<RedisStreamInfo> {
  const info = await optional(() => conn.send<string>(["INFO", "server"]));
  const mem = await optional(() => conn.send<string>(["INFO", "memory"]));
  const first = await conn.send<unknown[]>(["XRANGE", stream, "-", "+", "COUNT", "1"], true);
  const last = await conn.send<unknown[]>(["XREVRANGE", stream, "+", "-", "COUNT", "1"], true);
  const id = (r: unknown[]) => r.length ? String((r[0] as unknown[])[0]) : null;
  const header = await conn.send<string | null>(["GET", headerKey(stream)]);
  const prods = pairs(await conn.send(["HGETALL", producersKey(stream)]));
  let groups: RedisStreamInfo["groups"] = [];
  try {
    const gs = parseGroups(await conn.send(["XINFO", "GROUPS", stream]));
    groups = await Promise.all(gs.map(async (g) => {
      const cs = await conn.send<unknown[]>(["XINFO", "CONSUMERS", stream, g.name]);
      return {
        ...g,
        consumers_detail: (cs ?? []).map((c) => {
          const m = pairs(c);
          return {
            name: String(m.get("name")),
            pending: Number(m.get("pending") ?? 0),
            idle_ms: Number(m.get("idle") ?? 0),
          };
        }),
      };
    }));
  } catch (err) {
    if (!/no such key/i.test((err as Error).message)) throw err;
  }
  return {
    url,
    redis_version: /redis_version:([^\r\n]+)/.exec(info ?? "")?.[1] ?? null,
    length: Number(await conn.send(["XLEN", stream])),
    first_id: id(first),
    last_id: id(last),
    header: header ? JSON.parse(header) : null,
    producers: [...prods].map(([pid, v]) => {
      const end = String(v) === PRODUCER_RUNNING ? null : JSON.parse(String(v));
      return { id: pid, state: end ? "ended" as const : "running" as const, end };
    }),
    groups,
    stream_bytes: await optional(async () =>
      Number(await conn.send(["MEMORY", "USAGE", stream])) || null
    ),
    used_memory: Number(/used_memory:(\d+)/.exec(mem ?? "")?.[1] ?? NaN) || null,
    seq: prods.size > 1 ? null : await scanSeq(conn, stream),
  };
}

/**
 * The text form.
 *
 * @param s The description.
 * @returns Lines.
 */
export function formatStreamInfo(s: RedisStreamInfo): string {
  const h = s.header;
  const lines = [
    `stream:    ${s.url} (Redis ${s.redis_version ?? "?"})`,
    `entries:   ${s.length}  first ${s.first_id ?? "-"}  last ${s.last_id ?? "-"}` +
    (s.stream_bytes !== null ? `  (${(s.stream_bytes / 1e6).toFixed(1)} MB)` : ""),
    h
      ? `header:    ${h.producer ?? "?"}: ${
        h.source ?? "?"
      }; ${h.width}x${h.height}x${h.channels} ${h.layout}; classes ${
        JSON.stringify(h.classes ?? [])
      }`
      : "header:    none (no producer has started)",
  ];
  for (const p of s.producers) {
    if (!p.end) lines.push(`producer:  ${p.id} running`);
    else {
      const e = p.end;
      const keys = ["frames", "skipped", "errors", "dropped", "redis_reconnects", "reason"];
      lines.push(
        `producer:  ${p.id} ended at ${e.id}: ${
          keys.filter((k) => k in e).map((k) => `${k}=${e[k]}`).join(" ")
        }`,
      );
    }
  }
  if (!s.groups.length) lines.push("groups:    none");
  for (const g of s.groups) {
    lines.push(
      `group:     ${g.name}: ${g.consumers} consumers, lag ${
        g.lag ?? "?"
      }, pending ${g.pending}, ` +
        `last delivered ${g.lastDeliveredId}${
          g.entriesRead !== null ? `, entries read ${g.entriesRead}` : ""
        }`,
    );
    for (const c of g.consumers_detail) {
      lines.push(`  consumer ${c.name}: pending ${c.pending}, idle ${c.idle_ms} ms`);
    }
  }
  if (s.seq) {
    const q = s.seq;
    lines.push(
      `seq:       ${q.frames} frames${q.complete ? "" : ` in the first ${q.scanned} entries`}: ` +
        `${q.holes} holes (${q.missing} frames missing), ${q.repeated} repeated, ` +
        `${q.announced} announced as gap`,
    );
  }
  if (s.used_memory !== null) {
    lines.push(`memory:    used_memory ${(s.used_memory / 1e6).toFixed(1)} MB`);
  }
  return lines.join("\n");
}

/**
 * Run `inspect redis://...`.
 *
 * @param url The URL.
 * @param o `--json`, `--ca`, `--connect-timeout` (ms).
 * @returns The exit code (1 when the stream does not exist).
 */
export async function inspectRedis(
  url: string,
  o: { json?: boolean; ca?: string; connectTimeoutMs: number },
): Promise<number> {
  const target = parseRedisUrl(url, "inspect");
  if (o.ca !== undefined && !target.tls) {
    throw new RedisSetupError("a CA certificate needs rediss:// (TLS)", {
      hints: [{ option: "ca" }],
    });
  }
  const pw = resolveRedisPassword();
  const conn = await RedisConnection.open({
    target,
    password: pw?.password,
    passwordFrom: pw?.from,
    caPem: o.ca ? await readPem(o.ca, "ca") : undefined,
    connectTimeoutMs: o.connectTimeoutMs,
    what: `inspect ${target.display}`,
  });
  try {
    const s = await describeStream(conn, target.stream, target.display);
    console.log(o.json ? JSON.stringify(s) : formatStreamInfo(s));
    if (s.length === 0 && !s.header && !s.groups.length) {
      console.error(`framepipe: ${target.display}: no such stream (nothing written yet)`);
      return 1;
    }
    return 0;
  } finally {
    await conn.close();
  }
}
