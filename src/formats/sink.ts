/**
 * Where frames go. A sink accepts a stream header, frames and an end record; every call
 * resolves when the sink is ready for the next one, which is how backpressure reaches the source.
 *
 * @module
 */
import type { Frame, StreamHeader, StreamSummary } from "./frame.ts";

/** A destination for a frame stream. */
export interface FrameSink {
  /** Human-readable destination for logs, e.g. `stdout` or `tcp://127.0.0.1:9000`. */
  readonly description: string;
  /** Open the stream. */
  start(header: StreamHeader): Promise<void>;
  /** Write one frame; resolves when the next may be written. */
  write(frame: Frame): Promise<void>;
  /**
   * Write the end-of-stream record and flush; may resolve with counts the sink learned while
   * ending (the caller merges them into its summary; `summary` itself is not modified).
   */
  end(summary: StreamSummary): Promise<void | Record<string, unknown>>;
  /** Release resources (idempotent; called after `end` or on abort). */
  close(): Promise<void>;
  /** Counts the sink adds to the end-of-stream summary (drops, consumers, ...). */
  stats?(): Record<string, unknown>;
}
