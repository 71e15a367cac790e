/**
 * ffmpeg command lines for capture: input flags per protocol (low delay, small probe, timeouts),
 * the filter chain (`fps`, `scale`/`pad`/`crop` for `--size` and `--fit`), and the output
 * (planar `gbrp`/`gray`/`rgb24` rawvideo, or MJPEG for framepipe's own decoder).
 *
 * @module
 */
import type { Layout } from "../formats/frame.ts";
import type { FitMode, ResizeMode } from "../transform/resize.ts";
import { type InputInfo, withQueryDefault } from "./url.ts";

/** What to ask ffmpeg for. */
export interface CaptureArgsOptions {
  /** URL, path or `-`. */
  input: string;
  /** What kind of input it is. */
  info: InputInfo;
  /** `ffmpeg` (rawvideo out) or `framepipe` (MJPEG out, decoded by framepipe). */
  decoder: "ffmpeg" | "framepipe";
  /** Output size (ffmpeg decoder only; framepipe resizes itself). */
  width?: number;
  /** Output size. */
  height?: number;
  /** Interpolation. */
  resize?: ResizeMode;
  /** Aspect handling. */
  fit?: FitMode;
  /** Payload layout. */
  layout?: Layout;
  /** 3 (RGB) or 1 (grey). */
  channels?: 1 | 3;
  /** Subsample to this rate. */
  fps?: number;
  /** Seconds into the input to start at (`-ss`, files). */
  startTime?: number;
  /** Seconds of the input to read, in media time (`-t`, files). */
  mediaDuration?: number;
  /** Seconds for connecting and for each read (passed to the protocol). */
  connectTimeout?: number;
  /** `-f FORMAT` before `-i` (e.g. `v4l2`). */
  inputFormat?: string;
  /** RTSP transport (default `tcp`). */
  rtspTransport?: string;
  /** Copy MJPEG packets instead of re-encoding (input codec is mjpeg, no filters needed). */
  copy?: boolean;
  /** Log level (`warning`, or `info` when the output size must be read from stderr). */
  logLevel?: "warning" | "info";
}

const SWS_FLAGS: Record<ResizeMode, string> = {
  nearest: "neighbor",
  bilinear: "bilinear",
  area: "area",
};

/**
 * The `-vf` chain for a target size and fit.
 *
 * @param w Width.
 * @param h Height.
 * @param fit Aspect handling.
 * @param resize Interpolation.
 * @returns Filters (without `fps`).
 * @example
 * ```ts
 * import { scaleFilters } from "./args.ts";
 * scaleFilters(320, 240, "contain", "bilinear");
 * // ["scale=320:240:force_original_aspect_ratio=decrease:flags=bilinear", "pad=320:240:(ow-iw)/2:(oh-ih)/2", "setsar=1"]
 * ```
 */
export function scaleFilters(w: number, h: number, fit: FitMode, resize: ResizeMode): string[] {
  const flags = `flags=${SWS_FLAGS[resize]}`;
  if (fit === "contain") {
    return [
      `scale=${w}:${h}:force_original_aspect_ratio=decrease:${flags}`,
      `pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2`,
      "setsar=1",
    ];
  }
  if (fit === "cover") {
    return [
      `scale=${w}:${h}:force_original_aspect_ratio=increase:${flags}`,
      `crop=${w}:${h}`,
      "setsar=1",
    ];
  }
  return [`scale=${w}:${h}:${flags}`, "setsar=1"];
}

/**
 * The pixel format for a layout and channel count.
 *
 * @param layout `chw` (planar) or `hwc` (interleaved).
 * @param channels 1 or 3.
 * @returns `gray`, `gbrp` (planar G,B,R; reordered to R,G,B by framepipe) or `rgb24`.
 */
export function pixelFormat(layout: Layout, channels: 1 | 3): "gray" | "gbrp" | "rgb24" {
  if (channels === 1) return "gray";
  return layout === "chw" ? "gbrp" : "rgb24";
}

/**
 * The input URL with protocol timeouts added when the user did not set them.
 *
 * @param input The URL.
 * @param info Its kind.
 * @param timeoutS Seconds.
 * @returns The URL for ffmpeg.
 */
export function inputUrl(input: string, info: InputInfo, timeoutS: number): string {
  if (input === "-") return "pipe:0";
  const us = String(Math.round(timeoutS * 1e6));
  if (info.scheme === "srt") {
    let u = withQueryDefault(input, "timeout", us);
    if (info.srtMode !== "listener") {
      u = withQueryDefault(u, "connect_timeout", String(Math.round(timeoutS * 1000)));
    } else {
      // bounded wait for the camera: a killed framepipe's ffmpeg does not wait forever
      u = withQueryDefault(u, "listen_timeout", us);
    }
    return u;
  }
  if (info.scheme === "udp") return withQueryDefault(input, "timeout", us);
  return input;
}

/**
 * Build ffmpeg's arguments for a capture.
 *
 * @param o What to capture and how.
 * @returns The argument array (no shell quoting needed).
 * @example
 * ```ts
 * import { buildCaptureArgs } from "./args.ts";
 * import { inputInfo } from "./url.ts";
 * const url = "srt://127.0.0.1:9999?mode=caller";
 * buildCaptureArgs({ input: url, info: inputInfo(url), decoder: "ffmpeg", width: 320, height: 240 });
 * ```
 */
export function buildCaptureArgs(o: CaptureArgsOptions): string[] {
  const timeout = o.connectTimeout ?? 10;
  const args = ["-hide_banner", "-nostats", "-loglevel", `level+${o.logLevel ?? "warning"}`];
  if (o.info.scheme !== "stdin") args.push("-nostdin");
  if (o.info.network) {
    // No `-fflags nobuffer`: with it ffmpeg discards the packets it reads while probing the
    // stream instead of decoding them afterwards (measured: the first 8 of 12 slides of an
    // srt-serve --fps 4 stream, 2 s, were lost on every connection and reconnection).
    args.push(
      "-flags",
      "low_delay",
      "-probesize",
      "262144",
      "-analyzeduration",
      "500000",
    );
    const us = String(Math.round(timeout * 1e6));
    if (o.info.scheme === "rtsp" || o.info.scheme === "rtsps") {
      args.push("-rtsp_transport", o.rtspTransport ?? "tcp", "-timeout", us);
    } else if (/^(https?|tcp|rtmps?)$/.test(o.info.scheme)) {
      args.push("-rw_timeout", us);
    }
  }
  if (o.inputFormat) args.push("-f", o.inputFormat);
  if (o.startTime !== undefined && o.startTime > 0) args.push("-ss", String(o.startTime));
  if (o.mediaDuration !== undefined) args.push("-t", String(o.mediaDuration));
  args.push("-i", inputUrl(o.input, o.info, timeout));
  args.push("-map", "0:v:0", "-an", "-sn", "-dn");
  const filters: string[] = [];
  if (o.fps !== undefined) filters.push(`fps=${o.fps}`);
  if (o.decoder === "ffmpeg") {
    if (o.width !== undefined && o.height !== undefined) {
      filters.push(...scaleFilters(o.width, o.height, o.fit ?? "stretch", o.resize ?? "bilinear"));
    }
    if (filters.length) args.push("-vf", filters.join(","));
    args.push(
      "-pix_fmt",
      pixelFormat(o.layout ?? "chw", o.channels ?? 3),
      "-f",
      "rawvideo",
      "pipe:1",
    );
  } else if (o.copy && filters.length === 0) {
    args.push("-c:v", "copy", "-f", "image2pipe", "pipe:1");
  } else {
    if (filters.length) args.push("-vf", filters.join(","));
    args.push(
      "-c:v",
      "mjpeg",
      "-q:v",
      "2",
      "-pix_fmt",
      "yuvj420p",
      "-f",
      "image2pipe",
      "pipe:1",
    );
  }
  return args;
}
