/**
 * The run loop: move frames from a source to a sink until the source ends, the signal aborts
 * or the consumer leaves, then write the end-of-stream record with the counts. Backpressure
 * comes from the sink: the next frame is asked for only when the sink took the last one.
 *
 * @module
 */
import type { Frame, StreamHeader, StreamSummary } from "../formats/frame.ts";
import type { FrameSink } from "../formats/sink.ts";
import { isConsumerGone } from "../util/io.ts";

/** A frame source, optionally carrying its header and counts (as `openImages` sources do). */
export type PipeSource = AsyncIterable<Frame> & {
  /** The stream header (used when {@linkcode PipeOptions.header} is absent). */
  readonly header?: StreamHeader;
  /** Counts (`skipped`, `errors`) for the end record when {@linkcode PipeOptions.counts} is absent. */
  readonly stats?: { readonly skipped?: number; readonly errors?: number };
};

/** Options for {@linkcode pipe}. */
export interface PipeOptions {
  /** The stream header. Default: the source's `header`. */
  header?: StreamHeader;
  /** Stop after the current frame when aborted (the end record says `reason: "signal"`). */
  signal?: AbortSignal;
  /**
   * Counts from the source for the end record (skipped, errors, dropped, reconnects...).
   * Default: the source's `stats.skipped` and `stats.errors`.
   */
  counts?: () => Partial<StreamSummary>;
  /** Called after each frame is written (progress). */
  onFrame?: (frame: Frame) => void;
}

/** How a pipe ended. */
export interface PipeResult {
  /** The summary written into the end record. */
  summary: StreamSummary;
  /** True when the consumer went away (normal: the stream just stops). */
  consumerGone: boolean;
}

/**
 * The iterator's next result, or `"abort"` when the signal fires first. Unlike
 * `Promise.race` against one long-lived abort promise, this leaves no reaction behind per call
 * (a race would keep every frame reachable from the never-settling promise: a leak).
 */
function nextOrAbort<T>(
  it: AsyncIterator<T>,
  signal: AbortSignal | undefined,
): Promise<IteratorResult<T> | "abort"> {
  if (!signal) return it.next();
  if (signal.aborted) return Promise.resolve("abort");
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve("abort");
    signal.addEventListener("abort", onAbort, { once: true });
    it.next().then((v) => {
      signal.removeEventListener("abort", onAbort);
      resolve(v);
    }, (e) => {
      signal.removeEventListener("abort", onAbort);
      reject(e);
    });
  });
}

function sourceCounts(source: PipeSource): Partial<StreamSummary> {
  const s = source.stats;
  return s ? { skipped: s.skipped ?? 0, errors: s.errors ?? 0 } : {};
}

/**
 * Stream a source into a sink: header, frames, end record; then close the sink and stop the
 * source. The sink is closed on every path.
 *
 * @param source Frames (an `openImages` source, a `CaptureSource`, any async iterable).
 * @param sink Where they go (see `openSink`).
 * @param options Header, abort signal, counts, per-frame callback.
 * @returns The summary written into the end record, and whether the consumer left.
 * @throws whatever the source throws (e.g. `DecodeFailedError` with `onError: "fail"`), after
 * writing the end record with reason `error`.
 * @example
 * ```ts
 * import { openImages, openSink, pipe } from "../../mod.ts";
 * const src = await openImages(["fixtures/frames"], { width: 64, height: 48 });
 * const sink = await openSink("frames.fpip", { format: "frame" });
 * const { summary } = await pipe(src, sink);
 * console.log(summary.frames, summary.reason); // 10 "end"
 * await Deno.remove("frames.fpip");
 * ```
 */
export async function pipe(
  source: PipeSource,
  sink: FrameSink,
  options: PipeOptions = {},
): Promise<PipeResult> {
  const { signal } = options;
  const header = options.header ?? source.header;
  if (!header) throw new TypeError("pipe: the source has no header; pass options.header");
  const t0 = performance.now();
  let frames = 0;
  let reason: StreamSummary["reason"] = "end";
  let consumerGone = false;
  let failure: unknown;
  const it = source[Symbol.asyncIterator]();
  try {
    await sink.start(header);
    while (true) {
      const next = await nextOrAbort(it, signal);
      if (next === "abort") {
        reason = "signal";
        break;
      }
      if (next.done) break;
      await sink.write(next.value);
      frames++;
      options.onFrame?.(next.value);
      if (signal?.aborted) {
        reason = "signal";
        break;
      }
    }
  } catch (err) {
    if (isConsumerGone(err)) {
      consumerGone = true;
      reason = "consumer-gone";
    } else {
      reason = "error";
      failure = err;
    }
  }
  // Stop the source (kills child processes, closes files); don't wait forever on it.
  const ret = it.return?.();
  if (ret) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      ret.catch(() => {}),
      new Promise((r) => timer = setTimeout(r, 2000)),
    ]);
    clearTimeout(timer);
  }
  const counts = options.counts ? options.counts() : sourceCounts(source);
  const summary: StreamSummary = {
    skipped: 0,
    errors: 0,
    dropped: 0,
    reconnects: 0,
    ...counts,
    frames,
    elapsed_s: Math.round(performance.now() - t0) / 1000,
    // A source that ended itself may say why (capture: "limit" for --frames/--duration).
    reason: reason === "end" && (counts.reason === "limit" || counts.reason === "signal")
      ? counts.reason
      : reason,
    ...(sink.stats?.() ?? {}),
  };
  try {
    if (!consumerGone) {
      try {
        // Counts the sink adds at the end (e.g. Redis: entries trimmed before delivery).
        const more = await sink.end(summary);
        if (more) Object.assign(summary, more);
      } catch (err) {
        if (!isConsumerGone(err)) throw err;
        consumerGone = true;
      }
    }
  } finally {
    await sink.close().catch(() => {});
  }
  if (failure !== undefined) throw failure;
  return { summary, consumerGone };
}
