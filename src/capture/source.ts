/**
 * The capture frame source: runs ffmpeg under a supervisor (`supervisor.ts`: restarts with
 * backoff when the stream drops, exits or stalls, within a stated bound), one run at a time
 * (`attempt.ts`: watchdog), reads decoded frames from its stdout (`readers.ts`), queues them
 * (lossless with backpressure, or keep-latest with drop counting) and yields {@linkcode Frame}s.
 *
 * @module
 */
import { JpegError } from "../decode/types.ts";
import { type Log, SILENT_LOG } from "../util/log.ts";
import type { Frame, Layout, StreamHeader } from "../formats/frame.ts";
import { renderJpeg } from "../pipeline/render.ts";
import type { FitMode, ResizeMode } from "../transform/resize.ts";
import { buildCaptureArgs } from "./args.ts";
import { type Attempt, runAttempt } from "./attempt.ts";
import type { RetryPolicy } from "./backoff.ts";
import { CaptureError, CaptureSetupError } from "./errors.ts";
import { FFMPEG_HINT, ffmpegHasProtocol, type FfmpegProcess } from "./ffmpeg.ts";
import { probeCodec } from "./probe.ts";
import { FrameQueue, LatencyStats } from "./queue.ts";
import { readMjpegFrames, readRawFrames } from "./readers.ts";
import { diagnose, StderrRelay } from "./stderr.ts";
import { supervise } from "./supervisor.ts";
import { type InputInfo, inputInfo, makeRedactor, redactUrl } from "./url.ts";

/** Options for {@linkcode CaptureSource}. */
export interface CaptureOptions {
  /** `srt://...`, `rtsp://...`, `udp://...`, any ffmpeg URL, a file path, or `-` (stdin). */
  url: string;
  /** ffmpeg program. Default `ffmpeg` (on PATH). */
  ffmpeg?: string;
  /** `ffmpeg` (default: ffmpeg decodes and scales) or `framepipe` (MJPEG, framepipe decodes). */
  decoder?: "ffmpeg" | "framepipe";
  /** Output width (with `height`); the stream's size when absent. */
  width?: number;
  /** Output height. */
  height?: number;
  /** Interpolation. Default `bilinear`. */
  resize?: ResizeMode;
  /** Aspect handling. Default `stretch`. */
  fit?: FitMode;
  /** Layout. Default `chw`. */
  layout?: Layout;
  /** 3 (RGB, default) or 1 (grey). */
  channels?: 1 | 3;
  /** Subsample to this frame rate. */
  fps?: number;
  /** Stop after this many frames. */
  frames?: number;
  /**
   * Stop after this many seconds: of wall-clock time for network inputs, of the video (media
   * time, ffmpeg's `-t`) for files and stdin, which are read as fast as they decode.
   */
  duration?: number;
  /** Start this many seconds into a file (ffmpeg's `-ss`). */
  startTime?: number;
  /** Restart ffmpeg when the stream drops. Default: on for network URLs, off for files/stdin. */
  reconnect?: boolean;
  /** Restarts without a frame in between before giving up. Default 10. */
  maxRetries?: number;
  /** Seconds without a frame (after the first) that count as a stall. Default 10. */
  stallTimeout?: number;
  /** Seconds to the first frame of each connection; also the protocol I/O timeout. Default 10. */
  connectTimeout?: number;
  /** Keep only the newest `queue` frames, dropping older ones (default: lossless). */
  latest?: boolean;
  /** Queue length. Default 1 with `latest`, else 4. */
  queue?: number;
  /** `-f FORMAT` for the input (e.g. `v4l2`). */
  inputFormat?: string;
  /** RTSP transport. Default `tcp`. */
  rtspTransport?: string;
  /** First backoff delay in ms (doubles up to `backoffMaxMs`). Default 500. */
  backoffMs?: number;
  /** Largest backoff delay in ms. Default 8000. */
  backoffMaxMs?: number;
  /** Bytes for ffmpeg's stdin when `url` is `-`. Default `Deno.stdin.readable`. */
  stdin?: ReadableStream<Uint8Array>;
  /** Messages (reconnects, ffmpeg warnings). Default: none. */
  log?: Log;
}

/** Counts of a capture. */
export interface CaptureStats {
  /** Frames yielded. */
  frames: number;
  /** Frames received from ffmpeg (including dropped ones). */
  received: number;
  /** Frames dropped by `latest`. */
  dropped: number;
  /** Times the stream resumed after a drop. */
  reconnects: number;
  /** ffmpeg restarts. */
  restarts: number;
  /** Frames framepipe's decoder could not decode (skipped). */
  errors: number;
  /** True when `frames`/`duration` ended the capture. */
  limit: boolean;
}

interface Item {
  data: Uint8Array;
  jpeg: boolean;
  timestamp: number;
  captureSeq: number;
  lost: number;
  gapMs?: number;
}

/**
 * A live (or file) video input as an async iterable of frames.
 *
 * @example Capture 10 frames of an SRT camera at 320x240
 * ```ts ignore
 * import { CaptureSource } from "./source.ts";
 * const cam = new CaptureSource({ url: "srt://127.0.0.1:9999?mode=caller", width: 320, height: 240, frames: 10 });
 * await cam.open();
 * for await (const f of cam) console.log(f.seq, f.timestamp, f.extra);
 * ```
 */
export class CaptureSource implements AsyncIterable<Frame> {
  /** The URL as given. */
  readonly url: string;
  /** The URL with secrets redacted (frame `key`). */
  readonly key: string;
  /** What kind of input the URL is. */
  readonly info: InputInfo;
  /** Output width (known after {@linkcode open}). */
  width = 0;
  /** Output height (known after {@linkcode open}). */
  height = 0;
  /** Counts. */
  readonly stats: CaptureStats = {
    frames: 0,
    received: 0,
    dropped: 0,
    reconnects: 0,
    restarts: 0,
    errors: 0,
    limit: false,
  };
  /** End-to-end latency (capture to consumer), fed by {@linkcode recordDelivered}. */
  readonly latency: LatencyStats = new LatencyStats();

  readonly #o: CaptureOptions;
  readonly #decoder: "ffmpeg" | "framepipe";
  readonly #channels: 1 | 3;
  readonly #layout: Layout;
  readonly #reconnect: boolean;
  readonly #queue: FrameQueue<Item>;
  readonly #log: Log;
  readonly #relay: StderrRelay;
  readonly #redact: (t: string) => string;
  readonly #stop = new AbortController();
  #proc?: FfmpegProcess;
  #supervisor?: Promise<void>;
  #closing?: Promise<void>;
  #sizeWaiters: (() => void)[] = [];
  #copy = false;
  #t0 = 0;
  #lastFrameAt = 0;
  #interval = 0;
  #dropAt = 0;
  #everConnected = false;
  #lastCaptureSeq = -1;
  #jpegWarnings = 0;

  /**
   * Check the options; nothing runs before {@linkcode CaptureSource.open}.
   *
   * @param options What to capture and how.
   * @throws {CaptureSetupError} inconsistent options.
   */
  constructor(options: CaptureOptions) {
    this.#o = options;
    this.url = options.url;
    this.key = redactUrl(options.url);
    this.info = inputInfo(options.url);
    this.#decoder = options.decoder ?? "ffmpeg";
    this.#channels = options.channels ?? 3;
    this.#layout = options.layout ?? "chw";
    this.#reconnect = this.info.scheme === "stdin"
      ? false
      : (options.reconnect ?? this.info.network);
    const latest = options.latest ?? false;
    this.#queue = new FrameQueue<Item>(options.queue ?? (latest ? 1 : 4), latest);
    this.#log = options.log ?? SILENT_LOG;
    this.#redact = makeRedactor(options.url);
    this.#relay = new StderrRelay({ emit: (l) => this.#log.warn(l), redact: this.#redact });
    if ((options.width === undefined) !== (options.height === undefined)) {
      throw new CaptureSetupError("give both width and height, or neither");
    }
    if (options.width !== undefined) {
      this.width = options.width;
      this.height = options.height!;
    }
  }

  /**
   * Check the setup (ffmpeg present, SRT support), start ffmpeg and, when no size was given,
   * wait until the stream's size is known.
   *
   * @param signal Aborts the wait (the capture is then closed).
   * @returns The output size.
   * @throws {CaptureSetupError} ffmpeg missing or without SRT, bad URL, wrong passphrase.
   * @throws {CaptureError} the source could not be reached within the retries.
   */
  async open(signal?: AbortSignal): Promise<{ width: number; height: number }> {
    const program = this.#o.ffmpeg ?? "ffmpeg";
    if (this.info.scheme === "srt" && !(await ffmpegHasProtocol(program, "srt"))) {
      throw new CaptureSetupError(
        `this ffmpeg ("${program}") has no SRT support: "ffmpeg -protocols" does not list srt; install an ffmpeg built with libsrt (Debian/Ubuntu: apt install ffmpeg) or give its path`,
        { hints: FFMPEG_HINT },
      );
    }
    if (
      this.#decoder === "framepipe" && this.#o.fps === undefined &&
      /^(file|https?|rtsps?)$/.test(this.info.scheme)
    ) {
      const codec = await probeCodec({
        program,
        url: this.url,
        info: this.info,
        inputFormat: this.#o.inputFormat,
        timeoutS: this.#o.connectTimeout ?? 10,
      });
      this.#copy = codec === "mjpeg";
      if (this.#copy) this.#log.info("the input is MJPEG: copying it to framepipe's decoder");
    }
    this.#t0 = performance.now();
    signal?.addEventListener("abort", () => this.close(), { once: true });
    this.#supervisor = this.#supervise();
    if (this.width === 0) {
      await new Promise<void>((resolve) => {
        this.#sizeWaiters.push(resolve);
        this.#supervisor!.finally(resolve);
      });
      if (this.width === 0) {
        // The supervisor ended before any frame: surface its error.
        await this.#queue.shift(); // throws the supervisor's error, if any
        throw new CaptureError(`no frame arrived from ${this.key}`);
      }
    }
    return { width: this.width, height: this.height };
  }

  /**
   * The stream header for this capture.
   *
   * @param source Description (default `capture <redacted url>`).
   * @returns The header.
   */
  header(source = `capture ${this.key}`): StreamHeader {
    return {
      source,
      classes: [],
      layout: this.#layout,
      width: this.width,
      height: this.height,
      channels: this.#channels,
      extra: { live: this.info.network, decoder: this.#decoder },
    };
  }

  /**
   * Record that a frame reached the consumer (for the latency statistics).
   *
   * @param frame The frame just written.
   * @param at When the write completed (ms since the epoch). Default now.
   */
  recordDelivered(frame: Frame, at: number = Date.now()): void {
    this.latency.add(at - frame.timestamp);
  }

  /**
   * Counts for the end-of-stream record.
   *
   * @returns `dropped`, `reconnects`, `errors`, `restarts`, `latency_ms`, and `reason: "limit"`
   * when `frames`/`duration` ended the capture.
   */
  summary(): Record<string, unknown> {
    const s: Record<string, unknown> = {
      dropped: this.#queue.dropped,
      reconnects: this.stats.reconnects,
      errors: this.stats.errors,
      skipped: this.stats.errors,
      restarts: this.stats.restarts,
      received: this.stats.received,
    };
    const l = this.latency.summary();
    if (l) s.latency_ms = l;
    if (this.stats.limit) s.reason = "limit";
    return s;
  }

  /**
   * Stop: ffmpeg is terminated (SIGTERM, SIGKILL after 2 s) and awaited. Idempotent.
   *
   * @returns Resolves when ffmpeg is gone.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#stop.abort();
      this.#queue.close();
      this.#queue.clear();
      await this.#proc?.stop();
      await this.#supervisor?.catch(() => {});
      this.#relay.flush();
    })();
    return this.#closing;
  }

  /** Iterate the captured frames (after {@linkcode CaptureSource.open}); `return()` closes. */
  [Symbol.asyncIterator](): AsyncIterator<Frame> {
    return {
      next: () => this.#next(),
      return: async () => {
        await this.close();
        return { done: true, value: undefined };
      },
    };
  }

  async #next(): Promise<IteratorResult<Frame>> {
    const done = { done: true as const, value: undefined };
    while (true) {
      if (this.#o.frames !== undefined && this.stats.frames >= this.#o.frames) {
        this.stats.limit = true;
        await this.close();
        return done;
      }
      let item: Item | undefined;
      if (this.#o.duration !== undefined && this.info.network) {
        const left = this.#t0 + this.#o.duration * 1000 - performance.now();
        let timer: ReturnType<typeof setTimeout> | undefined;
        const r = left <= 0 ? "timeout" : await Promise.race([
          this.#queue.shift(),
          new Promise<"timeout">((res) => timer = setTimeout(() => res("timeout"), left)),
        ]).finally(() => clearTimeout(timer));
        if (r === "timeout") {
          this.stats.limit = true;
          await this.close();
          return done;
        }
        item = r;
      } else {
        item = await this.#queue.shift();
      }
      if (!item) {
        await this.close();
        return done;
      }
      const gap = item.lost +
        (this.#lastCaptureSeq >= 0 ? Math.max(0, item.captureSeq - this.#lastCaptureSeq - 1) : 0);
      this.#lastCaptureSeq = item.captureSeq;
      let data = item.data;
      if (item.jpeg) {
        try {
          data = renderJpeg(item.data, {
            width: this.width,
            height: this.height,
            channels: this.#channels,
            layout: this.#layout,
            resize: this.#o.resize,
            fit: this.#o.fit,
          }).data;
        } catch (err) {
          if (!(err instanceof JpegError)) throw err;
          this.stats.errors++;
          if (this.#jpegWarnings++ < 20) {
            this.#log.warn(`capture: skipped an undecodable frame: ${err.message}`);
          }
          continue;
        }
      }
      const extra: Record<string, unknown> = {
        capture_seq: item.captureSeq,
        gap,
        reconnects: this.stats.reconnects,
      };
      if (item.gapMs !== undefined) extra.gap_ms = Math.round(item.gapMs);
      const frame: Frame = {
        width: this.width,
        height: this.height,
        channels: this.#channels,
        layout: this.#layout,
        data,
        seq: this.stats.frames++,
        position: -1,
        timestamp: item.timestamp,
        key: this.key,
        labels: [],
        extra,
      };
      return { done: false, value: frame };
    }
  }

  /** The retry policy; an attempt takes at most --connect-timeout plus the watchdog's 2 s. */
  #policy(): RetryPolicy {
    return {
      maxRetries: this.#o.maxRetries ?? 10,
      backoffMs: this.#o.backoffMs ?? 500,
      backoffMaxMs: this.#o.backoffMaxMs ?? 8000,
      attemptMs: (this.#o.connectTimeout ?? 10) * 1000 + 2000,
    };
  }

  async #supervise(): Promise<void> {
    try {
      await supervise({
        policy: this.#policy(),
        reconnect: this.#reconnect,
        signal: this.#stop.signal,
        log: this.#log,
        attempt: (deadline) => this.#runOnce(deadline),
        diagnose: (a) =>
          diagnose(a.lines, {
            url: this.key,
            scheme: this.info.scheme,
            hostPort: this.info.hostPort,
            srtMode: this.info.srtMode,
            everConnected: this.#everConnected,
          }),
        onFailure: () => {
          if (this.#lastFrameAt > 0 && this.#dropAt === 0) this.#dropAt = this.#lastFrameAt;
        },
        onRestart: () => this.stats.restarts++,
      });
    } catch (err) {
      this.#queue.close(err);
    } finally {
      this.#queue.close();
    }
  }

  #setSize(w: number, h: number): void {
    if (this.width !== 0) return;
    this.width = w;
    this.height = h;
    for (const r of this.#sizeWaiters.splice(0)) r();
  }

  /** Queue one frame from ffmpeg, noting a resumed stream and the frame interval. */
  async #deliver(data: Uint8Array, jpeg: boolean, framesBefore: number): Promise<void> {
    const now = Date.now();
    const item: Item = { data, jpeg, timestamp: now, captureSeq: this.stats.received++, lost: 0 };
    if (this.#dropAt > 0) {
      item.gapMs = now - this.#dropAt;
      item.lost = this.#interval > 0 ? Math.max(0, Math.round(item.gapMs / this.#interval) - 1) : 0;
      this.stats.reconnects++;
      this.#log.warn(
        `capture: stream resumed after ${(item.gapMs / 1000).toFixed(1)} s${
          this.#interval > 0 ? ` (~${item.lost} frames missing)` : ""
        }; reconnect ${this.stats.reconnects}`,
      );
      this.#dropAt = 0;
    } else if (this.#lastFrameAt > 0 && framesBefore > 0) {
      const dt = now - this.#lastFrameAt;
      this.#interval = this.#interval === 0 ? dt : this.#interval * 0.9 + dt * 0.1;
    }
    this.#lastFrameAt = now;
    this.#everConnected = true;
    await this.#queue.push(item);
  }

  #runOnce(deadline: number | undefined): Promise<Attempt> {
    const sized = this.width !== 0;
    const ffmpegScales = this.#decoder === "ffmpeg" && sized;
    const userSized = this.#o.width !== undefined;
    const args = buildCaptureArgs({
      input: this.url,
      info: this.info,
      decoder: this.#decoder,
      width: ffmpegScales ? this.width : undefined,
      height: ffmpegScales ? this.height : undefined,
      resize: this.#o.resize,
      fit: userSized ? this.#o.fit : "stretch",
      layout: this.#layout,
      channels: this.#channels,
      fps: this.#o.fps,
      startTime: this.#o.startTime,
      mediaDuration: this.info.network ? undefined : this.#o.duration,
      connectTimeout: this.#o.connectTimeout,
      inputFormat: this.#o.inputFormat,
      rtspTransport: this.#o.rtspTransport,
      copy: this.#copy,
      logLevel: sized ? "warning" : "info",
    });
    return runAttempt({
      program: this.#o.ffmpeg,
      args,
      stdin: this.info.scheme === "stdin" ? (this.#o.stdin ?? Deno.stdin.readable) : undefined,
      redact: this.#redact,
      relay: this.#relay,
      connectMs: (this.#o.connectTimeout ?? 10) * 1000,
      stallMs: (this.#o.stallTimeout ?? 10) * 1000,
      deadline,
      signal: this.#stop.signal,
      onSpawn: (p) => this.#proc = p,
      deliver: (data, jpeg, n) => this.#deliver(data, jpeg, n),
      fatal: (err) => err instanceof CaptureSetupError,
      read: async (proc, emit, progress, facts) => {
        if (this.#decoder === "framepipe") {
          await readMjpegFrames(proc.stdout, emit, progress, {
            wanted: () => this.width === 0,
            set: (w, h) => this.#setSize(w, h),
          });
          return;
        }
        if (!sized) {
          const size = new Promise<"size">((r) => facts.onOutputSize = () => r("size"));
          if ((await Promise.race([size, proc.status])) === "size") {
            this.#setSize(facts.facts.outputWidth!, facts.facts.outputHeight!);
          }
        }
        if (this.width === 0) return;
        const shape = {
          width: this.width,
          height: this.height,
          channels: this.#channels,
          layout: this.#layout,
        };
        const rest = await readRawFrames(proc.stdout, shape, emit, progress);
        if (rest > 0 && !this.#stop.signal.aborted) {
          this.#log.warn(`capture: ffmpeg stopped mid-frame; ${rest} bytes discarded`);
        }
      },
    });
  }
}
