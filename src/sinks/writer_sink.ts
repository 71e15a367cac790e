/**
 * A sink that encodes frames in a wire format and writes the bytes to any writer
 * (stdout, a file, a socket), completely and in order.
 *
 * @module
 */
import type { Frame, StreamHeader, StreamSummary } from "../formats/frame.ts";
import { createEncoder, type FormatEncoder, type WireFormat } from "../formats/writers.ts";
import { type PartialWriter, writeAll } from "../util/io.ts";
import type { FrameSink } from "../formats/sink.ts";

/** Options for {@linkcode WriterSink}. */
export interface WriterSinkOptions {
  /** Wire format. Default `frame`. */
  format?: WireFormat;
  /** Description for logs. Default `stdout`. */
  description?: string;
  /** Called after the sink is closed (e.g. close a socket). */
  onClose?: () => void | Promise<void>;
}

/** Encodes frames and writes them to a {@linkcode PartialWriter}. */
export class WriterSink implements FrameSink {
  /** Destination for logs. */
  readonly description: string;
  /** Bytes written so far. */
  bytesWritten = 0;
  #w: PartialWriter;
  #enc: FormatEncoder;
  #onClose?: () => void | Promise<void>;
  #closed = false;

  /**
   * Wrap a writer.
   *
   * @param writer Where the bytes go.
   * @param options Format and description.
   */
  constructor(writer: PartialWriter, options: WriterSinkOptions = {}) {
    this.#w = writer;
    this.#enc = createEncoder(options.format ?? "frame");
    this.description = options.description ?? "stdout";
    this.#onClose = options.onClose;
  }

  async #send(chunks: Uint8Array[]): Promise<void> {
    for (const c of chunks) {
      await writeAll(this.#w, c);
      this.bytesWritten += c.length;
    }
  }

  /** Write the stream header (see {@linkcode FrameSink.start}). */
  start(header: StreamHeader): Promise<void> {
    return this.#send(this.#enc.header(header));
  }

  /** Write one frame (see {@linkcode FrameSink.write}). */
  write(frame: Frame): Promise<void> {
    return this.#send(this.#enc.frame(frame));
  }

  /** Write the end-of-stream record (see {@linkcode FrameSink.end}). */
  end(summary: StreamSummary): Promise<void> {
    return this.#send(this.#enc.end(summary));
  }

  /** Flush and close the writer (see {@linkcode FrameSink.close}). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#onClose?.();
  }

  /** Counts for the end-of-stream record (see {@linkcode FrameSink.stats}). */
  stats(): Record<string, unknown> {
    return { bytes_written: this.bytesWritten };
  }
}

/**
 * A sink writing to standard output.
 *
 * @param format Wire format.
 * @returns The sink.
 * @example
 * ```ts
 * import { stdoutSink } from "./writer_sink.ts";
 * const sink = stdoutSink("frame");
 * ```
 */
export function stdoutSink(format: WireFormat = "frame"): WriterSink {
  return new WriterSink(Deno.stdout, { format, description: "stdout" });
}
