/**
 * `framepipe preview SOURCE -o sheet.png`: a contact sheet of the first N frames of a folder,
 * files or glob, a capture URL, or a frame stream (stdin, a file, `tcp://`), with the label and
 * frame number / key under each tile, to check colours, orientation, layout and labels.
 *
 * @module
 */
import { CaptureError } from "../capture/errors.ts";
import { CaptureSource } from "../capture/source.ts";
import type { Frame } from "../formats/frame.ts";
import { openImages } from "../pipeline/images.ts";
import { ContactSheet } from "../preview/sheet.ts";
import { SinkError } from "../sinks/options.ts";
import { RENDER_OPTIONS } from "./common.ts";
import { Logger } from "./log.ts";
import {
  choice,
  type CommandSpec,
  flag,
  int,
  MAX_OUTPUT_PIXELS,
  type OptionValues,
  parseCommand,
  positive,
  size,
  text,
  usage,
  UsageError,
} from "./options.ts";
import {
  isTcpSource,
  openFrameStream,
  STREAM_INPUT_OPTIONS,
  streamRecords,
} from "./stream_input.ts";
import { withFlags } from "./flags.ts";

/** Where `preview` reads frames from. */
export type PreviewSourceKind = "images" | "capture" | "stream";

/** The `preview` options. */
export const PREVIEW_OPTIONS = {
  out: text("FILE", "the PNG to write (- for stdout)", { short: "o", default: "preview.png" }),
  frames: int("N", "tiles", { short: "n", default: 16, min: 1 }),
  cols: int("C", "tiles per row (default: a square grid)", { min: 1 }),
  tile: size("tile size; frames are scaled to fit (aspect kept)", { default: "160x120" }),
  from: choice(
    "KIND",
    "auto | images | capture | stream (auto: - and tcp:// are streams, other URLs and videos capture, FPIP files streams)",
    ["auto", "images", "capture", "stream"] as const,
    { default: "auto" },
  ),
  labels: text("SRC", "images: labels file or dirs"),
  size: { ...RENDER_OPTIONS.size, help: "images/capture: render at this size first" },
  fit: { ...RENDER_OPTIONS.fit, help: "images/capture with --size: stretch | contain | cover" },
  layout: { ...RENDER_OPTIONS.layout, help: "images/capture: chw | hwc" },
  gray: { ...RENDER_OPTIONS.gray, help: "images/capture: one channel" },
  start: int("N", "images: first position", { default: 0 }),
  shuffle: flag("images: a random sample (with --seed)"),
  seed: int("N", "images: shuffle seed", { default: 0 }),
  fps: positive("N", "capture: subsample to N frames/s"),
  ffmpeg: text("PATH", "capture: ffmpeg", { default: "ffmpeg" }),
  "input-format": text("F", "capture: ffmpeg input format (-f)"),
  "rtsp-transport": choice("T", "capture: rtsp:// transport tcp | udp", ["tcp", "udp"] as const, {
    default: "tcp",
  }),
  ...STREAM_INPUT_OPTIONS,
  "connect-timeout": {
    ...STREAM_INPUT_OPTIONS["connect-timeout"],
    help: "capture and tcp://: seconds to wait for the source (0: forever, tcp:// only)",
  },
  quiet: flag("no informational messages", { short: "q" }),
};

type PreviewValues = OptionValues<typeof PREVIEW_OPTIONS>;

/** The `preview` command's table. */
export const PREVIEW_SPEC: CommandSpec<typeof PREVIEW_OPTIONS> = {
  name: "preview",
  positionals: "<folder|file|glob...|capture-url|video|-|stream-file|tcp://HOST:PORT>",
  summary: "write a contact sheet PNG of the first frames of a source (check colours, labels)",
  options: PREVIEW_OPTIONS,
  examples: [
    [
      "deno run --allow-read=fixtures --allow-write=docs cli.ts preview fixtures/frames --labels fixtures/phases.json -o docs/preview.png",
      "a labelled folder (class names under the tiles)",
    ],
    [
      "framepipe images ./frames --size 224x224 --shuffle | framepipe preview - -o batch.png",
      "exactly what a trainer receives on a pipe (layout as sent)",
    ],
    [
      "framepipe preview 'srt://127.0.0.1:9999?mode=caller' --frames 8 --size 320x240 -o cam.png",
      "eight frames of a live camera",
    ],
    ["framepipe preview tcp://127.0.0.1:9000 -n 32 --cols 8", "32 frames of a --listen server"],
  ],
  notes: [
    "Each tile shows the frame as its layout says (a CHW/HWC mix-up looks scrambled), then",
    "#seq and the labels (class names when the stream has them), then the key.",
    "Permissions: --allow-read for inputs, --allow-write for the PNG, --allow-run=ffmpeg for",
    "capture, --allow-net for tcp://.",
  ],
};

const VIDEO_EXT = /\.(mp4|m4v|mkv|mov|avi|webm|ts|mts|flv|wmv|mpg|mpeg|h264|h265|hevc)$/i;

/**
 * Decide how to read a preview source.
 *
 * @param inputs The positionals.
 * @param from `--from` (`auto` sniffs).
 * @returns The kind.
 * @example
 * ```ts
 * import { previewSourceKind } from "./preview.ts";
 * await previewSourceKind(["srt://cam:9000"], "auto"); // "capture"
 * ```
 */
export async function previewSourceKind(
  inputs: string[],
  from: PreviewSourceKind | "auto",
): Promise<PreviewSourceKind> {
  if (from !== "auto") return from;
  if (inputs.length !== 1) return "images";
  const s = inputs[0];
  if (s === "-" || isTcpSource(s)) return "stream";
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) return "capture";
  if (VIDEO_EXT.test(s)) return "capture";
  try {
    const f = await Deno.open(s);
    try {
      const head = new Uint8Array(4);
      const n = await f.read(head);
      if (n === 4 && new TextDecoder().decode(head) === "FPIP") return "stream";
    } finally {
      f.close();
    }
  } catch {
    // a folder, a glob or a missing path: openImages reports it properly
  }
  return "images";
}

/** Frames and class names read for a preview. */
interface Collected {
  frames: Frame[];
  classes: string[];
  describe: string;
}

async function fromImages(inputs: string[], v: PreviewValues, n: number): Promise<Collected> {
  const src = await openImages(inputs, {
    width: v.size?.width,
    height: v.size?.height,
    fit: v.fit,
    layout: v.layout,
    channels: v.gray ? 1 : 3,
    labels: v.labels,
    start: v.start,
    shuffle: v.shuffle,
    seed: v.seed,
    limit: n,
  });
  const frames: Frame[] = [];
  for await (const f of src) {
    frames.push(f);
    if (frames.length >= n) break;
  }
  return { frames, classes: src.header.classes, describe: src.header.source };
}

async function fromCapture(
  url: string,
  v: PreviewValues,
  n: number,
  log: Logger,
): Promise<Collected> {
  if (v["connect-timeout"] === 0) {
    throw new UsageError("--connect-timeout 0 (forever) applies to tcp:// only; give seconds > 0");
  }
  const cam = new CaptureSource({
    url,
    ffmpeg: v.ffmpeg,
    width: v.size?.width,
    height: v.size?.height,
    fit: v.fit,
    layout: v.layout,
    channels: v.gray ? 1 : 3,
    fps: v.fps,
    frames: n,
    connectTimeout: v["connect-timeout"] / 1000,
    inputFormat: v["input-format"],
    rtspTransport: v["rtsp-transport"],
    log,
  });
  const frames: Frame[] = [];
  try {
    await cam.open();
    for await (const f of cam) {
      frames.push(f);
      if (frames.length >= n) break;
    }
  } finally {
    await cam.close();
  }
  return { frames, classes: [], describe: `capture ${cam.key}` };
}

async function fromStream(
  src: string,
  v: PreviewValues,
  given: Set<string>,
  n: number,
): Promise<Collected> {
  const input = await openFrameStream(src, v, given);
  const frames: Frame[] = [];
  let classes: string[] = [];
  let describe = input.name;
  try {
    for await (const r of streamRecords(input)) {
      if (r.kind === "header") {
        classes = Array.isArray(r.meta.classes) ? r.meta.classes.map(String) : [];
        if (typeof r.meta.source === "string") describe = `${r.meta.source} via ${input.name}`;
        continue;
      }
      if (r.kind !== "frame") continue;
      const f = r.fields;
      frames.push({
        width: f.width,
        height: f.height,
        channels: f.channels === 1 ? 1 : 3,
        layout: f.layout,
        data: r.payload,
        seq: f.seq,
        position: f.position,
        timestamp: f.timestamp,
        key: typeof r.meta.key === "string" ? r.meta.key : "",
        labels: Array.isArray(r.meta.labels) ? r.meta.labels.map(Number) : [],
      });
      if (frames.length >= n) break;
    }
  } finally {
    input.close();
  }
  return { frames, classes, describe };
}

/**
 * The caption under a tile: `#seq labels` (class names when known), then the key.
 *
 * @param f The frame.
 * @param classes Class names from the stream header.
 * @returns Two lines.
 */
export function captionFor(f: Frame, classes: string[]): string[] {
  const labels = f.labels.length
    ? f.labels.map((l) => classes[l] !== undefined ? `${l} ${classes[l]}` : String(l)).join(", ")
    : "(no label)";
  return [`#${f.seq} ${labels}`, f.key || `position ${f.position}`];
}

/**
 * Run `framepipe preview`.
 *
 * @param args Arguments after `preview`.
 * @returns The exit code.
 */
export async function previewCommand(args: string[]): Promise<number> {
  const { values: v, given, positionals, help } = parseCommand(PREVIEW_SPEC, args);
  if (help) {
    console.log(usage(PREVIEW_SPEC));
    return 0;
  }
  if (positionals.length === 0) {
    throw new UsageError(
      "preview needs a source: a folder, files, a glob, a capture URL, - or tcp://HOST:PORT (see framepipe preview --help)",
    );
  }
  const log = new Logger(v.quiet);
  const n = v.frames;
  const cols = v.cols;
  const tile = v.tile;
  const out = v.out;
  const sheetPixels = n * tile.width * tile.height;
  if (sheetPixels > MAX_OUTPUT_PIXELS) {
    throw new UsageError(
      `--tile ${tile.width}x${tile.height} with --frames ${n} makes a sheet of ${sheetPixels} ` +
        `pixels, over the limit of ${MAX_OUTPUT_PIXELS}; use a smaller --tile or fewer --frames`,
    );
  }
  const kind = await previewSourceKind(positionals, v.from);
  if (kind !== "images" && positionals.length > 1) {
    throw new UsageError(`preview reads one ${kind} source, got ${positionals.length}`);
  }
  let got: Collected;
  try {
    got = kind === "images"
      ? await fromImages(positionals, v, n)
      : kind === "capture"
      ? await fromCapture(positionals[0], v, n, log)
      : await fromStream(positionals[0], v, given, n);
  } catch (err) {
    if (err instanceof CaptureError) {
      log.error(withFlags(err.message, err.hints));
      return 1;
    }
    throw err;
  }
  if (got.frames.length === 0) {
    log.error(`no frames to preview in ${positionals.join(" ")}`);
    return 1;
  }
  const first = got.frames[0];
  const sheet = new ContactSheet({
    count: got.frames.length,
    cols,
    tileWidth: tile.width,
    tileHeight: tile.height,
    title:
      `framepipe preview: ${got.describe}  ${got.frames.length} frames, first ${first.width}x${first.height}x${first.channels} ${first.layout}`,
  });
  got.frames.forEach((f, i) => sheet.draw(i, f, captionFor(f, got.classes)));
  const png = sheet.png();
  try {
    if (out === "-") {
      const w = Deno.stdout.writable.getWriter();
      await w.write(png);
      await w.close();
    } else {
      await Deno.writeFile(out, png);
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) throw err;
    throw new SinkError(`cannot write "${out}": ${(err as Error).message}`, { cause: err });
  }
  log.info(
    `wrote ${
      out === "-" ? "stdout" : out
    }: ${got.frames.length} frames, ${sheet.width}x${sheet.height} PNG`,
  );
  return 0;
}
