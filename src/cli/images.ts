/**
 * `framepipe images`: stream JPEG/PNG files, folders, globs or stdin as frames.
 *
 * @module
 */
import { DEFAULT_MAX_PIXELS, DEFAULT_MAX_SCANS } from "../decode/types.ts";
import { type ImagesOptions, openImages } from "../pipeline/images.ts";
import { defaultWorkerCount } from "../pipeline/worker_pool.ts";
import { DECODER_CHOICES } from "../pipeline/render.ts";
import {
  checkTerminal,
  OUTPUT_OPTIONS,
  parseOutputOptions,
  runStream,
  summaryLine,
} from "./common.ts";
import { Logger } from "./log.ts";
import {
  choice,
  type CommandSpec,
  custom,
  flag,
  int,
  parseCommand,
  parseIntOption,
  text,
  usage,
  UsageError,
} from "./options.ts";
import { parseProgressOptions, PROGRESS_OPTIONS } from "./progress.ts";
import { CHOLECT50_FIELDS } from "../labels/cholect50.ts";

/** Most decode workers `--workers` may start (each holds a decoder and its buffers). */
export const MAX_WORKERS = 64;

/**
 * Parse `--shard I/N`.
 *
 * @param v Value.
 * @returns Index and count.
 * @throws {UsageError} malformed or out of range.
 */
export function parseShard(v: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  if (!m || +m[2] < 1 || +m[1] >= +m[2]) {
    throw new UsageError(`--shard "${v}" must be I/N with 0 <= I < N, e.g. --shard 0/4`);
  }
  return { index: +m[1], count: +m[2] };
}

/** The `images` options. */
export const IMAGES_OPTIONS = {
  ...OUTPUT_OPTIONS,
  labels: text(
    "SRC",
    "labels.json ({key: int|int[]|name}), labels.csv (path,label), dirs (class folders), a " +
      "Cholec80 phase/tool .txt, CholecT50 .json (detected by content); 'labels/{video}.json': " +
      "one file per video folder",
  ),
  "label-stride": int("K", "image number N is annotation frame N*K (Cholec80/CholecT50 files)", {
    min: 1,
  }),
  "label-field": choice(
    "F",
    "CholecT50 field: phase (default) | triplet | instrument | verb | target",
    CHOLECT50_FIELDS,
  ),
  "on-missing-label": choice(
    "MODE",
    "with {video} labels, a video without a label file: error (default) | skip | none (no labels)",
    ["error", "skip", "none"] as const,
  ),
  every: int("N", "keep images whose frame number is a multiple of N (before --shuffle/--shard)", {
    min: 1,
  }),
  shuffle: flag("shuffle each epoch"),
  seed: int("N", "shuffle seed", { default: 0 }),
  epochs: int("N", "passes over the inputs (default 1)", { min: 1 }),
  loop: flag("repeat forever"),
  shard: custom(
    "I/N",
    "read shard I of N (disjoint, covering)",
    (v) => (v === undefined ? undefined : parseShard(v)),
  ),
  "even-shards": flag("same count in every shard (drops the remainder) so DDP ranks never hang"),
  start: int("N", "resume at position N", { default: 0 }),
  limit: int("N", "stop after N positions"),
  "on-error": choice(
    "MODE",
    "skip (report, count, go on) | fail (exit 1) on a corrupt JPEG or PNG",
    ["skip", "fail"] as const,
    { default: "skip" },
  ),
  strict: flag(
    "refuse JPEGs that decode only with libjpeg-style warnings (extraneous bytes, no EOI); " +
      "they are then skipped or, with --on-error fail, fatal",
  ),
  prefetch: int("N", "inputs read and decoded ahead (bounds memory)", { default: 8, min: 1 }),
  workers: custom(
    "N",
    `decode on N Web Workers (0: on the main thread; at most ${MAX_WORKERS})`,
    (v, f) =>
      v === undefined || v === "cores"
        ? defaultWorkerCount()
        : parseIntOption(f, v, 0, MAX_WORKERS),
    { default: "cores" },
  ),
  unordered: flag("emit frames as they finish (with --workers)"),
  decoder: choice("D", "auto (WASM SIMD, TypeScript fallback) | wasm | ts", DECODER_CHOICES, {
    default: "auto",
  }),
  "max-pixels": int("N", "refuse larger images before allocating", {
    default: DEFAULT_MAX_PIXELS,
    min: 1,
  }),
  "max-scans": int("N", "refuse progressive files with more scans", {
    default: DEFAULT_MAX_SCANS,
    min: 1,
  }),
  orientation: flag("apply EXIF orientation (--no-orientation keeps stored pixels)", {
    default: true,
  }),
  "dct-scale": flag(
    "decode at 1/2, 1/4, 1/8 scale when --size is that small (--no-dct-scale: full decode)",
    { default: true },
  ),
  ...PROGRESS_OPTIONS,
};

/** The `images` command's table. */
export const IMAGES_SPEC: CommandSpec<typeof IMAGES_OPTIONS> = {
  name: "images",
  positionals: "<file|folder|glob|->...",
  summary: "stream JPEG/PNG files, folders, globs or an MJPEG stream on stdin as raw RGB frames",
  options: IMAGES_OPTIONS,
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
      "framepipe images frames --labels 'phase_annotations/{video}-phase.txt' --label-stride 25",
      "Cholec80 frames at 1 fps in one folder per video, each video with its own phase file",
    ],
    [
      "framepipe images videos --labels 'labels/{video}.json' --label-field triplet",
      "CholecT50 PNG frames with their triplets",
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
    "Frames go to stdout; messages to stderr. Files that are neither JPEG nor PNG (by content) are skipped and counted.",
    "Exit code 1: a corrupt JPEG or PNG with --on-error fail, or no input produced a frame.",
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
  const { values: v, given, positionals, help } = parseCommand(IMAGES_SPEC, args);
  if (help) {
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
  for (const f of ["label-stride", "label-field", "on-missing-label"] as const) {
    if (v[f] !== undefined && v.labels === undefined) {
      throw new UsageError(`--${f} applies to --labels; give --labels FILE too`);
    }
  }
  if (v["on-missing-label"] !== undefined && !v.labels?.includes("{video}")) {
    throw new UsageError(
      "--on-missing-label applies to per-video labels (--labels 'labels/{video}.json')",
    );
  }
  const output = parseOutputOptions(v, given);
  checkTerminal(output);
  const log = new Logger(output.quiet);
  const progress = parseProgressOptions(v, output.quiet);
  const options: ImagesOptions = {
    width: output.width,
    height: output.height,
    channels: output.channels,
    layout: output.layout,
    resize: output.resize,
    fit: output.fit,
    orientation: v.orientation,
    dctScale: v["dct-scale"],
    maxPixels: v["max-pixels"],
    maxScans: v["max-scans"],
    strict: v.strict,
    labels: v.labels,
    labelStride: v["label-stride"],
    labelField: v["label-field"],
    onMissingLabel: v["on-missing-label"],
    every: v.every,
    shuffle: v.shuffle,
    seed: v.seed,
    epochs: v.epochs,
    loop: v.loop,
    shard: v.shard,
    evenShards: v["even-shards"],
    start: v.start,
    limit: v.limit,
    onError: v["on-error"],
    prefetch: v.prefetch,
    workers: v.workers,
    unordered: v.unordered,
    // stdout writes each frame completely before the next is asked for: recycle payloads
    reuseBuffers: (output.out === "-" || output.out === "stdout") && !output.net?.listen,
    decoder: v.decoder,
    onNotice: (m) => log.info(m),
    onWarning: (m, hints) => log.warn(m, hints),
  };
  let reported = 0;
  // A run of one input that is refused says so in one line at the end (no skip + done lines).
  let onlyInput = false;
  let refused: string | undefined;
  options.onSkip = (e) => {
    if (onlyInput) {
      refused = `"${e.key}": ${e.reason}`;
      return;
    }
    if (reported++ < 50) log.warn(`skipped "${e.key}": ${e.reason}`);
    else if (reported === 51) log.warn("more inputs skipped; see the end-of-stream counts");
  };
  let firstRepeat = "";
  options.onRepeated = (e) => {
    firstRepeat ||= `"${e.path}" is "${e.realPath}"${e.loop ? " (a symlink loop)" : ""}`;
  };
  const src = await openImages(positionals, options);
  onlyInput = src.stats.total === 1;
  if (src.stats.repeated > 0) {
    log.warn(
      `skipped ${src.stats.repeated} repeated path${
        src.stats.repeated === 1 ? "" : "s"
      } (each real file is read once): ${firstRepeat}`,
    );
  }
  if (src.stats.noLabelFile > 0) {
    log.warn(
      `${src.stats.noLabelFile} images are in videos without a label file (${
        v["on-missing-label"] === "skip" ? "left out" : "streamed without labels"
      })`,
    );
  }
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
      repeated: src.stats.repeated,
      ...(v.every !== undefined ? { not_every: src.stats.notEvery } : {}),
      ...(src.stats.noLabelFile > 0 ? { no_label_file: src.stats.noLabelFile } : {}),
      ...(src.stats.warnings > 0 ? { warnings: src.stats.warnings } : {}),
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
  if (summary.frames === 0 && refused !== undefined) {
    log.error(`no frame could be produced from ${refused}`);
    return 1;
  }
  log.info(summaryLine(summary, payloadBytes));
  if (summary.frames === 0 && summary.skipped > 0) {
    log.error(`no frame could be produced: all ${summary.skipped} inputs were skipped`);
    return 1;
  }
  if (summary.frames === 0 && positionals[0] === "-") {
    log.error("no frame could be produced: stdin held no JPEG");
    return 1;
  }
  return 0;
}
