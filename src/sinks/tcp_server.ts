/**
 * `--listen HOST:PORT`: serve the stream to every consumer that connects (fan-out). Each
 * consumer has its own bounded queue of whole records and its own writer, so a slow consumer
 * never blocks the others; when its queue is full the `--slow` policy decides: `drop` the
 * oldest queued frame (counted, and announced as `gap` on the next frame), `disconnect` it,
 * or `wait` (lossless: the source waits for the slowest consumer).
 *
 * Frames are encoded once and shared by every queue, so a source must not reuse a frame's
 * `data` buffer after `write` resolves.
 *
 * @module
 */
import type { Frame, StreamHeader, StreamSummary } from "../formats/frame.ts";
import { createEncoder, type FormatEncoder, type WireFormat } from "../formats/writers.ts";
import { formatHostPort, type HostPort, peerName } from "../net/address.ts";
import { describeNetError, NetworkError } from "../net/errors.ts";
import { HANDSHAKE_TIMEOUT_MS, verifyPeer } from "../net/handshake.ts";
import type { FrameSink } from "../formats/sink.ts";
import { closeGracefully, type NetLog } from "./tcp_client.ts";
import { writeAll } from "../util/io.ts";

/** What to do with a consumer whose queue is full. */
export type SlowPolicy = "drop" | "disconnect" | "wait";
/** Every `--slow` policy, for CLI validation. */
export const SLOW_POLICIES: readonly SlowPolicy[] = ["drop", "disconnect", "wait"];

/** Options for {@linkcode TcpServerSink}. */
export interface TcpServerSinkOptions {
  /** Address to bind. */
  address: HostPort;
  /** Wire format. */
  format: WireFormat;
  /** PEM certificate chain and key: serve TLS. */
  tls?: { cert: string; key: string };
  /** Token consumers must present. */
  token?: string;
  /** Frames queued per consumer before `slow` applies (default 8). */
  buffer?: number;
  /** Policy for a consumer with a full queue (default `wait`). */
  slow?: SlowPolicy;
  /** Consumers to wait for before the first frame (default 1). */
  waitConsumers?: number;
  /** Longest wait for consumers to take the end of the stream (ms, default 10 000). */
  endTimeoutMs?: number;
  /** Longest wait for a consumer's TLS and token handshakes (ms, default 5000). */
  handshakeTimeoutMs?: number;
  /** Messages. */
  log?: NetLog;
  /** Aborting stops waiting for consumers and for space. */
  signal?: AbortSignal;
  /** Called once listening, with the bound address (the port the OS picked for port 0). */
  onListen?: (addr: HostPort) => void;
}

/** Per-consumer counts (in `stats().consumers` and each consumer's end record). */
export interface ConsumerStats {
  /** 1-based connection number. */
  id: number;
  /** `HOST:PORT` of the consumer. */
  peer: string;
  /** Frames sent (still queued ones included). */
  frames: number;
  /** Frames dropped for this consumer (`--slow drop`). */
  dropped: number;
  /** Bytes written to it. */
  bytes: number;
  /** `connected`, `left` (went away), `disconnected` (too slow), `done` (got the end). */
  state: "connected" | "left" | "disconnected" | "done";
}

interface Item {
  chunks: Uint8Array[];
  frame?: Frame;
  gap: number;
}

class Consumer {
  readonly queue: Item[] = [];
  frames = 0;
  dropped = 0;
  bytes = 0;
  state: ConsumerStats["state"] = "connected";
  ending = false;
  carryGap = 0;
  wake: (() => void) | null = null;
  spaceWaiters: (() => void)[] = [];
  done!: Promise<void>;
  /** Turns yielded for this consumer since its writer last progressed. */
  idleTurns = 0;
  constructor(readonly id: number, readonly peer: string, readonly conn: Deno.Conn) {}

  get active(): boolean {
    return this.state === "connected";
  }
  queuedFrames(): number {
    let n = 0;
    for (const it of this.queue) if (it.frame) n++;
    return n;
  }
  notifyWriter(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
  notifySpace(): void {
    const ws = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const w of ws) w();
  }
  stats(): ConsumerStats {
    // Queued frames count as sent: nothing is dropped once the stream ends.
    let queuedBytes = 0, queued = 0;
    for (const it of this.queue) {
      if (!it.frame) continue;
      queued++;
      for (const c of it.chunks) queuedBytes += c.length;
    }
    return {
      id: this.id,
      peer: this.peer,
      frames: this.frames + queued,
      dropped: this.dropped,
      bytes: this.bytes + queuedBytes,
      state: this.state,
    };
  }
}

const quietLog: NetLog = { info() {}, warn() {} };
const MAX_LISTED_CONSUMERS = 100;
/**
 * Idle turns (~1 ms each) a frame waits at most, with `--slow drop|disconnect`, while the queue
 * of a consumer that is still reading is full, so that a source which never waits cannot starve
 * healthy consumers (see `#idle`).
 */
const GRACE_TURNS = 2;
/**
 * A consumer whose writer made no progress during this many idle turns counts as stalled and
 * gets no more grace until it progresses: a stalled consumer costs the source these turns once.
 */
const STALL_TURNS = 8;

/** Serves a frame stream to every consumer that connects (`--listen`). */
export class TcpServerSink implements FrameSink {
  /** `tcp://HOST:PORT (listening)`. */
  readonly description: string;
  /** Frames written while no consumer was connected (lost; only without `--slow wait`). */
  unsent = 0;
  #o: TcpServerSinkOptions;
  #enc: FormatEncoder;
  #log: NetLog;
  #listener: Deno.Listener | null = null;
  #header: Uint8Array[] = [];
  #consumers = new Set<Consumer>();
  #finished: Consumer[] = [];
  #nextId = 1;
  #ending = false;
  #closed = false;
  #joinWaiters: (() => void)[] = [];
  #buffer: number;
  #slow: SlowPolicy;
  #pending = new Set<Deno.Conn>();
  #acceptLoop: Promise<void> | null = null;
  #abort: Promise<void> | null = null;

  /**
   * Create the sink; it listens from {@linkcode TcpServerSink.start} on.
   *
   * @param options Address, format, TLS, token, queue size and slow-consumer policy.
   */
  constructor(options: TcpServerSinkOptions) {
    this.#o = options;
    this.#enc = createEncoder(options.format);
    this.#log = options.log ?? quietLog;
    this.#buffer = Math.max(1, options.buffer ?? 8);
    this.#slow = options.slow ?? "wait";
    this.description = `${options.tls ? "tcps" : "tcp"}://${formatHostPort(options.address)}`;
  }

  /** The bound address (after `start`). */
  get address(): HostPort | undefined {
    const a = this.#listener?.addr as Deno.NetAddr | undefined;
    return a ? { hostname: a.hostname, port: a.port } : undefined;
  }

  /** Consumers connected now (authenticated). */
  get connected(): number {
    return this.#consumers.size;
  }

  #listen(): Deno.Listener {
    const { hostname, port } = this.#o.address;
    const hp = formatHostPort(this.#o.address);
    try {
      if (this.#o.tls) {
        return Deno.listenTls({ hostname, port, cert: this.#o.tls.cert, key: this.#o.tls.key });
      }
      return Deno.listen({ hostname, port });
    } catch (err) {
      const d = describeNetError(err, `--listen ${hp}`, hp);
      if (d instanceof NetworkError) throw d;
      throw new NetworkError(`--listen ${hp}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Resolves when `signal` aborts (never when there is no signal); one listener in all. */
  #aborted(): Promise<void> {
    if (this.#abort) return this.#abort;
    const s = this.#o.signal;
    if (!s) return this.#abort = new Promise(() => {});
    if (s.aborted) return this.#abort = Promise.resolve();
    return this.#abort = new Promise((r) => s.addEventListener("abort", () => r(), { once: true }));
  }

  async #waitForConsumers(n: number): Promise<void> {
    if (this.#consumers.size >= n) return;
    this.#log.info(
      `waiting for ${n - this.#consumers.size} consumer(s) to connect to ${this.description}`,
    );
    const abort = this.#aborted();
    while (this.#consumers.size < n && !this.#o.signal?.aborted) {
      await Promise.race([new Promise<void>((r) => this.#joinWaiters.push(r)), abort]);
    }
  }

  /** Open the stream (see {@linkcode FrameSink.start}). */
  async start(header: StreamHeader): Promise<void> {
    this.#header = this.#enc.header(header);
    this.#listener = this.#listen();
    const addr = this.address!;
    const shown = `${this.#o.tls ? "tcps" : "tcp"}://${formatHostPort(addr)}`;
    (this as { description: string }).description = shown;
    this.#log.info(
      `listening on ${shown} (${this.#o.token ? "token required" : "no token"}${
        this.#o.tls ? ", TLS" : ""
      }; --slow ${this.#slow}, --buffer ${this.#buffer})`,
    );
    this.#o.onListen?.(addr);
    this.#acceptLoop = this.#accept(this.#listener);
    await this.#waitForConsumers(this.#o.waitConsumers ?? 1);
  }

  async #accept(listener: Deno.Listener): Promise<void> {
    while (true) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (err) {
        if (this.#ending || this.#closed || err instanceof Deno.errors.BadResource) return;
        this.#log.warn(`accept on ${this.description} failed: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      this.#admit(conn).catch((err) =>
        this.#log.warn(`consumer connection failed: ${(err as Error).message}`)
      );
    }
  }

  async #admit(conn: Deno.Conn): Promise<void> {
    const peer = peerName(conn.remoteAddr);
    if (this.#ending) {
      conn.close();
      return;
    }
    this.#pending.add(conn);
    const limit = this.#o.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
    try {
      if (conn.remoteAddr.transport === "tcp") {
        try {
          (conn as Deno.TcpConn).setNoDelay?.(true);
        } catch {
          // not a plain TCP connection
        }
      }
      if (this.#o.tls) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        try {
          const ok = await Promise.race([
            (conn as Deno.TlsConn).handshake().then(() => true),
            new Promise<false>((r) => timer = setTimeout(() => r(false), limit)),
          ]);
          if (!ok) throw new Error("timed out");
        } catch (err) {
          this.#log.warn(`TLS handshake with ${peer} failed: ${(err as Error).message}`);
          conn.close();
          return;
        } finally {
          clearTimeout(timer);
        }
      }
      if (this.#o.token) {
        const r = await verifyPeer(conn, this.#o.token, limit);
        if (!r.ok) {
          this.#log.warn(`refused consumer ${peer}: ${r.reason}`);
          await closeGracefully(conn, 500);
          return;
        }
      }
    } finally {
      this.#pending.delete(conn);
    }
    if (this.#ending || this.#closed) {
      conn.close();
      return;
    }
    const c = new Consumer(this.#nextId++, peer, conn);
    c.queue.push({ chunks: this.#header, gap: 0 }); // joins at a record boundary
    this.#consumers.add(c);
    this.#log.info(
      `consumer #${c.id} ${peer} connected (${this.#consumers.size} connected)`,
    );
    c.done = this.#writer(c);
    this.#drain(c);
    const ws = this.#joinWaiters;
    this.#joinWaiters = [];
    for (const w of ws) w();
  }

  /** Read and discard what a consumer sends, so that closing never resets unread data. */
  async #drain(c: Consumer): Promise<void> {
    const buf = new Uint8Array(4096);
    try {
      while ((await c.conn.read(buf)) !== null) {
        // ignore
      }
    } catch {
      // reset or closed: the writer notices
    }
  }

  async #writer(c: Consumer): Promise<void> {
    try {
      while (true) {
        const item = c.queue.shift();
        if (!item) {
          if (c.ending) break;
          await new Promise<void>((r) => c.wake = r);
          continue;
        }
        if (item.frame) c.notifySpace();
        // Counted when taken, so stats taken meanwhile include the record in flight.
        let left = 0;
        for (const chunk of item.chunks) left += chunk.length;
        c.bytes += left;
        if (item.frame) c.frames++;
        try {
          for (const chunk of item.chunks) {
            await writeAll(c.conn, chunk);
            left -= chunk.length;
            c.idleTurns = 0;
          }
        } catch (err) {
          c.bytes -= left;
          if (item.frame && left > 0) c.frames--;
          throw err;
        }
      }
      c.state = "done";
      this.#retire(c);
      await closeGracefully(c.conn);
    } catch (err) {
      if (c.state === "connected") {
        c.state = "left";
        this.#log.warn(
          `consumer #${c.id} ${c.peer} went away after ${c.frames} frames${
            c.dropped ? ` (${c.dropped} dropped)` : ""
          }: ${(err as Error).message}`,
        );
      }
      this.#retire(c);
      try {
        c.conn.close();
      } catch {
        // already closed
      }
    }
  }

  #retire(c: Consumer): void {
    if (!this.#consumers.delete(c)) return;
    c.queue.length = 0;
    c.notifySpace();
    this.#finished.push(c);
    if (this.#finished.length > MAX_LISTED_CONSUMERS) this.#finished.shift();
  }

  #encodeWithGap(frame: Frame, gap: number): Uint8Array[] {
    if (this.#enc.format !== "frame") return this.#enc.frame(frame);
    const prior = Number(frame.extra?.gap ?? 0) || 0;
    return this.#enc.frame({ ...frame, extra: { ...frame.extra, gap: prior + gap } });
  }

  #enqueue(c: Consumer, frame: Frame, chunks: Uint8Array[]): void {
    const item: Item = { chunks, frame, gap: 0 };
    if (c.carryGap) {
      item.gap = c.carryGap;
      item.chunks = this.#encodeWithGap(frame, item.gap);
      c.carryGap = 0;
    }
    if (c.queuedFrames() >= this.#buffer) {
      if (this.#slow === "disconnect") {
        c.state = "disconnected";
        this.#log.warn(
          `consumer #${c.id} ${c.peer} is too slow (${this.#buffer} frames queued): disconnected`,
        );
        this.#retire(c);
        try {
          c.conn.close();
        } catch {
          // already closed
        }
        return;
      }
      // drop the oldest queued frame (never the header or end record)
      const i = c.queue.findIndex((it) => it.frame);
      const [old] = c.queue.splice(i, 1);
      c.dropped++;
      const next = c.queue.slice(i).find((it) => it.frame);
      if (next) {
        next.gap += old.gap + 1;
        next.chunks = this.#encodeWithGap(next.frame!, next.gap);
      } else {
        item.gap += old.gap + 1;
        item.chunks = this.#encodeWithGap(frame, item.gap);
      }
    }
    c.queue.push(item);
    c.notifyWriter();
  }

  /**
   * Let the runtime go idle once so that it polls sockets: a source that never waits (decoding
   * files on this thread) otherwise leaves pending socket writes unpolled (Deno's I/O driver runs
   * when the event loop parks or every few dozen tasks), which would starve healthy consumers.
   */
  #idle(): Promise<void> {
    return new Promise((r) => setTimeout(r, 0));
  }

  /** Whether a consumer that is not stalled has a full queue (and count the turn for it). */
  #readerBehind(): boolean {
    let behind = false;
    for (const c of this.#consumers) {
      if (c.queuedFrames() >= this.#buffer && c.idleTurns < STALL_TURNS) {
        c.idleTurns++;
        behind = true;
      }
    }
    return behind;
  }

  /** Write one frame (see {@linkcode FrameSink.write}). */
  async write(frame: Frame): Promise<void> {
    const chunks = this.#enc.frame(frame);
    if (this.#consumers.size === 0) {
      if (this.#slow === "wait" && (this.#o.waitConsumers ?? 1) > 0) {
        await this.#waitForConsumers(1);
      }
      if (this.#consumers.size === 0) {
        this.unsent++;
        return;
      }
    }
    if (this.#slow === "wait") {
      const abort = this.#aborted();
      for (const c of [...this.#consumers]) {
        while (c.active && c.queuedFrames() >= this.#buffer && !this.#o.signal?.aborted) {
          await Promise.race([new Promise<void>((r) => c.spaceWaiters.push(r)), abort]);
        }
      }
    } else {
      for (let t = 0; t < GRACE_TURNS && this.#readerBehind(); t++) await this.#idle();
    }
    for (const c of [...this.#consumers]) this.#enqueue(c, frame, chunks);
  }

  /** Write the end-of-stream record and flush (see {@linkcode FrameSink.end}). */
  async end(summary: StreamSummary): Promise<void> {
    this.#ending = true;
    this.#closeListener();
    const consumers = [...this.#consumers];
    for (const c of consumers) {
      c.ending = true;
      const own = c.stats();
      c.queue.push({
        chunks: this.#enc.end({
          ...summary,
          dropped: (summary.dropped ?? 0) + c.dropped,
          consumer: own,
        }),
        gap: 0,
      });
      c.notifyWriter();
    }
    if (consumers.length === 0) {
      if (this.#acceptLoop === null) return; // never listened (start failed)
      this.#log.warn(`no consumer connected at the end of the stream on ${this.description}`);
      return;
    }
    const limit = this.#o.endTimeoutMs ?? 10_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), limit));
    const all = Promise.all(consumers.map((c) => c.done));
    const r = await Promise.race([all, timeout]);
    clearTimeout(timer);
    if (r === "timeout") {
      for (const c of consumers) {
        if (c.state !== "connected") continue;
        this.#log.warn(
          `consumer #${c.id} ${c.peer} did not take the end of the stream within ${
            limit / 1000
          } s; closing it`,
        );
        c.state = "left";
        try {
          c.conn.close();
        } catch {
          // already closed
        }
      }
      await all;
    }
    for (const c of consumers) {
      const s = c.stats();
      this.#log.info(
        `consumer #${s.id} ${s.peer}: ${s.frames} frames, ${s.dropped} dropped, ${
          (s.bytes / 1e6).toFixed(1)
        } MB (${s.state})`,
      );
    }
  }

  #closeListener(): void {
    const l = this.#listener;
    if (!l) return;
    this.#listener = null;
    try {
      l.close();
    } catch {
      // already closed
    }
  }

  /** Release the connections (see {@linkcode FrameSink.close}). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#ending = true;
    this.#closeListener();
    for (const conn of this.#pending) {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
    for (const c of [...this.#consumers]) {
      c.ending = true;
      c.state = c.state === "connected" ? "left" : c.state;
      try {
        c.conn.close();
      } catch {
        // already closed
      }
      c.notifyWriter();
    }
    await Promise.all([...this.#consumers].map((c) => c.done?.catch(() => {})));
    await this.#acceptLoop?.catch(() => {});
    const ws = this.#joinWaiters;
    this.#joinWaiters = [];
    for (const w of ws) w();
  }

  /** Counts for the end-of-stream summary (see {@linkcode FrameSink.stats}). */
  stats(): Record<string, unknown> {
    const all = [...this.#finished, ...this.#consumers].sort((a, b) => a.id - b.id);
    const list = all.map((c) => c.stats());
    return {
      consumers: list,
      consumers_total: this.#nextId - 1,
      slow_dropped: list.reduce((n, c) => n + c.dropped, 0),
      unsent: this.unsent,
      bytes_written: list.reduce((n, c) => n + c.bytes, 0),
    };
  }
}
