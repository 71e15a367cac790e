/**
 * `--listen HOST:PORT`: serve the stream to every consumer that connects (fan-out). Each
 * consumer has its own bounded queue of whole records and its own writer, so a slow consumer
 * never blocks the others; when its queue is full the `--slow` policy decides: `drop` the
 * oldest queued frame (counted, and announced as `gap` on the next frame), `disconnect` it,
 * or `wait` (lossless: the source waits for the slowest consumer).
 *
 * Admission (accept, TLS, token) is `tcp_admission.ts`; each consumer's queue, slow-consumer
 * policy and writer are `tcp_consumer.ts`; this module fans frames out and ends the stream.
 *
 * Frames are encoded once and shared by every queue, so a source must not reuse a frame's
 * `data` buffer after `write` resolves.
 *
 * @module
 */
import type { Frame, StreamHeader, StreamSummary } from "../formats/frame.ts";
import { createEncoder, type FormatEncoder, type WireFormat } from "../formats/writers.ts";
import { formatHostPort, type HostPort } from "../net/address.ts";
import type { FrameSink } from "../formats/sink.ts";
import { type Log, SILENT_LOG } from "../util/log.ts";
import { Admission } from "./tcp_admission.ts";
import { closeGracefully } from "./tcp_client.ts";
import { Consumer, type SlowPolicy } from "./tcp_consumer.ts";

export { type ConsumerStats, SLOW_POLICIES, type SlowPolicy } from "./tcp_consumer.ts";

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
  log?: Log;
  /** Aborting stops waiting for consumers and for space. */
  signal?: AbortSignal;
  /** Called once listening, with the bound address (the port the OS picked for port 0). */
  onListen?: (addr: HostPort) => void;
}

const MAX_LISTED_CONSUMERS = 100;
/**
 * Longest a frame waits (ms), with `--slow drop|disconnect`, while the queue of a consumer that is
 * still reading is full, so that a source which never waits (decoding files on this thread) does
 * not overrun healthy consumers that are merely scheduled late on a busy machine.
 */
const GRACE_MS = 25;
/**
 * A consumer whose writer made no progress for this long (ms) counts as stalled and gets no grace
 * until it progresses: a stalled consumer costs the source this once.
 */
const STALL_MS = 1000;

/** Serves a frame stream to every consumer that connects (`--listen`). */
export class TcpServerSink implements FrameSink {
  /** `tcp://HOST:PORT (listening)`. */
  readonly description: string;
  /** Frames written while no consumer was connected (lost; only without `--slow wait`). */
  unsent = 0;
  #o: TcpServerSinkOptions;
  #enc: FormatEncoder;
  #log: Log;
  #admission: Admission;
  #header: Uint8Array[] = [];
  #consumers = new Set<Consumer<Deno.Conn>>();
  #finished: Consumer<Deno.Conn>[] = [];
  #nextId = 1;
  #ending = false;
  #closed = false;
  #joinWaiters: (() => void)[] = [];
  #buffer: number;
  #slow: SlowPolicy;
  #abort: Promise<void> | null = null;

  /**
   * Create the sink; it listens from {@linkcode TcpServerSink.start} on.
   *
   * @param options Address, format, TLS, token, queue size and slow-consumer policy.
   */
  constructor(options: TcpServerSinkOptions) {
    this.#o = options;
    this.#enc = createEncoder(options.format);
    this.#log = options.log ?? SILENT_LOG;
    this.#admission = new Admission({
      address: options.address,
      tls: options.tls,
      token: options.token,
      handshakeTimeoutMs: options.handshakeTimeoutMs,
      log: this.#log,
      onAdmit: (conn, peer) => this.#join(conn, peer),
    });
    this.#buffer = Math.max(1, options.buffer ?? 8);
    this.#slow = options.slow ?? "wait";
    this.description = `${options.tls ? "tcps" : "tcp"}://${formatHostPort(options.address)}`;
  }

  /** The bound address (after `start`). */
  get address(): HostPort | undefined {
    return this.#admission.address;
  }

  /** Consumers connected now (authenticated). */
  get connected(): number {
    return this.#consumers.size;
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
    const addr = this.#admission.listen();
    const shown = `${this.#o.tls ? "tcps" : "tcp"}://${formatHostPort(addr)}`;
    (this as { description: string }).description = shown;
    this.#log.info(
      `listening on ${shown} (${this.#o.token ? "token required" : "no token"}${
        this.#o.tls ? ", TLS" : ""
      }; slow consumers: ${this.#slow}, buffer ${this.#buffer})`,
      [{ option: "slow" }, { option: "buffer" }],
    );
    this.#o.onListen?.(addr);
    await this.#waitForConsumers(this.#o.waitConsumers ?? 1);
  }

  /** A consumer passed admission: queue the header first (it joins at a record boundary). */
  #join(conn: Deno.Conn, peer: string): void {
    if (this.#ending || this.#closed) {
      conn.close();
      return;
    }
    const c = new Consumer(this.#nextId++, peer, conn, this.#buffer);
    c.pushRecord(this.#header);
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
  async #drain(c: Consumer<Deno.Conn>): Promise<void> {
    const buf = new Uint8Array(4096);
    try {
      while ((await c.conn.read(buf)) !== null) {
        // ignore
      }
    } catch {
      // reset or closed: the writer notices
    }
  }

  async #writer(c: Consumer<Deno.Conn>): Promise<void> {
    try {
      await c.write();
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

  #retire(c: Consumer<Deno.Conn>): void {
    if (!this.#consumers.delete(c)) return;
    c.clear();
    this.#finished.push(c);
    if (this.#finished.length > MAX_LISTED_CONSUMERS) this.#finished.shift();
  }

  #encodeWithGap(frame: Frame, gap: number): Uint8Array[] {
    if (this.#enc.format !== "frame") return this.#enc.frame(frame);
    const prior = Number(frame.extra?.gap ?? 0) || 0;
    return this.#enc.frame({ ...frame, extra: { ...frame.extra, gap: prior + gap } });
  }

  #enqueue(c: Consumer<Deno.Conn>, frame: Frame, chunks: Uint8Array[]): void {
    const policy = this.#slow === "disconnect" ? "disconnect" : "drop";
    if (c.offer(frame, chunks, policy, (f, gap) => this.#encodeWithGap(f, gap)) === "queued") {
      return;
    }
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
  }

  /**
   * Let the runtime go idle once so that it polls sockets: a source that never waits (decoding
   * files on this thread) otherwise leaves pending socket writes unpolled (Deno's I/O driver runs
   * when the event loop parks or every few dozen tasks), which would starve healthy consumers.
   */
  #idle(): Promise<void> {
    return new Promise((r) => setTimeout(r, 0));
  }

  /** Whether a consumer that is not stalled has a full queue. */
  #readerBehind(now: number): boolean {
    for (const c of this.#consumers) {
      if (c.full && now - c.lastProgress < STALL_MS) return true;
    }
    return false;
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
        while (c.active && c.full && !this.#o.signal?.aborted) {
          await Promise.race([c.space(), abort]);
        }
      }
    } else {
      const t0 = performance.now();
      let now = t0;
      while (now - t0 < GRACE_MS && this.#readerBehind(now)) {
        await this.#idle();
        now = performance.now();
      }
    }
    for (const c of [...this.#consumers]) this.#enqueue(c, frame, chunks);
  }

  /** Write the end-of-stream record and flush (see {@linkcode FrameSink.end}). */
  async end(summary: StreamSummary): Promise<void> {
    this.#ending = true;
    await this.#admission.close();
    const consumers = [...this.#consumers];
    for (const c of consumers) {
      c.ending = true;
      const own = c.stats();
      c.pushRecord(this.#enc.end({
        ...summary,
        dropped: (summary.dropped ?? 0) + c.dropped,
        consumer: own,
      }));
    }
    if (consumers.length === 0) {
      if (!this.#admission.started) return; // never listened (start failed)
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

  /** Release the connections (see {@linkcode FrameSink.close}). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#ending = true;
    const admission = this.#admission.close();
    for (const c of [...this.#consumers]) {
      c.state = c.state === "connected" ? "left" : c.state;
      try {
        c.conn.close();
      } catch {
        // already closed
      }
      c.stop();
    }
    await Promise.all([...this.#consumers].map((c) => c.done?.catch(() => {})));
    await admission;
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
