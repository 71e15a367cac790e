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
import { readRecords } from "../formats/read_stream.ts";
import { connectStream } from "../net/consumer.ts";
import { resolveToken } from "../net/handshake.ts";
import { openImages } from "../pipeline/images.ts";
import { ContactSheet } from "../preview/sheet.ts";
import { SinkError } from "../sinks/open_sink.ts";
import { describeFsError } from "../sources/errors.ts";
import { FIT_MODES } from "../transform/resize.ts";
import {
  type CommandSpec,
  parseChoice,
  parseCommand,
  parseIntOption,
  parsePositive,
  parseSize,
  usage,
  UsageError,
  type Values,
} from "./args.ts";
import { Logger } from "./log.ts";

/** Where `preview` reads frames from. */
export type PreviewSourceKind = "images" | "capture" | "stream";

/** The `preview` command's table. */
export const PREVIEW_SPEC: CommandSpec = {
  name: "preview",
  positionals: "<folder|file|glob...|capture-url|video|-|stream-file|tcp://HOST:PORT>",
  summary: "write a contact sheet PNG of the first frames of a source (check colours, labels)",
  options: [
    {
      name: "out",
      type: "string",
      short: "o",
      arg: "FILE",
      default: "preview.png",
      help: "the PNG to write (- for stdout)",
    },
    { name: "frames", type: "string", short: "n", arg: "N", default: "16", help: "tiles" },
    { name: "cols", type: "string", arg: "C", help: "tiles per row (default: a square grid)" },
    {
      name: "tile",
      type: "string",
      arg: "WxH",
      default: "160x120",
      help: "tile size; frames are scaled to fit (aspect kept)",
    },
    {
      name: "from",
      type: "string",
      arg: "KIND",
      default: "auto",
      help:
        "auto | images | capture | stream (auto: - and tcp:// are streams, other URLs and videos capture, FPIP files streams)",
    },
    { name: "labels", type: "string", arg: "SRC", help: "images: labels file or dirs" },
    { name: "size", type: "string", arg: "WxH", help: "images/capture: render at this size first" },
    {
      name: "fit",
      type: "string",
      arg: "MODE",
      default: "stretch",
      help: "images/capture with --size: stretch | contain | cover",
    },
    { name: "layout", type: "string", arg: "L", default: "chw", help: "images/capture: chw | hwc" },
    { name: "gray", type: "boolean", help: "images/capture: one channel" },
    { name: "start", type: "string", arg: "N", default: "0", help: "images: first position" },
    { name: "shuffle", type: "boolean", help: "images: a random sample (with --seed)" },
    { name: "seed", type: "string", arg: "N", default: "0", help: "images: shuffle seed" },
    { name: "fps", type: "string", arg: "N", help: "capture: subsample to N frames/s" },
    { name: "ffmpeg", type: "string", arg: "PATH", default: "ffmpeg", help: "capture: ffmpeg" },
    { name: "input-format", type: "string", arg: "F", help: "capture: ffmpeg input format (-f)" },
    {
      name: "rtsp-transport",
      type: "string",
      arg: "T",
      default: "tcp",
      help: "capture: rtsp:// transport tcp | udp",
    },
    {
      name: "connect-timeout",
      type: "string",
      arg: "S",
      default: "10",
      help: "capture and tcp://: seconds to wait for the source",
    },
    { name: "token", type: "string", arg: "T", help: "tcp://: token (prefer env FRAMEPIPE_TOKEN)" },
    { name: "ca", type: "string", arg: "FILE", help: "tcps://: trust this PEM CA certificate" },
    { name: "quiet", type: "boolean", short: "q", help: "no informational messages" },
  ],
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
  if (s === "-" || /^tcps?:\/\//i.test(s)) return "stream";
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

async function fromImages(inputs: string[], v: Values, n: number): Promise<Collected> {
  const size = typeof v.size === "string" ? parseSize("size", v.size) : undefined;
  const src = await openImages(inputs, {
    width: size?.width,
    height: size?.height,
    fit: parseChoice("fit", (v.fit as string) ?? "stretch", FIT_MODES),
    layout: parseChoice("layout", (v.layout as string) ?? "chw", ["chw", "hwc"] as const),
    channels: v.gray ? 1 : 3,
    labels: v.labels as string | undefined,
    start: parseIntOption("start", (v.start as string) ?? "0"),
    shuffle: v.shuffle === true,
    seed: parseIntOption("seed", (v.seed as string) ?? "0"),
    limit: n,
  });
  const frames: Frame[] = [];
  for await (const f of src) {
    frames.push(f);
    if (frames.length >= n) break;
  }
  return { frames, classes: src.header.classes, describe: src.header.source };
}

async function fromCapture(url: string, v: Values, n: number, log: Logger): Promise<Collected> {
  const size = typeof v.size === "string" ? parseSize("size", v.size) : undefined;
  const cam = new CaptureSource({
    url,
    ffmpeg: (v.ffmpeg as string) ?? "ffmpeg",
    width: size?.width,
    height: size?.height,
    fit: parseChoice("fit", (v.fit as string) ?? "stretch", FIT_MODES),
    layout: parseChoice("layout", (v.layout as string) ?? "chw", ["chw", "hwc"] as const),
    channels: v.gray ? 1 : 3,
    fps: v.fps !== undefined ? parsePositive("fps", v.fps as string) : undefined,
    frames: n,
    connectTimeout: parsePositive("connect-timeout", (v["connect-timeout"] as string) ?? "10"),
    inputFormat: v["input-format"] as string | undefined,
    rtspTransport: parseChoice("rtsp-transport", (v["rtsp-transport"] as string) ?? "tcp", [
      "tcp",
      "udp",
    ]),
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

async function openStream(
  src: string,
  v: Values,
): Promise<{ readable: ReadableStream<Uint8Array>; close: () => void; name: string }> {
  if (/^tcps?:\/\//i.test(src)) {
    const token = resolveToken(v.token as string | undefined);
    const t = (v["connect-timeout"] as string | undefined) ?? "10";
    const c = await connectStream(src, {
      token: token?.token,
      ca: v.ca as string | undefined,
      connectTimeoutMs: parsePositive("connect-timeout", t) * 1000,
    });
    return { readable: c.readable, close: () => c.close(), name: c.url };
  }
  if (src === "-") return { readable: Deno.stdin.readable, close: () => {}, name: "stdin" };
  let file: Deno.FsFile;
  try {
    file = await Deno.open(src);
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) throw err;
    throw describeFsError(err, src);
  }
  return {
    readable: file.readable,
    close: () => {
      try {
        file.close();
      } catch {
        // the readable closed it
      }
    },
    name: src,
  };
}

async function fromStream(src: string, v: Values, n: number): Promise<Collected> {
  const input = await openStream(src, v);
  const frames: Frame[] = [];
  let classes: string[] = [];
  let describe = input.name;
  try {
    for await (const r of readRecords(input.readable)) {
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
  const { values: v, positionals } = parseCommand(PREVIEW_SPEC, args);
  if (v.help) {
    console.log(usage(PREVIEW_SPEC));
    return 0;
  }
  if (positionals.length === 0) {
    throw new UsageError(
      "preview needs a source: a folder, files, a glob, a capture URL, - or tcp://HOST:PORT (see framepipe preview --help)",
    );
  }
  const log = new Logger(v.quiet === true);
  const n = parseIntOption("frames", (v.frames as string) ?? "16", 1);
  const cols = v.cols !== undefined ? parseIntOption("cols", v.cols as string, 1) : undefined;
  const tile = parseSize("tile", (v.tile as string) ?? "160x120");
  const out = (v.out as string) ?? "preview.png";
  const from = parseChoice(
    "from",
    (v.from as string) ?? "auto",
    ["auto", "images", "capture", "stream"] as const,
  );
  const kind = await previewSourceKind(positionals, from);
  if (kind !== "images" && positionals.length > 1) {
    throw new UsageError(`preview reads one ${kind} source, got ${positionals.length}`);
  }
  let got: Collected;
  try {
    got = kind === "images"
      ? await fromImages(positionals, v, n)
      : kind === "capture"
      ? await fromCapture(positionals[0], v, n, log)
      : await fromStream(positionals[0], v, n);
  } catch (err) {
    if (err instanceof CaptureError) {
      log.error(err.message);
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
