/**
 * The decoder fuzz harness: `deno task fuzz [--n N] [--seed S] [--djpeg] [--save DIR]`.
 *
 * Seeded mutations of ../shared/jpeg-corpus/good (see scripts/fuzz/mutate.ts) run in process
 * through the TypeScript decoder, the WASM fast path and `renderJpeg` with and without a target
 * size (scripts/fuzz/check.ts). Fails (exit 1) on any exception that is not a framepipe error
 * class, a decode over 2 s of CPU time, RSS growth over `--rss-mb` (default 256) after a GC, a state leak, or
 * the decoders disagreeing on accept/refuse. Case `i` of seed `S` is reproduced alone with
 * `--seed S --case i`. With `--djpeg`, each case also goes through libjpeg-turbo's djpeg and the
 * report counts the files djpeg refuses or warns about that framepipe accepts without a warning.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type Failure, FuzzChecker } from "./fuzz/check.ts";
import { mutate, type MutationKind, seededRandom } from "./fuzz/mutate.ts";

/** Options of one fuzz run. */
export interface FuzzOptions {
  /** Number of cases. */
  n: number;
  /** Base seed: case i uses seed `seed * 1_000_003 + i`. */
  seed: number;
  /** Run only this case index. */
  only?: number;
  /** Folder of good JPEGs to mutate. */
  corpus: string;
  /** Time limit of one decode call in ms. */
  budgetMs: number;
  /** Allowed RSS growth (MB) from after the first cases to the end, measured after a GC. */
  rssMb: number;
  /** Also run djpeg on every case (needs --allow-run=djpeg). */
  djpeg?: boolean;
  /** Write the failing cases here. */
  save?: string;
  /** Progress lines on stderr. */
  progress?: boolean;
}

/** Counts of one fuzz run. */
export interface FuzzReport {
  /** Cases run. */
  cases: number;
  /** Failures by kind. */
  failures: Record<Failure["kind"], number>;
  /** The first failures (case index, mutation, file, detail). */
  examples: string[];
  /** Outcomes of the TypeScript decoder. */
  ts: Record<string, number>;
  /** Outcomes of the fast path. */
  wasm: Record<string, number>;
  /** Cases per mutation kind. */
  mutations: Record<string, number>;
  /** Slowest decode call (wall ms). */
  maxMs: number;
  /** Slowest decode call (CPU ms of this process, what the budget applies to). */
  maxCpuMs: number;
  /** RSS after the first cases and at the end (MB, after a GC). */
  rss: { startMb: number; endMb: number; peakMb: number };
  /** With djpeg: cases djpeg refuses (exit 1) / warns about (exit 2) that framepipe accepts without a warning. */
  djpeg?: { refusedAcceptedSilently: number; warnedAcceptedSilently: number; examples: string[] };
  /** Seconds. */
  elapsedS: number;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
function rssMb(): number {
  return Deno.memoryUsage().rss / 1048576;
}

/** djpeg's exit code on `data` (0 ok, 1 error, 2 decoded with warnings) and its first message. */
async function djpegStatus(data: Uint8Array): Promise<{ code: number; message: string }> {
  const p = new Deno.Command("djpeg", {
    args: ["-dct", "int"],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const w = p.stdin.getWriter();
  await w.write(data).catch(() => {});
  await w.close().catch(() => {});
  const o = await p.output();
  return { code: o.code, message: new TextDecoder().decode(o.stderr).split("\n")[0] };
}

/**
 * Run the fuzz cases.
 *
 * @param o Options.
 * @returns The report; failures are counted in it, never thrown.
 */
export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const t0 = performance.now();
  const files = [...Deno.readDirSync(o.corpus)]
    .filter((e) => e.isFile && e.name.endsWith(".jpg"))
    .map((e) => e.name)
    .sort();
  const sources = files.map((name) => ({ name, bytes: Deno.readFileSync(`${o.corpus}/${name}`) }));
  const probes = ["baseline_420_q75.jpg", "prog_default_420.jpg", "restart_7B.jpg"]
    .filter((n) => files.includes(n))
    .map((name) => ({ name, bytes: Deno.readFileSync(`${o.corpus}/${name}`) }));
  const checker = new FuzzChecker(probes, o.budgetMs);
  const report: FuzzReport = {
    cases: 0,
    failures: { "foreign-exception": 0, slow: 0, leak: 0, disagreement: 0 },
    examples: [],
    ts: {},
    wasm: {},
    mutations: {},
    maxMs: 0,
    maxCpuMs: 0,
    rss: { startMb: 0, endMb: 0, peakMb: 0 },
    elapsedS: 0,
  };
  if (o.djpeg) {
    report.djpeg = { refusedAcceptedSilently: 0, warnedAcceptedSilently: 0, examples: [] };
  }
  if (o.save) Deno.mkdirSync(o.save, { recursive: true });
  const first = o.only ?? 0;
  const last = o.only !== undefined ? o.only + 1 : o.n;
  const warm = Math.min(first + 200, last);
  for (let i = first; i < last; i++) {
    if (i === warm) {
      gc();
      report.rss.startMb = rssMb();
    }
    const rand = seededRandom(o.seed * 1_000_003 + i);
    const src = sources[Math.floor(rand() * sources.length)];
    const { kind, data } = mutate(src.bytes, rand);
    const r = checker.run(data);
    report.cases++;
    report.mutations[kind] = (report.mutations[kind] ?? 0) + 1;
    report.ts[r.ts.result] = (report.ts[r.ts.result] ?? 0) + 1;
    report.wasm[r.wasm.result] = (report.wasm[r.wasm.result] ?? 0) + 1;
    for (const x of [r.ts, r.wasm, r.render, r.renderSized]) {
      report.maxMs = Math.max(report.maxMs, x.ms);
      report.maxCpuMs = Math.max(report.maxCpuMs, x.cpuMs);
    }
    for (const f of r.failures) {
      report.failures[f.kind]++;
      if (report.examples.length < 40) {
        report.examples.push(`case ${i} (${kind} of ${src.name}): ${f.kind}: ${f.detail}`);
      }
    }
    if (r.failures.length && o.save) {
      Deno.writeFileSync(`${o.save}/seed${o.seed}_case${i}_${kind}.jpg`, data);
    }
    if (o.djpeg && report.djpeg) {
      const { code, message } = await djpegStatus(data);
      const silent = r.ts.result === "accepted" && !r.ts.warnings ||
        r.render.result === "accepted" && !r.render.warnings;
      if (silent && (code === 1 || code === 2)) {
        if (code === 1) report.djpeg.refusedAcceptedSilently++;
        else report.djpeg.warnedAcceptedSilently++;
        if (report.djpeg.examples.length < 20) {
          report.djpeg.examples.push(
            `case ${i} (${kind as MutationKind} of ${src.name}): djpeg exit ${code}: ${message}`,
          );
        }
      }
    }
    report.rss.peakMb = Math.max(report.rss.peakMb, rssMb());
    if (o.progress && (i + 1) % 1000 === 0) {
      const f = report.failures;
      console.error(
        `fuzz: ${i + 1}/${last} cases, foreign ${
          f["foreign-exception"]
        }, leaks ${f.leak}, disagreements ${f.disagreement}, slow ${f.slow}`,
      );
    }
  }
  gc();
  report.rss.endMb = rssMb();
  if (report.rss.startMb === 0) report.rss.startMb = report.rss.endMb;
  report.elapsedS = (performance.now() - t0) / 1000;
  return report;
}

/** True when the report has no failure (RSS growth included). */
export function fuzzPassed(r: FuzzReport, rssBoundMb: number): boolean {
  const f = r.failures;
  return f["foreign-exception"] + f.slow + f.leak + f.disagreement === 0 &&
    r.rss.endMb - r.rss.startMb <= rssBoundMb;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      n: { type: "string", default: "2000" },
      seed: { type: "string", default: "1" },
      case: { type: "string" },
      corpus: { type: "string" },
      "budget-ms": { type: "string", default: "2000" },
      "rss-mb": { type: "string", default: "256" },
      djpeg: { type: "boolean", default: false },
      save: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const num = (name: string, v: string) => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < 0) {
      console.error(`fuzz: --${name} must be a non-negative integer (got "${v}")`);
      Deno.exit(2);
    }
    return x;
  };
  const opts: FuzzOptions = {
    n: num("n", values.n),
    seed: num("seed", values.seed),
    only: values.case !== undefined ? num("case", values.case) : undefined,
    corpus: values.corpus ?? new URL("../../shared/jpeg-corpus/good", import.meta.url).pathname,
    budgetMs: num("budget-ms", values["budget-ms"]),
    rssMb: num("rss-mb", values["rss-mb"]),
    djpeg: values.djpeg,
    save: values.save,
    progress: true,
  };
  const r = await runFuzz(opts);
  if (values.json) console.log(JSON.stringify(r, null, 2));
  else {
    const f = r.failures;
    console.log(
      `fuzz seed ${opts.seed}: ${r.cases} cases in ${r.elapsedS.toFixed(0)} s\n` +
        `  non-framepipe exceptions ${f["foreign-exception"]}, state leaks ${f.leak}, ` +
        `decoder disagreements ${f.disagreement}, decodes over ${opts.budgetMs} ms CPU ${f.slow}\n` +
        `  slowest decode ${r.maxCpuMs.toFixed(0)} ms CPU (${r.maxMs.toFixed(0)} ms wall); RSS ${
          r.rss.startMb.toFixed(0)
        } -> ${r.rss.endMb.toFixed(0)} MB after GC (peak ${
          r.rss.peakMb.toFixed(0)
        }, bound +${opts.rssMb})\n` +
        `  ts: ${JSON.stringify(r.ts)}\n  wasm: ${JSON.stringify(r.wasm)}\n` +
        `  mutations: ${JSON.stringify(r.mutations)}`,
    );
    if (r.djpeg) {
      console.log(
        `  djpeg refuses, framepipe accepts without warning: ${r.djpeg.refusedAcceptedSilently}; ` +
          `djpeg warns, framepipe accepts without warning: ${r.djpeg.warnedAcceptedSilently}`,
      );
      for (const e of r.djpeg.examples) console.log(`    ${e}`);
    }
    for (const e of r.examples) console.log(`  ${e}`);
  }
  Deno.exit(fuzzPassed(r, opts.rssMb) ? 0 : 1);
}
