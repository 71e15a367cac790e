/**
 * `framepipe images`: stream JPEG files, folders, globs or stdin as frames.
 *
 * @module
 */
import { DEFAULT_MAX_PIXELS, DEFAULT_MAX_SCANS } from "../decode/types.ts";
import { type ImagesOptions, openImages } from "../pipeline/images.ts";
import { defaultWorkerCount } from "../pipeline/worker_pool.ts";
import { DECODER_CHOICES } from "../pipeline/render.ts";
import {
  type CommandSpec,
  parseChoice,
  parseCommand,
  parseIntOption,
  parseShard,
  usage,
  UsageError,
} from "./args.ts";
import { OUTPUT_OPTIONS, parseOutputOptions, runStream, summaryLine } from "./common.ts";
import { Logger } from "./log.ts";
import { parseProgressOptions, PROGRESS_OPTIONS } from "./progress.ts";

/** The `images` command's table. */
export const IMAGES_SPEC: CommandSpec = {
  name: "images",
  positionals: "<file|folder|glob|->...",
  summary: "stream JPEG files, folders, globs or an MJPEG stream on stdin as raw RGB frames",
  options: [
    ...OUTPUT_OPTIONS,
    {
      name: "labels",
      type: "string",
      arg: "SRC",
      help: "labels.json ({key: int|int[]|name}), labels.csv (path,label) or dirs (class folders)",
    },
    { name: "shuffle", type: "boolean", help: "shuffle each epoch" },
    { name: "seed", type: "string", arg: "N", default: "0", help: "shuffle seed" },
    { name: "epochs", type: "string", arg: "N", default: "1", help: "passes over the inputs" },
    { name: "loop", type: "boolean", help: "repeat forever" },
    { name: "shard", type: "string", arg: "I/N", help: "read shard I of N (disjoint, covering)" },
    {
      name: "even-shards",
      type: "boolean",
      help: "same count in every shard (drops the remainder) so DDP ranks never hang",
    },
    { name: "start", type: "string", arg: "N", default: "0", help: "resume at position N" },
    { name: "limit", type: "string", arg: "N", help: "stop after N positions" },
    {
      name: "on-error",
      type: "string",
      arg: "MODE",
      default: "skip",
      help: "skip (report, count, go on) | fail (exit 1) on a corrupt JPEG",
    },
    {
      name: "prefetch",
      type: "string",
      arg: "N",
      default: "8",
      help: "inputs read and decoded ahead (bounds memory)",
    },
    {
      name: "workers",
      type: "string",
      arg: "N",
      default: "cores",
      help: "decode on N Web Workers (0: on the main thread)",
    },
    { name: "unordered", type: "boolean", help: "emit frames as they finish (with --workers)" },
    {
      name: "decoder",
      type: "string",
      arg: "D",
      default: "auto",
      help: "auto (WASM SIMD, TypeScript fallback) | wasm | ts",
    },
    {
      name: "max-pixels",
      type: "string",
      arg: "N",
      default: String(DEFAULT_MAX_PIXELS),
      help: "refuse larger images before allocating",
    },
    {
      name: "max-scans",
      type: "string",
      arg: "N",
      default: String(DEFAULT_MAX_SCANS),
      help: "refuse progressive files with more scans",
    },
    {
      name: "orientation",
      type: "boolean",
      default: true,
      help: "apply EXIF orientation (--no-orientation keeps stored pixels)",
    },
    {
      name: "dct-scale",
      type: "boolean",
      default: true,
      help: "decode at 1/2, 1/4, 1/8 scale when --size is that small (--no-dct-scale: full decode)",
    },
    ...PROGRESS_OPTIONS,
  ],
  examples: [
    [
      "deno run --allow-read=./frames jsr:@framepipe/framepipe/cli images ./frames --size 853x480 | python3 train.py",
      "a folder of frames, resized, into a trainer",
    ],
    [
      "framepipe images ./frames --labels phases.json --shuffle --seed 1 --epochs 10",
      "labelled, shuffled, 10 epochs",
    ],
    [
      "framepipe images 'data/**/*.jpg' --labels dirs --shard 0/4 --even-shards",
      "ImageFolder-style classes, shard 0 of 4 DDP ranks",
    ],
    [
      "ffmpeg -i in.mp4 -f image2pipe -c:v mjpeg - | framepipe images - --size 224x224",
      "an MJPEG stream on stdin",
    ],
    [
      "framepipe images photo.jpg --layout hwc --format raw > photo.rgb",
      "one file to raw interleaved RGB",
    ],
  ],
  notes: [
    "Each frame carries its position; resume with --start POSITION (same --seed/--shard).",
    "Frames go to stdout; messages to stderr. Non-JPEG files are skipped and counted.",
    "Exit code 1: a corrupt JPEG with --on-error fail, or no input produced a frame.",
    "On a terminal, a progress line is redrawn on stderr (--no-progress, --quiet: off).",
  ],
};

/**
 * Run `framepipe images`.
 *
 * @param args Arguments after `images`.
 * @returns The exit code.
 */
export async function imagesCommand(args: string[]): Promise<number> {
  const { values: v, positionals } = parseCommand(IMAGES_SPEC, args);
  if (v.help) {
    console.log(usage(IMAGES_SPEC));
    return 0;
  }
  if (positionals.length === 0) {
    throw new UsageError(
      "images needs at least one file, folder, glob or - (see framepipe images --help)",
    );
  }
  if (positionals.includes("-") && positionals.length > 1) {
    throw new UsageError("- (stdin) cannot be combined with other inputs");
  }
  const output = parseOutputOptions(v);
  const log = new Logger(output.quiet);
  const progress = parseProgressOptions(v, output.quiet);
  const onError = parseChoice("on-error", (v["on-error"] as string) ?? "skip", ["skip", "fail"]);
  const options: ImagesOptions = {
    width: output.width,
    height: output.height,
    channels: output.channels,
    layout: output.layout,
    resize: output.resize,
    fit: output.fit,
    orientation: v.orientation !== false,
    dctScale: v["dct-scale"] !== false,
    maxPixels: parseIntOption("max-pixels", (v["max-pixels"] as string) ?? "50000000", 1),
    maxScans: parseIntOption("max-scans", (v["max-scans"] as string) ?? "1000", 1),
    labels: v.labels as string | undefined,
    shuffle: v.shuffle === true,
    seed: parseIntOption("seed", (v.seed as string) ?? "0"),
    epochs: v.epochs !== undefined ? parseIntOption("epochs", v.epochs as string, 1) : undefined,
    loop: v.loop === true,
    shard: typeof v.shard === "string" ? parseShard(v.shard) : undefined,
    evenShards: v["even-shards"] === true,
    start: parseIntOption("start", (v.start as string) ?? "0"),
    limit: v.limit !== undefined ? parseIntOption("limit", v.limit as string) : undefined,
    onError,
    prefetch: parseIntOption("prefetch", (v.prefetch as string) ?? "8", 1),
    workers: v.workers === undefined || v.workers === "cores"
      ? defaultWorkerCount()
      : parseIntOption("workers", v.workers as string),
    unordered: v.unordered === true,
    // stdout writes each frame completely before the next is asked for: recycle payloads
    reuseBuffers: (output.out === "-" || output.out === "stdout") && !output.net?.listen,
    decoder: parseChoice("decoder", (v.decoder as string) ?? "auto", DECODER_CHOICES),
    onNotice: (m) => log.info(m),
  };
  let reported = 0;
  options.onSkip = (e) => {
    if (reported++ < 50) log.warn(`skipped "${e.key}": ${e.reason}`);
    else if (reported === 51) log.warn("more inputs skipped; see the end-of-stream counts");
  };
  const src = await openImages(positionals, options);
  if (src.stats.total === 0) {
    log.warn(`no inputs to read in ${positionals.join(" ")} (after --start/--limit/--shard)`);
  }
  let payloadBytes = 0;
  const { summary } = await runStream({
    output,
    header: src.header,
    source: () => src,
    counts: () => ({
      skipped: src.stats.skipped,
      errors: src.stats.errors,
      not_jpeg: src.stats.notJpeg,
      unlabelled: src.stats.unlabelled,
    }),
    log,
    onFrame: (f) => payloadBytes += f.data.length,
    progress: {
      settings: progress,
      counts: () => ({
        total: src.stats.total,
        skipped: src.stats.skipped,
        errors: src.stats.errors,
      }),
    },
  });
  if (src.stats.unlabelled > 0) {
    log.warn(`${src.stats.unlabelled} frames had no label in ${v.labels}`);
  }
  log.info(summaryLine(summary, payloadBytes));
  if (summary.frames === 0 && summary.skipped > 0) {
    log.error(`no frame could be produced: all ${summary.skipped} inputs were skipped`);
    return 1;
  }
  return 0;
}
