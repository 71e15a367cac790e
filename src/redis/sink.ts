/**
 * `--out redis://[USER@]HOST:PORT/STREAM`: every frame becomes one Redis stream entry (layout in
 * `layout.ts`), so many consumers on many hosts can share one source through consumer groups.
 *
 * Memory stays bounded by one of two policies:
 * - `--maxlen N` (live): `XADD MAXLEN ~ N`, old entries are dropped; entries trimmed before a
 *   group read them are counted (`redis_dropped`, added to `dropped`).
 * - `--max-lag N` (datasets, the default with N = 128): lossless; before writing, the producer
 *   waits while the slowest group has more than N entries undelivered or pending, and trims the
 *   entries every group has acknowledged (`XTRIM MINID ~`).
 *
 * @module
 */
import {
  encodeRecordHead,
  type Frame,
  KIND_END,
  KIND_FRAME,
  KIND_HEADER,
} from "../formats/frame.ts";
import type { StreamHeader, StreamSummary } from "../formats/frame.ts";
import { frameMeta, headerMeta } from "../formats/writers.ts";
import type { FrameSink } from "../sinks/sink.ts";
import { isConnectionLoss, type RedisArg, RedisConnection, type RedisLog } from "./connection.ts";
import { RedisFrameTooLargeError, RedisSetupError } from "./errors.ts";
import {
  compareIds,
  FIELD_HEAD,
  FIELD_META,
  FIELD_PAYLOAD,
  headerKey,
  PRODUCER_RUNNING,
  producersKey,
} from "./layout.ts";
import type { RedisTarget } from "./url.ts";
import { sleep } from "../util/sleep.ts";

/** `--max-lag` when neither `--maxlen` nor `--max-lag` is given. */
export const DEFAULT_MAX_LAG = 128;
/** Assumed `proto-max-bulk-len` when `CONFIG GET` is refused (Redis' default, 512 MB). */
export const DEFAULT_PROTO_MAX_BULK_LEN = 512 * 1024 * 1024;

/** Options for {@linkcode RedisSink}. */
export interface RedisSinkOptions {
  /** Server and stream. */
  target: RedisTarget;
  /** `--maxlen N`: approximate trimming, drop-old (live sources). */
  maxlen?: number;
  /** `--max-lag N`: lossless backpressure (default {@linkcode DEFAULT_MAX_LAG} without maxlen). */
  maxLag?: number;
  /** `--wait-groups N`: wait until N consumer groups exist before the first frame. */
  waitGroups?: number;
  /** Password (from the environment). */
  password?: string;
  /** Variable it came from. */
  passwordFrom?: string;
  /** PEM CA for `rediss://`. */
  caPem?: string;
  /** Per outage; 0 = forever. */
  connectTimeoutMs: number;
  /** Messages. */
  log?: RedisLog;
  /** Aborted on SIGINT/SIGTERM. */
  signal?: AbortSignal;
}

/** One consumer group as `XINFO GROUPS` reports it. */
export interface GroupInfo {
  /** Group name. */
  name: string;
  /** Consumers in the group. */
  consumers: number;
  /** Delivered, not acknowledged. */
  pending: number;
  /** Last entry delivered to the group. */
  lastDeliveredId: string;
  /** Redis >= 7: entries read (logical counter), else null. */
  entriesRead: number | null;
  /** Redis >= 7: entries not yet delivered, null when unknown (or older Redis). */
  lag: number | null;
}

/**
 * Parse an `XINFO GROUPS` reply (RESP2: a flat key/value array per group).
 *
 * @param reply The reply.
 * @returns The groups.
 */
export function parseGroups(reply: unknown): GroupInfo[] {
  if (!Array.isArray(reply)) return [];
  return reply.map((g) => {
    const m = new Map<string, unknown>();
    const a = g as unknown[];
    for (let i = 0; i + 1 < a.length; i += 2) m.set(String(a[i]), a[i + 1]);
    const num = (k: string) => {
      const v = m.get(k);
      return v === null || v === undefined ? null : Number(v);
    };
    return {
      name: String(m.get("name")),
      consumers: num("consumers") ?? 0,
      pending: num("pending") ?? 0,
      lastDeliveredId: String(m.get("last-delivered-id") ?? "0-0"),
      entriesRead: num("entries-read"),
      lag: num("lag"),
    };
  });
}

const noLog: RedisLog = { info() {}, warn() {} };

function nextId(id: string): string {
  const [ms, seq] = id.split("-");
  return `${ms}-${Number(seq ?? 0) + 1}`;
}

/** Writes frames as entries of one Redis stream (see the module doc). */
export class RedisSink implements FrameSink {
  /** `redis://[USER@]HOST:PORT/STREAM`. */
  readonly description: string;
  /** Entries whose `XADD` failed on a dropped connection and were sent again. */
  failedEntries = 0;
  /** Times the stream had vanished after a reconnect (Redis restarted without persistence). */
  streamResets = 0;
  /** Entries written before a stream reset (lost for groups that had not read them). */
  lostOnReset = 0;
  /** Seconds the producer waited for slow groups (`--max-lag`). */
  waitedS = 0;
  /** Payload and metadata bytes sent. */
  bytesWritten = 0;
  #o: RedisSinkOptions;
  #log: RedisLog;
  #conn: RedisConnection | null = null;
  #stream: string;
  #maxLag: number | undefined;
  #bulkLimit = DEFAULT_PROTO_MAX_BULK_LEN;
  #producerId = [...crypto.getRandomValues(new Uint8Array(6))].map((b) =>
    b.toString(16).padStart(2, "0")
  ).join("");
  #headerArgs: RedisArg[] = [];
  #headerJson = "";
  #announce = false;
  /** Our entry ids, oldest first, from index `#idBase` on (for lag and drop accounting). */
  #ids: string[] = [];
  #idBase = 0;
  #added = 0;
  #lagEstimate = 0;
  #lastAccount = 0;
  #dropsByGroup = new Map<string, number>();
  #deliveredCache = new Map<string, number>();
  #toldWait = false;

  /**
   * Make the sink (it connects in `start`).
   *
   * @param options Target, policy, credentials.
   */
  constructor(options: RedisSinkOptions) {
    this.#o = options;
    this.#log = options.log ?? noLog;
    this.#stream = options.target.stream;
    this.description = options.target.display;
    this.#maxLag = options.maxLag ?? (options.maxlen === undefined ? DEFAULT_MAX_LAG : undefined);
  }

  /** Redis connection (after `start`). */
  get connection(): RedisConnection | null {
    return this.#conn;
  }

  /** Write the stream header (see {@linkcode FrameSink.start}). */
  async start(header: StreamHeader): Promise<void> {
    const o = this.#o;
    this.#conn = await RedisConnection.open({
      target: o.target,
      password: o.password,
      passwordFrom: o.passwordFrom,
      caPem: o.caPem,
      connectTimeoutMs: o.connectTimeoutMs,
      what: `--out ${o.target.display}`,
      log: this.#log,
      signal: o.signal,
    });
    this.#conn.onReconnect(() => this.#announce = true);
    try {
      const r = await this.#conn.send<unknown[]>(["CONFIG", "GET", "proto-max-bulk-len"]);
      const v = Array.isArray(r) && r.length >= 2 ? Number(r[1]) : NaN;
      if (Number.isFinite(v) && v > 0) this.#bulkLimit = v;
    } catch {
      // CONFIG is often refused by ACLs (and managed services): assume the default
    }
    const meta = { ...headerMeta(header), producer_id: this.#producerId };
    this.#headerJson = JSON.stringify(meta);
    const head = encodeRecordHead({
      kind: KIND_HEADER,
      layout: header.layout,
      channels: header.channels,
      width: header.width,
      height: header.height,
      seq: 0,
      position: -1,
      timestamp: Date.now(),
      payloadLength: 0,
    }, meta);
    this.#headerArgs = [FIELD_HEAD, head.subarray(0, 56), FIELD_META, head.subarray(56)];
    await this.#retry(() => this.#writeHeader());
    if (o.waitGroups) await this.#waitGroups(o.waitGroups);
  }

  async #writeHeader(): Promise<void> {
    const c = this.#conn!;
    if (this.#added > 0) {
      const exists = Number(await c.send(["EXISTS", this.#stream]));
      if (!exists) {
        this.streamResets++;
        this.lostOnReset += this.#added;
        this.#log.warn(
          `${this.description}: the stream is gone after the reconnect (Redis restarted without ` +
            `persistence?); continuing in a new stream: consumers lose what they had not read ` +
            `and must recreate their groups`,
        );
        this.#ids = [];
        this.#idBase = 0;
        this.#added = 0;
        this.#deliveredCache.clear();
      }
    }
    await c.send(["SET", headerKey(this.#stream), this.#headerJson]);
    await c.send(["HSET", producersKey(this.#stream), this.#producerId, PRODUCER_RUNNING]);
    await this.#xadd(this.#headerArgs);
    this.#announce = false;
  }

  /** Run `f`, waiting for the connection and re-announcing the stream after every drop. */
  async #retry<T>(f: () => Promise<T>, entry = false): Promise<T> {
    while (true) {
      const c = this.#conn;
      if (!c) throw new RedisSetupError(`${this.description}: not connected`);
      try {
        if (this.#announce) {
          await c.waitReady();
          await this.#writeHeader();
        }
        return await f();
      } catch (err) {
        if (!isConnectionLoss(err)) throw err;
        if (entry) this.failedEntries++;
        await c.waitReady();
        this.#announce = true;
      }
    }
  }

  async #xadd(fields: RedisArg[]): Promise<string> {
    const args: RedisArg[] = ["XADD", this.#stream];
    if (this.#o.maxlen !== undefined) args.push("MAXLEN", "~", String(this.#o.maxlen));
    args.push("*", ...fields);
    const id = String(await this.#conn!.send(args));
    this.#ids.push(id);
    this.#added++;
    this.#lagEstimate++;
    const keep = Math.max(this.#o.maxlen ?? 0, this.#maxLag ?? 0) * 2 + 1024;
    if (this.#ids.length > keep * 2) {
      const cut = this.#ids.length - keep;
      this.#ids = this.#ids.slice(cut);
      this.#idBase += cut;
    }
    return id;
  }

  /** How many of our entries have ids <= `id` (binary search over the id log). */
  #countUpTo(id: string, group: string): number {
    const ids = this.#ids;
    if (ids.length === 0 || compareIds(id, ids[0]) < 0) {
      return compareIds(id, "0-0") <= 0 ? 0 : this.#deliveredCache.get(group) ?? this.#idBase;
    }
    let lo = 0, hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareIds(ids[mid], id) <= 0) lo = mid + 1;
      else hi = mid;
    }
    const n = this.#idBase + lo;
    this.#deliveredCache.set(group, n);
    return n;
  }

  async #groups(): Promise<GroupInfo[]> {
    try {
      return parseGroups(await this.#conn!.send(["XINFO", "GROUPS", this.#stream]));
    } catch (err) {
      if (/no such key/i.test((err as Error).message ?? "")) return [];
      throw err;
    }
  }

  async #waitGroups(n: number): Promise<void> {
    let told = false;
    while (!this.#o.signal?.aborted) {
      const g = await this.#retry(() => this.#groups());
      if (g.length >= n) return;
      if (!told) {
        told = true;
        this.#log.info(`${this.description}: waiting for ${n} consumer group(s) (${g.length} now)`);
      }
      await sleep(100, this.#o.signal);
    }
  }

  /** The slowest group's lag + pending (XLEN when there is no group yet). */
  async #measureLag(): Promise<number> {
    const groups = await this.#groups();
    if (groups.length === 0) return Number(await this.#conn!.send(["XLEN", this.#stream]));
    let worst = 0;
    for (const g of groups) {
      const lag = g.lag ?? (this.#added - this.#countUpTo(g.lastDeliveredId, g.name));
      worst = Math.max(worst, lag + g.pending);
    }
    await this.#trimAcknowledged(groups);
    return worst;
  }

  /** `XTRIM MINID ~` below the oldest entry some group still needs. */
  async #trimAcknowledged(groups: GroupInfo[]): Promise<void> {
    let min: string | undefined;
    for (const g of groups) {
      let need = nextId(g.lastDeliveredId);
      if (g.pending > 0) {
        const p = await this.#conn!.send<unknown[]>(["XPENDING", this.#stream, g.name]);
        if (Array.isArray(p) && typeof p[1] === "string") need = p[1];
      }
      if (min === undefined || compareIds(need, min) < 0) min = need;
    }
    if (min !== undefined && compareIds(min, "0-1") > 0) {
      await this.#conn!.send(["XTRIM", this.#stream, "MINID", "~", min]);
    }
  }

  async #waitForLag(): Promise<void> {
    const max = this.#maxLag!;
    if (this.#lagEstimate <= max) return;
    const t0 = performance.now();
    let delay = 5;
    while (true) {
      const lag = await this.#retry(() => this.#measureLag());
      if (lag < max || this.#o.signal?.aborted) {
        this.#lagEstimate = lag;
        break;
      }
      if (!this.#toldWait) {
        this.#toldWait = true;
        this.#log.info(
          `${this.description}: waiting for the slowest consumer group (lag ${lag} >= --max-lag ${max})`,
        );
      }
      await sleep(delay, this.#o.signal);
      delay = Math.min(delay * 2, 100);
    }
    this.waitedS += (performance.now() - t0) / 1000;
  }

  /** Entries trimmed (`--maxlen`) before a group read them, per group. */
  async #accountDrops(): Promise<void> {
    const xlen = Number(await this.#conn!.send(["XLEN", this.#stream]));
    const trimmed = Math.max(0, this.#added - xlen);
    for (const g of await this.#groups()) {
      const delivered = this.#countUpTo(g.lastDeliveredId, g.name);
      this.#dropsByGroup.set(g.name, Math.max(0, trimmed - delivered));
    }
  }

  /** Largest count of entries trimmed before delivery over all groups (`--maxlen`). */
  get dropped(): number {
    return Math.max(0, ...this.#dropsByGroup.values());
  }

  /** Write one frame (see {@linkcode FrameSink.write}). */
  async write(frame: Frame): Promise<void> {
    const n = frame.data.length;
    if (n > this.#bulkLimit) {
      throw new RedisFrameTooLargeError(
        `frame ${frame.seq} (${frame.key}) is ${n} bytes, more than the server's ` +
          `proto-max-bulk-len (${this.#bulkLimit}); shrink frames with --size, or raise ` +
          `proto-max-bulk-len on the server`,
      );
    }
    if (this.#maxLag !== undefined) await this.#waitForLag();
    if (this.#o.signal?.aborted) return;
    const head = encodeRecordHead({
      kind: KIND_FRAME,
      layout: frame.layout,
      channels: frame.channels,
      width: frame.width,
      height: frame.height,
      seq: frame.seq,
      position: frame.position,
      timestamp: frame.timestamp,
      payloadLength: n,
    }, frameMeta(frame));
    await this.#retry(() =>
      this.#xadd([
        FIELD_HEAD,
        head.subarray(0, 56),
        FIELD_META,
        head.subarray(56),
        FIELD_PAYLOAD,
        frame.data,
      ]), true);
    this.bytesWritten += head.length + n;
    if (this.#o.maxlen !== undefined && performance.now() - this.#lastAccount > 1000) {
      this.#lastAccount = performance.now();
      await this.#retry(() => this.#accountDrops());
    }
  }

  /** Write the end-of-stream record (see {@linkcode FrameSink.end}). */
  async end(summary: StreamSummary): Promise<void> {
    if (!this.#conn) return;
    if (this.#o.maxlen !== undefined) {
      await this.#retry(() => this.#accountDrops()).catch(() => {});
      const d = this.dropped;
      // The summary object is the pump's own: the CLI's final line shows these drops too.
      summary.dropped = (summary.dropped ?? 0) + d;
      summary.redis_dropped = d;
      summary.redis_dropped_by_group = Object.fromEntries(this.#dropsByGroup);
    }
    Object.assign(summary, this.stats());
    const endMeta = { ...summary, producer_id: this.#producerId };
    const head = encodeRecordHead({
      kind: KIND_END,
      layout: "chw",
      channels: 0,
      width: 0,
      height: 0,
      seq: summary.frames,
      position: -1,
      timestamp: Date.now(),
      payloadLength: 0,
    }, endMeta);
    const id = await this.#retry(() =>
      this.#xadd([FIELD_HEAD, head.subarray(0, 56), FIELD_META, head.subarray(56)])
    );
    await this.#retry(() =>
      this.#conn!.send([
        "HSET",
        producersKey(this.#stream),
        this.#producerId,
        JSON.stringify({ ...endMeta, id }),
      ])
    );
  }

  /** Release the connection (see {@linkcode FrameSink.close}). */
  async close(): Promise<void> {
    const c = this.#conn;
    this.#conn = null;
    await c?.close();
  }

  /** Counts for the end-of-stream record (see {@linkcode FrameSink.stats}). */
  stats(): Record<string, unknown> {
    return {
      redis_stream: this.#stream,
      redis_policy: this.#o.maxlen !== undefined
        ? `maxlen ~${this.#o.maxlen}`
        : `max-lag ${this.#maxLag}`,
      redis_reconnects: this.#conn?.reconnects ?? 0,
      redis_failed_entries: this.failedEntries,
      redis_stream_resets: this.streamResets,
      redis_lost_on_reset: this.lostOnReset,
      redis_waited_s: Math.round(this.waitedS * 1000) / 1000,
      bytes_written: this.bytesWritten,
    };
  }
}
