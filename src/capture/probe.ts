/**
 * Ask ffmpeg for an input's video codec (to copy MJPEG straight to framepipe's decoder).
 *
 * @module
 */
import { FfmpegProcess } from "./ffmpeg.ts";
import { FactParser, parseFfmpegLine } from "./stderr.ts";
import type { InputInfo } from "./url.ts";

/** What to probe. */
export interface ProbeOptions {
  /** ffmpeg program. */
  program: string;
  /** The input URL or path. */
  url: string;
  /** Its kind. */
  info: InputInfo;
  /** `-f FORMAT`. */
  inputFormat?: string;
  /** Give up after this many seconds. */
  timeoutS: number;
}

/**
 * The input's video codec as ffmpeg names it (`mjpeg`, `h264`...), or undefined when ffmpeg did
 * not say within the timeout.
 *
 * @param o Program, input and timeout.
 * @returns The codec name.
 * @throws {import("./errors.ts").CaptureSetupError} ffmpeg is not installed.
 */
export async function probeCodec(o: ProbeOptions): Promise<string | undefined> {
  const args = ["-hide_banner", "-nostdin", "-loglevel", "level+info"];
  if (o.info.scheme.startsWith("rtsp")) args.push("-rtsp_transport", "tcp");
  if (o.inputFormat) args.push("-f", o.inputFormat);
  args.push("-i", o.url);
  const facts = new FactParser();
  const p = FfmpegProcess.spawn({
    program: o.program,
    args,
    onStderrLine: (l) => facts.push(parseFfmpegLine(l)),
  });
  let t: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([p.status, new Promise((r) => t = setTimeout(r, o.timeoutS * 1000))]);
  clearTimeout(t);
  await p.stop();
  return facts.facts.inputCodec;
}
