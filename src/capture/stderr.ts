/**
 * ffmpeg's stderr: parse `-loglevel level+...` lines, relay warnings and errors as
 * deduplicated, rate-limited one-line messages, pick facts out of info lines (output size,
 * input codec), and turn the last errors into one clear message.
 *
 * @module
 */

/** Severity of one ffmpeg stderr line. */
export type FfmpegLevel = "fatal" | "error" | "warning" | "info" | "other";

/** One parsed stderr line. */
export interface FfmpegLine {
  /** Severity (`other` when the line has no level tag, e.g. libsrt's own log lines). */
  level: FfmpegLevel;
  /** The text without level tag and with `@ 0x...` addresses removed. */
  text: string;
}

const LEVEL_TAG = /\[(fatal|error|warning|info|verbose|debug|trace|panic)\] ?/;
const SRT_LOG = /^\d\d:\d\d:\d\d\.\d+\/SRT:[^ ]*?([!*])([EWF]):[^:]*: ?(.*)$/;

/**
 * Parse one line of ffmpeg stderr written with `-loglevel level+LEVEL`.
 *
 * @param raw The line without its terminator.
 * @returns Level and cleaned text.
 * @example
 * ```ts
 * import { parseFfmpegLine } from "./stderr.ts";
 * parseFfmpegLine("[srt @ 0x55d] [error] Connection failed"); // { level: "error", text: "[srt] Connection failed" }
 * ```
 */
export function parseFfmpegLine(raw: string): FfmpegLine {
  let level: FfmpegLevel = "other";
  let text = raw;
  const m = LEVEL_TAG.exec(text);
  if (m) {
    const l = m[1];
    level = l === "panic"
      ? "fatal"
      : (["fatal", "error", "warning", "info"].includes(l) ? l as FfmpegLevel : "info");
    text = text.slice(0, m.index) + text.slice(m.index + m[0].length);
  } else {
    const s = SRT_LOG.exec(text);
    if (s) {
      level = s[2] === "W" ? "warning" : "error";
      text = `[srt] ${s[3]}`;
    }
  }
  text = text.replace(/\[([\w-]+) @ 0x[0-9a-f]+\] ?/g, (_, ctx) => `[${ctx}] `)
    .replace(/(\[[\w-]+\] )\1+/g, "$1").trim();
  return { level, text };
}

/** Harmless warnings that only add noise. */
const NOISE = [
  /No accelerated colorspace conversion/,
  /deprecated pixel format used/,
  /EOI missing, emulating/,
  /Immediate exit requested/,
  /^\[srt\] .*(?:srt_recvmsg|Connection was broken|listening)/i,
];

/** Facts learned from ffmpeg's info lines. */
export interface StreamFacts {
  /** Output frame size (from the `Output #0` stream line). */
  outputWidth?: number;
  /** Output frame size. */
  outputHeight?: number;
  /** Input video codec name, e.g. `h264`, `mjpeg`. */
  inputCodec?: string;
  /** Input frame rate when printed. */
  inputFps?: number;
}

/** Accumulates {@linkcode StreamFacts} from info lines. */
export class FactParser {
  /** What is known so far. */
  facts: StreamFacts = {};
  #section: "input" | "output" | "" = "";
  /** Called once when the output size becomes known. */
  onOutputSize?: (w: number, h: number) => void;

  /**
   * Feed one parsed line.
   *
   * @param line The line.
   */
  push(line: FfmpegLine): void {
    const t = line.text;
    if (/^Input #0/.test(t)) this.#section = "input";
    else if (/^Output #0/.test(t)) this.#section = "output";
    const v = /Stream #0:\d+.*?: Video: ([\w-]+)/.exec(t);
    if (!v) return;
    const size = /, (\d{1,5})x(\d{1,5})\b/.exec(t);
    if (this.#section === "input" && this.facts.inputCodec === undefined) {
      this.facts.inputCodec = v[1];
      const fps = /, ([\d.]+) fps/.exec(t);
      if (fps) this.facts.inputFps = Number(fps[1]);
    } else if (this.#section === "output" && size && this.facts.outputWidth === undefined) {
      this.facts.outputWidth = Number(size[1]);
      this.facts.outputHeight = Number(size[2]);
      this.onOutputSize?.(this.facts.outputWidth, this.facts.outputHeight);
    }
  }
}

/** Options for {@linkcode StderrRelay}. */
export interface RelayOptions {
  /** Where relayed lines go (already prefixed with `ffmpeg: `). */
  emit: (line: string) => void;
  /** Scrubs secrets from a line. */
  redact?: (text: string) => string;
  /** Window for deduplication and rate limiting. Default 10 s. */
  windowMs?: number;
  /** Lines per window at most. Default 10. */
  maxPerWindow?: number;
  /** Clock (tests). */
  now?: () => number;
}

type ResolvedRelayOptions = Required<RelayOptions>;

/**
 * Relays ffmpeg warnings and errors: a line already shown in the current window is counted, not
 * repeated; at most `maxPerWindow` lines per window; suppressed counts are reported once.
 */
export class StderrRelay {
  #o: ResolvedRelayOptions;
  #windowStart = -Infinity;
  #shown = 0;
  #seen = new Map<string, number>();
  #suppressed = 0;
  /** Recent error and warning lines (redacted), newest last, for diagnosis. */
  readonly recent: string[] = [];

  /**
   * @param options Where to emit, redaction, limits.
   */
  constructor(options: RelayOptions) {
    this.#o = {
      windowMs: 10_000,
      maxPerWindow: 10,
      now: () => performance.now(),
      redact: (t) => t,
      ...options,
    };
  }

  /**
   * Consider one parsed line for relaying (info lines are never relayed).
   *
   * @param line The line.
   */
  push(line: FfmpegLine): void {
    if (line.level === "info" || line.text === "") return;
    const text = this.#o.redact(line.text);
    this.recent.push(text);
    if (this.recent.length > 30) this.recent.shift();
    if (NOISE.some((r) => r.test(text))) return;
    const now = this.#o.now();
    if (now - this.#windowStart >= this.#o.windowMs) this.#roll(now);
    const key = text.replace(/\d+/g, "#");
    const n = this.#seen.get(key) ?? 0;
    this.#seen.set(key, n + 1);
    if (n > 0 || this.#shown >= this.#o.maxPerWindow) {
      this.#suppressed++;
      return;
    }
    this.#shown++;
    this.#o.emit(`ffmpeg: ${text}`);
  }

  /** Report lines suppressed so far (call at the end). */
  flush(): void {
    this.#roll(this.#o.now());
  }

  #roll(now: number): void {
    if (this.#suppressed > 0) {
      this.#o.emit(`ffmpeg: (${this.#suppressed} repeated or excess messages not shown)`);
    }
    this.#suppressed = 0;
    this.#shown = 0;
    this.#seen.clear();
    this.#windowStart = now;
  }
}

/** What went wrong in one ffmpeg run, from its stderr. */
export interface Diagnosis {
  /** One clear line. */
  message: string;
  /** True when retrying cannot help (exit code 2). */
  setup: boolean;
}

/** Context for {@linkcode diagnose}. */
export interface DiagnoseContext {
  /** The redacted URL. */
  url: string;
  /** Scheme (`srt`, `file`, `stdin`...). */
  scheme: string;
  /** `host:port` when known. */
  hostPort?: string;
  /** SRT mode. */
  srtMode?: string;
  /** Whether any frame was ever received from this URL. */
  everConnected: boolean;
}

/**
 * Turn the recent error lines of a failed ffmpeg run into one clear message.
 *
 * @param lines Recent redacted stderr lines (oldest first).
 * @param ctx The URL and its kind.
 * @returns The diagnosis, or undefined when the lines say nothing useful.
 */
export function diagnose(lines: string[], ctx: DiagnoseContext): Diagnosis | undefined {
  const all = lines.join("\n");
  const where = ctx.hostPort ?? ctx.url;
  const has = (r: RegExp) => r.test(all);
  if (has(/Incorrect passphrase|BADSECRET/)) {
    return {
      message:
        `the SRT passphrase was rejected by ${where}: it does not match the sender's (check passphrase=... in the URL)`,
      setup: true,
    };
  }
  if (has(/Password required or unexpected|UNSECURE|enforced encryption/)) {
    return {
      message:
        `${where} and framepipe disagree on SRT encryption: one side has a passphrase and the other none (add or remove passphrase=... in the URL)`,
      setup: true,
    };
  }
  if (has(/Protocol not found/)) {
    return {
      message:
        `this ffmpeg cannot read "${ctx.url}": protocol "${ctx.scheme}" not found (check the URL's scheme: srt://, rtsp://, udp://, http://, or a file path)`,
      setup: true,
    };
  }
  if (has(/No such file or directory/) && (ctx.scheme === "file" || ctx.scheme === "stdin")) {
    return { message: `cannot open "${ctx.url}": no such file`, setup: true };
  }
  if (has(/Permission denied/) && ctx.scheme === "file") {
    return { message: `cannot open "${ctx.url}": permission denied`, setup: true };
  }
  if (has(/Address already in use/) && !ctx.everConnected) {
    return {
      message: `cannot listen on ${where}: the address is already in use (another listener?)`,
      setup: true,
    };
  }
  if (has(/Unrecognized option|Option \S+ not found|Error parsing options|Invalid option/)) {
    const l = lines.find((x) => /option/i.test(x)) ?? lines.at(-1) ?? "";
    return { message: `ffmpeg rejected an option: ${l}`, setup: true };
  }
  if (has(/Failed to resolve hostname|Name or service not known|name resolution/)) {
    return { message: `cannot resolve the host in ${ctx.url} (check the host name)`, setup: false };
  }
  if (has(/Connection refused/)) {
    return {
      message: `connection refused by ${where} (is the camera or server running on this port?)`,
      setup: false,
    };
  }
  if (ctx.scheme === "srt" && ctx.srtMode !== "listener" && has(/Connection to srt:.* failed/)) {
    return {
      message:
        `no SRT listener answered at ${where} (is the camera or srt-serve running in listener mode on this port? for a camera that calls out, use mode=listener)`,
      setup: false,
    };
  }
  if (has(/timed out|Connection timeout/i)) {
    return { message: `timed out talking to ${where}`, setup: false };
  }
  if (has(/Invalid data found when processing input/)) {
    return {
      message: `"${ctx.url}" is not a video stream ffmpeg can read (invalid data)`,
      setup: ctx.scheme === "file",
    };
  }
  if (has(/matches no streams|does not contain any stream/)) {
    return { message: `"${ctx.url}" has no video stream`, setup: ctx.scheme === "file" };
  }
  const last = [...lines].reverse().find((l) => !NOISE.some((r) => r.test(l)));
  return last ? { message: `ffmpeg: ${last}`, setup: false } : undefined;
}
