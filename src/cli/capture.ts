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
  checkTerminal,
  OUTPUT_OPTIONS,
  parseOutputOptions,
  runStream,
  summaryLine,
} from "./common.ts";
import { Logger } from "./log.ts";
import {
  autoFlag,
  choice,
  type CommandSpec,
  flag,
  int,
  omit,
  parseCommand,
  positive,
  text,
  usage,
  UsageError,
} from "./options.ts";
import { parseProgressOptions, PROGRESS_OPTIONS } from "./progress.ts";
import { onStopSignals } from "./signals.ts";
import { CHOLECT50_FIELDS } from "../labels/cholect50.ts";
import { loadFrameLabels } from "../labels/load.ts";
import { DEFAULT_LABEL_FPS, VideoLabeler } from "../labels/video_labels.ts";
import { withFlags } from "./flags.ts";

/** The `capture` options. `--reconnect` and `--connect-timeout` are the input side's here. */
export const CAPTURE_OPTIONS = {
  ...omit(OUTPUT_OPTIONS, "reconnect", "connect-timeout"),
  decoder: choice(
    "D",
    "ffmpeg (ffmpeg decodes and scales) | framepipe (ffmpeg sends MJPEG, framepipe decodes)",
    ["ffmpeg", "framepipe"] as const,
    { default: "ffmpeg" },
  ),
  fps: positive("N", "subsample to N frames/s"),
  frames: int("N", "stop after N frames", { min: 1 }),
  duration: positive("S", "stop after S seconds (of the video for files, of wall-clock time live)"),
  "start-time": positive("S", "start S seconds into a file"),
  labels: text(
    "FILE",
    "label each frame from its source frame number (pts x --label-fps): a Cholec80 phase/tool " +
      ".txt or CholecT50 .json",
  ),
  "label-fps": positive("N", "frames per second of the label file's frame numbers", {
    default: DEFAULT_LABEL_FPS,
  }),
  "label-field": choice(
    "F",
    "CholecT50 field: phase (default) | triplet | instrument | verb | target",
    CHOLECT50_FIELDS,
  ),
  reconnect: autoFlag(
    "restart ffmpeg when the stream drops (default: on for network URLs; --no-reconnect)",
  ),
  "max-retries": int(
    "N",
    "restarts without a frame before giving up (backoff 0.5 s doubling to 8 s)",
    {
      default: 10,
    },
  ),
  "stall-timeout": positive("S", "no frame for S seconds counts as a drop", { default: 10 }),
  "connect-timeout": positive(
    "S",
    "seconds to the first frame of a connection (also ffmpeg's I/O timeout)",
    { default: 10 },
  ),
  latest: flag("drop old frames when the consumer is slow (keep the newest --queue frames)"),
  queue: int("N", "frames buffered (default 4, lossless with backpressure; 1 with --latest)", {
    min: 1,
  }),
  ffmpeg: text("PATH", "the ffmpeg program", { default: "ffmpeg" }),
  "input-format": text("F", "ffmpeg input format (-f), e.g. v4l2"),
  "rtsp-transport": choice("T", "rtsp:// transport: tcp | udp", ["tcp", "udp"] as const, {
    default: "tcp",
  }),
  ...PROGRESS_OPTIONS,
};

/** The `capture` command's table. */
export const CAPTURE_SPEC: CommandSpec<typeof CAPTURE_OPTIONS> = {
  name: "capture",
  positionals: "<url|file|->",
  summary: "stream a live camera (srt://, rtsp://, udp://), a video file or stdin via ffmpeg",
  options: CAPTURE_OPTIONS,
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
    [
      "framepipe capture video01.mp4 --fps 1 --labels video01-phase.txt --size 853x480",
      "a Cholec80 video at 1 frame/s, each frame with the phase of its source frame (pts x 25)",
    ],
    ["framepipe srt-serve ./frames --loop", "a local test camera (see framepipe srt-serve)"],
  ],
  notes: [
    "Needs ffmpeg on PATH and --allow-run=ffmpeg. Frames go to stdout; messages to stderr.",
    "Each frame's metadata has timestamp (capture time), key (URL, passphrase redacted), gap and",
    "reconnects; the end record adds dropped, reconnects and latency_ms {mean, p50, p95, max}.",
    "At the first failure of an outage capture says how long it keeps trying: each wait plus one",
    "attempt (--connect-timeout + 2 s) per retry; it gives up within that bound.",
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
  const { values: v, given, positionals, help } = parseCommand(CAPTURE_SPEC, args);
  if (help) {
    console.log(usage(CAPTURE_SPEC));
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError(
      `capture needs exactly one URL, file or - (got ${positionals.length}; see framepipe capture --help)`,
    );
  }
  const outputGiven = new Set(
    [...given].filter((k) => k !== "reconnect" && k !== "connect-timeout"),
  );
  const output = parseOutputOptions(
    { ...v, reconnect: undefined, "connect-timeout": undefined },
    outputGiven,
  );
  checkTerminal(output);
  const log = new Logger(output.quiet);
  const progress = parseProgressOptions(v, output.quiet);
  const latest = v.latest === true;
  if (v.labels === undefined && (given.has("label-fps") || v["label-field"] !== undefined)) {
    throw new UsageError("--label-fps and --label-field apply to --labels; give --labels FILE too");
  }
  // Without --fps, labelled frames come at the annotation rate: the fps filter gives every
  // frame an exact timestamp, so its source frame number is exact too.
  const fps = v.labels !== undefined ? (v.fps ?? v["label-fps"]) : v.fps;
  const labeler = v.labels === undefined ? undefined : new VideoLabeler(
    await loadFrameLabels(v.labels, { field: v["label-field"] }),
    { fps: fps!, labelFps: v["label-fps"], startTime: v["start-time"] },
  );
  const source = new CaptureSource({
    url: positionals[0],
    ffmpeg: v.ffmpeg,
    decoder: v.decoder,
    width: output.width,
    height: output.height,
    resize: output.resize,
    fit: output.fit,
    layout: output.layout,
    channels: output.channels,
    fps,
    frames: v.frames,
    duration: v.duration,
    startTime: v["start-time"],
    reconnect: v.reconnect,
    maxRetries: v["max-retries"],
    stallTimeout: v["stall-timeout"],
    connectTimeout: v["connect-timeout"],
    latest,
    queue: v.queue,
    inputFormat: v["input-format"],
    rtspTransport: v["rtsp-transport"],
    log,
  });
  if (source.info.scheme === "stdin" && v.reconnect === true) {
    log.warn("--reconnect is ignored for stdin (it cannot be reopened)");
  }

  // Signals while connecting (before the pump installs its own handlers).
  const early = new AbortController();
  const unlisten = onStopSignals(() => early.abort());
  let openError: unknown;
  try {
    log.info(
      `capturing ${source.key}${output.width ? ` at ${output.width}x${output.height}` : ""}`,
    );
    await source.open(early.signal);
  } catch (err) {
    openError = err;
  } finally {
    unlisten();
  }
  if (openError !== undefined && !early.signal.aborted) {
    await source.close();
    if (openError instanceof CaptureError) {
      log.error(withFlags(openError.message, openError.hints));
      return 1;
    }
    throw openError;
  }

  let payloadBytes = 0;
  let summary;
  try {
    ({ summary } = await runStream({
      output,
      header: labeler ? { ...source.header(), classes: labeler.table.classes } : source.header(),
      source: (signal) => {
        if (early.signal.aborted) {
          return (async function* (): AsyncGenerator<Frame> {})();
        }
        signal.addEventListener("abort", () => source.close(), { once: true });
        return labeler ? labeler.labelAll(source) : source;
      },
      counts: () => ({
        ...source.summary(),
        ...(labeler ? { unlabelled: labeler.unlabelled } : {}),
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
      log.error(withFlags(err.message, err.hints));
      return 1;
    }
    if (err instanceof CaptureSetupError) throw err;
    throw err;
  } finally {
    await source.close();
  }
  if (labeler && labeler.unlabelled > 0) {
    log.warn(`${labeler.unlabelled} frames had no label in ${v.labels}`);
  }
  const lat = source.latency.summary();
  log.info(
    summaryLine(summary, payloadBytes) +
      (lat ? `, latency p50 ${lat.p50} ms p95 ${lat.p95} ms max ${lat.max} ms` : ""),
  );
  return 0;
}
