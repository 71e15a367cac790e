/**
 * `framepipe decode-server`: a long-lived decode helper for Python's `read_rgb_image` and
 * `ImageFolder`. Requests arrive on stdin, one JSON object per line; answers go to stdout as
 * `frame`-format records (docs/FORMAT.md): one stream header, then exactly one frame record per
 * request, in request order. Decoding is `renderImage` (JPEG or PNG, by content) via
 * `readRgbImage`, the same code as `framepipe images`, so the bytes are the CLI's.
 *
 * Requests:
 * - `{"op": "read", "id": N, "path": P, "width": W, "height": H, ...}`: a frame record with the
 *   pixels (`width` and `height` are required), metadata `{id, key: P, ms, cpu_ms}` (`ms`: read +
 *   decode time in this process, `cpu_ms` the CPU time it took). Optional:
 *   `layout`, `resize`, `fit`, `orientation`, `dctScale`, `decoder`, `maxPixels`,
 *   `maxScans` (the `images` flags).
 * - `{"op": "list", "id": N, "inputs": [...], "labels": "dirs" | FILE | TEMPLATE | null}` (and
 *   optionally `labelStride`, `labelField`, `onMissingLabel`, as `images` takes): a record with no
 *   payload and metadata `{id, classes, files: [[key, path, labels], ...], not_images}`: the
 *   inputs in the order `images` reads them (without `--shuffle`), with its labels.
 *
 * A request that fails gets a record with no payload and metadata
 * `{id, error: "one line", kind: "decode" | "read" | "not-image" | "request"}`; the server goes
 * on. When stdin closes it writes the end-of-stream record (requests answered, failed) and
 * exits 0.
 *
 * @module
 */
import process from "node:process";
import { JpegError } from "../decode/mod.ts";
import { FrameFormatEncoder } from "../formats/writers.ts";
import type { Frame } from "../formats/frame.ts";
import { CHOLECT50_FIELDS, type CholecT50Field } from "../labels/cholect50.ts";
import { type Labeler, LabelError } from "../labels/labels.ts";
import type { MissingLabelMode } from "../labels/per_video.ts";
import { resolveLabels } from "../labels/resolve.ts";
import { readRgbImage, type ReadRgbImageOptions } from "../pipeline/read_rgb_image.ts";
import { DECODER_CHOICES, sniffImage } from "../pipeline/render.ts";
import { SourceError } from "../sources/errors.ts";
import { listInputs } from "../sources/list.ts";
import { FIT_MODES, RESIZE_MODES } from "../transform/resize.ts";
import { type CommandSpec, parseCommand, parseSize, usage, UsageError } from "./options.ts";

/** The `decode-server` command's table. */
export const DECODE_SERVER_SPEC: CommandSpec<Record<never, never>> = {
  name: "decode-server",
  positionals: "",
  summary: "decode files on request (JSON lines on stdin, frame records on stdout) for Python",
  options: {},
  examples: [
    [
      `echo '{"op":"read","id":1,"path":"fixtures/frames/169_0.jpg","width":64,"height":48}' | framepipe decode-server | python3 python/framepipe.py --summary`,
      "one request, one frame",
    ],
  ],
  notes: [
    "Used by the Python package (framepipe.read_rgb_image, framepipe.ImageFolder): one helper per process.",
    "Every request gets one record, in order; failures are records with an `error` field.",
  ],
};

/** A failed request: `kind` tells the client what went wrong. */
class RequestFailed extends Error {
  /**
   * @param kind `decode`, `read`, `not-image` or `request`.
   * @param message One line.
   */
  constructor(readonly kind: string, message: string) {
    super(message);
    this.name = "RequestFailed";
  }
}

const ENCODER = new FrameFormatEncoder();

/** Write records synchronously: the client waits for this answer anyway (no thread hop). */
function writeAll(chunks: Uint8Array[]): void {
  for (const c of chunks) {
    let off = 0;
    while (off < c.length) off += Deno.stdout.writeSync(c.subarray(off));
  }
}

function renderOptions(req: Record<string, unknown>): ReadRgbImageOptions {
  const num = (k: string) => {
    const v = req[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) {
      throw new RequestFailed("request", `${k} must be a whole number >= 1, not ${String(v)}`);
    }
    return v;
  };
  const choice = <T extends string>(k: string, choices: readonly T[]): T | undefined => {
    const v = req[k];
    if (v === undefined || v === null) return undefined;
    if (!choices.includes(v as T)) {
      throw new RequestFailed("request", `${k} must be one of ${choices.join(", ")}, not ${v}`);
    }
    return v as T;
  };
  const flag = (k: string) => {
    const v = req[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "boolean") throw new RequestFailed("request", `${k} must be true or false`);
    return v;
  };
  const width = num("width"), height = num("height");
  if (width === undefined || height === undefined) {
    throw new RequestFailed("request", "a read request needs width and height");
  }
  try {
    parseSize("--size", `${width}x${height}`);
  } catch (err) {
    throw new RequestFailed("request", (err as Error).message);
  }
  return {
    width,
    height,
    layout: choice("layout", ["chw", "hwc"] as const),
    resize: choice("resize", RESIZE_MODES),
    fit: choice("fit", FIT_MODES),
    orientation: flag("orientation"),
    dctScale: flag("dctScale"),
    decoder: choice("decoder", DECODER_CHOICES),
    maxPixels: num("maxPixels"),
    maxScans: num("maxScans"),
  };
}

async function read(req: Record<string, unknown>, id: number, seq: number): Promise<Frame> {
  if (typeof req.path !== "string" || req.path === "") {
    throw new RequestFailed("request", "a read request needs a path");
  }
  const path = req.path;
  const options = renderOptions(req);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let data: Uint8Array;
  try {
    data = await readRgbImage(path, options);
  } catch (err) {
    if (err instanceof SourceError) throw new RequestFailed("read", err.message);
    if (err instanceof JpegError) {
      const head = await Deno.readFile(path).catch(() => new Uint8Array());
      if (sniffImage(head) === null) {
        throw new RequestFailed(
          "not-image",
          `"${path}": ${
            head.length === 0
              ? "empty file"
              : "not a JPEG or PNG (content starts with neither FF D8 FF nor the PNG signature)"
          }`,
        );
      }
      throw new RequestFailed("decode", `cannot decode "${path}": ${err.message}`);
    }
    throw err;
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const width = options.width!, height = options.height!;
  const channels = 3;
  return {
    width,
    height,
    channels,
    layout: options.layout ?? "chw",
    data,
    seq,
    position: id,
    timestamp: Date.now(),
    key: path,
    labels: [],
    extra: {
      id,
      ms: Math.round(ms * 1000) / 1000,
      cpu_ms: Math.round(cpu.user + cpu.system) / 1000,
    },
  };
}

async function list(req: Record<string, unknown>, id: number, seq: number): Promise<Frame> {
  const inputs = req.inputs;
  if (!Array.isArray(inputs) || inputs.length === 0 || inputs.some((i) => typeof i !== "string")) {
    throw new RequestFailed("request", "a list request needs inputs: [paths]");
  }
  const stride = req.labelStride;
  if (
    stride !== undefined &&
    (typeof stride !== "number" || !Number.isSafeInteger(stride) || stride < 1)
  ) {
    throw new RequestFailed("request", "labelStride must be a whole number >= 1");
  }
  const field = req.labelField;
  if (field !== undefined && !CHOLECT50_FIELDS.includes(field as CholecT50Field)) {
    throw new RequestFailed("request", `labelField must be one of ${CHOLECT50_FIELDS.join(", ")}`);
  }
  const onMissing = req.onMissingLabel;
  if (onMissing !== undefined && !["error", "skip", "none"].includes(onMissing as string)) {
    throw new RequestFailed("request", "onMissingLabel must be error, skip or none");
  }
  let files;
  let labeler: Labeler | undefined;
  try {
    // the same listing and labels as `images` (src/labels/resolve.ts)
    const resolved = await resolveLabels(
      typeof req.labels === "string" ? req.labels : undefined,
      await listInputs(inputs as string[]),
      {
        stride: stride as number | undefined,
        field: field as CholecT50Field | undefined,
        onMissing: onMissing as MissingLabelMode | undefined,
      },
    );
    files = resolved.files;
    labeler = resolved.labeler;
  } catch (err) {
    if (err instanceof SourceError || err instanceof LabelError) {
      throw new RequestFailed("read", err.message);
    }
    throw err;
  }
  const out: [string, string, number[]][] = [];
  let notImages = 0;
  const head = new Uint8Array(8); // enough to tell a JPEG (3 bytes) or a PNG (8) by content
  for (const f of files) {
    // the same content sniffing as `images`: files that are not JPEGs are not items
    let n = 0;
    try {
      using file = await Deno.open(f.path);
      n = (await file.read(head)) ?? 0;
    } catch {
      n = 0; // unreadable now: listed, and reported when it is read
      out.push([f.key, f.path, labeler?.lookup(f.key, f.dir, f.path) ?? []]);
      continue;
    }
    if (sniffImage(head.subarray(0, n)) === null) {
      notImages++;
      continue;
    }
    out.push([f.key, f.path, labeler?.lookup(f.key, f.dir, f.path) ?? []]);
  }
  return answer(id, seq, { classes: labeler?.classes ?? [], files: out, not_images: notImages });
}

/** A record with no payload answering request `id` (a listing or a failure). */
function answer(id: number, seq: number, extra: Record<string, unknown>): Frame {
  return {
    width: 0,
    height: 0,
    channels: 3,
    layout: "chw",
    data: new Uint8Array(),
    seq,
    position: id,
    timestamp: Date.now(),
    key: "",
    labels: [],
    extra: { id, ...extra },
  };
}

async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buf = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buf += chunk;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, i);
      buf = buf.slice(i + 1);
    }
  }
  if (buf.trim()) yield buf;
}

/**
 * Run `framepipe decode-server`.
 *
 * @param args Arguments after `decode-server`.
 * @returns The exit code (0 when stdin closes).
 */
export async function decodeServerCommand(args: string[]): Promise<number> {
  const { positionals, help } = parseCommand(DECODE_SERVER_SPEC, args);
  if (help) {
    console.log(usage(DECODE_SERVER_SPEC));
    return 0;
  }
  if (positionals.length > 0) {
    throw new UsageError("decode-server takes no arguments: requests come on stdin");
  }
  try {
    writeAll(ENCODER.header({
      source: "decode-server",
      classes: [],
      layout: "chw",
      width: 0,
      height: 0,
      channels: 3,
    }));
    let seq = 0;
    let failed = 0;
    const t0 = performance.now();
    for await (const line of lines(Deno.stdin.readable)) {
      if (!line.trim()) continue;
      let id = -1;
      let frame: Frame;
      try {
        let req: Record<string, unknown>;
        try {
          req = JSON.parse(line);
        } catch {
          throw new RequestFailed("request", "a request must be one JSON object per line");
        }
        if (typeof req !== "object" || req === null) {
          throw new RequestFailed("request", "a request must be a JSON object");
        }
        id = typeof req.id === "number" ? req.id : -1;
        if (req.op === "read") frame = await read(req, id, seq);
        else if (req.op === "list") frame = await list(req, id, seq);
        else throw new RequestFailed("request", `unknown op ${JSON.stringify(req.op)}`);
      } catch (err) {
        if (err instanceof RequestFailed) {
          frame = answer(id, seq, { error: err.message, kind: err.kind });
        } else {
          frame = answer(id, seq, {
            error: `internal error: ${(err as Error)?.message}`,
            kind: "internal",
          });
        }
      }
      seq++;
      if (frame.extra?.error !== undefined) failed++;
      writeAll(ENCODER.frame(frame));
    }
    writeAll(ENCODER.end({
      frames: seq - failed,
      skipped: failed,
      errors: failed,
      dropped: 0,
      reconnects: 0,
      elapsed_s: Math.round(performance.now() - t0) / 1000,
      reason: "end",
    }));
  } catch (err) {
    if (err instanceof Deno.errors.BrokenPipe) return 0;
    throw err;
  }
  return 0;
}
