/**
 * `readRgbImage`: the original project's `read_rgb_image`, one file to a CHW buffer.
 *
 * @module
 */
import { describeFsError } from "../sources/errors.ts";
import { renderImage, type RenderOptions } from "./render.ts";

/** Options for {@linkcode readRgbImage}. */
export interface ReadRgbImageOptions extends Omit<RenderOptions, "channels"> {
  /** Target width (the decoded width when absent). */
  width?: number;
  /** Target height (the decoded height when absent). */
  height?: number;
}

/**
 * Read a JPEG or PNG file (told apart by content) and return its pixels as a planar CHW
 * `Uint8Array` (index `c*H*W + y*W + x`), resized when `width`/`height` are given.
 *
 * @param path The JPEG or PNG file.
 * @param options Size, interpolation (the original used `nearest`), fit, orientation.
 * @returns The CHW pixels, 3 * height * width bytes.
 * @throws {import("../decode/types.ts").JpegError} corrupt or unsupported JPEG or PNG (a
 *   `PngError`), or neither.
 * @throws {import("../sources/errors.ts").SourceError} missing file or permission.
 * @example
 * ```ts
 * import { readRgbImage } from "./read_rgb_image.ts";
 * const chw = await readRgbImage("fixtures/frames/169_0.jpg", { width: 853, height: 480, resize: "nearest" });
 * // chw.length === 3 * 480 * 853
 * ```
 */
export async function readRgbImage(
  path: string,
  options: ReadRgbImageOptions = {},
): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    throw describeFsError(err, path);
  }
  return renderImage(bytes, { ...options, channels: 3, layout: options.layout ?? "chw" }).data;
}
