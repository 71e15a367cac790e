/**
 * Move frames from a source to a sink until the source ends, a limit is reached, a signal
 * arrives or the consumer leaves; then write the end-of-stream record with the counts.
 *
 * @module
 */
import type { Frame, StreamHeader, StreamSummary } from "../formats/frame.ts";
import { type FrameSink, isConsumerGone } from "../sinks/sink.ts";
import type { Logger } from "./log.ts";

/** Options for {@linkcode pump}. */
export interface PumpOptions {
  /** The stream header. */
  header: StreamHeader;
  /** Destination. */
  sink: FrameSink;
  /** Where messages go. */
  log: Logger;
  /** Aborted on SIGINT/SIGTERM; sources should watch it too. */
  controller: AbortController;
  /** Counts from the source for the end record (skipped, errors, dropped, reconnects...). */
  counts: () => Partial<StreamSummary>;
  /** Called after each frame is written (progress). */
  onFrame?: (frame: Frame) => void;
}

/** How a pump ended. */
export interface PumpResult {
  /** The summary written into the end record. */
  summary: StreamSummary;
  /** True when the consumer went away. */
  consumerGone: boolean;
}

/**
 * Listen for SIGINT/SIGTERM: the first aborts the controller (clean stop), a second exits at once.
 *
 * @param controller Aborted on the first signal.
 * @param log For the message.
 * @returns A function removing the listeners.
 */
export function handleSignals(controller: AbortController, log: Logger): () => void {
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const handler = () => {
    if (controller.signal.aborted) {
      log.warn("second signal: exiting now");
      Deno.exit(130);
    }
    log.info("signal received: stopping after the current frame");
    controller.abort(new DOMException("signal", "AbortError"));
  };
  for (const s of signals) Deno.addSignalListener(s, handler);
  return () => {
    for (const s of signals) Deno.removeSignalListener(s, handler);
  };
}

/**
 * The iterator's next result, or `"abort"` when the signal fires first. Unlike
 * `Promise.race` against one long-lived abort promise, this leaves no reaction behind per call
 * (a race would keep every frame reachable from the never-settling promise: a leak).
 */
function nextOrAbort<T>(
  it: AsyncIterator<T>,
  signal: AbortSignal,
): Promise<IteratorResult<T> | "abort"> {
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

/**
 * Pump frames into a sink.
 *
 * @param source Frames.
 * @param options Sink, header, counts and signal.
 * @returns The final summary and whether the consumer left.
 * @throws whatever the source throws (e.g. `DecodeFailedError` with `--on-error fail`), after
 * writing the end record with reason `error`.
 */
export async function pump(
  source: AsyncIterable<Frame>,
  options: PumpOptions,
): Promise<PumpResult> {
  const { sink, controller } = options;
  const t0 = performance.now();
  let frames = 0;
  let reason: StreamSummary["reason"] = "end";
  let consumerGone = false;
  let failure: unknown;
  const it = source[Symbol.asyncIterator]();
  try {
    await sink.start(options.header);
    while (true) {
      const next = await nextOrAbort(it, controller.signal);
      if (next === "abort") {
        reason = "signal";
        break;
      }
      if (next.done) break;
      await sink.write(next.value);
      frames++;
      options.onFrame?.(next.value);
      if (controller.signal.aborted) {
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
    await Promise.race([ret.catch(() => {}), new Promise((r) => setTimeout(r, 2000))]);
  }
  const counts = options.counts();
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
  if (!consumerGone) {
    try {
      await sink.end(summary);
    } catch (err) {
      if (!isConsumerGone(err)) throw err;
      consumerGone = true;
    }
  }
  await sink.close().catch(() => {});
  if (failure !== undefined) throw failure;
  return { summary, consumerGone };
}
