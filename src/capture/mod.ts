/**
 * Live capture through ffmpeg: SRT/RTSP/UDP cameras, files and stdin as frames, plus a local
 * SRT test camera.
 *
 * @example Capture 10 frames of an SRT camera at 320x240
 * ```ts ignore
 * import { CaptureSource } from "./mod.ts";
 * const cam = new CaptureSource({ url: "srt://127.0.0.1:9999?mode=caller", width: 320, height: 240, frames: 10 });
 * await cam.open();
 * for await (const f of cam) console.log(f.seq, f.timestamp, f.extra?.gap);
 * ```
 *
 * @module
 */
export { type CaptureOptions, CaptureSource, type CaptureStats } from "./source.ts";
export { CaptureError, CaptureSetupError } from "./errors.ts";
export { buildCaptureArgs, type CaptureArgsOptions } from "./args.ts";
export { serveSrt, type SrtServeOptions, srtServeUrl } from "./srt_serve.ts";
export { inputInfo, redactUrl } from "./url.ts";
