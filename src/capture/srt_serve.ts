/**
 * A local stand-in for an SRT camera (the original OBS setup): ffmpeg encodes a slideshow of
 * JPEGs or PNGs (piped through its stdin, no temp files; {@linkcode planSlides} lists and checks
 * them), a video file or a test pattern as low-latency
 * H.264 in MPEG-TS and serves it over SRT, as a listener (the camera's usual role) or a caller.
 * ffmpeg is restarted whenever a peer leaves, so the server survives capture reconnects. Each
 * ffmpeg run that served a peer ends with an info line counting the frames it encoded and sent
 * (ffmpeg's `-progress` report), so a test can compare it with what a capture received.
 *
 * A listener's ffmpeg waits for a peer at most {@linkcode LISTEN_TIMEOUT_S} seconds and is then
 * started again, and a slideshow's ffmpeg ends when its stdin (fed by this process) closes: if
 * this process is killed (SIGKILL), its ffmpeg follows within that time instead of waiting
 * forever (a test pattern or video keeps serving a peer already connected until it leaves).
 * Setup errors (unknown host, an address not of this machine, a port in use) end the server at
 * once with {@linkcode CaptureSetupError}, and so do an odd size (H.264 4:2:0 needs even sides) and
 * JPEGs mixed with PNGs; a caller that finds no listener with `once`, and a slideshow without a
 * file that can be served, with {@linkcode CaptureError}.
 *
 * @module
 */
import { type Log, SILENT_LOG } from "../util/log.ts";
import { CaptureError, CaptureSetupError } from "./errors.ts";
import { drainLines, FfmpegProcess } from "./ffmpeg.ts";
import { planSlides, SLIDE_CODECS, slideDefect, type Slides } from "./slides.ts";
import { parseFfmpegLine, StderrRelay } from "./stderr.ts";
import { makeRedactor } from "./url.ts";

/** Options for {@linkcode serveSrt}. */
export interface SrtServeOptions {
  /**
   * JPEG or PNG files, folders and globs (a slideshow, one format), or one video file. Ignored
   * with `testsrc`.
   */
  inputs: string[];
  /** Serve ffmpeg's `testsrc2` pattern instead of inputs. */
  testsrc?: boolean;
  /** Port. Default 9999. */
  port?: number;
  /** Host to listen on (listener) or call (caller). Default `127.0.0.1`. */
  host?: string;
  /** Frames per second. Default 1 for slideshows; the video's own rate for videos. */
  fps?: number;
  /** Output size. Default 1920x1080. */
  width?: number;
  /** Output size. */
  height?: number;
  /** Repeat the inputs forever. */
  loop?: boolean;
  /** SRT passphrase (10-79 characters). */
  passphrase?: string;
  /** SRT latency in milliseconds (sender side). */
  latencyMs?: number;
  /** `listener` (default, like the camera/OBS) or `caller`. */
  mode?: "listener" | "caller";
  /** ffmpeg program. Default `ffmpeg`. */
  ffmpeg?: string;
  /** Serve one peer and return (no restart). */
  once?: boolean;
  /** Stops the server. */
  signal?: AbortSignal;
  /** Messages. */
  log?: Log;
}

const PEER_LEFT = /av_interleaved_write_frame|Error writing trailer|Error closing file/;
/** ffmpeg's words for a host, address or port it cannot serve on or call (retrying cannot help). */
const SETUP_FAILURE =
  /Failed to resolve hostname|Name or service not known|Cannot assign requested address|Port missing in uri|Address already in use|Invalid argument/;
/** A caller found no listener. */
const NO_LISTENER = /Connection to srt:.* failed|Connection setup failure|Connection rejected/i;
/** A listener's wait for a peer ran out ({@linkcode LISTEN_TIMEOUT_S}): started again quietly. */
const LISTEN_EXPIRED = /Connection timed out/;

/** Seconds a listener's ffmpeg waits for a peer before it is started again. */
export const LISTEN_TIMEOUT_S = 3;
const VIDEO_EXT = /\.(mp4|mkv|mov|avi|webm|ts|m2ts|mpg|mpeg|flv|h264|hevc|mjpeg|mjpg|y4m)$/i;

/**
 * The SRT URL ffmpeg serves on.
 *
 * @param o Host, port, mode, passphrase, latency.
 * @returns The URL (contains the passphrase: never log it unredacted).
 * @example
 * ```ts
 * import { srtServeUrl } from "./srt_serve.ts";
 * srtServeUrl({ inputs: [] }); // "srt://127.0.0.1:9999?mode=listener&transtype=live&timeout=500000&pkt_size=1316&listen_timeout=3000000"
 * ```
 */
export function srtServeUrl(o: SrtServeOptions): string {
  const mode = o.mode ?? "listener";
  const host = o.host ?? "127.0.0.1";
  let url = `srt://${host.includes(":") ? `[${host}]` : host}:${o.port ?? 9999}?mode=${mode}` +
    `&transtype=live&timeout=500000&pkt_size=1316`;
  if (mode === "listener") url += `&listen_timeout=${LISTEN_TIMEOUT_S * 1_000_000}`;
  if (o.latencyMs !== undefined) url += `&latency=${Math.round(o.latencyMs * 1000)}`;
  if (o.passphrase) url += `&passphrase=${encodeURIComponent(o.passphrase)}`;
  return url;
}

/** What the server feeds ffmpeg: input arguments, and a slideshow's files to pipe. */
interface Feed {
  args: string[];
  slides?: Slides;
}

async function planFeed(o: SrtServeOptions): Promise<Feed> {
  const w = o.width ?? 1920, h = o.height ?? 1080;
  if (w % 2 || h % 2) {
    throw new CaptureSetupError(
      `cannot serve ${w}x${h}: H.264 in 4:2:0 needs an even width and height (e.g. ${w - w % 2}x${
        h - h % 2
      })`,
      { hints: [{ option: "size" }] },
    );
  }
  const fit = `scale=${w}:${h}:force_original_aspect_ratio=decrease,` +
    `pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p`;
  if (o.testsrc) {
    return {
      args: ["-re", "-f", "lavfi", "-i", `testsrc2=size=${w}x${h}:rate=${o.fps ?? 30}`],
    };
  }
  if (o.inputs.length === 1 && VIDEO_EXT.test(o.inputs[0])) {
    const args = ["-re"];
    if (o.loop) args.push("-stream_loop", "-1");
    args.push("-i", o.inputs[0]);
    return { args: [...args, "-vf", (o.fps ? `fps=${o.fps},` : "") + fit] };
  }
  if (o.inputs.some((i) => VIDEO_EXT.test(i))) {
    throw new CaptureSetupError(
      "srt-serve takes JPEG or PNG files and folders (a slideshow) or one video file, not both",
    );
  }
  const slides = await planSlides(o.inputs, o.log);
  return {
    args: [
      "-re",
      "-f",
      "image2pipe",
      "-framerate",
      String(o.fps ?? 1),
      "-c:v",
      SLIDE_CODECS[slides.format],
      "-i",
      "pipe:0",
      "-vf",
      fit,
    ],
    slides,
  };
}

/**
 * The full ffmpeg argument list for a server (exported for tests and docs).
 *
 * @param feedArgs Input arguments.
 * @param o Options.
 * @returns Arguments.
 */
export function srtServeArgs(feedArgs: string[], o: SrtServeOptions): string[] {
  const fps = o.fps ?? (o.testsrc ? 30 : 1);
  const gop = String(Math.max(1, Math.round(fps)));
  return [
    "-hide_banner",
    "-nostats",
    "-loglevel",
    "level+warning",
    "-progress",
    "pipe:1", // key=value lines on stdout; its frame= counts what was encoded and sent
    ...feedArgs,
    "-an",
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-tune",
    "zerolatency",
    "-g",
    gop,
    "-keyint_min",
    gop,
    "-bf",
    "0",
    "-pix_fmt",
    "yuv420p",
    "-f",
    "mpegts",
    srtServeUrl(o),
  ];
}

/**
 * Pipe the slides into ffmpeg's stdin (repeatedly with `loop`). A file that can no longer be served
 * (emptied, replaced, cut short since it was listed) is left out of `slides.files` for good, with a
 * warning, before any of it is written.
 */
async function feedFiles(
  slides: Slides,
  loop: boolean,
  stdin: WritableStream<Uint8Array>,
  stop: AbortSignal,
  log: Log,
): Promise<void> {
  const w = stdin.getWriter();
  try {
    do {
      for (let i = 0; i < slides.files.length; i++) {
        if (stop.aborted) return;
        const f = slides.files[i];
        const bytes = await Deno.readFile(f).catch((err: Error) => err);
        const defect = bytes instanceof Error
          ? `cannot be read (${bytes.message})`
          : slideDefect(bytes, slides.format);
        if (defect !== undefined || bytes instanceof Error) {
          log.warn(`skipped ${f}: ${defect}; ${slides.files.length - 1} file(s) left`);
          slides.files.splice(i--, 1);
          continue;
        }
        await w.write(bytes);
      }
    } while (loop && slides.files.length > 0);
  } catch {
    // ffmpeg went away (peer left, stopped): the serve loop decides what next
  } finally {
    await w.close().catch(() => {});
  }
}

/**
 * Serve a slideshow, a video or a test pattern over SRT until `signal` aborts (or the inputs
 * end without `loop`, or after one peer with `once`).
 *
 * @param o What to serve and where.
 * @returns Resolves when stopped.
 * @throws {CaptureSetupError} ffmpeg missing, no inputs, a host or port it cannot use.
 * @throws {CaptureError} no slide that can be served (at the start, or after the last one went
 *   bad while serving); with `once`, a caller that found no listener.
 * @example
 * ```ts
 * import { serveSrt } from "./srt_serve.ts";
 * const stop = new AbortController();
 * const server = serveSrt({ inputs: ["fixtures/frames"], width: 320, height: 240, fps: 2, loop: true, signal: stop.signal });
 * // ... framepipe capture 'srt://127.0.0.1:9999?mode=caller' ...
 * stop.abort();
 * await server;
 * ```
 */
export async function serveSrt(o: SrtServeOptions): Promise<void> {
  const feed = await planFeed(o);
  const url = srtServeUrl(o);
  const redact = makeRedactor(url);
  const log = o.log ?? SILENT_LOG;
  const relay = new StderrRelay({ emit: (l) => log.warn(l), redact });
  const stop = o.signal ?? new AbortController().signal;
  const shown = redact(url);
  log.info(
    `serving ${
      o.testsrc
        ? "testsrc2"
        : feed.slides
        ? `${feed.slides.files.length} ${feed.slides.format === "png" ? "PNG" : "JPEG"}s`
        : o.inputs[0]
    } as ${o.width ?? 1920}x${o.height ?? 1080} H.264 on ${shown}`,
  );
  const mode = o.mode ?? "listener", host = o.host ?? "127.0.0.1", port = o.port ?? 9999;
  /** Error lines the relay does not keep (it keeps what it shows; these are checked too). */
  const own: string[] = [];
  let failures = 0;
  while (!stop.aborted) {
    if (feed.slides?.files.length === 0) {
      throw new CaptureError(
        `nothing left to serve: every file of ${o.inputs.join(" ")} went bad while serving`,
      );
    }
    const t0 = performance.now();
    let peerLeft = false;
    const proc = FfmpegProcess.spawn({
      program: o.ffmpeg,
      args: srtServeArgs(feed.args, o),
      stdin: feed.slides ? "piped" : undefined,
      onStderrLine: (raw) => {
        const line = parseFfmpegLine(redact(raw));
        // A peer leaving makes ffmpeg's writes fail: reported once below, not line by line.
        if (PEER_LEFT.test(line.text)) peerLeft = true;
        else if (
          /srt:\/\/|Connection setup failure/.test(line.text) || SETUP_FAILURE.test(line.text)
        ) {
          own.push(line.text); // about opening the SRT URL: summed up below, once, or not at all
        } else if (!stop.aborted) relay.push(line);
      },
    });
    const onStop = () => proc.stop();
    stop.addEventListener("abort", onStop, { once: true });
    const feeding = feed.slides
      ? feedFiles(feed.slides, o.loop === true, proc.child.stdin, stop, log)
      : Promise.resolve();
    let sent = 0;
    const drain = drainLines(proc.stdout, (line) => {
      const frames = /^frame=(\d+)/.exec(line); // ffmpeg's -progress report
      if (frames) sent = Number(frames[1]);
    });
    const status = await proc.status;
    await drain; // ffmpeg has exited: its stdout ends, with the last frame count
    await proc.stop();
    await Promise.all([feeding, drain]);
    stop.removeEventListener("abort", onStop);
    if (stop.aborted) break;
    if (sent > 0) {
      const all = feed.slides && !o.loop && status.success ? feed.slides.files.length : undefined;
      log.info(
        `sent ${sent} frame(s) to the peer${
          all === undefined ? "" : sent === all ? ` (all ${all} slides)` : ` of ${all} slides`
        }`,
      );
    }
    const errs = relay.recent.join("\n") + "\n" + own.join("\n");
    if (!status.success && !peerLeft) {
      const setup = SETUP_FAILURE.exec(errs);
      if (setup) {
        throw new CaptureSetupError(
          `srt-serve cannot ${mode === "caller" ? "call" : "listen on"} ${host}:${port}: ${
            setup[0]
          } (check the host and port)`,
          { hints: [{ option: "host" }, { option: "port" }] },
        );
      }
      if (mode === "caller" && o.once && NO_LISTENER.test(errs)) {
        throw new CaptureError(
          `no SRT listener answered at ${host}:${port} (start the capture in listener mode first)`,
        );
      }
      if (mode === "listener" && LISTEN_EXPIRED.test(errs)) {
        relay.recent.length = 0;
        own.length = 0;
        continue; // nobody called within LISTEN_TIMEOUT_S: wait again
      }
    }
    relay.recent.length = 0;
    if (o.once) break;
    if (status.success && !o.loop && !o.testsrc) break; // the inputs ended
    const ran = performance.now() - t0;
    failures = ran > 3000 ? 0 : failures + 1;
    const delay = Math.min(2000, 100 * 2 ** Math.min(failures, 5));
    const what = peerLeft
      ? "the peer left"
      : mode === "caller" && NO_LISTENER.test(errs)
      ? `no SRT listener at ${host}:${port} yet`
      : `ffmpeg exited (${status.code}${own.length ? `: ${own.at(-1)}` : ""})`;
    log.info(
      `${what}; ${mode === "caller" ? "calling" : "serving"} again on ${shown}${
        delay >= 1000 ? ` in ${delay / 1000} s` : ""
      }`,
    );
    own.length = 0;
    await new Promise<void>((r) => {
      const t = setTimeout(r, delay);
      stop.addEventListener("abort", () => {
        clearTimeout(t);
        r();
      }, { once: true });
    });
  }
  relay.flush();
}
