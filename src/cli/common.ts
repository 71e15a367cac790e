/**
 * Options shared by every command that produces frames (`images`, `capture`), and the run
 * loop around a source: open the sink, pipe with signals and progress, report.
 *
 * @module
 */
import type { Frame, Layout, StreamHeader, StreamSummary } from "../formats/frame.ts";
import { WIRE_FORMATS, type WireFormat } from "../formats/writers.ts";
import { openSink } from "../sinks/open_sink.ts";
import type { NetOptions, RedisOutOptions } from "../sinks/options.ts";
import { SinkError } from "../sinks/options.ts";
import { pipe, type PipeResult } from "../sinks/pipe.ts";
import { FIT_MODES, type FitMode, RESIZE_MODES, type ResizeMode } from "../transform/resize.ts";
import type { Logger } from "./log.ts";
import { NET_OPTIONS, type NetValues, parseNetOptions } from "./net_options.ts";
import { choice, flag, type OptionValues, size, text, UsageError } from "./options.ts";
import { type ProgressCounts, ProgressReporter, type ProgressSettings } from "./progress.ts";
import { isRedisUrl, parseRedisOptions, REDIS_OPTIONS } from "./redis_options.ts";
import { handleSignals } from "./signals.ts";

/** Layouts a frame can have. */
export const LAYOUTS: readonly Layout[] = ["chw", "hwc"];

/** How frames are rendered: size, interpolation, fit, layout, channels (also `preview`'s). */
export const RENDER_OPTIONS = {
  size: size("resize every frame to WIDTHxHEIGHT"),
  resize: choice("MODE", "interpolation: nearest | bilinear | area", RESIZE_MODES, {
    default: "bilinear",
  }),
  fit: choice("MODE", "aspect: stretch | contain (letterbox) | cover (centre crop)", FIT_MODES, {
    default: "stretch",
  }),
  layout: choice("L", "chw (planar, numpy reshape(3,H,W)) | hwc (interleaved)", LAYOUTS, {
    default: "chw",
  }),
  gray: flag("one channel (luma) instead of RGB"),
};

/** Output options every frame-producing command takes. */
export const OUTPUT_OPTIONS = {
  ...RENDER_OPTIONS,
  format: choice(
    "F",
    "frame (self-describing records) | raw (pixels only) | seed (original u16 format)",
    WIRE_FORMATS,
    { short: "f", default: "frame" },
  ),
  out: text(
    "DEST",
    "- (stdout), a file path, tcp://HOST:PORT | tcps://HOST:PORT (connect to a listening consumer), or redis://[USER@]HOST:PORT/STREAM | rediss:// (Redis Streams)",
    { short: "o", default: "-" },
  ),
  quiet: flag("no informational messages on stderr", { short: "q" }),
  ...NET_OPTIONS,
  ...REDIS_OPTIONS,
};

/** Values {@linkcode parseOutputOptions} reads (`reconnect`/`connect-timeout` may be a command's own). */
export type OutputValues =
  & Omit<OptionValues<typeof OUTPUT_OPTIONS>, "reconnect" | "connect-timeout">
  & Partial<Pick<NetValues, "reconnect" | "connect-timeout">>;

/** Parsed output options. */
export interface OutputOptions {
  /** Target width, when `--size` was given. */
  width?: number;
  /** Target height, when `--size` was given. */
  height?: number;
  /** Interpolation. */
  resize: ResizeMode;
  /** Fit mode. */
  fit: FitMode;
  /** Layout. */
  layout: Layout;
  /** 1 or 3. */
  channels: 1 | 3;
  /** Wire format. */
  format: WireFormat;
  /** Destination. */
  out: string;
  /** `--out -` or `-o -` was given (frames may go to a terminal). */
  outNamed: boolean;
  /** Quiet. */
  quiet: boolean;
  /** Network options (`--listen`, `--token`, TLS, `--slow`, ...). */
  net?: NetOptions;
  /** `--out redis://` options; absent for other destinations. */
  redis?: RedisOutOptions;
}

/**
 * Read the shared output options from parsed values.
 *
 * @param v Parsed values.
 * @param given Options the user gave (a command that owns `--reconnect`/`--connect-timeout`
 * leaves them out).
 * @returns The options.
 * @throws {UsageError} options that do not fit together.
 */
export function parseOutputOptions(v: OutputValues, given: Set<string>): OutputOptions {
  const out = v.out;
  // With a Redis destination, --connect-timeout, --ca and --reconnect belong to Redis.
  const netGiven = isRedisUrl(out)
    ? new Set([...given].filter((k) => !["connect-timeout", "ca", "reconnect"].includes(k)))
    : given;
  const netValues = {
    ...v,
    reconnect: v.reconnect ?? false,
    "connect-timeout": v["connect-timeout"] ?? 0,
  };
  return {
    width: v.size?.width,
    height: v.size?.height,
    resize: v.resize,
    fit: v.fit,
    layout: v.layout,
    channels: v.gray ? 1 : 3,
    format: v.format,
    out,
    outNamed: given.has("out"),
    quiet: v.quiet,
    net: parseNetOptions(netValues, netGiven, out),
    redis: parseRedisOptions(v, given, out),
  };
}

/** Options for {@linkcode runStream}. */
export interface RunStreamOptions {
  /** Output options. */
  output: OutputOptions;
  /** Header of the stream. */
  header: StreamHeader;
  /** Make the frame source; it should stop when `signal` aborts. */
  source: (signal: AbortSignal) => AsyncIterable<Frame>;
  /** Counts from the source for the end record. */
  counts: () => Partial<StreamSummary>;
  /** Logger. */
  log: Logger;
  /** Called after each frame (progress). */
  onFrame?: (frame: Frame) => void;
  /**
   * Progress on stderr (see `progress.ts`): what to print and the source's counts. Frames and
   * bytes are counted here. Absent: nothing is printed.
   */
  progress?: { settings: ProgressSettings; counts: () => ProgressCounts };
}

/**
 * Refuse to write binary frames to a terminal unless `--out -` was given explicitly.
 *
 * @param output The output options.
 * @param isTerminal Whether stdout is a terminal (default: ask Deno).
 * @throws {UsageError} frames would go to a terminal.
 */
export function checkTerminal(output: OutputOptions, isTerminal = stdoutIsTerminal()): void {
  const toStdout = (output.out === "-" || output.out === "stdout") && !output.net?.listen;
  if (toStdout && !output.outNamed && isTerminal) {
    throw new UsageError(
      "stdout is a terminal: frames are binary; pipe it (| python3 train.py) or use --out FILE (--out - to force)",
    );
  }
}

function stdoutIsTerminal(): boolean {
  try {
    return Deno.stdout.isTerminal();
  } catch {
    return false;
  }
}

/**
 * Open the sink (the library's table), naming `--out` in its errors.
 *
 * @param output The output options.
 * @param log Logger.
 * @param signal Aborted on SIGINT/SIGTERM.
 * @returns The sink.
 */
async function openOutput(output: OutputOptions, log: Logger, signal: AbortSignal) {
  try {
    return await openSink(output.out, {
      format: output.format,
      net: output.net,
      redis: output.redis,
      log,
      signal,
    });
  } catch (err) {
    if (err instanceof SinkError && !output.net?.listen && err.message.startsWith(output.out)) {
      throw new SinkError(`--out ${err.message}`, { cause: err });
    }
    throw err;
  }
}

/**
 * Open the sink, pipe the source into it with signal handling and progress, and log the outcome.
 *
 * @param options What to run.
 * @returns The pipe result.
 */
export async function runStream(options: RunStreamOptions): Promise<PipeResult> {
  const { output, log } = options;
  const controller = new AbortController();
  const unlisten = handleSignals(controller, log);
  const progress = options.progress
    ? new ProgressReporter({ ...options.progress, log })
    : undefined;
  let finished = false;
  try {
    const sink = await openOutput(output, log, controller.signal);
    progress?.start();
    const result = await pipe(options.source(controller.signal), sink, {
      header: options.header,
      signal: controller.signal,
      counts: options.counts,
      onFrame: progress
        ? (f) => {
          options.onFrame?.(f);
          progress.frame(f.data.length);
        }
        : options.onFrame,
    });
    progress?.finish(result.summary);
    finished = true;
    if (result.consumerGone) {
      log.info(
        `the consumer closed ${sink.description} after ${result.summary.frames} frames; stopped`,
      );
    }
    return result;
  } finally {
    if (!finished) progress?.finish();
    unlisten();
  }
}

/**
 * A one-line summary of a finished stream for stderr.
 *
 * @param s The summary.
 * @param bytes Payload bytes written.
 * @returns The line.
 */
export function summaryLine(s: StreamSummary, bytes: number): string {
  const fps = s.elapsed_s > 0 ? (s.frames / s.elapsed_s).toFixed(1) : "-";
  const mb = bytes / 1e6;
  const parts = [
    `${s.frames} frames`,
    `${mb.toFixed(1)} MB`,
    `${s.elapsed_s.toFixed(2)} s`,
    `${fps} frames/s`,
  ];
  if (s.skipped) parts.push(`${s.skipped} skipped (${s.errors} errors)`);
  if (s.dropped) parts.push(`${s.dropped} dropped`);
  if (s.reconnects) parts.push(`${s.reconnects} reconnects`);
  return `done: ${parts.join(", ")}`;
}
