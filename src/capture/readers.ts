/**
 * Readers of ffmpeg's stdout: whole raw frames (planar `gbrp` reordered to RGB, `gray`,
 * `rgb24`) and JPEGs of an MJPEG stream. Each hands complete frames to `emit` and calls
 * `progress` whenever bytes arrive (the stall watchdog's heartbeat).
 *
 * @module
 */
import { readJpegInfo } from "../decode/mod.ts";
import type { Layout } from "../formats/frame.ts";
import { splitJpegStream } from "../sources/mjpeg_split.ts";
import { pixelFormat } from "./args.ts";

/** Receives one complete frame (raw pixels, or a JPEG when `jpeg`); resolves when it is queued. */
export type Emit = (data: Uint8Array, jpeg: boolean) => Promise<void>;

/** The shape of raw frames. */
export interface RawShape {
  /** Width. */
  width: number;
  /** Height. */
  height: number;
  /** 1 or 3. */
  channels: 1 | 3;
  /** `chw` (ffmpeg sends `gbrp`, reordered here) or `hwc` (`rgb24`). */
  layout: Layout;
}

/**
 * Read raw frames until ffmpeg's stdout ends.
 *
 * @param stdout ffmpeg's stdout.
 * @param shape Frame shape.
 * @param emit Gets each frame (a fresh buffer per frame).
 * @param progress Called when bytes arrive.
 * @returns Bytes of a last incomplete frame (0 when ffmpeg stopped at a frame boundary).
 */
export async function readRawFrames(
  stdout: ReadableStreamDefaultReader<Uint8Array>,
  shape: RawShape,
  emit: Emit,
  progress: () => void,
): Promise<number> {
  const plane = shape.width * shape.height;
  const size = plane * shape.channels;
  // gbrp arrives as planes G, B, R: plane i of the stream goes to plane perm[i] of RGB.
  const perm = pixelFormat(shape.layout, shape.channels) === "gbrp" ? [1, 2, 0] : null;
  let buf = new Uint8Array(size);
  let filled = 0;
  while (true) {
    const r = await stdout.read();
    if (r.done) break;
    progress();
    const chunk = r.value;
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(chunk.length - off, size - filled);
      if (perm) {
        let pos = filled, o = off, left = n;
        while (left > 0) {
          const p = Math.floor(pos / plane), inPlane = pos - p * plane;
          const k = Math.min(left, plane - inPlane);
          buf.set(chunk.subarray(o, o + k), perm[p] * plane + inPlane);
          pos += k;
          o += k;
          left -= k;
        }
      } else {
        buf.set(chunk.subarray(off, off + n), filled);
      }
      filled += n;
      off += n;
      if (filled === size) {
        await emit(buf, false);
        buf = new Uint8Array(size);
        filled = 0;
      }
    }
  }
  return filled;
}

/**
 * Read the JPEGs of an MJPEG stream until ffmpeg's stdout ends.
 *
 * @param stdout ffmpeg's stdout.
 * @param emit Gets each JPEG.
 * @param progress Called when bytes arrive.
 * @param size While `size.wanted()`, each JPEG's size goes to `size.set` before it is emitted.
 */
export async function readMjpegFrames(
  stdout: ReadableStreamDefaultReader<Uint8Array>,
  emit: Emit,
  progress: () => void,
  size: { wanted(): boolean; set(width: number, height: number): void },
): Promise<void> {
  const chunks = async function* () {
    while (true) {
      const r = await stdout.read();
      if (r.done) return;
      progress();
      yield r.value;
    }
  };
  for await (const jpeg of splitJpegStream(chunks())) {
    if (size.wanted()) {
      const info = readJpegInfo(jpeg);
      size.set(info.width, info.height);
    }
    await emit(jpeg, true);
  }
}
