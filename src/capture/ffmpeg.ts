/**
 * A running ffmpeg: spawned without a shell, stdout read by the caller, stderr always drained
 * concurrently (line by line), stopped with SIGTERM then SIGKILL, status always awaited.
 *
 * @module
 */
import type { OptionHint } from "../util/hint.ts";
import { CaptureSetupError } from "./errors.ts";

/** Options for {@linkcode FfmpegProcess.spawn}. */
export interface SpawnOptions {
  /** Program (default `ffmpeg`, found on PATH). */
  program?: string;
  /** Arguments (no shell). */
  args: string[];
  /**
   * ffmpeg's stdin: a stream piped into it (e.g. framepipe's own stdin), `"piped"` (the caller
   * writes `child.stdin`), or nothing (`null`, the default).
   */
  stdin?: ReadableStream<Uint8Array> | "piped";
  /** Called with each stderr line (without terminator). */
  onStderrLine?: (line: string) => void;
}

/**
 * The message for a missing ffmpeg.
 *
 * @param program The program that was not found.
 * @returns One actionable line.
 */
export function ffmpegNotFoundMessage(program: string): string {
  return program === "ffmpeg"
    ? "ffmpeg not found on PATH; install it (e.g. apt install ffmpeg) or give its path"
    : `ffmpeg not found at "${program}"; install it (e.g. apt install ffmpeg) or give its path`;
}

/** The option that names another ffmpeg (the CLI's `--ffmpeg PATH`). */
export const FFMPEG_HINT: readonly OptionHint[] = [{ option: "ffmpeg", value: "PATH" }];

/** One ffmpeg child process. */
export class FfmpegProcess {
  /** The child. */
  readonly child: Deno.ChildProcess;
  /** Reader of ffmpeg's stdout (owned by this object; cancelled by {@linkcode stop}). */
  readonly stdout: ReadableStreamDefaultReader<Uint8Array>;
  /** Resolves with the exit status (always awaited by `stop`). */
  readonly status: Promise<Deno.CommandStatus>;
  /** Resolves when stderr has been read to its end. */
  readonly stderrDone: Promise<void>;
  #exited = false;
  #stopping?: Promise<Deno.CommandStatus>;
  #stdinPipe?: AbortController;

  private constructor(child: Deno.ChildProcess, options: SpawnOptions) {
    this.child = child;
    this.stdout = child.stdout.getReader();
    this.status = child.status.then((s) => {
      this.#exited = true;
      return s;
    });
    this.stderrDone = drainLines(child.stderr, options.onStderrLine ?? (() => {}));
    if (options.stdin && options.stdin !== "piped") {
      this.#stdinPipe = new AbortController();
      options.stdin.pipeTo(child.stdin, { signal: this.#stdinPipe.signal, preventCancel: true })
        .catch(() => {});
    }
  }

  /**
   * Start ffmpeg.
   *
   * @param options Program, arguments, stdin, stderr callback.
   * @returns The process.
   * @throws {CaptureSetupError} ffmpeg is not installed.
   * @throws {Deno.errors.NotCapable} `--allow-run` is missing (the CLI names the flag).
   * @example
   * ```ts
   * import { FfmpegProcess } from "./ffmpeg.ts";
   * const p = FfmpegProcess.spawn({ args: ["-hide_banner", "-version"] });
   * await p.stop();
   * ```
   */
  static spawn(options: SpawnOptions): FfmpegProcess {
    const program = options.program ?? "ffmpeg";
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(program, {
        args: options.args,
        stdin: options.stdin ? "piped" : "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        throw new CaptureSetupError(ffmpegNotFoundMessage(program), {
          cause: err,
          hints: FFMPEG_HINT,
        });
      }
      throw err;
    }
    return new FfmpegProcess(child, options);
  }

  /** True once the process has exited. */
  get exited(): boolean {
    return this.#exited;
  }

  /** True once {@linkcode stop} was called (later stderr lines are consequences of it). */
  get stopping(): boolean {
    return this.#stopping !== undefined;
  }

  /** The process id. */
  get pid(): number {
    return this.child.pid;
  }

  /**
   * Stop ffmpeg: SIGTERM, then SIGKILL after `graceMs`; stdout is cancelled so a blocked write
   * fails; the status is awaited. Idempotent.
   *
   * @param graceMs Time between SIGTERM and SIGKILL. Default 2000.
   * @returns The exit status.
   */
  stop(graceMs = 2000): Promise<Deno.CommandStatus> {
    this.#stopping ??= this.#stop(graceMs);
    return this.#stopping;
  }

  async #stop(graceMs: number): Promise<Deno.CommandStatus> {
    this.#stdinPipe?.abort();
    if (!this.#exited) this.#kill("SIGTERM");
    this.stdout.cancel().catch(() => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        if (!this.#exited) this.#kill("SIGKILL");
        resolve();
      }, graceMs);
    });
    const status = await Promise.race([this.status, killed.then(() => this.status)]);
    clearTimeout(timer);
    await this.stderrDone.catch(() => {});
    return status;
  }

  #kill(sig: Deno.Signal): void {
    try {
      this.child.kill(sig);
    } catch {
      // already gone
    }
  }
}

/**
 * Read a stream (ffmpeg's stderr, or its stdout reader) to its end, one non-blank line at a time.
 *
 * @param stream The stream, or a reader of it (read to its end; an error ends it quietly).
 * @param onLine Called for each line (`\n`, `\r\n` or `\r` ended; the last may be unended).
 */
export async function drainLines(
  stream: ReadableStream<Uint8Array> | ReadableStreamDefaultReader<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  const dec = new TextDecoder();
  const reader = stream instanceof ReadableStream ? stream.getReader() : stream;
  let rest = "";
  try {
    while (true) {
      const { done, value: chunk } = await reader.read();
      if (done) break;
      rest += dec.decode(chunk, { stream: true });
      const parts = rest.split(/\r\n|\r|\n/);
      rest = parts.pop() ?? "";
      for (const p of parts) if (p.trim()) onLine(p);
    }
  } catch {
    // stderr closed under us: the process is gone
  }
  rest += dec.decode();
  if (rest.trim()) onLine(rest);
}

/**
 * Check once that an ffmpeg build supports a protocol (e.g. `srt`) by reading
 * `ffmpeg -protocols`.
 *
 * @param program ffmpeg path or name.
 * @param protocol Protocol name, e.g. `srt`.
 * @returns True when the protocol is listed as an input.
 * @throws {CaptureSetupError} ffmpeg is not installed.
 */
export async function ffmpegHasProtocol(program: string, protocol: string): Promise<boolean> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(program, {
      args: ["-hide_banner", "-protocols"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new CaptureSetupError(ffmpegNotFoundMessage(program), {
        cause: err,
        hints: FFMPEG_HINT,
      });
    }
    throw err;
  }
  const text = new TextDecoder().decode(out.stdout);
  const input = text.split(/Output:/)[0];
  return input.split(/\s+/).includes(protocol);
}
