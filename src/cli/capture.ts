/**
 * `framepipe capture <url>`: live cameras (SRT, RTSP, UDP...), files or stdin through ffmpeg,
 * streamed as frames exactly like `framepipe images`.
 *
 * @module
 */
import { CaptureError, CaptureSetupError } from "../capture/errors.ts";
import { CaptureSource } from "../capture/source.ts";
import type { Frame } from "../formats/frame.ts";
import {
  type CommandSpec,
  parseChoice,
  parseCommand,
  parseIntOption,
  parsePositive,
  usage,
  UsageError,
} from "./args.ts";
import { OUTPUT_OPTIONS, parseOutputOptions, runStream, summaryLine } from "./common.ts";
import { Logger } from "./log.ts";
import { parseProgressOptions, PROGRESS_OPTIONS } from "./progress.ts";

/**
 * Options whose names capture gives its own meaning (the input side): when the shared output
 * options also define them (the tcp sink's `--reconnect`/`--connect-timeout`), capture's win.
 */
const CAPTURE_OWNED = ["reconnect", "connect-timeout"];

/** The `capture` command's table. */
export const CAPTURE_SPEC: CommandSpec = {
  name: "capture",
  positionals: "<url|file|->",
  summary: "stream a live camera (srt://, rtsp://, udp://), a video file or stdin via ffmpeg",
  options: [
    ...OUTPUT_OPTIONS.filter((o) => !CAPTURE_OWNED.includes(o.name)),
    {
      name: "decoder",
      type: "string",
      arg: "D",
      default: "ffmpeg",
      help:
        "ffmpeg (ffmpeg decodes and scales) | framepipe (ffmpeg sends MJPEG, framepipe decodes)",
    },
    { name: "fps", type: "string", arg: "N", help: "subsample to N frames/s" },
    { name: "frames", type: "string", arg: "N", help: "stop after N frames" },
    { name: "duration", type: "string", arg: "S", help: "stop after S seconds" },
    {
      name: "reconnect",
      type: "boolean",
      help: "restart ffmpeg when the stream drops (default: on for network URLs; --no-reconnect)",
    },
    {
      name: "max-retries",
      type: "string",
      arg: "N",
      default: "10",
      help: "restarts without a frame before giving up (backoff 0.5 s doubling to 8 s)",
    },
    {
      name: "stall-timeout",
      type: "string",
      arg: "S",
      default: "10",
      help: "no frame for S seconds counts as a drop",
    },
    {
      name: "connect-timeout",
      type: "string",
      arg: "S",
      default: "10",
      help: "seconds to the first frame of a connection (also ffmpeg's I/O timeout)",
    },
    {
      name: "latest",
      type: "boolean",
      help: "drop old frames when the consumer is slow (keep the newest --queue frames)",
    },
    {
      name: "queue",
      type: "string",
      arg: "N",
      help: "frames buffered (default 4, lossless with backpressure; 1 with --latest)",
    },
    {
      name: "ffmpeg",
      type: "string",
      arg: "PATH",
      default: "ffmpeg",
      help: "the ffmpeg program",
    },
    { name: "input-format", type: "string", arg: "F", help: "ffmpeg input format (-f), e.g. v4l2" },
    {
      name: "rtsp-transport",
      type: "string",
      arg: "T",
      default: "tcp",
      help: "rtsp:// transport: tcp | udp",
    },
    ...PROGRESS_OPTIONS,
  ],
  examples: [
    [
      "deno run --allow-run=ffmpeg jsr:@framepipe/framepipe/cli capture 'srt://192.168.1.50:9000?mode=caller&latency=200000' --size 853x480 | python3 train.py",
      "an SRT camera in listener mode (framepipe calls it)",
    ],
    [
      "framepipe capture 'srt://0.0.0.0:9000?mode=listener' --size 640x360 --latest",
      "wait for a camera that calls out; always the newest frame",
    ],
    [
      'SRT_PASS=... framepipe capture "srt://cam:9000?passphrase=$SRT_PASS" --fps 5',
      "an encrypted feed, 5 frames/s (the passphrase is redacted in keys and logs)",
    ],
    [
      "framepipe capture 'rtsp://admin:pw@10.0.0.5/stream1' --size 224x224 --fit cover",
      "an RTSP camera (TCP), centre-cropped",
    ],
    ["framepipe capture clip.mp4 --size 320x240 --frames 100", "100 frames of a file"],
    ["framepipe srt-serve ./frames --loop", "a local test camera (see framepipe srt-serve)"],
  ],
  notes: [
    "Needs ffmpeg on PATH and --allow-run=ffmpeg. Frames go to stdout; messages to stderr.",
    "Each frame's metadata has timestamp (capture time), key (URL, passphrase redacted), gap and",
    "reconnects; the end record adds dropped, reconnects and latency_ms {mean, p50, p95, max}.",
    "Exit code 1: the stream failed for good (retries exhausted); 2: ffmpeg missing, bad URL.",
  ],
};

/**
 * Run `framepipe capture`.
 *
 * @param args Arguments after `capture`.
 * @returns The exit code.
 */
export async function captureCommand(args: string[]): Promise<number> {
  const { values: v, positionals } = parseCommand(CAPTURE_SPEC, args);
  if (v.help) {
    console.log(usage(CAPTURE_SPEC));
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError(
      `capture needs exactly one URL, file or - (got ${positionals.length}; see framepipe capture --help)`,
    );
  }
  const output = parseOutputOptions({ ...v, reconnect: undefined, "connect-timeout": undefined });
  const log = new Logger(output.quiet);
  const progress = parseProgressOptions(v, output.quiet);
  const latest = v.latest === true;
  const num = (name: string, def?: string) => {
    const s = (v[name] as string | undefined) ?? def;
    return s === undefined ? undefined : parsePositive(name, s);
  };
  const source = new CaptureSource({
    url: positionals[0],
    ffmpeg: (v.ffmpeg as string) ?? "ffmpeg",
    decoder: parseChoice(
      "decoder",
      (v.decoder as string) ?? "ffmpeg",
      ["ffmpeg", "framepipe"] as const,
    ),
    width: output.width,
    height: output.height,
    resize: output.resize,
    fit: output.fit,
    layout: output.layout,
    channels: output.channels,
    fps: num("fps"),
    frames: v.frames !== undefined ? parseIntOption("frames", v.frames as string, 1) : undefined,
    duration: num("duration"),
    reconnect: v.reconnect as boolean | undefined,
    maxRetries: parseIntOption("max-retries", (v["max-retries"] as string) ?? "10"),
    stallTimeout: num("stall-timeout", "10"),
    connectTimeout: num("connect-timeout", "10"),
    latest,
    queue: v.queue !== undefined ? parseIntOption("queue", v.queue as string, 1) : undefined,
    inputFormat: v["input-format"] as string | undefined,
    rtspTransport: parseChoice("rtsp-transport", (v["rtsp-transport"] as string) ?? "tcp", [
      "tcp",
      "udp",
    ]),
    log,
  });
  if (source.info.scheme === "stdin" && v.reconnect === true) {
    log.warn("--reconnect is ignored for stdin (it cannot be reopened)");
  }

  // Signals while connecting (before the pump installs its own handlers).
  const early = new AbortController();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const onSignal = () => early.abort();
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  let openError: unknown;
  try {
    log.info(
      `capturing ${source.key}${output.width ? ` at ${output.width}x${output.height}` : ""}`,
    );
    await source.open(early.signal);
  } catch (err) {
    openError = err;
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
  }
  if (openError !== undefined && !early.signal.aborted) {
    await source.close();
    if (openError instanceof CaptureError) {
      log.error(openError.message);
      return 1;
    }
    throw openError;
  }

  let payloadBytes = 0;
  let summary;
  try {
    ({ summary } = await runStream({
      output,
      header: source.header(),
      source: (signal) => {
        if (early.signal.aborted) {
          return (async function* (): AsyncGenerator<Frame> {})();
        }
        signal.addEventListener("abort", () => source.close(), { once: true });
        return source;
      },
      counts: () => ({
        ...source.summary(),
        ...(early.signal.aborted ? { reason: "signal" } : {}),
      }),
      log,
      onFrame: (f) => {
        source.recordDelivered(f);
        payloadBytes += f.data.length;
      },
      progress: {
        settings: progress,
        counts: () => {
          const s = source.summary();
          return {
            total: v.frames !== undefined ? Number(v.frames) : undefined,
            skipped: Number(s.skipped ?? 0),
            errors: Number(s.errors ?? 0),
            dropped: Number(s.dropped ?? 0),
            reconnects: Number(s.reconnects ?? 0),
          };
        },
      },
    }));
  } catch (err) {
    if (err instanceof CaptureError) {
      log.error(err.message);
      return 1;
    }
    if (err instanceof CaptureSetupError) throw err;
    throw err;
  } finally {
    await source.close();
  }
  const lat = source.latency.summary();
  log.info(
    summaryLine(summary, payloadBytes) +
      (lat ? `, latency p50 ${lat.p50} ms p95 ${lat.p95} ms max ${lat.max} ms` : ""),
  );
  return 0;
}
