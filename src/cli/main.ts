/**
 * The `framepipe` command line: subcommand dispatch, help, version, and the mapping from
 * errors to one stderr line and an exit code (0 ok, 1 data error, 2 usage or setup error).
 *
 * @module
 */
import { JpegError } from "../decode/types.ts";
import { PRODUCER } from "../formats/writers.ts";
import { LabelError } from "../labels/labels.ts";
import { DecodeFailedError } from "../pipeline/images.ts";
import { SourceError } from "../sources/errors.ts";
import { StreamSplitError } from "../sources/mjpeg_split.ts";
import { SinkError } from "../sinks/open_sink.ts";
import { suggest, UsageError } from "./args.ts";
import { imagesCommand } from "./images.ts";
import { captureCommand } from "./capture.ts";
import { srtServeCommand } from "./srt_serve.ts";
import { CaptureSetupError } from "../capture/errors.ts";
import { inspectCommand } from "./inspect.ts";
import { NetworkError } from "../net/errors.ts";
import { RedisSetupError } from "../redis/errors.ts";
import { Logger } from "./log.ts";
import { previewCommand } from "./preview.ts";

/** A subcommand: its one-line summary and its runner. */
export interface Command {
  /** One line for `framepipe --help`. */
  summary: string;
  /** Run with the arguments after the name; resolves to the exit code. */
  run: (args: string[]) => Promise<number>;
}

/** Registered subcommands (other modules add theirs with {@linkcode registerCommand}). */
export const COMMANDS = new Map<string, Command>([
  ["images", {
    summary: "stream JPEG files, folders, globs or stdin as raw RGB frames",
    run: imagesCommand,
  }],
  ["inspect", {
    summary: "summarise a frame stream from stdin, a file or a --listen server (tcp://)",
    run: inspectCommand,
  }],
]);

/**
 * Add a subcommand.
 *
 * @param name Its name.
 * @param command Summary and runner.
 */
export function registerCommand(name: string, command: Command): void {
  COMMANDS.set(name, command);
}

/** Errors that are the user's to fix (exit code 2). */
const SETUP_ERRORS = [UsageError, SourceError, SinkError, LabelError];

/** Setup error classes other modules add (capture, network, redis). */
export const EXTRA_SETUP_ERRORS: (new (...a: never[]) => Error)[] = [NetworkError];

// Live capture (src/capture): `capture`, `srt-serve`, and its setup errors (exit 2).
registerCommand("capture", {
  summary: "stream a live camera (srt://, rtsp://, udp://), a video file or stdin via ffmpeg",
  run: captureCommand,
});
registerCommand("srt-serve", {
  summary: "serve JPEGs, a video or a test pattern as a local SRT camera (for testing)",
  run: srtServeCommand,
});
EXTRA_SETUP_ERRORS.push(CaptureSetupError);

registerCommand("preview", {
  summary: "write a contact sheet PNG of a folder, a capture or a frame stream (check at a glance)",
  run: previewCommand,
});

// Redis Streams (src/redis): URL, credentials/ACL, unreachable server, frame too large (exit 2).
EXTRA_SETUP_ERRORS.push(RedisSetupError);

function help(): string {
  const w = Math.max(...[...COMMANDS.keys()].map((k) => k.length)) + 2;
  return [
    `${PRODUCER} - JPEG folders and live cameras as raw RGB frame streams for PyTorch`,
    "",
    "Usage: framepipe <command> [options]",
    "",
    "Commands:",
    ...[...COMMANDS].map(([k, c]) => `  ${k.padEnd(w)}${c.summary}`),
    "",
    "Run framepipe <command> --help for options and examples.",
    "",
    "Examples:",
    "  framepipe images ./frames --size 853x480 | python3 train.py",
    "  framepipe images ./frames --labels phases.json --format raw > frames.u8",
    "",
    "Exit codes: 0 ok, 1 data error, 2 usage or setup error.",
  ].join("\n");
}

/**
 * Run the CLI.
 *
 * @param args Command-line arguments.
 * @returns The exit code.
 * @example
 * ```ts
 * import { main } from "./main.ts";
 * Deno.exit(await main(["images", "fixtures/frames", "--size", "64x48"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const log = new Logger();
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(help());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    console.log(PRODUCER);
    return 0;
  }
  const cmd = COMMANDS.get(name);
  try {
    if (!cmd) {
      const s = suggest(name, [...COMMANDS.keys()]);
      throw new UsageError(
        `unknown command "${name}"${s ? `; did you mean "${s}"?` : ""} (see framepipe --help)`,
      );
    }
    return await cmd.run(rest);
  } catch (err) {
    return reportError(err, log);
  }
}

/**
 * Print one line for an error and pick the exit code. Unknown errors are bugs: they get a stack.
 *
 * @param err The error.
 * @param log Where to print.
 * @returns The exit code.
 */
export function reportError(err: unknown, log: Logger): number {
  if ([...SETUP_ERRORS, ...EXTRA_SETUP_ERRORS].some((c) => err instanceof c)) {
    log.error((err as Error).message);
    return 2;
  }
  if (err instanceof Deno.errors.NotCapable) {
    log.error(
      `${err.message.replace(/, run again with.*$/, "")}: a Deno permission is missing; ${
        permissionHint(err.message)
      }`,
    );
    return 2;
  }
  if (
    err instanceof DecodeFailedError || err instanceof JpegError || err instanceof StreamSplitError
  ) {
    log.error((err as Error).message);
    return 1;
  }
  log.error(
    `internal error (a bug; please report it with this trace): ${
      (err as Error)?.stack ?? String(err)
    }`,
  );
  return 70;
}

function permissionHint(message: string): string {
  const m = /--allow-[a-z]+/.exec(message);
  const what = /"([^"]+)"/.exec(message);
  return m ? `run with ${m[0]}${what ? `=${what[1]}` : ""}` : "see the README's permissions table";
}
