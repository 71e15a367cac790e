/**
 * `--out redis://[USER@]HOST:PORT/STREAM`: every frame becomes one Redis stream entry (layout in
 * `layout.ts`), so many consumers on many hosts can share one source through consumer groups.
 *
 * Memory stays bounded by one of two policies:
 * - `--maxlen N` (live): `XADD MAXLEN ~ N`, old entries are dropped; entries trimmed before a
 *   group read them are counted (`redis_dropped`, added to `dropped`).
 * - `--max-lag N` (datasets, the default with N = 128): lossless; before writing, the producer
 *   waits while the slowest group has more than N entries undelivered or pending, and trims the
 *   entries every group has acknowledged (`XTRIM MINID ~`). The producer also keeps the frames
 *   not yet acknowledged by every group (up to `retainBytes`): when the stream vanishes under it
 *   (Redis restarted without persistence) it republishes them into the new stream; frames it
 *   no longer holds make the run fail with {@linkcode RedisStreamLostError}, naming how many.
 *
 * A consumer group that vanishes while its stream survives (`XGROUP DESTROY`) is logged and
 * counted (`redis_groups_destroyed`, `redis_groups_destroyed_unacked` in the end entry); the
 * producer goes on with the other groups, keeps the entries the vanished group still needed for
 * the connect timeout (so a consumer that recreates it where it was loses nothing) and, with
 * `--max-lag` and no group left, waits that long for one before failing with
 * {@linkcode RedisGroupsGoneError}. A group seen going back to an older entry (recreated, or
 * `XGROUP SETID`) is logged and counted too (`redis_groups_rewound`).
 *
 * Entries are the `frame` format's records, cut into head, metadata and payload fields
 * (`layout.ts`). A source must not reuse a frame's `data` buffer after `write` resolves: with
 * `--max-lag` the sink may still hold it for republishing.
 *
 * @module
 */
import type { Frame, StreamHeader, StreamSummary } from "../formats/frame.ts";
import { FrameFormatEncoder } from "../formats/writers.ts";
import type { FrameSink } from "../formats/sink.ts";
import { isConnectionLoss, type RedisArg, RedisConnection } from "./connection.ts";
import {
  RedisFrameTooLargeError,
  RedisGroupsGoneError,
  RedisSetupError,
  RedisStreamLostError,
} from "./errors.ts";
import { compareIds, entryFields, headerKey, PRODUCER_RUNNING, producersKey } from "./layout.ts";
import type { RedisTarget } from "./url.ts";
import { type Log, SILENT_LOG } from "../util/log.ts";
import { sleep } from "../util/sleep.ts";

/** `--max-lag` when neither `--maxlen` nor `--max-lag` is given. */
export const DEFAULT_MAX_LAG = 128;
/** Assumed `proto-max-bulk-len` when `CONFIG GET` is refused (Redis' default, 512 MB). */
export const DEFAULT_PROTO_MAX_BULK_LEN = 512 * 1024 * 1024;
/** Payload bytes of unacknowledged frames kept for republishing (`--retain-mb`, 256 MB). */
export const DEFAULT_RETAIN_BYTES = 256 * 1024 * 1024;

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
  /**
   * `--max-lag` only: payload bytes of frames not yet acknowledged by every group kept for
   * republishing after a stream reset (default {@linkcode DEFAULT_RETAIN_BYTES}; 0 keeps none).
   */
  retainBytes?: number;
  /** Password (from the environment). */
  password?: string;
  /** Variable it came from. */
  passwordFrom?: string;
  /** PEM CA for `rediss://`. */
  caPem?: string;
  /** Per outage; 0 = forever. */
  connectTimeoutMs: number;
  /** Messages. */
  log?: Log;
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

function nextId(id: string): string {
  const [ms, seq] = id.split("-");
  return `${ms}-${Number(seq ?? 0) + 1}`;
}

/** A frame entry not yet acknowledged by every group (`--max-lag`), kept for republishing. */
interface Unacked {
  /** Its entry id (the newest one when it was republished). */
  id: string;
  /** Its fields; null once dropped to stay within `retainBytes`. */
  fields: RedisArg[] | null;
  /** Payload and metadata bytes. */
  bytes: number;
  /** True while it must be added again (its stream vanished) and has not been yet. */
  stale: boolean;
}

/** A consumer group as the producer last saw it. */
interface SeenGroup {
  /** Its last delivered entry. */
  lastDeliveredId: string;
  /** Entries it had not acknowledged (lag + pending). */
  unacked: number;
  /** The oldest entry it still needed (trimming keeps it and what follows). */
  need: string;
}

/** How long entries a vanished group still needed are kept when the timeout is 0 (forever). */
const VANISHED_GROUP_KEEP_MS = 30_000;

/** Writes frames as entries of one Redis stream (see the module doc). */
export class RedisSink implements FrameSink {
  /** `redis://[USER@]HOST:PORT/STREAM`. */
  readonly description: string;
  /** Entries whose `XADD` failed on a dropped connection and were sent again. */
  failedEntries = 0;
  /** Times the stream had vanished after a reconnect (Redis restarted without persistence). */
  streamResets = 0;
  /** `--maxlen`: entries written before a stream reset (lost for groups that had not read them). */
  lostOnReset = 0;
  /** `--max-lag`: frames added again after a stream reset (not yet acknowledged by every group). */
  republished = 0;
  /** `--max-lag`: frames lost in a stream reset (not acknowledged by every group, not held). */
  lost = 0;
  /** Times a consumer group vanished while the stream survived (`XGROUP DESTROY`). */
  groupsDestroyed = 0;
  /** Times a consumer group went back to an older entry (recreated, or `XGROUP SETID`). */
  groupsRewound = 0;
  /** Seconds the producer waited for slow groups (`--max-lag`). */
  waitedS = 0;
  /** Payload and metadata bytes sent. */
  bytesWritten = 0;
  #o: RedisSinkOptions;
  #log: Log;
  #conn: RedisConnection | null = null;
  #stream: string;
  #maxLag: number | undefined;
  #retainBytes: number;
  #bulkLimit = DEFAULT_PROTO_MAX_BULK_LEN;
  #producerId = [...crypto.getRandomValues(new Uint8Array(6))].map((b) =>
    b.toString(16).padStart(2, "0")
  ).join("");
  #enc = new FrameFormatEncoder();
  #headerFields: RedisArg[] = [];
  #headerJson = "";
  #announce = false;
  /** Our entry ids, oldest first, from index `#idBase` on (for lag and drop accounting). */
  #ids: string[] = [];
  #idBase = 0;
  #added = 0;
  #lastId: string | null = null;
  #lagEstimate = 0;
  #lastAccount = 0;
  #dropsByGroup = new Map<string, number>();
  #deliveredCache = new Map<string, number>();
  #toldWait = false;
  #unacked: Unacked[] = [];
  #heldBytes = 0;
  #seen = new Map<string, SeenGroup>();
  /** Vanished groups: the oldest entry each still needed, and when it vanished. */
  #vanished = new Map<string, { need: string; since: number }>();
  #destroyedUnacked = new Map<string, number>();
  /** When the last group vanished (null while some group exists or none ever vanished). */
  #grouplessSince: number | null = null;

  /**
   * Make the sink (it connects in `start`).
   *
   * @param options Target, policy, credentials.
   */
  constructor(options: RedisSinkOptions) {
    this.#o = options;
    this.#log = options.log ?? SILENT_LOG;
    this.#stream = options.target.stream;
    this.description = options.target.display;
    this.#maxLag = options.maxLag ?? (options.maxlen === undefined ? DEFAULT_MAX_LAG : undefined);
    this.#retainBytes = options.retainBytes ?? DEFAULT_RETAIN_BYTES;
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
      what: `write to ${o.target.display}`,
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
    const withId = { ...header, extra: { ...header.extra, producer_id: this.#producerId } };
    this.#headerFields = entryFields(this.#enc.header(withId));
    this.#headerJson = new TextDecoder().decode(this.#headerFields[3] as Uint8Array);
    await this.#retry(() => this.#writeHeader());
    if (o.waitGroups) await this.#waitGroups(o.waitGroups);
  }

  /** The stream's `last-generated-id`, or null when the stream does not exist. */
  async #lastGeneratedId(): Promise<string | null> {
    try {
      const r = await this.#conn!.send<unknown[]>(["XINFO", "STREAM", this.#stream]);
      for (let i = 0; i + 1 < (r?.length ?? 0); i += 2) {
        if (String(r[i]) === "last-generated-id") return String(r[i + 1]);
      }
      return "0-0";
    } catch (err) {
      if (/no such key/i.test((err as Error).message ?? "")) return null;
      throw err;
    }
  }

  /**
   * The stream lost our entries after `gen` (it vanished, or came back from an older snapshot):
   * mark the unacknowledged frames among them for republishing, or fail when some are no longer
   * held (`--max-lag`); with `--maxlen`, count them and go on (a live stream drops by design).
   */
  #onReset(gen: string | null): void {
    this.streamResets++;
    // The groups went with the stream: not destroyed, and not waited for as such.
    this.#seen.clear();
    this.#vanished.clear();
    this.#grouplessSince = null;
    const after = gen ?? "0-0";
    if (this.#maxLag === undefined) {
      this.lostOnReset += this.#added;
      this.#log.warn(
        `${this.description}: the stream is gone after the reconnect (Redis restarted without ` +
          `persistence?); continuing in a new stream: consumers lose what they had not read ` +
          `and must recreate their groups`,
      );
    } else {
      const need = this.#unacked.filter((u) => u.stale || compareIds(u.id, after) > 0);
      const lost = need.filter((u) => !u.fields).length;
      if (lost > 0) {
        // The run fails; the end entry still goes into the new stream, so consumers finish.
        this.lost += lost;
        this.#unacked = [];
        this.#heldBytes = 0;
        this.#lastId = null;
        this.#ids = [];
        this.#idBase = 0;
        this.#added = 0;
        throw new RedisStreamLostError(
          `${this.description}: the stream ${
            gen === null ? "vanished" : `lost its entries after ${gen}`
          } (Redis restarted without persistence?) and ${lost} of the ${need.length} frames ` +
            `not yet acknowledged by every consumer group are lost: the producer kept only ` +
            `${(this.#retainBytes / 1e6).toFixed(0)} MB of them; keep more, allow less lag, ` +
            `or run Redis with appendonly yes and appendfsync always (docs/SCALE_OUT.md)`,
          lost,
          [{ option: "retainBytes" }, { option: "maxLag" }],
        );
      }
      for (const u of need) u.stale = true;
      this.#log.warn(
        `${this.description}: the stream ${
          gen === null ? "is gone" : `lost its entries after ${gen}`
        } after the reconnect (Redis restarted without persistence?); republishing the ` +
          `${need.length} frames not yet acknowledged by every consumer group (a consumer may ` +
          `get some of them twice: same seq)`,
      );
    }
    this.#ids = [];
    this.#idBase = 0;
    this.#added = 0;
    this.#deliveredCache.clear();
  }

  async #writeHeader(): Promise<void> {
    const c = this.#conn!;
    if (this.#lastId !== null) {
      const gen = await this.#lastGeneratedId();
      if (gen === null || compareIds(gen, this.#lastId) < 0) this.#onReset(gen);
    }
    await c.send(["SET", headerKey(this.#stream), this.#headerJson]);
    await c.send(["HSET", producersKey(this.#stream), this.#producerId, PRODUCER_RUNNING]);
    await this.#xadd(this.#headerFields);
    for (const u of this.#unacked) {
      if (!u.stale) continue;
      u.id = await this.#xadd(u.fields!);
      u.stale = false;
      this.republished++;
    }
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
    this.#lastId = id;
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

  /** Keep a frame entry until every group has acknowledged it (`--max-lag`). */
  #hold(id: string, fields: RedisArg[], bytes: number): void {
    this.#unacked.push({ id, fields, bytes, stale: false });
    this.#heldBytes += bytes;
    for (const u of this.#unacked) {
      if (this.#heldBytes <= this.#retainBytes) break;
      if (!u.fields) continue;
      u.fields = null;
      this.#heldBytes -= u.bytes;
    }
  }

  /** Forget the held frames below `min` (every group has acknowledged them). */
  #release(min: string): void {
    let n = 0;
    for (const u of this.#unacked) {
      if (u.stale || compareIds(u.id, min) >= 0) break;
      if (u.fields) this.#heldBytes -= u.bytes;
      n++;
    }
    if (n > 0) this.#unacked.splice(0, n);
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

  /** The groups of the stream now (none when it does not exist), noticing vanished ones. */
  async #groups(): Promise<GroupInfo[]> {
    let groups: GroupInfo[];
    try {
      groups = parseGroups(await this.#conn!.send(["XINFO", "GROUPS", this.#stream]));
    } catch (err) {
      if (/no such key/i.test((err as Error).message ?? "")) return [];
      throw err;
    }
    this.#noticeGroups(groups);
    return groups;
  }

  /** A group's entries not yet acknowledged: lag (reported or estimated) + pending. */
  #unackedOf(g: GroupInfo): number {
    return (g.lag ?? (this.#added - this.#countUpTo(g.lastDeliveredId, g.name))) + g.pending;
  }

  /** Milliseconds a vanished group is waited for (the connect timeout; 0 = forever). */
  get #groupWaitMs(): number {
    return this.#o.connectTimeoutMs;
  }

  /**
   * Compare the groups with the ones seen before, on a stream that survived: a group gone is
   * logged and counted as destroyed, one whose last delivered entry went back as rewound.
   */
  #noticeGroups(groups: GroupInfo[]): void {
    const now = performance.now();
    const names = new Set(groups.map((g) => g.name));
    for (const [name, s] of this.#seen) {
      if (names.has(name)) continue;
      this.#seen.delete(name);
      this.groupsDestroyed++;
      this.#destroyedUnacked.set(name, (this.#destroyedUnacked.get(name) ?? 0) + s.unacked);
      this.#vanished.set(name, { need: s.need, since: now });
      const wait = this.#groupWaitMs;
      const keep = `${wait > 0 ? `${(wait / 1000).toFixed(0)} s` : "until one comes"}`;
      const next = groups.length > 0
        ? `going on with ${groups.map((g) => `'${g.name}'`).join(", ")}`
        : this.#maxLag !== undefined
        ? `no group left: waiting ${keep} for one (a framepipe consumer recreates its group where ` +
          `it was)`
        : `no group left; going on (--maxlen)`;
      this.#log.warn(
        `${this.description}: consumer group '${name}' is gone while the stream survives ` +
          `(XGROUP DESTROY?); it had not acknowledged about ${s.unacked} entries; ${next}`,
        groups.length === 0 && this.#maxLag !== undefined ? [{ option: "connectTimeout" }] : [],
      );
    }
    for (const g of groups) {
      const prev = this.#seen.get(g.name);
      if (prev && compareIds(g.lastDeliveredId, prev.lastDeliveredId) < 0) {
        this.groupsRewound++;
        this.#log.warn(
          `${this.description}: consumer group '${g.name}' went back from entry ` +
            `${prev.lastDeliveredId} to ${g.lastDeliveredId} (recreated, or XGROUP SETID): its ` +
            `consumers get the entries after it again`,
        );
      }
      if (this.#vanished.delete(g.name)) {
        this.#log.info(
          `${this.description}: consumer group '${g.name}' is back (at entry ` +
            `${g.lastDeliveredId})`,
        );
      }
      this.#seen.set(g.name, {
        lastDeliveredId: g.lastDeliveredId,
        unacked: this.#unackedOf(g),
        // (with pending entries: the older value until XPENDING tells, see #trimAcknowledged)
        need: g.pending > 0 && prev ? prev.need : nextId(g.lastDeliveredId),
      });
    }
    if (groups.length > 0) this.#grouplessSince = null;
    else if (this.groupsDestroyed > 0) this.#grouplessSince ??= now;
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
    for (const g of groups) worst = Math.max(worst, this.#unackedOf(g));
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
      const seen = this.#seen.get(g.name);
      if (seen) seen.need = need;
      if (min === undefined || compareIds(need, min) < 0) min = need;
    }
    // Keep what a vanished group still needed for a while: its consumer may recreate it there.
    const now = performance.now();
    const keepMs = this.#groupWaitMs > 0 ? this.#groupWaitMs : VANISHED_GROUP_KEEP_MS;
    for (const [name, v] of this.#vanished) {
      if (now - v.since > keepMs) this.#vanished.delete(name);
      else if (min === undefined || compareIds(v.need, min) < 0) min = v.need;
    }
    if (min !== undefined && compareIds(min, "0-1") > 0) {
      await this.#conn!.send(["XTRIM", this.#stream, "MINID", "~", min]);
      this.#release(min);
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
      this.#checkGroupless();
      if (!this.#toldWait) {
        this.#toldWait = true;
        this.#log.info(
          `${this.description}: waiting for the slowest consumer group (lag ${lag} >= ${max})`,
          [{ option: "maxLag", value: max }],
        );
      }
      await sleep(delay, this.#o.signal);
      delay = Math.min(delay * 2, 100);
    }
    this.waitedS += (performance.now() - t0) / 1000;
  }

  /** Fail when the last group vanished longer than the connect timeout ago (`--max-lag`). */
  #checkGroupless(): void {
    const since = this.#grouplessSince;
    const limit = this.#groupWaitMs;
    if (since === null || limit <= 0 || performance.now() - since < limit) return;
    const names = [...this.#destroyedUnacked.keys()].map((n) => `'${n}'`).join(", ");
    throw new RedisGroupsGoneError(
      `${this.description}: consumer group ${names} was destroyed while the stream survives ` +
        `(XGROUP DESTROY?) and no group came back within ${(limit / 1000).toFixed(0)} s; the ` +
        `entries not yet acknowledged stay in the stream for a group created from 0 (XGROUP ` +
        `CREATE ${this.#stream} GROUP 0): restart the consumers sooner or allow more time`,
      [{ option: "connectTimeout" }],
    );
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
          `proto-max-bulk-len (${this.#bulkLimit}); shrink the frames, or raise ` +
          `proto-max-bulk-len on the server`,
        { hints: [{ option: "size" }] },
      );
    }
    if (this.#maxLag !== undefined) await this.#waitForLag();
    if (this.#o.signal?.aborted) return;
    const chunks = this.#enc.frame(frame);
    const fields = entryFields(chunks);
    const bytes = chunks[0].length + n;
    const id = await this.#retry(() => this.#xadd(fields), true);
    if (this.#maxLag !== undefined) this.#hold(id, fields, bytes);
    this.bytesWritten += bytes;
    if (this.#o.maxlen !== undefined && performance.now() - this.#lastAccount > 1000) {
      this.#lastAccount = performance.now();
      await this.#retry(() => this.#accountDrops());
    }
  }

  /**
   * Write the end-of-stream record (see {@linkcode FrameSink.end}).
   *
   * @param summary The caller's counts (not modified).
   * @returns The counts this sink adds (`--maxlen` drops, reconnects, resets, republished).
   */
  async end(summary: StreamSummary): Promise<Record<string, unknown>> {
    if (!this.#conn) return {};
    const more: Record<string, unknown> = {};
    if (this.#o.maxlen === undefined) {
      await this.#retry(() => this.#groups()).catch(() => {}); // a group destroyed at the end
    } else {
      await this.#retry(() => this.#accountDrops()).catch(() => {});
      const d = this.dropped;
      more.dropped = (summary.dropped ?? 0) + d;
      more.redis_dropped = d;
      more.redis_dropped_by_group = Object.fromEntries(this.#dropsByGroup);
    }
    Object.assign(more, this.stats());
    const endMeta = { ...summary, ...more, producer_id: this.#producerId };
    const id = await this.#retry(() => this.#xadd(entryFields(this.#enc.end(endMeta))));
    await this.#retry(() =>
      this.#conn!.send([
        "HSET",
        producersKey(this.#stream),
        this.#producerId,
        JSON.stringify({ ...endMeta, id }),
      ])
    );
    return more;
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
      redis_republished: this.republished,
      redis_lost: this.lost,
      redis_groups_destroyed: this.groupsDestroyed,
      redis_groups_destroyed_unacked: Object.fromEntries(this.#destroyedUnacked),
      redis_groups_rewound: this.groupsRewound,
      redis_waited_s: Math.round(this.waitedS * 1000) / 1000,
      bytes_written: this.bytesWritten,
    };
  }
}
