/**
 * One fuzz case through every decode path, in process: the TypeScript decoder, the WASM fast
 * path, and `renderJpeg` with and without a target size. A case fails on an exception that is
 * not a framepipe error class, a decode over the time budget, a state leak (a probe file decoded
 * right after the case on the same instance differs from a fresh instance's output), and the two
 * decoders disagreeing on accept/refuse.
 *
 * @module
 */
import { cpuUsage } from "node:process";
import { decodeJpeg } from "../../src/decode/mod.ts";
import { FastJpegDecoder } from "../../src/decode/fast/mod.ts";
import { JpegError } from "../../src/decode/types.ts";
import { renderJpeg, type RenderOptions } from "../../src/pipeline/render.ts";

/** How one decode path ended. */
export interface Outcome {
  /** accepted (decoded), refused (a framepipe JpegError), not-handled (fast path), foreign (any other exception). */
  result: "accepted" | "refused" | "not-handled" | "foreign";
  /** Error name and message when not accepted. */
  error?: string;
  /** Milliseconds the call took (wall clock). */
  ms: number;
  /**
   * CPU milliseconds of this process during the call: what the time budget is checked against,
   * so that other programs on a busy machine do not make a decode look slow.
   */
  cpuMs: number;
  /** Decoded pixels when accepted. */
  data?: Uint8Array;
  /** Warnings the decode reported (accepted only). */
  warnings?: number;
}

/** What went wrong in a case (empty when it passed). */
export interface Failure {
  /** foreign-exception, slow, leak or disagreement. */
  kind: "foreign-exception" | "slow" | "leak" | "disagreement";
  /** Which path and what. */
  detail: string;
}

/** The result of one case. */
export interface CaseResult {
  /** TypeScript decoder. */
  ts: Outcome;
  /** WASM fast path (plain decode). */
  wasm: Outcome;
  /** renderJpeg at the decoded size. */
  render: Outcome;
  /** renderJpeg at a fixed target size (fit contain). */
  renderSized: Outcome;
  /** Failures found. */
  failures: Failure[];
}

/**
 * The pixel limit of every fuzz decode: low enough that the time budget measures hangs rather
 * than the decode of a legitimate image just under the 50 MP default (2-3 s on a busy core).
 */
export const FUZZ_MAX_PIXELS = 16_000_000;
const OPTS = { orientation: false, maxPixels: FUZZ_MAX_PIXELS };
/** renderJpeg at the decoded size, and at a fixed target size (fit contain). */
const RENDER: RenderOptions = { maxPixels: FUZZ_MAX_PIXELS };
const SIZED: RenderOptions = {
  width: 61,
  height: 37,
  fit: "contain",
  layout: "chw",
  maxPixels: FUZZ_MAX_PIXELS,
};

function time<T>(f: () => T): { value?: T; error?: unknown; ms: number; cpuMs: number } {
  const t0 = performance.now();
  const c0 = cpuUsage();
  const done = () => {
    const c = cpuUsage(c0);
    return { ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
  };
  try {
    const value = f();
    return { value, ...done() };
  } catch (error) {
    return { error, ...done() };
  }
}

function outcome(
  r: {
    value?: { data: Uint8Array; warnings?: unknown[] } | null;
    error?: unknown;
    ms: number;
    cpuMs: number;
  },
): Outcome {
  const { ms, cpuMs } = r;
  if (r.error !== undefined) {
    const e = r.error as Error;
    const error = `${e?.name ?? "?"}: ${e?.message ?? String(e)}`;
    return { result: r.error instanceof JpegError ? "refused" : "foreign", error, ms, cpuMs };
  }
  if (r.value === null || r.value === undefined) return { result: "not-handled", ms, cpuMs };
  return {
    result: "accepted",
    ms,
    cpuMs,
    data: r.value.data,
    warnings: r.value.warnings?.length ?? 0,
  };
}

function same(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A good file and what fresh decoders make of it, for the state-leak check. */
interface Probe {
  name: string;
  bytes: Uint8Array;
  ts: Uint8Array;
  wasm: Uint8Array;
  render: Uint8Array;
  renderSized: Uint8Array;
}

/**
 * Runs cases through every decode path and checks them. One instance keeps one fast-path
 * decoder (like a worker does) so state leaks between cases show up.
 */
export class FuzzChecker {
  readonly #fast = FastJpegDecoder.create();
  readonly #probes: Probe[];
  readonly #budgetMs: number;

  /**
   * @param probes Good files decoded after every case (compared with fresh decoders' output).
   * @param budgetMs Time limit of one decode call (CPU milliseconds of this process).
   */
  constructor(probes: { name: string; bytes: Uint8Array }[], budgetMs = 2000) {
    this.#budgetMs = budgetMs;
    this.#probes = probes.map(({ name, bytes }) => {
      const fresh = FastJpegDecoder.create().decode(bytes, OPTS);
      if (!fresh) throw new Error(`probe ${name} is not handled by the fast path`);
      return {
        name,
        bytes,
        ts: decodeJpeg(bytes, OPTS).data,
        wasm: fresh.data,
        render: renderJpeg(bytes, RENDER).data,
        renderSized: renderJpeg(bytes, SIZED).data,
      };
    });
  }

  /**
   * Run one case.
   *
   * @param data The (mutated) file.
   * @returns The outcome of every path and the failures.
   */
  run(data: Uint8Array): CaseResult {
    const ts = outcome(time(() => decodeJpeg(data, OPTS)));
    const wasm = outcome(time(() => this.#fast.decode(data, OPTS)));
    const render = outcome(time(() => renderJpeg(data, RENDER)));
    const renderSized = outcome(time(() => renderJpeg(data, SIZED)));
    const failures: Failure[] = [];
    const paths = { ts, wasm, render, renderSized };
    for (const [name, o] of Object.entries(paths)) {
      if (o.result === "foreign") {
        failures.push({ kind: "foreign-exception", detail: `${name}: ${o.error}` });
      }
      if (o.cpuMs > this.#budgetMs) {
        failures.push({
          kind: "slow",
          detail: `${name}: ${o.cpuMs.toFixed(0)} ms CPU, ${o.ms.toFixed(0)} ms wall (${o.result})`,
        });
      }
    }
    if (
      wasm.result !== "not-handled" && (ts.result === "accepted") !== (wasm.result === "accepted")
    ) {
      failures.push({
        kind: "disagreement",
        detail: ts.result === "accepted"
          ? `ts accepts, wasm refuses (${wasm.error})`
          : `wasm accepts, ts refuses (${ts.error})`,
      });
    }
    if (
      wasm.result === "accepted" && ts.result === "accepted" &&
      (wasm.warnings ?? 0) > 0 !== (ts.warnings ?? 0) > 0
    ) {
      failures.push({
        kind: "disagreement",
        detail: `warnings: ts ${ts.warnings}, wasm ${wasm.warnings}`,
      });
    }
    for (const p of this.#probes) {
      const checks: [string, Uint8Array, () => Uint8Array][] = [
        ["ts", p.ts, () => decodeJpeg(p.bytes, OPTS).data],
        ["wasm", p.wasm, () => this.#fast.decode(p.bytes, OPTS)!.data],
        ["render", p.render, () => renderJpeg(p.bytes, RENDER).data],
        ["renderSized", p.renderSized, () => renderJpeg(p.bytes, SIZED).data],
      ];
      for (const [name, want, get] of checks) {
        let got: Uint8Array | undefined;
        let err = "";
        try {
          got = get();
        } catch (e) {
          err = ` (it throws ${(e as Error)?.name}: ${(e as Error)?.message})`;
        }
        if (err) {
          failures.push({
            kind: "leak",
            detail: `${name}: ${p.name} decoded after this case fails${err}`,
          });
        } else if (!same(got, want)) {
          failures.push({
            kind: "leak",
            detail: `${name}: ${p.name} decoded after this case differs from a fresh decode`,
          });
        }
      }
    }
    return { ts, wasm, render, renderSized, failures };
  }
}
