/**
 * Progress on stderr for frame-producing commands (`images`, `capture`): a line redrawn in
 * place when stderr is a terminal, and/or machine-readable JSON stats lines (`--stats json`).
 *
 * The line is only drawn on a terminal (`Deno.stderr.isTerminal()`), so pipes and log files
 * never see `\r` or escape codes. JSON lines are one object per line:
 * `{"type":"stats", ...}` every `--stats-interval` seconds, then one `{"type":"summary", ...}`
 * with the numbers of the end-of-stream record.
 *
 * @module
 */
import type { StreamSummary } from "../formats/frame.ts";
import type { Logger } from "./log.ts";
import { autoFlag, custom, type OptionValues, positive, UsageError } from "./options.ts";

/** Progress options shared by `images` and `capture`. */
export const PROGRESS_OPTIONS = {
  progress: autoFlag(
    "progress line on stderr (default: on when stderr is a terminal and not --quiet; --no-progress: off)",
  ),
  stats: custom(
    "FMT",
    'json: one {"type":"stats",...} line on stderr per --stats-interval, then a summary',
    (v, f) => {
      if (v !== undefined && v !== "json") {
        throw new UsageError(`${f} "${v}" is not supported; use ${f} json`);
      }
      return v;
    },
  ),
  "stats-interval": positive("S", "seconds between --stats lines", { default: 1 }),
};

/** What to report, decided from the options and the terminal. */
export interface ProgressSettings {
  /** Draw the in-place progress line. */
  line: boolean;
  /** Print JSON stats lines and a JSON summary. */
  json: boolean;
  /** Seconds between JSON stats lines. */
  intervalS: number;
}

/** Counts a source reports for progress (frames and bytes are counted by the run loop). */
export interface ProgressCounts {
  /** Planned items (finite sources), for done/total and ETA. */
  total?: number;
  /** Items that produced no frame (they count as done). */
  skipped?: number;
  /** Errors among the skipped. */
  errors?: number;
  /** Frames dropped (live sources, slow consumers). */
  dropped?: number;
  /** Reconnects of a live source. */
  reconnects?: number;
}

/** A snapshot of a running stream, as printed in a `{"type":"stats"}` line. */
export interface ProgressSnapshot {
  /** Seconds since the start. */
  elapsed_s: number;
  /** Frames written. */
  frames: number;
  /** Payload bytes written. */
  bytes: number;
  /** Frames per second over the last few seconds. */
  fps: number;
  /** Megabytes (1e6) per second over the last few seconds. */
  mb_per_s: number;
  /** Items done (frames + skipped). */
  done: number;
  /** Planned items, or null when unbounded. */
  total: number | null;
  /** Seconds left at the current rate, or null when unknown. */
  eta_s: number | null;
  /** Inputs skipped. */
  skipped: number;
  /** Errors among the skipped. */
  errors: number;
  /** Frames dropped. */
  dropped: number;
  /** Reconnects. */
  reconnects: number;
}

/**
 * Decide what to report.
 *
 * @param v Parsed values of {@linkcode PROGRESS_OPTIONS}.
 * @param quiet `--quiet` was given (turns the line off unless `--progress` forces it).
 * @param isTerminal Whether stderr is a terminal (default: ask Deno).
 * @returns The settings.
 * @example
 * ```ts
 * import { parseProgressOptions } from "./progress.ts";
 * parseProgressOptions({ progress: undefined, stats: "json", "stats-interval": 1 }, false, false);
 * // { line: false, json: true, intervalS: 1 }
 * ```
 */
export function parseProgressOptions(
  v: OptionValues<typeof PROGRESS_OPTIONS>,
  quiet: boolean,
  isTerminal: boolean = stderrIsTerminal(),
): ProgressSettings {
  const line = v.progress ?? (isTerminal && !quiet);
  return { line, json: v.stats === "json", intervalS: v["stats-interval"] };
}

function stderrIsTerminal(): boolean {
  try {
    return Deno.stderr.isTerminal();
  } catch {
    return false;
  }
}

/** Clear the current terminal line. */
const CLEAR = "\r\x1b[2K";
/** Redraw at most this often (ms). */
const REDRAW_MS = 250;
/** Rate window (ms). */
const WINDOW_MS = 3000;

/**
 * Format seconds as `1h02m`, `3m05s` or `12s`.
 *
 * @param s Seconds.
 * @returns A short duration.
 */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return "?";
  const t = Math.round(s);
  if (t >= 3600) {
    return `${Math.floor(t / 3600)}h${String(Math.floor(t / 60) % 60).padStart(2, "0")}m`;
  }
  if (t >= 60) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, "0")}s`;
  return `${t}s`;
}

/**
 * The progress line for a snapshot (without `\r`).
 *
 * @param s The snapshot.
 * @returns One line, e.g. `120/500 frames (24%)  58.1 frames/s  5.4 MB/s  ETA 6s  1 skipped`.
 */
export function formatProgressLine(s: ProgressSnapshot): string {
  const parts = [
    s.total !== null
      ? `${s.done}/${s.total} (${s.total > 0 ? Math.floor(s.done / s.total * 100) : 100}%)`
      : `${s.frames} frames`,
    `${s.fps.toFixed(1)} frames/s`,
    `${s.mb_per_s.toFixed(1)} MB/s`,
  ];
  if (s.eta_s !== null) parts.push(`ETA ${formatDuration(s.eta_s)}`);
  else parts.push(formatDuration(s.elapsed_s));
  if (s.skipped) parts.push(`${s.skipped} skipped`);
  if (s.dropped) parts.push(`${s.dropped} dropped`);
  if (s.reconnects) parts.push(`${s.reconnects} reconnects`);
  return parts.join("  ");
}

/** Options for {@linkcode ProgressReporter}. */
export interface ProgressReporterOptions {
  /** What to report. */
  settings: ProgressSettings;
  /** The source's counts. */
  counts: () => ProgressCounts;
  /** Messages go through it; its output clears the line first. */
  log: Logger;
  /** Where text goes (default: the logger's raw stderr writer). */
  write?: (text: string) => void;
  /** Clock in ms (for tests). Default `performance.now`. */
  now?: () => number;
}

/**
 * Reports a running stream: call {@linkcode ProgressReporter.frame} per frame and
 * {@linkcode ProgressReporter.finish} at the end.
 *
 * @example
 * ```ts
 * import { ProgressReporter } from "./progress.ts";
 * import { Logger } from "./log.ts";
 * const p = new ProgressReporter({
 *   settings: { line: true, json: false, intervalS: 1 },
 *   counts: () => ({ total: 10 }),
 *   log: new Logger(),
 * });
 * p.start();
 * for (let i = 0; i < 10; i++) p.frame(1000);
 * p.finish();
 * ```
 */
export class ProgressReporter {
  #o: ProgressReporterOptions;
  #now: () => number;
  #write: (text: string) => void;
  #t0 = 0;
  #frames = 0;
  #bytes = 0;
  #lastDraw = -Infinity;
  #lastStats = 0;
  #drawn = false;
  #timer?: ReturnType<typeof setInterval>;
  #samples: { t: number; frames: number; bytes: number }[] = [];
  #restoreLog?: () => void;

  /**
   * Make a reporter (nothing is printed before {@linkcode ProgressReporter.start}).
   *
   * @param options Settings, counts and output.
   */
  constructor(options: ProgressReporterOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => performance.now());
    // The logger's own writer, captured before start() wraps `log.raw`.
    this.#write = options.write ?? options.log.raw.bind(options.log);
  }

  /** True when anything will be printed. */
  get active(): boolean {
    return this.#o.settings.line || this.#o.settings.json;
  }

  /** Start the clock and the timer that redraws while no frame arrives. */
  start(): void {
    this.#t0 = this.#now();
    this.#lastStats = this.#t0;
    this.#samples = [{ t: this.#t0, frames: 0, bytes: 0 }];
    if (!this.active) return;
    if (this.#o.settings.line) {
      // Log lines clear the progress line first; the next tick redraws it.
      const log = this.#o.log;
      const raw = log.raw;
      log.raw = (text: string) => {
        this.#clear(raw.bind(log));
        raw.call(log, text);
      };
      this.#restoreLog = () => {
        log.raw = raw;
      };
    }
    const every = Math.min(REDRAW_MS, this.#o.settings.intervalS * 1000);
    const timer = setInterval(() => this.tick(), every);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  /**
   * Count one written frame and redraw when due.
   *
   * @param bytes Its payload bytes.
   */
  frame(bytes: number): void {
    this.#frames++;
    this.#bytes += bytes;
    this.tick();
  }

  /** Redraw the line and/or print a stats line when due. */
  tick(): void {
    if (!this.active) return;
    const now = this.#now();
    const s = this.#o.settings;
    if (s.line && now - this.#lastDraw >= REDRAW_MS) {
      this.#lastDraw = now;
      this.#write(CLEAR + formatProgressLine(this.snapshot()));
      this.#drawn = true;
    }
    if (s.json && now - this.#lastStats >= s.intervalS * 1000) {
      this.#lastStats = now;
      this.#json({ type: "stats", ...this.snapshot() });
    }
  }

  /**
   * The current numbers.
   *
   * @returns A snapshot.
   */
  snapshot(): ProgressSnapshot {
    const now = this.#now();
    this.#samples.push({ t: now, frames: this.#frames, bytes: this.#bytes });
    while (this.#samples.length > 2 && now - this.#samples[1].t > WINDOW_MS) this.#samples.shift();
    const first = this.#samples[0];
    const dt = (now - first.t) / 1000;
    const fps = dt > 0 ? (this.#frames - first.frames) / dt : 0;
    const mbps = dt > 0 ? (this.#bytes - first.bytes) / 1e6 / dt : 0;
    const c = this.#o.counts();
    const skipped = c.skipped ?? 0;
    const done = this.#frames + skipped;
    const total = c.total ?? null;
    const doneRate = dt > 0 ? fps * (done / Math.max(this.#frames, 1)) : 0;
    const eta = total !== null && done > 0 && doneRate > 0
      ? Math.max(0, (total - done) / doneRate)
      : total !== null && done >= total
      ? 0
      : null;
    return {
      elapsed_s: round((now - this.#t0) / 1000, 3),
      frames: this.#frames,
      bytes: this.#bytes,
      fps: round(fps, 1),
      mb_per_s: round(mbps, 2),
      done,
      total,
      eta_s: eta === null ? null : round(eta, 1),
      skipped,
      errors: c.errors ?? 0,
      dropped: c.dropped ?? 0,
      reconnects: c.reconnects ?? 0,
    };
  }

  /**
   * Stop: clear the line, and with `--stats json` print the summary line.
   *
   * @param summary The end-of-stream record's numbers (printed as `{"type":"summary", ...}`).
   * @param bytes Payload bytes written (added to the summary line).
   */
  finish(summary?: StreamSummary, bytes?: number): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#drawn) this.#write(CLEAR);
    this.#drawn = false;
    this.#restoreLog?.();
    this.#restoreLog = undefined;
    if (this.#o.settings.json && summary) {
      this.#json({ type: "summary", ...summary, bytes: bytes ?? this.#bytes });
    }
  }

  #clear(raw: (t: string) => void): void {
    if (this.#drawn) {
      raw(CLEAR);
      this.#drawn = false;
      this.#lastDraw = -Infinity;
    }
  }

  #json(obj: Record<string, unknown>): void {
    const wasDrawn = this.#drawn;
    if (wasDrawn) {
      this.#write(CLEAR);
      this.#drawn = false;
      this.#lastDraw = -Infinity;
    }
    this.#write(JSON.stringify(obj) + "\n");
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
