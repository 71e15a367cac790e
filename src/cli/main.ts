/**
 * The `framepipe` command line: the command table, help, version, and the mapping from an
 * error's kind to one stderr line and an exit code (0 ok, 1 data error, 2 usage or setup
 * error, 70 internal error).
 *
 * @module
 */
import { PRODUCER } from "../formats/writers.ts";
import { captureCommand } from "./capture.ts";
import { decodeServerCommand } from "./decode_server.ts";
import { imagesCommand } from "./images.ts";
import { inspectCommand } from "./inspect.ts";
import { hintsOf } from "../util/hint.ts";
import { withFlags } from "./flags.ts";
import { Logger } from "./log.ts";
import { EXIT_CODES_LINE, suggest, UsageError } from "./options.ts";
import { previewCommand } from "./preview.ts";
import { srtServeCommand } from "./srt_serve.ts";

/** A subcommand: its one-line summary and its runner. */
export interface Command {
  /** One line for `framepipe --help`. */
  summary: string;
  /** Run with the arguments after the name; resolves to the exit code. */
  run: (args: string[]) => Promise<number>;
}

/** The subcommands, in the order `framepipe --help` lists them. */
export const COMMANDS: ReadonlyMap<string, Command> = new Map<string, Command>([
  ["images", {
    summary: "stream JPEG files, folders, globs or stdin as raw RGB frames",
    run: imagesCommand,
  }],
  ["inspect", {
    summary: "summarise a frame stream from stdin, a file or a --listen server (tcp://)",
    run: inspectCommand,
  }],
  ["decode-server", {
    summary: "decode files on request for Python (JSON lines in, frame records out)",
    run: decodeServerCommand,
  }],
  ["capture", {
    summary: "stream a live camera (srt://, rtsp://, udp://), a video file or stdin via ffmpeg",
    run: captureCommand,
  }],
  ["srt-serve", {
    summary: "serve JPEGs, a video or a test pattern as a local SRT camera (for testing)",
    run: srtServeCommand,
  }],
  ["preview", {
    summary:
      "write a contact sheet PNG of a folder, a capture or a frame stream (check at a glance)",
    run: previewCommand,
  }],
]);

/** What an error's `kind` field says about whose problem it is. */
export type ErrorKind = "usage" | "setup" | "data" | "internal";

/** Exit code per error kind. */
export const EXIT_CODES: Readonly<Record<ErrorKind, number>> = Object.freeze({
  usage: 2,
  setup: 2,
  data: 1,
  internal: 70,
});

/**
 * The kind an error declares (`readonly kind = "setup"` on its class), else `internal`.
 *
 * @param err Any thrown value.
 * @returns Its kind.
 */
export function errorKind(err: unknown): ErrorKind {
  const k = (err as { kind?: unknown } | null)?.kind;
  return typeof k === "string" && Object.hasOwn(EXIT_CODES, k) ? k as ErrorKind : "internal";
}

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
    EXIT_CODES_LINE,
    "Add --debug (before or after the command) for the stack of an internal error.",
  ].join("\n");
}

/**
 * Run the CLI.
 *
 * @param args Command-line arguments.
 * @returns The exit code.
 * @example
 * ```ts ignore
 * import { main } from "./main.ts";
 * Deno.exit(await main(["images", "fixtures/frames", "--size", "64x48", "--out", "-"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const log = new Logger();
  const debug = args.includes("--debug");
  if (debug) args = args.filter((a) => a !== "--debug");
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
    return reportError(err, log, debug);
  }
}

/**
 * Print one line for an error and return the exit code its kind gives. Errors without a kind
 * are bugs: one `internal error` line (the stack with `--debug`), exit 70.
 *
 * @param err The error.
 * @param log Where to print.
 * @param debug Print the stack of an internal error.
 * @returns The exit code.
 */
export function reportError(err: unknown, log: Logger, debug = false): number {
  if (err instanceof Deno.errors.NotCapable) {
    log.error(
      `${oneLine(err.message.replace(/, run again with.*$/s, ""))}: a Deno permission is missing; ${
        permissionHint(err.message)
      }`,
    );
    return 2;
  }
  const kind = errorKind(err);
  const message = err instanceof Error ? err.message : String(err);
  if (kind !== "internal") {
    log.error(withFlags(oneLine(message), hintsOf(err)));
    return EXIT_CODES[kind];
  }
  log.raw(
    `framepipe: internal error: ${oneLine(message)} (a bug; please report it${
      debug ? "" : "; --debug prints the stack"
    })\n`,
  );
  if (debug) log.raw(`${(err as Error)?.stack ?? String(err)}\n`);
  return EXIT_CODES.internal;
}

function oneLine(s: string): string {
  return s.split("\n").map((l) => l.trim()).filter((l) => l !== "").join(" ");
}

function permissionHint(message: string): string {
  const m = /--allow-[a-z]+/.exec(message);
  const what = /"([^"]+)"/.exec(message);
  return m ? `run with ${m[0]}${what ? `=${what[1]}` : ""}` : "see the README's permissions table";
}
