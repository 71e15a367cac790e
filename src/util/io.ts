/**
 * Writing bytes completely, and the error that says the reading side went away (a broken pipe,
 * a closed socket): normal for a stream, not a crash.
 *
 * @module
 */

/** The consumer went away (broken pipe, closed socket): normal, not a crash. */
export class ConsumerGoneError extends Error {
  /**
   * Make the error.
   *
   * @param message Which consumer went away.
   * @param options Standard error options.
   */
  constructor(message = "the consumer closed the stream", options?: ErrorOptions) {
    super(message, options);
    this.name = "ConsumerGoneError";
  }
}

/**
 * True for errors that mean the reading side has gone away.
 *
 * @param err Any error.
 * @returns Whether it is a broken pipe / reset connection.
 * @example
 * ```ts
 * import { ConsumerGoneError, isConsumerGone } from "./io.ts";
 * isConsumerGone(new ConsumerGoneError()); // true
 * isConsumerGone(new Error("disk full")); // false
 * ```
 */
export function isConsumerGone(err: unknown): boolean {
  return err instanceof ConsumerGoneError ||
    err instanceof Deno.errors.BrokenPipe ||
    err instanceof Deno.errors.ConnectionReset ||
    err instanceof Deno.errors.ConnectionAborted ||
    err instanceof Deno.errors.NotConnected;
}

/** Something with Deno's `write` contract (may write fewer bytes than asked). */
export interface PartialWriter {
  /** Write some of `p`; resolves with the count written. */
  write(p: Uint8Array): Promise<number>;
}

/**
 * Write every byte of `p`, looping over partial writes.
 *
 * @param w The writer.
 * @param p The bytes.
 * @throws {ConsumerGoneError} the reader went away.
 * @example
 * ```ts
 * import { writeAll } from "./io.ts";
 * await writeAll(Deno.stdout, new TextEncoder().encode("hello\n"));
 * ```
 */
export async function writeAll(w: PartialWriter, p: Uint8Array): Promise<void> {
  let off = 0;
  try {
    while (off < p.length) {
      const n = await w.write(off === 0 ? p : p.subarray(off));
      if (n <= 0) throw new ConsumerGoneError("the writer accepted no bytes");
      off += n;
    }
  } catch (err) {
    if (isConsumerGone(err)) throw new ConsumerGoneError(undefined, { cause: err });
    throw err;
  }
}
