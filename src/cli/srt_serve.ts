/**
 * `framepipe srt-serve`: a local SRT test camera (replaces the original OBS listener).
 *
 * @module
 */
import { serveSrt } from "../capture/srt_serve.ts";
import { Logger } from "./log.ts";
import {
  choice,
  type CommandSpec,
  flag,
  int,
  parseCommand,
  positive,
  size,
  text,
  usage,
  UsageError,
} from "./options.ts";
import { handleSignals } from "./signals.ts";

/** The `srt-serve` options. */
export const SRT_SERVE_OPTIONS = {
  port: int("N", "SRT port", { default: 9999, min: 1, max: 65535 }),
  host: text("H", "address to listen on (listener) or to call (caller)", { default: "127.0.0.1" }),
  fps: positive(
    "N",
    "frames per second (default 1 for slideshows, 30 for --testsrc, native for videos)",
  ),
  size: size("output size", { default: "1920x1080" }),
  loop: flag("repeat the inputs forever"),
  testsrc: flag("serve ffmpeg's testsrc2 pattern (no inputs)"),
  "passphrase-env": text(
    "VAR",
    "encrypt with the passphrase in environment variable VAR (needs --allow-env=VAR)",
  ),
  latency: positive("MS", "SRT latency in milliseconds"),
  mode: choice(
    "M",
    "listener (like a camera / OBS: capture calls it) | caller (pushes to a capture listener)",
    ["listener", "caller"] as const,
    { default: "listener" },
  ),
  once: flag("serve one peer, then exit"),
  ffmpeg: text("PATH", "the ffmpeg program", { default: "ffmpeg" }),
  quiet: flag("no informational messages", { short: "q" }),
};

/** The `srt-serve` command's table. */
export const SRT_SERVE_SPEC: CommandSpec<typeof SRT_SERVE_OPTIONS> = {
  name: "srt-serve",
  positionals: "<images|folder|video>... | --testsrc",
  summary: "serve JPEGs or PNGs (a slideshow), a video or a test pattern as a local SRT camera",
  options: SRT_SERVE_OPTIONS,
  examples: [
    [
      "deno run --allow-read=./frames --allow-run=ffmpeg cli.ts srt-serve ./frames --loop",
      "the OBS setup: 1920x1080 at 1 frame/s on srt://127.0.0.1:9999 (listener)",
    ],
    [
      "framepipe capture 'srt://127.0.0.1:9999?mode=caller' --size 853x480",
      "... and capture it in another terminal",
    ],
    [
      "SRT_PASS=correcthorse framepipe srt-serve --testsrc --fps 30 --passphrase-env SRT_PASS",
      "an encrypted 1080p30 test pattern",
    ],
    [
      "framepipe srt-serve fixtures/cholect50/videos/VID01 --size 854x480",
      "CholecT50 PNG frames as a camera at their native 1 frame/s",
    ],
  ],
  notes: [
    "JPEGs or PNGs (one format per stream) are piped to ffmpeg's stdin (no temp files); each is",
    "fitted into --size. Empty, non-image and truncated files are skipped with a warning.",
    "ffmpeg is restarted when a peer leaves.",
    "Exit code 1: nothing to serve (no usable image), or --mode caller --once found no listener;",
    "2: a bad --host or --port, an odd --size, JPEGs mixed with PNGs, ffmpeg missing.",
  ],
};

/**
 * Run `framepipe srt-serve`.
 *
 * @param args Arguments after `srt-serve`.
 * @returns The exit code.
 */
export async function srtServeCommand(args: string[]): Promise<number> {
  const { values: v, positionals, help } = parseCommand(SRT_SERVE_SPEC, args);
  if (help) {
    console.log(usage(SRT_SERVE_SPEC));
    return 0;
  }
  const testsrc = v.testsrc;
  if (!testsrc && positionals.length === 0) {
    throw new UsageError(
      "srt-serve needs JPEG or PNG files, folders or a video (or --testsrc); see framepipe srt-serve --help",
    );
  }
  const log = new Logger(v.quiet);
  let passphrase: string | undefined;
  const name = v["passphrase-env"];
  if (name !== undefined) {
    passphrase = Deno.env.get(name);
    if (!passphrase) {
      throw new UsageError(`--passphrase-env ${name}: the environment variable ${name} is empty`);
    }
    if (passphrase.length < 10 || passphrase.length > 79) {
      throw new UsageError(
        `--passphrase-env ${name}: an SRT passphrase must be 10 to 79 characters`,
      );
    }
  }
  const stop = new AbortController();
  const unlisten = handleSignals(stop, log, "stopping");
  try {
    await serveSrt({
      inputs: positionals,
      testsrc,
      port: v.port,
      host: v.host,
      fps: v.fps,
      width: v.size.width,
      height: v.size.height,
      loop: v.loop,
      passphrase,
      latencyMs: v.latency,
      mode: v.mode,
      ffmpeg: v.ffmpeg,
      once: v.once,
      signal: stop.signal,
      log,
    });
  } finally {
    unlisten();
  }
  return 0;
}
