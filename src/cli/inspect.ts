/**
 * `framepipe inspect [SOURCE]`: read a `frame` stream (stdin, a file, or `tcp://HOST:PORT` as a
 * consumer of a `--listen` server) and print a summary: frames, sizes, layouts, labels with class
 * names, rates, gaps, end-of-stream counts, first and last keys.
 *
 * @module
 */
import { RECORD_HEADER_SIZE } from "../formats/frame.ts";
import type { StreamRecord } from "../formats/read_stream.ts";
import { SeqCheck } from "../net/seq.ts";
import { inspectRedis } from "../redis/inspect.ts";
import { Logger } from "./log.ts";
import { type CommandSpec, flag, int, parseCommand, usage, UsageError } from "./options.ts";
import { openFrameStream, STREAM_INPUT_OPTIONS, streamRecords } from "./stream_input.ts";

/** The `inspect` options. */
export const INSPECT_OPTIONS = {
  json: flag("print one JSON object instead of text"),
  frames: int("N", "stop after N frames", { min: 1 }),
  ...STREAM_INPUT_OPTIONS,
};

/** The `inspect` command's table. */
export const INSPECT_SPEC: CommandSpec<typeof INSPECT_OPTIONS> = {
  name: "inspect",
  positionals: "[-|FILE|tcp://HOST:PORT|tcps://HOST:PORT|redis://[USER@]HOST:PORT/STREAM]",
  summary: "summarise a frame stream from stdin, a file or a --listen server",
  options: INSPECT_OPTIONS,
  examples: [
    ["framepipe images fixtures/frames --size 64x48 | framepipe inspect", "a pipe"],
    ["framepipe inspect frames.fpip --json", "a file, as JSON"],
    [
      "FRAMEPIPE_TOKEN=s3cret deno run --allow-net=127.0.0.1:9000 --allow-env=FRAMEPIPE_TOKEN cli.ts inspect tcp://127.0.0.1:9000 --frames 100",
      "the first 100 frames of a --listen server",
    ],
    [
      "deno run --allow-net=127.0.0.1:6379 cli.ts inspect redis://127.0.0.1:6379/framepipe:mydata",
      "a Redis stream: length, header, producers, consumer groups with lag and pending",
    ],
  ],
  notes: [
    "Exit codes: 1 when the stream is malformed, or cut short (no end record) without --frames.",
  ],
};

/** The summary `inspect` prints (`--json` prints it as is). */
export interface InspectSummary {
  /** `producer` from the stream header. */
  producer: string | null;
  /** `source` from the stream header. */
  source: string | null;
  /** Class names from the header. */
  classes: string[];
  /** Frame records read. */
  frames: number;
  /** Count per `WxHxC` size. */
  sizes: Record<string, number>;
  /** Count per layout. */
  layouts: Record<string, number>;
  /** Label histogram. */
  labels: { label: number; name: string | null; count: number }[];
  /** Frames without labels. */
  unlabelled: number;
  /** Missing frames: sum of `gap` metadata and holes in the sequence numbers. */
  gaps: { gap_meta: number; seq_holes: number; seq_hole_frames: number };
  /** End-of-stream record, or null when the stream was cut short (or `--frames` stopped). */
  end: Record<string, unknown> | null;
  /** True when the end record was read. */
  complete: boolean;
  /** First frame's key. */
  first_key: string | null;
  /** Last frame's key. */
  last_key: string | null;
  /** Bytes read (records, metadata and payloads). */
  bytes: number;
  /** Seconds from the first byte to the last. */
  seconds: number;
  /** MB/s of reading. */
  mb_per_s: number;
  /** Frames/s of reading. */
  frames_per_s: number;
  /** Frames/s by the frames' own timestamps (capture / decode rate), null for < 2 frames. */
  source_fps: number | null;
}

/** Accumulates an {@linkcode InspectSummary} record by record. */
export class StreamStats {
  #s: InspectSummary = {
    producer: null,
    source: null,
    classes: [],
    frames: 0,
    sizes: {},
    layouts: {},
    labels: [],
    unlabelled: 0,
    gaps: { gap_meta: 0, seq_holes: 0, seq_hole_frames: 0 },
    end: null,
    complete: false,
    first_key: null,
    last_key: null,
    bytes: 0,
    seconds: 0,
    mb_per_s: 0,
    frames_per_s: 0,
    source_fps: null,
  };
  #labels = new Map<number, number>();
  #seq = new SeqCheck();
  #t0 = performance.now();
  #firstTs = NaN;
  #lastTs = NaN;

  /**
   * Add one record.
   *
   * @param r The record.
   */
  add(r: StreamRecord): void {
    const s = this.#s;
    s.bytes += RECORD_HEADER_SIZE + r.fields.metaLength + r.fields.payloadLength;
    if (r.kind === "header") {
      s.producer = typeof r.meta.producer === "string" ? r.meta.producer : null;
      s.source = typeof r.meta.source === "string" ? r.meta.source : null;
      s.classes = Array.isArray(r.meta.classes) ? r.meta.classes.map(String) : [];
      this.#seq.header();
      return;
    }
    if (r.kind === "end") {
      s.end = r.meta;
      s.complete = true;
      return;
    }
    const f = r.fields;
    s.frames++;
    const size = `${f.width}x${f.height}x${f.channels}`;
    s.sizes[size] = (s.sizes[size] ?? 0) + 1;
    s.layouts[f.layout] = (s.layouts[f.layout] ?? 0) + 1;
    const labels = Array.isArray(r.meta.labels) ? r.meta.labels as number[] : [];
    if (labels.length === 0) s.unlabelled++;
    for (const l of labels) this.#labels.set(l, (this.#labels.get(l) ?? 0) + 1);
    this.#seq.frame(f.seq, r.meta.gap);
    const c = this.#seq.counts;
    s.gaps.gap_meta = c.announced;
    s.gaps.seq_holes = c.holes;
    s.gaps.seq_hole_frames = c.missing;
    const key = typeof r.meta.key === "string" ? r.meta.key : null;
    if (key !== null) {
      s.first_key ??= key;
      s.last_key = key;
    }
    if (Number.isNaN(this.#firstTs)) this.#firstTs = f.timestamp;
    this.#lastTs = f.timestamp;
  }

  /** The summary so far. */
  summary(): InspectSummary {
    const s = this.#s;
    const dt = Math.max((performance.now() - this.#t0) / 1000, 1e-9);
    s.seconds = Math.round(dt * 1e4) / 1e4;
    s.mb_per_s = Math.round(s.bytes / 1e6 / dt * 10) / 10;
    s.frames_per_s = Math.round(s.frames / dt * 10) / 10;
    const span = (this.#lastTs - this.#firstTs) / 1000;
    s.source_fps = s.frames >= 2 && span > 0 ? Math.round((s.frames - 1) / span * 10) / 10 : null;
    s.labels = [...this.#labels].sort((a, b) => a[0] - b[0]).map(([label, count]) => ({
      label,
      name: s.classes[label] ?? null,
      count,
    }));
    return s;
  }
}

/**
 * The text form of a summary.
 *
 * @param s The summary.
 * @returns Lines.
 */
export function formatInspect(s: InspectSummary): string {
  const lines = [`stream:   ${s.producer ?? "?"}: ${s.source ?? "?"}`];
  const sizes = Object.entries(s.sizes).map(([k, v]) => `${k}: ${v}`).join(", ") || "-";
  lines.push(
    `frames:   ${s.frames}  (sizes WxHxC ${sizes}; layout ${
      Object.keys(s.layouts).join(", ") || "-"
    }; uint8)`,
  );
  if (s.labels.length || s.classes.length) {
    const parts = s.labels.map((e) => `${e.label} ${e.name ?? "?"}: ${e.count}`);
    parts.push(`(none): ${s.unlabelled}`);
    lines.push(`labels:   ${parts.join(", ")}`);
  }
  const g = s.gaps;
  lines.push(
    `gaps:     ${g.gap_meta} announced (gap metadata), ${g.seq_holes} seq holes (${g.seq_hole_frames} frames)`,
  );
  if (s.end) {
    const keys = ["frames", "skipped", "errors", "dropped", "reconnects", "slow_dropped"];
    const parts = keys.filter((k) => k in s.end!).map((k) => `${k}=${s.end![k]}`);
    if ("reason" in s.end) parts.push(`reason=${s.end.reason}`);
    if ("elapsed_s" in s.end) parts.push(`elapsed=${s.end.elapsed_s}s`);
    lines.push(`end:      ${parts.join(" ")}`);
    const c = s.end.consumer as Record<string, unknown> | undefined;
    if (c && typeof c === "object") {
      lines.push(
        `consumer: #${c.id} ${c.peer}: ${c.frames} frames, ${c.dropped} dropped, ${c.bytes} bytes`,
      );
    }
  } else {
    lines.push("end:      MISSING (no end-of-stream record: cut short or stopped by --frames)");
  }
  if (s.first_key !== null) lines.push(`keys:     first=${s.first_key}  last=${s.last_key}`);
  lines.push(
    `read:     ${(s.bytes / 1e6).toFixed(3)} MB in ${s.seconds.toFixed(3)} s (${
      s.mb_per_s.toFixed(1)
    } MB/s, ${s.frames_per_s.toFixed(1)} frames/s${
      s.source_fps !== null ? `; ${s.source_fps.toFixed(1)} frames/s by timestamps` : ""
    })`,
  );
  return lines.join("\n");
}

/**
 * Run `framepipe inspect`.
 *
 * @param args Arguments after `inspect`.
 * @returns The exit code.
 */
export async function inspectCommand(args: string[]): Promise<number> {
  const { values: v, given, positionals, help } = parseCommand(INSPECT_SPEC, args);
  if (help) {
    console.log(usage(INSPECT_SPEC));
    return 0;
  }
  if (positionals.length > 1) {
    throw new UsageError("inspect reads one stream: give one of -, FILE or tcp://HOST:PORT");
  }
  if (/^rediss?:\/\//i.test(positionals[0] ?? "")) {
    // a framepipe Redis stream (src/redis/inspect.ts): described, not consumed
    return await inspectRedis(positionals[0], {
      json: v.json,
      ca: v.ca,
      connectTimeoutMs: v["connect-timeout"],
    });
  }
  const limit = v.frames ?? Infinity;
  const log = new Logger();
  const input = await openFrameStream(positionals[0] ?? "-", v, given);
  const stats = new StreamStats();
  let frames = 0;
  try {
    for await (const r of streamRecords(input)) {
      stats.add(r);
      if (r.kind === "frame" && ++frames >= limit) break;
    }
  } finally {
    input.close();
  }
  const s = stats.summary();
  console.log(v.json ? JSON.stringify(s) : formatInspect(s));
  if (!s.complete && limit === Infinity) {
    log.error(`${input.name}: stream cut short (no end-of-stream record)`);
    return 1;
  }
  return 0;
}
