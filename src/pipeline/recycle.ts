/**
 * Buffer recycling for the image pipeline. At 1080p and 150 frames/s the pipeline turns over
 * ~250 MB/s of input and payload buffers; left to the garbage collector, each isolate keeps up
 * to its external-memory GC trigger (~64 MB) of spent buffers alive. Recycling keeps a few.
 *
 * @module
 */

/** Largest input kept for reuse (larger files are read into fresh buffers). */
const MAX_POOLED_INPUT = 8 << 20;

/** A small free list of resizable buffers that files are read into. */
export class InputBuffers {
  #free: ArrayBuffer[] = [];
  #limit: number;

  /**
   * @param limit Buffers kept at most (about the number of inputs in flight).
   */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /**
   * A view of exactly `n` bytes spanning a (recycled when possible) resizable buffer, or
   * undefined when `n` is too large to pool.
   *
   * @param n Byte count.
   */
  take(n: number): Uint8Array | undefined {
    if (n > MAX_POOLED_INPUT) return undefined;
    const buf = this.#free.pop() ?? new ArrayBuffer(n, { maxByteLength: MAX_POOLED_INPUT });
    buf.resize(n);
    return new Uint8Array(buf);
  }

  /**
   * Return a spent input (a view from {@linkcode take}, possibly handed back by a worker).
   *
   * @param bytes The view; ignored unless it spans a resizable buffer.
   */
  give(bytes: Uint8Array): void {
    const buf = bytes.buffer;
    if (
      !(buf instanceof ArrayBuffer) || buf.detached || !buf.resizable ||
      buf.maxByteLength !== MAX_POOLED_INPUT
    ) return;
    if (this.#free.length < this.#limit) this.#free.push(buf);
  }
}

/**
 * Read a whole file into a buffer from `alloc` (like `Deno.readFile`, without a fresh
 * allocation per file when `alloc` recycles).
 *
 * @param path The file.
 * @param alloc Gives a view of exactly `n` bytes, or undefined (then `Deno.readFile` is used).
 * @returns The bytes.
 */
export async function readFileInto(
  path: string,
  alloc: (n: number) => Uint8Array | undefined,
): Promise<Uint8Array> {
  using f = await Deno.open(path);
  const { size } = await f.stat();
  const view = size > 0 ? alloc(size) : undefined; // size 0: maybe a special file
  if (!view) return await Deno.readFile(path);
  let off = 0;
  while (off < size) {
    const n = await f.read(view.subarray(off));
    if (n === null) break;
    off += n;
  }
  if (off < size) {
    (view.buffer as ArrayBuffer).resize(off); // the file shrank while we read it
    return new Uint8Array(view.buffer);
  }
  return view;
}
