/**
 * `framepipe srt-serve`: a local SRT test camera (replaces the original OBS listener).
 *
 * @module
 */
import { serveSrt } from "../capture/srt_serve.ts";
import {
  type CommandSpec,
  parseChoice,
  parseCommand,
  parseIntOption,
  parsePositive,
  parseSize,
  usage,
  UsageError,
} from "./args.ts";
import { Logger } from "./log.ts";

/** The `srt-serve` command's table. */
export const SRT_SERVE_SPEC: CommandSpec = {
  name: "srt-serve",
  positionals: "<images|folder|video>... | --testsrc",
  summary: "serve JPEGs (a slideshow), a video or a test pattern as a local SRT camera",
  options: [
    { name: "port", type: "string", arg: "N", default: "9999", help: "SRT port" },
    {
      name: "host",
      type: "string",
      arg: "H",
      default: "127.0.0.1",
      help: "address to listen on (listener) or to call (caller)",
    },
    {
      name: "fps",
      type: "string",
      arg: "N",
      help: "frames per second (default 1 for slideshows, 30 for --testsrc, native for videos)",
    },
    { name: "size", type: "string", arg: "WxH", default: "1920x1080", help: "output size" },
    { name: "loop", type: "boolean", help: "repeat the inputs forever" },
    { name: "testsrc", type: "boolean", help: "serve ffmpeg's testsrc2 pattern (no inputs)" },
    {
      name: "passphrase-env",
      type: "string",
      arg: "VAR",
      help: "encrypt with the passphrase in environment variable VAR (needs --allow-env=VAR)",
    },
    {
      name: "latency",
      type: "string",
      arg: "MS",
      help: "SRT latency in milliseconds",
    },
    {
      name: "mode",
      type: "string",
      arg: "M",
      default: "listener",
      help:
        "listener (like a camera / OBS: capture calls it) | caller (pushes to a capture listener)",
    },
    { name: "once", type: "boolean", help: "serve one peer, then exit" },
    { name: "ffmpeg", type: "string", arg: "PATH", default: "ffmpeg", help: "the ffmpeg program" },
    { name: "quiet", type: "boolean", short: "q", help: "no informational messages" },
  ],
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
  ],
  notes: [
    "JPEGs are piped to ffmpeg's stdin (no temp files). ffmpeg is restarted when a peer leaves.",
  ],
};

/**
 * Run `framepipe srt-serve`.
 *
 * @param args Arguments after `srt-serve`.
 * @returns The exit code.
 */
export async function srtServeCommand(args: string[]): Promise<number> {
  const { values: v, positionals } = parseCommand(SRT_SERVE_SPEC, args);
  if (v.help) {
    console.log(usage(SRT_SERVE_SPEC));
    return 0;
  }
  const testsrc = v.testsrc === true;
  if (!testsrc && positionals.length === 0) {
    throw new UsageError(
      "srt-serve needs JPEG files, folders or a video (or --testsrc); see framepipe srt-serve --help",
    );
  }
  const log = new Logger(v.quiet === true);
  const size = parseSize("size", (v.size as string) ?? "1920x1080");
  let passphrase: string | undefined;
  if (typeof v["passphrase-env"] === "string") {
    const name = v["passphrase-env"];
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
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const onSignal = () => {
    log.info("signal received: stopping");
    stop.abort();
  };
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  try {
    await serveSrt({
      inputs: positionals,
      testsrc,
      port: parseIntOption("port", (v.port as string) ?? "9999", 1),
      host: (v.host as string) ?? "127.0.0.1",
      fps: v.fps !== undefined ? parsePositive("fps", v.fps as string) : undefined,
      width: size.width,
      height: size.height,
      loop: v.loop === true,
      passphrase,
      latencyMs: v.latency !== undefined
        ? parsePositive("latency", v.latency as string)
        : undefined,
      mode: parseChoice("mode", (v.mode as string) ?? "listener", ["listener", "caller"] as const),
      ffmpeg: (v.ffmpeg as string) ?? "ffmpeg",
      once: v.once === true,
      signal: stop.signal,
      log,
    });
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
  }
  return 0;
}
