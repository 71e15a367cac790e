/**
 * Options shared by every command that produces frames (`images`, `capture`), and the run
 * loop around a source: open the sink, pump, report, choose the exit code.
 *
 * @module
 */
import type { Frame, Layout, StreamHeader, StreamSummary } from "../formats/frame.ts";
import { WIRE_FORMATS, type WireFormat } from "../formats/writers.ts";
import { NET_OPTIONS, type NetOptions, parseNetOptions } from "../net/options.ts";
import { openSink } from "../sinks/open_sink.ts";
import "../sinks/tcp.ts"; // registers tcp://, tcps:// and --listen
import "../redis/register.ts"; // registers redis:// and rediss://
import {
  netValuesFor,
  parseRedisOptions,
  REDIS_OPTIONS,
  type RedisOutOptions,
} from "../redis/options.ts";
import { FIT_MODES, type FitMode, RESIZE_MODES, type ResizeMode } from "../transform/resize.ts";
import { type OptionSpec, parseChoice, parseSize, type Values } from "./args.ts";
import type { Logger } from "./log.ts";
import { handleSignals, pump, type PumpResult } from "./pump.ts";
import { type ProgressCounts, ProgressReporter, type ProgressSettings } from "./progress.ts";

/** Output options every frame-producing command takes. */
export const OUTPUT_OPTIONS: OptionSpec[] = [
  { name: "size", type: "string", arg: "WxH", help: "resize every frame to WIDTHxHEIGHT" },
  {
    name: "resize",
    type: "string",
    arg: "MODE",
    default: "bilinear",
    help: "interpolation: nearest | bilinear | area",
  },
  {
    name: "fit",
    type: "string",
    arg: "MODE",
    default: "stretch",
    help: "aspect: stretch | contain (letterbox) | cover (centre crop)",
  },
  {
    name: "layout",
    type: "string",
    arg: "L",
    default: "chw",
    help: "chw (planar, numpy reshape(3,H,W)) | hwc (interleaved)",
  },
  { name: "gray", type: "boolean", help: "one channel (luma) instead of RGB" },
  {
    name: "format",
    type: "string",
    short: "f",
    arg: "F",
    default: "frame",
    help: "frame (self-describing records) | raw (pixels only) | seed (original u16 format)",
  },
  {
    name: "out",
    type: "string",
    short: "o",
    arg: "DEST",
    default: "-",
    help:
      "- (stdout), a file path, tcp://HOST:PORT | tcps://HOST:PORT (connect to a listening consumer), or redis://[USER@]HOST:PORT/STREAM | rediss:// (Redis Streams)",
  },
  { name: "quiet", type: "boolean", short: "q", help: "no informational messages on stderr" },
  ...NET_OPTIONS,
  ...REDIS_OPTIONS,
];

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
  /** Quiet. */
  quiet: boolean;
  /** Network options (`--listen`, `--token`, TLS, `--slow`, ...); absent when built by hand. */
  net?: NetOptions;
  /** `--out redis://` options; absent for other destinations. */
  redis?: RedisOutOptions;
}

/**
 * Read the shared output options from parsed values.
 *
 * @param v Parsed values.
 * @returns The options.
 * @throws {import("./args.ts").UsageError} bad values.
 */
export function parseOutputOptions(v: Values): OutputOptions {
  const size = typeof v.size === "string" ? parseSize("size", v.size) : undefined;
  return {
    width: size?.width,
    height: size?.height,
    resize: parseChoice("resize", (v.resize as string) ?? "bilinear", RESIZE_MODES),
    fit: parseChoice("fit", (v.fit as string) ?? "stretch", FIT_MODES),
    layout: parseChoice("layout", (v.layout as string) ?? "chw", ["chw", "hwc"] as const),
    channels: v.gray ? 1 : 3,
    format: parseChoice("format", (v.format as string) ?? "frame", WIRE_FORMATS),
    out: (v.out as string) ?? "-",
    quiet: v.quiet === true,
    net: parseNetOptions(netValuesFor(v, (v.out as string) ?? "-"), (v.out as string) ?? "-"),
    redis: parseRedisOptions(v, (v.out as string) ?? "-", (v.format as string) ?? "frame"),
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
 * Open the sink, pump the source into it with signal handling, and log the outcome.
 *
 * @param options What to run.
 * @returns The pump result.
 */
export async function runStream(options: RunStreamOptions): Promise<PumpResult> {
  const { output, log } = options;
  const controller = new AbortController();
  const unlisten = handleSignals(controller, log);
  const progress = options.progress
    ? new ProgressReporter({ ...options.progress, log })
    : undefined;
  let finished = false;
  try {
    const sink = await openSink(output.out, {
      format: output.format,
      net: output.net,
      redis: output.redis,
      log,
      signal: controller.signal,
    });
    progress?.start();
    const result = await pump(options.source(controller.signal), {
      header: options.header,
      sink,
      log,
      controller,
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
