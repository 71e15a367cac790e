/**
 * The bounded queue between ffmpeg's reader task and the consumer. Lossless mode makes the
 * producer wait for room (backpressure reaches ffmpeg, whose stdout is then not read);
 * `latest` mode drops the oldest item and counts it.
 *
 * @module
 */

/** A bounded FIFO with an async producer and consumer side. */
export class FrameQueue<T> {
  /** Items dropped (latest mode). */
  dropped = 0;
  readonly #items: T[] = [];
  readonly #capacity: number;
  readonly #dropOldest: boolean;
  #closed = false;
  #error: unknown;
  #takers: (() => void)[] = [];
  #givers: (() => void)[] = [];
  /** Called with each dropped item (e.g. to recycle its buffer). */
  onDrop?: (item: T) => void;

  /**
   * @param capacity Items held at most (>= 1).
   * @param dropOldest True: drop the oldest when full; false: `push` waits for room.
   */
  constructor(capacity: number, dropOldest: boolean) {
    this.#capacity = Math.max(1, capacity);
    this.#dropOldest = dropOldest;
  }

  /** Items waiting. */
  get length(): number {
    return this.#items.length;
  }

  /** True when closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Add an item; in lossless mode resolves when there is room (or the queue is closed).
   *
   * @param item The item.
   * @returns Resolves when the producer may go on.
   */
  async push(item: T): Promise<void> {
    if (this.#closed) return;
    if (this.#dropOldest) {
      while (this.#items.length >= this.#capacity) {
        const old = this.#items.shift()!;
        this.dropped++;
        this.onDrop?.(old);
      }
    } else {
      while (this.#items.length >= this.#capacity && !this.#closed) {
        await new Promise<void>((r) => this.#givers.push(r));
      }
      if (this.#closed) return;
    }
    this.#items.push(item);
    this.#wake(this.#takers);
  }

  /**
   * Take the oldest item; undefined once closed and empty.
   *
   * @returns The item.
   * @throws the error the queue was closed with, after the items before it.
   */
  async shift(): Promise<T | undefined> {
    while (this.#items.length === 0) {
      if (this.#closed) {
        if (this.#error !== undefined) throw this.#error;
        return undefined;
      }
      await new Promise<void>((r) => this.#takers.push(r));
    }
    const item = this.#items.shift()!;
    this.#wake(this.#givers);
    return item;
  }

  /**
   * No more items; consumers get the rest, then `undefined` (or `error`).
   *
   * @param error Thrown to the consumer after the remaining items.
   */
  close(error?: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#error = error;
    this.#wake(this.#takers);
    this.#wake(this.#givers);
  }

  /** Drop everything waiting (on stop). */
  clear(): void {
    this.#items.length = 0;
    this.#wake(this.#givers);
  }

  #wake(list: (() => void)[]): void {
    const l = list.splice(0);
    for (const r of l) r();
  }
}

/** Latency samples (ms) with summary statistics. */
export class LatencyStats {
  #samples: number[] = [];
  #count = 0;
  #sum = 0;
  #max = 0;
  readonly #cap: number;

  /**
   * Make an empty accumulator.
   *
   * @param cap Samples kept for percentiles (reservoir beyond that).
   */
  constructor(cap = 100_000) {
    this.#cap = cap;
  }

  /**
   * Add one sample.
   *
   * @param ms Latency in milliseconds.
   */
  add(ms: number): void {
    this.#count++;
    this.#sum += ms;
    if (ms > this.#max) this.#max = ms;
    if (this.#samples.length < this.#cap) this.#samples.push(ms);
    else {
      const j = Math.floor(Math.random() * this.#count);
      if (j < this.#cap) this.#samples[j] = ms;
    }
  }

  /**
   * Mean, median, 95th percentile and maximum, rounded to 0.1 ms.
   *
   * @returns The summary, or undefined without samples.
   */
  summary(): { mean: number; p50: number; p95: number; max: number } | undefined {
    if (this.#count === 0) return undefined;
    const s = [...this.#samples].sort((a, b) => a - b);
    const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
    const r = (x: number) => Math.round(x * 10) / 10;
    return { mean: r(this.#sum / this.#count), p50: r(q(0.5)), p95: r(q(0.95)), max: r(this.#max) };
  }
}
