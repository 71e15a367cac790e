/**
 * Where frames go. A sink accepts a stream header, frames and an end record; every call
 * resolves when the sink is ready for the next one, which is how backpressure reaches the source.
 *
 * @module
 */
import type { Frame, StreamHeader, StreamSummary } from "../formats/frame.ts";

/** A destination for a frame stream. */
export interface FrameSink {
  /** Human-readable destination for logs, e.g. `stdout` or `tcp://127.0.0.1:9000`. */
  readonly description: string;
  /** Open the stream. */
  start(header: StreamHeader): Promise<void>;
  /** Write one frame; resolves when the next may be written. */
  write(frame: Frame): Promise<void>;
  /** Write the end-of-stream record and flush. */
  end(summary: StreamSummary): Promise<void>;
  /** Release resources (idempotent; called after `end` or on abort). */
  close(): Promise<void>;
  /** Counts the sink adds to the end-of-stream summary (drops, consumers, ...). */
  stats?(): Record<string, unknown>;
}

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
 */
export function isConsumerGone(err: unknown): boolean {
  return err instanceof ConsumerGoneError ||
    err instanceof Deno.errors.BrokenPipe ||
    err instanceof Deno.errors.ConnectionReset ||
    err instanceof Deno.errors.ConnectionAborted ||
    err instanceof Deno.errors.NotConnected;
}
