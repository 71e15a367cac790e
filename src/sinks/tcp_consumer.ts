/**
 * One consumer of a `--listen` server: its bounded queue of whole records, the slow-consumer
 * policy applied when the queue is full ({@linkcode Consumer.offer}: `drop` the oldest queued
 * frame and announce it as `gap` on the next one, or report the consumer as too slow for
 * `disconnect`), its writer loop, and its counts. `wait` is the server's: it waits for room
 * before offering.
 *
 * @module
 */
import type { Frame } from "../formats/frame.ts";
import { writeAll } from "../util/io.ts";

/** What to do with a consumer whose queue is full. */
export type SlowPolicy = "drop" | "disconnect" | "wait";
/** Every `--slow` policy, for CLI validation. */
export const SLOW_POLICIES: readonly SlowPolicy[] = ["drop", "disconnect", "wait"];

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

/** One queued record: a header, a frame or an end record, already encoded. */
export interface QueueItem {
  /** The bytes to write, in order. */
  chunks: Uint8Array[];
  /** The frame, for frame records (header and end records are never dropped). */
  frame?: Frame;
  /** Frames dropped right before this one (announced in its metadata). */
  gap: number;
}

/** Encodes a frame again with a `gap` (frames dropped before it) in its metadata. */
export type Reencode = (frame: Frame, gap: number) => Uint8Array[];

/** Something a consumer writes to (a socket). */
export interface ConsumerConn {
  /** Write some bytes (Deno's contract). */
  write(p: Uint8Array): Promise<number>;
}

/** A consumer's queue, policy, writer and counts (see the module doc). */
export class Consumer<C extends ConsumerConn = ConsumerConn> {
  /** Records waiting to be written, oldest first. */
  readonly queue: QueueItem[] = [];
  /** Frames written (taken from the queue). */
  frames = 0;
  /** Frames dropped (`drop`). */
  dropped = 0;
  /** Bytes written. */
  bytes = 0;
  /** See {@linkcode ConsumerStats.state}. */
  state: ConsumerStats["state"] = "connected";
  /** True once the end record is queued: the writer stops when the queue is empty. */
  ending = false;
  /** Resolves when the writer stopped (set by the server). */
  done!: Promise<void>;
  /** When its writer last progressed (`performance.now()`; joining counts). */
  lastProgress = performance.now();
  #wake: (() => void) | null = null;
  #spaceWaiters: (() => void)[] = [];

  /**
   * @param id 1-based connection number.
   * @param peer `HOST:PORT`.
   * @param conn Where the records go.
   * @param buffer Frames queued at most before the policy applies.
   */
  constructor(
    readonly id: number,
    readonly peer: string,
    readonly conn: C,
    readonly buffer: number,
  ) {}

  /** Still connected. */
  get active(): boolean {
    return this.state === "connected";
  }

  /** Frames in the queue (header and end records do not count). */
  queuedFrames(): number {
    let n = 0;
    for (const it of this.queue) if (it.frame) n++;
    return n;
  }

  /** Whether the queue holds `buffer` frames. */
  get full(): boolean {
    return this.queuedFrames() >= this.buffer;
  }

  /**
   * Queue a header or end record (never dropped).
   *
   * @param chunks Its bytes.
   */
  pushRecord(chunks: Uint8Array[]): void {
    this.queue.push({ chunks, gap: 0 });
    this.#notifyWriter();
  }

  /**
   * Queue a frame; when the queue is full, apply the policy.
   *
   * @param frame The frame.
   * @param chunks Its encoded bytes (shared by every consumer).
   * @param policy `drop` (the oldest queued frame goes; the next one carries the gap) or
   * `disconnect` (nothing is queued).
   * @param reencode Encodes a frame again with its gap.
   * @returns `queued`, or `too-slow` (`disconnect` with a full queue: the caller disconnects).
   */
  offer(
    frame: Frame,
    chunks: Uint8Array[],
    policy: Exclude<SlowPolicy, "wait">,
    reencode: Reencode,
  ): "queued" | "too-slow" {
    const item: QueueItem = { chunks, frame, gap: 0 };
    if (this.full) {
      if (policy === "disconnect") return "too-slow";
      // drop the oldest queued frame (never the header or end record)
      const i = this.queue.findIndex((it) => it.frame);
      const [old] = this.queue.splice(i, 1);
      this.dropped++;
      const next = this.queue.slice(i).find((it) => it.frame) ?? item;
      next.gap += old.gap + 1;
      next.chunks = reencode(next.frame!, next.gap);
    }
    this.queue.push(item);
    this.#notifyWriter();
    return "queued";
  }

  /** Resolves when the queue has room (or the consumer left). */
  space(): Promise<void> {
    return new Promise<void>((r) => this.#spaceWaiters.push(r));
  }

  /** Wake everything waiting for room (the consumer left). */
  notifySpace(): void {
    const ws = this.#spaceWaiters;
    this.#spaceWaiters = [];
    for (const w of ws) w();
  }

  /** Wake the writer (a record was queued, or the consumer is ending). */
  #notifyWriter(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  /** Wake the writer so that it sees `ending` (or a closed connection). */
  stop(): void {
    this.ending = true;
    this.#notifyWriter();
  }

  /** Forget the queue (the consumer is gone) and release waiters. */
  clear(): void {
    this.queue.length = 0;
    this.notifySpace();
  }

  /**
   * Write queued records until the end record is written.
   *
   * @throws the socket's error when the consumer goes away.
   */
  async write(): Promise<void> {
    while (true) {
      const item = this.queue.shift();
      if (!item) {
        if (this.ending) return;
        await new Promise<void>((r) => this.#wake = r);
        continue;
      }
      if (item.frame) this.notifySpace();
      // Counted when taken, so stats taken meanwhile include the record in flight.
      let left = 0;
      for (const chunk of item.chunks) left += chunk.length;
      this.bytes += left;
      if (item.frame) this.frames++;
      try {
        for (const chunk of item.chunks) {
          await writeAll(this.conn, chunk);
          left -= chunk.length;
          this.lastProgress = performance.now();
        }
      } catch (err) {
        this.bytes -= left;
        if (item.frame && left > 0) this.frames--;
        throw err;
      }
    }
  }

  /** Counts; queued frames count as sent (nothing is dropped once the stream ends). */
  stats(): ConsumerStats {
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
