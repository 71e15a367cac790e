/**
 * One ffmpeg run of a capture: spawn it, relay its stderr, read its stdout with the given
 * reader, and a watchdog that stops it when no frame arrives within the connect timeout, when
 * frames stop for the stall timeout, or at the retry deadline.
 *
 * @module
 */
import type { OptionHint } from "../util/hint.ts";
import { FfmpegProcess } from "./ffmpeg.ts";
import type { Emit } from "./readers.ts";
import { FactParser, parseFfmpegLine, type StderrRelay } from "./stderr.ts";

/** How one ffmpeg run went. */
export interface Attempt {
  /** Frames it delivered. */
  frames: number;
  /** Its exit status. */
  status?: Deno.CommandStatus;
  /** Why the watchdog stopped it, if it did. */
  killReason?: string;
  /** The option whose limit stopped it (with {@linkcode Attempt.killReason}). */
  killHint?: OptionHint;
  /** Its last warning and error lines (redacted), oldest first. */
  lines: string[];
}

/** What one run needs. */
export interface AttemptOptions {
  /** ffmpeg program. */
  program?: string;
  /** Its arguments. */
  args: string[];
  /** Its stdin (capture of `-`). */
  stdin?: ReadableStream<Uint8Array>;
  /** Scrubs secrets from stderr lines. */
  redact: (text: string) => string;
  /** Where warnings go. */
  relay: StderrRelay;
  /** Longest wait for the first frame (ms). */
  connectMs: number;
  /** Longest gap between frames (ms). */
  stallMs: number;
  /** `performance.now()` after which the run is stopped (the retry bound), if any. */
  deadline?: number;
  /** Stops the run. */
  signal: AbortSignal;
  /** Called with the process once spawned. */
  onSpawn?: (proc: FfmpegProcess) => void;
  /** Reads the frames of stdout, calling `emit` per frame and `progress` when bytes arrive. */
  read: (proc: FfmpegProcess, emit: Emit, progress: () => void, facts: FactParser) => Promise<void>;
  /** Takes one frame (resolves when it is queued); `frames` is the run's count before it. */
  deliver: (data: Uint8Array, jpeg: boolean, frames: number) => Promise<void>;
  /** Errors that end the capture instead of the run (setup errors). */
  fatal?: (err: unknown) => boolean;
}

/**
 * Run ffmpeg once (see the module doc).
 *
 * @param o What to run and how to read it.
 * @returns How it went (the process has exited).
 * @throws whatever `read` throws when `o.fatal` says so.
 */
export async function runAttempt(o: AttemptOptions): Promise<Attempt> {
  const facts = new FactParser();
  const lines: string[] = [];
  const attempt: Attempt = { frames: 0, lines };
  let proc: FfmpegProcess | undefined = undefined;
  proc = FfmpegProcess.spawn({
    program: o.program,
    args: o.args,
    stdin: o.stdin,
    onStderrLine: (raw) => {
      const line = parseFfmpegLine(o.redact(raw));
      facts.push(line);
      // After we stop ffmpeg, its complaints (broken pipe...) are our doing: not relayed.
      if (!proc?.stopping) o.relay.push(line);
      if (line.level !== "info") {
        lines.push(line.text);
        if (lines.length > 30) lines.shift();
      }
    },
  });
  o.onSpawn?.(proc);
  if (o.signal.aborted) proc.stop();
  const started = performance.now();
  let lastProgress = started;
  let blocked = false;
  const watchdog = setInterval(() => {
    const now = performance.now();
    if (proc.exited || attempt.killReason) return;
    // ffmpeg's own protocol timeout should fire first; this is the backstop (+2 s).
    if (attempt.frames === 0 && now - started > o.connectMs + 2000) {
      attempt.killReason = `no frame within ${o.connectMs / 1000} s`;
      attempt.killHint = { option: "connectTimeout" };
    } else if (attempt.frames > 0 && !blocked && now - lastProgress > o.stallMs) {
      attempt.killReason = `no frame for ${o.stallMs / 1000} s`;
      attempt.killHint = { option: "stallTimeout" };
    } else if (attempt.frames === 0 && o.deadline !== undefined && now >= o.deadline) {
      attempt.killReason = "no frame before the retry bound";
      attempt.killHint = { option: "maxRetries" };
    }
    if (attempt.killReason) proc.stop();
  }, 200);
  const emit: Emit = async (data, jpeg) => {
    const before = attempt.frames++;
    blocked = true;
    await o.deliver(data, jpeg, before);
    blocked = false;
    lastProgress = performance.now();
  };
  try {
    await o.read(proc, emit, () => lastProgress = performance.now(), facts);
  } catch (err) {
    if (o.fatal?.(err)) throw err;
    lines.push(`reading ffmpeg's output failed: ${(err as Error).message}`);
  } finally {
    clearInterval(watchdog);
    let t: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([proc.status, new Promise((r) => t = setTimeout(r, 1000))]);
    clearTimeout(t);
    attempt.status = await proc.stop();
  }
  return attempt;
}
