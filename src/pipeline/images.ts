/**
 * `images`: files, folders, globs or an MJPEG stream on stdin, as an async iterable of frames.
 *
 * @module
 */
import type { OptionHint } from "../util/hint.ts";
import { JpegError } from "../decode/mod.ts";
import type { Frame, StreamHeader } from "../formats/frame.ts";
import type { CholecT50Field } from "../labels/cholect50.ts";
import type { Labeler } from "../labels/labels.ts";
import { loadLabels } from "../labels/load.ts";
import { isPerVideoTemplate, type MissingLabelMode } from "../labels/per_video.ts";
import { resolveLabels } from "../labels/resolve.ts";
import { describeFsError, SourceError } from "../sources/errors.ts";
import { type InputFile, listInputs, type RepeatedPath } from "../sources/list.ts";
import { splitJpegStream } from "../sources/mjpeg_split.ts";
import { keepEvery, type OrderOptions, planOrder, shardLength } from "../sources/sampling.ts";
import { InputBuffers, readFileInto } from "./recycle.ts";
import { type Rendered, renderImage, type RenderOptions, sniffImage } from "./render.ts";
import type { Renderer } from "./renderer.ts";
import { WorkerPoolRenderer, workersAvailable } from "./worker_pool.ts";

/** What happened to an input that produced no frame. */
export interface SkipEvent {
  /** The input's key. */
  key: string;
  /** `not-jpeg` (content sniffing), `decode` (corrupt or unsupported), `read` (I/O). */
  kind: "not-jpeg" | "decode" | "read";
  /** One-line reason. */
  reason: string;
}

/** Renders on the calling thread. */
export const inlineRenderer: Renderer = {
  render: (bytes, options, reuse) => Promise.resolve(renderImage(bytes, options, reuse)),
  close() {},
};

/** Options for {@linkcode openImages}. */
export interface ImagesOptions extends RenderOptions, OrderOptions {
  /**
   * A label file (format detected by content: JSON key maps, CSV, Cholec80 phase and tool
   * files, CholecT50 JSON), a per-video template (`labels/{video}.json`, `{video}` = the image's
   * parent folder name), `dirs` (class from the parent folder), or a ready labeler.
   */
  labels?: string | Labeler;
  /** Image number N -> annotation frame N * labelStride (Cholec80/CholecT50 files). Default 1. */
  labelStride?: number;
  /** CholecT50 field: `phase` (default), `triplet`, `instrument`, `verb`, `target`. */
  labelField?: CholecT50Field;
  /**
   * With a per-video template, an image whose video has no label file: `error` (default, a
   * LabelError), `skip` (left out), `none` (streamed without a label).
   */
  onMissingLabel?: MissingLabelMode;
  /**
   * Keep only images whose frame number (trailing digits of the name) is a multiple of N,
   * before shuffling and sharding (a 25 fps extraction read at 1 fps: 25).
   */
  every?: number;
  /** `skip` (default): report and count a bad input, go on. `fail`: throw {@linkcode DecodeFailedError}. */
  onError?: "skip" | "fail";
  /** Inputs read and decoded ahead of the consumer. Default 8. Bounds memory. */
  prefetch?: number;
  /**
   * Recycle payload buffers: a frame's `data` is only valid until the next frame is requested
   * (like the Python reader's `reuse=True`); copy what you keep. Bounds memory at high frame
   * rates. Only for consumers that are done with a frame when they ask for the next one (a sink
   * that queues frames must not use it). Default false.
   */
  reuseBuffers?: boolean;
  /** Called for every input that produced no frame. */
  onSkip?: (event: SkipEvent) => void;
  /** Called for every path left out because its real file or folder was already listed. */
  onRepeated?: (event: RepeatedPath) => void;
  /** The stream read for the input `-` (default `Deno.stdin.readable`). */
  stdin?: ReadableStream<Uint8Array>;
  /** Where rendering happens (default: this thread, or a worker pool when `workers` > 0). */
  renderer?: Renderer;
  /** Decode on this many Web Workers (0, the default for the library, decodes on this thread). */
  workers?: number;
  /** Yield frames as they finish instead of in input order (workers only). */
  unordered?: boolean;
  /** Told when workers were asked for but cannot start (decoding then runs on this thread). */
  onNotice?: (message: string) => void;
  /**
   * Told of a likely mistake that does not stop the run, e.g. one label file keyed by frame
   * number applied to the frames of several videos. `hints`: the options it points at.
   */
  onWarning?: (message: string, hints?: readonly OptionHint[]) => void;
}

/** A bad input with `onError: "fail"` (CLI exit code 1). */
export class DecodeFailedError extends Error {
  /** Exit-code kind: bad data (exit 1). */
  readonly kind = "data";
  /**
   * Make the error.
   *
   * @param message `cannot decode "key": reason`.
   * @param options Standard error options.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DecodeFailedError";
  }
}

/** Running counts of an image source. */
export interface ImageStats {
  /** Frames produced. */
  frames: number;
  /** Inputs that produced no frame. */
  skipped: number;
  /** Skipped because decoding or reading failed. */
  errors: number;
  /** Skipped because the content is not a JPEG. */
  notJpeg: number;
  /** Images left out or unlabelled because their video had no label file (per-video labels). */
  noLabelFile: number;
  /** Images left out by `every`. */
  notEvery: number;
  /** Frames without a label although labels were given. */
  unlabelled: number;
  /** Planned inputs (per run, over all epochs), or undefined when unbounded (stdin, `--loop`). */
  total?: number;
  /** Input bytes read. */
  bytesRead: number;
  /**
   * Paths left out while listing because their real file or folder was already listed (symlink
   * loops, links to folders already walked, an input given twice).
   */
  repeated: number;
  /** Frames whose JPEG decoded with libjpeg-style warnings (`warnings` in their metadata). */
  warnings: number;
}

interface WorkItem {
  key: string;
  dir: string;
  /** The path the input is read from (files only). */
  path?: string;
  position: number;
  epoch: number;
  /** Set for a stretch of stdin that held no JPEG: reported as skipped without reading. */
  skip?: SkipEvent;
  /** The input's bytes; `alloc` (exactly n bytes, or undefined) lets a file be read into a recycled buffer. */
  bytes: (alloc?: (n: number) => Uint8Array | undefined) => Promise<Uint8Array>;
}

type Outcome = { frame: Frame } | { skip: SkipEvent; cause?: unknown };

/** A finite or endless source of frames from JPEG files. */
export class ImageFrameSource implements AsyncIterable<Frame> {
  /** The stream header this source describes. */
  readonly header: StreamHeader;
  /** Live counts. */
  readonly stats: ImageStats;
  #items: AsyncIterable<WorkItem>;
  #options: ImagesOptions;
  #labeler?: Labeler;

  /** Use {@linkcode openImages}. */
  constructor(
    header: StreamHeader,
    items: AsyncIterable<WorkItem>,
    total: number | undefined,
    options: ImagesOptions,
    labeler?: Labeler,
  ) {
    this.header = header;
    this.#items = items;
    this.#options = options;
    this.#labeler = labeler;
    this.stats = {
      frames: 0,
      skipped: 0,
      errors: 0,
      notJpeg: 0,
      unlabelled: 0,
      noLabelFile: 0,
      notEvery: 0,
      total,
      bytesRead: 0,
      repeated: 0,
      warnings: 0,
    };
  }

  async #process(
    item: WorkItem,
    renderer: Renderer,
    inputs?: InputBuffers,
    reuse?: Uint8Array,
  ): Promise<Outcome> {
    const o = this.#options;
    if (item.skip) return { skip: item.skip };
    let bytes: Uint8Array;
    try {
      bytes = await item.bytes(inputs && ((n) => inputs.take(n)));
    } catch (err) {
      const e = describeFsError(err, item.key);
      return { skip: { key: item.key, kind: "read", reason: (e as Error).message }, cause: e };
    }
    this.stats.bytesRead += bytes.length;
    if (sniffImage(bytes) === null) {
      return {
        skip: {
          key: item.key,
          kind: "not-jpeg",
          reason: bytes.length === 0
            ? "empty file"
            : "not a JPEG or PNG (content starts with neither FF D8 FF nor the PNG signature)",
        },
      };
    }
    let r: Rendered;
    try {
      r = await renderer.render(bytes, o, reuse);
    } catch (err) {
      if (!(err instanceof JpegError)) throw err;
      return { skip: { key: item.key, kind: "decode", reason: err.message }, cause: err };
    } finally {
      inputs?.give(bytes); // spent (a worker's transferred copy comes back separately)
    }
    let labels = this.#labeler?.lookup(item.key, item.dir, item.path);
    if (this.#labeler && labels === undefined) this.stats.unlabelled++;
    labels ??= [];
    const extra: Record<string, unknown> = {};
    if (item.epoch > 0 || o.epochs !== undefined || o.loop) extra.epoch = item.epoch;
    const { warnings, ...rendered } = r;
    if (warnings?.length) {
      // libjpeg-style warnings: every pixel decoded, but the file is not clean (counted, shown)
      extra.warnings = warnings.length;
      this.stats.warnings++;
      o.onWarning?.(
        `"${item.key}" decoded with a warning: ${warnings.map((w) => w.message).join("; ")}`,
      );
    }
    return {
      frame: {
        ...rendered,
        seq: 0,
        position: item.position,
        timestamp: Date.now(),
        key: item.key,
        labels,
        extra,
      },
    };
  }

  /** Iterate frames in order (or as they finish with `unordered`), `prefetch` inputs ahead. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Frame> {
    const o = this.#options;
    let workers = o.workers ?? 0;
    if (!o.renderer && workers > 0) {
      const avail = workersAvailable();
      if (!avail.ok) {
        o.onNotice?.(`${avail.reason}; decoding on the main thread`);
        workers = 0;
      }
    }
    const ownPool = !o.renderer && workers > 0;
    const renderer = o.renderer ??
      (ownPool ? new WorkerPoolRenderer(workers) : inlineRenderer);
    const prefetch = Math.max(1, o.prefetch ?? 8, ownPool ? 2 * workers : 1);
    // Our own renderers hand spent inputs back for the next reads; payloads come back too
    // with `reuseBuffers` once the consumer asks for the next frame.
    const inputs = o.renderer ? undefined : new InputBuffers(prefetch + 2);
    if (inputs && renderer instanceof WorkerPoolRenderer) {
      renderer.onInputReturned = (b) => inputs.give(b);
    }
    const payloads: Uint8Array[] = [];
    // In-flight work in submission order; with `unordered`, whichever settles first is taken.
    const queue: { id: number; p: Promise<Outcome> }[] = [];
    const settled = new Map<number, Outcome | { thrown: unknown }>();
    let nextId = 0;
    let wake: (() => void) | null = null;
    const it = this.#items[Symbol.asyncIterator]();
    let exhausted = false;
    try {
      while (true) {
        while (!exhausted && queue.length < prefetch) {
          const n = await it.next();
          if (n.done) exhausted = true;
          else {
            const id = nextId++;
            const p = this.#process(n.value, renderer, inputs, payloads.pop());
            p.then((v) => settled.set(id, v), (e) => settled.set(id, { thrown: e }))
              .finally(() => wake?.());
            queue.push({ id, p });
          }
        }
        if (queue.length === 0) return;
        let out: Outcome;
        if (o.unordered) {
          while (!queue.some((q) => settled.has(q.id))) {
            await new Promise<void>((r) => wake = r);
            wake = null;
          }
          const i = queue.findIndex((q) => settled.has(q.id));
          const [{ id }] = queue.splice(i, 1);
          const v = settled.get(id)!;
          settled.delete(id);
          if ("thrown" in v) throw v.thrown;
          out = v;
        } else {
          const { id, p } = queue.shift()!;
          out = await p;
          settled.delete(id);
        }
        if ("frame" in out) {
          out.frame.seq = this.stats.frames++;
          yield out.frame;
          // The consumer asked for the next frame: with reuseBuffers it is done with this one.
          if (o.reuseBuffers && payloads.length <= prefetch) payloads.push(out.frame.data);
          continue;
        }
        this.stats.skipped++;
        if (out.skip.kind !== "not-jpeg") this.stats.errors++;
        else this.stats.notJpeg++;
        if (o.onError === "fail" && out.skip.kind !== "not-jpeg") {
          throw new DecodeFailedError(`cannot decode "${out.skip.key}": ${out.skip.reason}`, {
            cause: out.cause,
          });
        }
        o.onSkip?.(out.skip);
      }
    } finally {
      await it.return?.();
      if (ownPool) renderer.close();
    }
  }
}

/**
 * Work items for concatenated JPEGs on a stream, positions counted from 0. Each stretch of bytes
 * between images that is not a JPEG becomes one skipped item (`stdin@OFFSET`).
 */
async function* stdinItems(
  stream: ReadableStream<Uint8Array>,
  start: number,
  limit: number,
): AsyncGenerator<WorkItem> {
  let i = 0, offset = 0, garbage = 0;
  const skipItem = (): WorkItem => {
    const at = offset;
    offset += garbage;
    const n = garbage;
    garbage = 0;
    return {
      key: `stdin@${at}`,
      dir: "",
      position: i,
      epoch: 0,
      skip: {
        key: `stdin@${at}`,
        kind: "not-jpeg",
        reason: `${n} byte${
          n === 1 ? "" : "s"
        } on stdin that are not a JPEG (no FF D8 start marker)`,
      },
      bytes: () => Promise.resolve(new Uint8Array(0)),
    };
  };
  const split = splitJpegStream(stream, { onGarbage: (n) => garbage += n });
  for await (const jpeg of split) {
    if (garbage > 0) yield skipItem();
    offset += jpeg.length;
    const position = i++;
    if (position < start) continue;
    if (position >= start + limit) return;
    yield {
      key: `stdin#${position}`,
      dir: "",
      position,
      epoch: 0,
      bytes: () => Promise.resolve(jpeg),
    };
  }
  if (garbage > 0) yield skipItem();
}

function labelOptions(o: ImagesOptions) {
  return { stride: o.labelStride, field: o.labelField };
}

/**
 * Open files, folders, globs, or `-` (concatenated JPEGs on stdin) as a frame source.
 *
 * @param inputs Paths, globs, or `["-"]`.
 * @param options Size, layout, labels, order and error handling.
 * @returns The source; iterate it for frames, read `header` and `stats`.
 * @throws {import("../sources/errors.ts").SourceError} missing inputs or permissions.
 * @example
 * ```ts
 * import { openImages } from "./images.ts";
 * const src = await openImages(["fixtures/frames"], { width: 64, height: 48 });
 * for await (const frame of src) console.log(frame.key, frame.data.length);
 * ```
 */
export async function openImages(
  inputs: string[],
  options: ImagesOptions = {},
): Promise<ImageFrameSource> {
  const channels = options.channels ?? 3;
  const layout = options.layout ?? "chw";
  const header: StreamHeader = {
    source: `images ${inputs.join(" ")}`,
    classes: [],
    layout,
    channels,
    width: options.width ?? 0,
    height: options.height ?? 0,
  };
  if (inputs.length === 1 && inputs[0] === "-") {
    if (options.labels === "dirs") {
      throw new SourceError("labels from folders need files in folders, not a stream on stdin", {
        hints: [{ option: "labels", value: "dirs" }],
      });
    }
    if (typeof options.labels === "string" && isPerVideoTemplate(options.labels)) {
      throw new SourceError(
        `per-video labels ${options.labels} name one file per video folder; stdin has no folders`,
        { hints: [{ option: "labels", value: options.labels }] },
      );
    }
    if (options.every !== undefined) {
      throw new SourceError(
        "keeping every Nth frame selects files by the frame number in their names; for stdin " +
          "use ffmpeg's fps filter",
        { hints: [{ option: "every" }] },
      );
    }
    const labeler = typeof options.labels === "string"
      ? await loadLabels(options.labels, labelOptions(options))
      : options.labels;
    header.classes = labeler?.classes ?? [];
    const items = stdinItems(
      options.stdin ?? Deno.stdin.readable,
      options.start ?? 0,
      options.limit ?? Infinity,
    );
    return new ImageFrameSource(header, items, undefined, options, labeler);
  }
  let repeated = 0;
  let files: InputFile[] = await listInputs(inputs, {
    includeDangling: true,
    onRepeated: (e) => {
      repeated++;
      options.onRepeated?.(e);
    },
  });
  let notEvery = 0;
  if (options.every !== undefined) {
    const before = files.length;
    files = keepEvery(files, options.every);
    notEvery = before - files.length;
  }
  const resolved = await resolveLabels(options.labels, files, {
    stride: options.labelStride,
    field: options.labelField,
    onMissing: options.onMissingLabel,
    onWarning: options.onWarning,
  });
  files = resolved.files;
  const labeler = resolved.labeler;
  header.classes = labeler?.classes ?? [];
  const order: OrderOptions = options;
  let total: number | undefined;
  if (!options.loop) {
    const per = shardLength(files.length, order);
    const all = per * (options.epochs ?? 1);
    const start = options.start ?? 0;
    total = Math.max(0, Math.min(all - start, options.limit ?? Infinity));
  }
  async function* items(): AsyncGenerator<WorkItem> {
    for (const p of planOrder(files.length, order)) {
      const f = files[p.index];
      yield {
        key: f.key,
        dir: f.dir,
        path: f.path,
        position: p.position,
        epoch: p.epoch,
        bytes: (alloc) => alloc ? readFileInto(f.path, alloc) : Deno.readFile(f.path),
      };
    }
  }
  const src = new ImageFrameSource(header, items(), total, options, labeler);
  src.stats.repeated = repeated;
  src.stats.notEvery = notEvery;
  src.stats.noLabelFile = resolved.noLabelFile;
  return src;
}

/**
 * Frames from files, folders, globs or `-`, as an async iterable (see {@linkcode openImages} for
 * counts and the header).
 *
 * @param inputs Paths, globs, or `["-"]`; a single string is one input.
 * @param options Size, layout, labels, order and error handling.
 * @returns Frames in order.
 * @example
 * ```ts
 * import { frames } from "./images.ts";
 * for await (const f of frames("fixtures/frames", { width: 64, height: 48 })) {
 *   console.log(f.key, f.labels, f.data.length); // 3*48*64 bytes, CHW
 * }
 * ```
 */
export async function* frames(
  inputs: string | string[],
  options: ImagesOptions = {},
): AsyncGenerator<Frame> {
  const src = await openImages(typeof inputs === "string" ? [inputs] : inputs, options);
  yield* src;
}
