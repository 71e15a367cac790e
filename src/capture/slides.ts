/**
 * The images of an `srt-serve` slideshow: which files, in which one format (JPEG or PNG, told by
 * content), and which files cannot be piped into ffmpeg's `image2pipe` demuxer without corrupting
 * the frames around them (empty, not an image, a PNG cut short).
 *
 * ffmpeg splits a piped image stream with one parser per codec, so a stream is one format: a PNG
 * cut short (no `IEND` at its end) or a stray non-image makes the PNG parser merge the following
 * files into one broken frame (measured: one truncated PNG among 6 lost 4 frames). Such files are
 * left out before anything is written, with a warning naming them.
 *
 * @module
 */
import { isJpeg } from "../decode/jpeg.ts";
import { isPng } from "../decode/png/chunks.ts";
import { listInputs } from "../sources/list.ts";
import type { Log } from "../util/log.ts";
import { CaptureError, CaptureSetupError } from "./errors.ts";

/** The image formats a slideshow can be in, with ffmpeg's `image2pipe` codec for each. */
export const SLIDE_CODECS = { jpeg: "mjpeg", png: "png" } as const;

/** A slideshow's image format. */
export type SlideFormat = keyof typeof SLIDE_CODECS;

/** A slideshow: one format, the files to pipe in order. */
export interface Slides {
  /** The format of every file. */
  format: SlideFormat;
  /** The files, in the order listed (natural sort per folder). */
  files: string[];
}

/** Files a slideshow takes from a folder or glob (others, e.g. label files, are not slides). */
const SLIDE_EXT = /\.(jpe?g|png)$/i;
/** Bytes of a PNG's last chunk: length 0, `IEND`, its CRC. */
const IEND = new Uint8Array([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
const HEAD = 8, TAIL = IEND.length;

/**
 * What a slide file is, from its first 8 and last 12 bytes: its format, or why it cannot be served.
 *
 * @param head The file's first bytes (8 are enough).
 * @param tail The file's last 12 bytes (or all of a shorter file).
 * @returns The format, or the reason (`"empty"`, `"not a JPEG or PNG file"`, ...).
 * @example
 * ```ts
 * import { classifySlide } from "./slides.ts";
 * classifySlide(new Uint8Array(), new Uint8Array()); // { defect: "empty" }
 * ```
 */
export function classifySlide(
  head: Uint8Array,
  tail: Uint8Array,
): { format: SlideFormat } | { defect: string } {
  if (head.length === 0) return { defect: "empty" };
  if (isJpeg(head)) return { format: "jpeg" };
  if (!isPng(head)) return { defect: "not a JPEG or PNG file (by its content)" };
  const end = tail.length >= TAIL && IEND.every((b, i) => tail[tail.length - TAIL + i] === b);
  return end
    ? { format: "png" }
    : { defect: "a truncated PNG (no IEND chunk at its end): copy or export it again" };
}

/**
 * Check a slide's full contents right before it is piped (a file may change while serving).
 *
 * @param bytes The file's contents.
 * @param format The slideshow's format.
 * @returns Why it must be skipped, or `undefined` when it can be piped.
 * @example
 * ```ts
 * import { slideDefect } from "./slides.ts";
 * slideDefect(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), "jpeg"); // undefined
 * ```
 */
export function slideDefect(bytes: Uint8Array, format: SlideFormat): string | undefined {
  const c = classifySlide(
    bytes.subarray(0, HEAD),
    bytes.subarray(Math.max(0, bytes.length - TAIL)),
  );
  if ("defect" in c) return c.defect;
  return c.format === format ? undefined : `a ${name(c.format)} in a ${name(format)} slideshow`;
}

async function headAndTail(path: string): Promise<[Uint8Array, Uint8Array]> {
  using file = await Deno.open(path);
  const size = (await file.stat()).size;
  const head = new Uint8Array(Math.min(HEAD, size));
  const tail = new Uint8Array(Math.min(TAIL, size));
  await readFull(file, head);
  if (size > HEAD && tail.length > 0) {
    await file.seek(size - tail.length, Deno.SeekMode.Start);
    await readFull(file, tail);
  } else tail.set(head.subarray(Math.max(0, head.length - tail.length)));
  return [head, tail];
}

async function readFull(file: Deno.FsFile, buf: Uint8Array): Promise<void> {
  for (let o = 0; o < buf.length;) {
    const n = await file.read(buf.subarray(o));
    if (n === null) throw new Error("the file shrank while it was read");
    o += n;
  }
}

function name(f: SlideFormat): string {
  return f === "jpeg" ? "JPEG" : "PNG";
}

/**
 * List a slideshow's files: JPEG and PNG files (by extension) of the given files, folders and
 * globs, each checked by content. Files that cannot be served are left out with one warning.
 *
 * @param inputs Files, folders, globs.
 * @param log Where the warning about left-out files goes.
 * @returns The format and the files.
 * @throws {CaptureSetupError} no JPEG or PNG file at all; JPEGs and PNGs mixed.
 * @throws {CaptureError} no file that can be served (all empty, not images, truncated).
 * @example
 * ```ts
 * import { planSlides } from "./slides.ts";
 * const { format, files } = await planSlides(["fixtures/cholect50/videos"]); // "png", 12 files
 * ```
 */
export async function planSlides(inputs: string[], log?: Log): Promise<Slides> {
  const where = inputs.join(" ");
  const paths = (await listInputs(inputs)).map((f) => f.path).filter((p) => SLIDE_EXT.test(p));
  if (paths.length === 0) throw new CaptureSetupError(`no JPEG or PNG files in ${where}`);
  const byFormat: Record<SlideFormat, string[]> = { jpeg: [], png: [] };
  const files: string[] = [];
  const bad: { path: string; defect: string }[] = [];
  for (const path of paths) {
    let c: ReturnType<typeof classifySlide>;
    try {
      c = classifySlide(...await headAndTail(path));
    } catch (err) {
      c = { defect: `cannot be read (${err instanceof Error ? err.message : err})` };
    }
    if ("defect" in c) bad.push({ path, defect: c.defect });
    else {
      byFormat[c.format].push(path);
      files.push(path);
    }
  }
  if (byFormat.jpeg.length && byFormat.png.length) {
    const fewer = byFormat.jpeg.length < byFormat.png.length ? "jpeg" : "png";
    throw new CaptureSetupError(
      `one slideshow is one image format, and ${where} has ${byFormat.jpeg.length} JPEG and ` +
        `${byFormat.png.length} PNG files (e.g. ${name(fewer)} ${byFormat[fewer][0]}): serve ` +
        `them as two streams (two srt-serve runs) or convert them to one format`,
    );
  }
  if (files.length === 0) {
    const what = paths.some((p) => /\.png$/i.test(p))
      ? paths.some((p) => /\.jpe?g$/i.test(p)) ? "JPEG/PNG" : "PNG"
      : "JPEG";
    throw new CaptureError(
      bad.every((b) => b.defect === "empty")
        ? `nothing to serve: the ${paths.length} ${what} file(s) in ${where} are all empty`
        : `nothing to serve: none of the ${paths.length} ${what} file(s) in ${where} can be ` +
          `served (${describe(bad)})`,
    );
  }
  if (bad.length) {
    log?.warn(`skipped ${bad.length} file(s) that cannot be served: ${describe(bad)}`);
  }
  return { format: files.length === byFormat.png.length ? "png" : "jpeg", files };
}

/** The first few left-out files and why, for one line. */
function describe(bad: { path: string; defect: string }[]): string {
  const shown = bad.slice(0, 3).map((b) => `${b.path}: ${b.defect}`).join("; ");
  return bad.length > 3 ? `${shown}; and ${bad.length - 3} more` : shown;
}
