/**
 * `deno task bench`: framepipe against ffmpeg and Pillow on one generated 1080p corpus, in one
 * run, plus decoder throughput, a per-frame time breakdown and peak memory.
 *
 *   deno task bench [--frames 200] [--rounds 3] [--repeats 5] [--long 2000] [--quick]
 *                   [--corpus DIR] [--only e2e,decode,breakdown,rss,python,png] [--imagescript]
 *
 * Sections (tables are Markdown, ready for bench/RESULTS.md and the README):
 *  1. Corpus: N photographic 1920x1080 q90 4:2:0 JPEGs (crops of the corpus photo plus
 *     Gaussian noise, ~250-500 KB like camera frames) in a temp dir, removed at the end.
 *  2. End to end: 853x480 CHW uint8 arrays in one Python consumer (`bench/consumer.py`) from
 *     framepipe (run as the README runs it from a clone: `deno run --allow-read=DATA cli.ts`),
 *     ffmpeg's rawvideo pipe (`-lowres 1`), and 2-worker torch DataLoaders over PIL (`draft`),
 *     OpenCV (`IMREAD_REDUCED_COLOR_2`) and torchvision (`decode_jpeg`); with `--imagescript`,
 *     npm imagescript on one thread (`bench/imagescript_producer.ts`). Then framepipe's ratios
 *     to the best of those four: frames/s, and CPU ms/frame against the cheapest DataLoader.
 *     Configurations run interleaved, `rounds` times; medians are reported.
 *  3. Decode megapixels/s (source pixels) on one thread: WASM fast path, TypeScript decoder,
 *     imagescript (in its producer process), tjbench (native libjpeg-turbo) when installed.
 *  4. Where the time goes, ms/frame: read, header parse, decode, resize, worker hop, write.
 *  5. Peak RSS of framepipe (2 workers) over a short and a long run (`--loop --limit`).
 *  6. The Python package (`bench/python_bench.ts`: read_rgb_image, ImageFolder vs torchvision)
 *     and PNG decoding (`bench/png_bench.ts`), each in its own process, their tables as printed.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { decodeJpeg, readJpegInfo } from "../src/decode/mod.ts";
import { FastJpegDecoder } from "../src/decode/fast/mod.ts";
import type { Frame } from "../src/formats/frame.ts";
import { renderJpeg } from "../src/pipeline/render.ts";
import { WorkerPoolRenderer } from "../src/pipeline/worker_pool.ts";
import { WriterSink } from "../src/sinks/writer_sink.ts";
import { resizeInto } from "../src/transform/resize.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const PYTHON = Deno.env.get("PYTHON") ?? "/usr/bin/python3";
const PHOTO = `${ROOT}/../shared/jpeg-corpus/good/large_4000x3000.jpg`;
const SRC_W = 1920, SRC_H = 1080, DST_W = 853, DST_H = 480;
const SRC_MP = SRC_W * SRC_H / 1e6;

/** Bench settings from the command line. */
interface Settings {
  frames: number;
  rounds: number;
  repeats: number;
  long: number;
  quick: boolean;
  /** Also run npm imagescript (slow: ~5 frames/s). */
  imagescript: boolean;
  corpus?: string;
  only: Set<string>;
}

/**
 * Parse the command line.
 *
 * @param args `Deno.args`.
 * @returns The settings (`--quick`: a few frames, one round, for the smoke test).
 */
function parseSettings(args: string[]): Settings {
  const { values: v } = parseArgs({
    args,
    options: {
      frames: { type: "string" },
      rounds: { type: "string" },
      repeats: { type: "string" },
      long: { type: "string" },
      quick: { type: "boolean", default: false },
      imagescript: { type: "boolean", default: false },
      corpus: { type: "string" },
      only: { type: "string", default: "e2e,decode,breakdown,rss,python,png" },
    },
  });
  const quick = v.quick === true;
  const num = (s: string | undefined, d: number) => (s === undefined ? d : Math.max(1, Number(s)));
  return {
    frames: num(v.frames, quick ? 8 : 200),
    rounds: num(v.rounds, quick ? 1 : 3),
    repeats: num(v.repeats, quick ? 1 : 5),
    long: num(v.long, quick ? 24 : 2000),
    quick,
    imagescript: v.imagescript === true,
    corpus: v.corpus,
    only: new Set(v.only!.split(",")),
  };
}

// ------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------

/** Median of a non-empty list. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Run a command to completion; stdout and stderr as text. */
async function run(
  cmd: string,
  args: string[],
  options: { cwd?: string } = {},
): Promise<{ ok: boolean; out: string; err: string }> {
  try {
    const o = await new Deno.Command(cmd, {
      args,
      cwd: options.cwd,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return { ok: o.success, out: dec.decode(o.stdout), err: dec.decode(o.stderr) };
  } catch (e) {
    return { ok: false, out: "", err: String(e) };
  }
}

/** Print a Markdown table with right-aligned numeric columns. */
function table(head: string[], rows: (string | number)[][]): void {
  const cells = rows.map((r) => r.map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r: string[]) =>
    "| " + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ") +
    " |";
  console.log(line(head));
  console.log(
    "| " + widths.map((w, i) => (i === 0 ? "-".repeat(w) : "-".repeat(w - 1) + ":"))
      .join(" | ") +
      " |",
  );
  for (const r of cells) console.log(line(r));
  console.log();
}

/** Format a number with a fixed number of decimals, or "-". */
function fmt(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(digits);
}

// ------------------------------------------------------------------------------------------
// 0. Machine
// ------------------------------------------------------------------------------------------

/** The 1/5/15-minute load averages (other work on the machine skews every figure). */
function loadavg(): string {
  try {
    return Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
  } catch {
    return "n/a";
  }
}

/** One line per fact about this machine and the tools. */
async function machine(): Promise<string[]> {
  // Deno wants --allow-all to read /proc/cpuinfo itself; cat only needs --allow-run.
  const info = await run("cat", ["/proc/cpuinfo"]);
  const field = (k: string) => info.out.match(new RegExp(`^${k}\\s*:\\s*(.*)$`, "m"))?.[1];
  const cpu = `${field("model name") ?? "unknown"} (family ${field("cpu family") ?? "?"}, model ${
    field("model") ?? "?"
  }, ${field("cpu MHz") ?? "?"} MHz)`;
  const ff = await run("ffmpeg", ["-version"]);
  const py = await run(PYTHON, [
    "-c",
    "import sys,PIL,numpy;v=[sys.version.split()[0],PIL.__version__,numpy.__version__]\n" +
    "try:\n import torch;v.append(torch.__version__)\nexcept Exception: v.append('-')\n" +
    "print(' '.join(v))",
  ]);
  const [pyv, pil, np, torch] = py.ok ? py.out.trim().split(" ") : ["-", "-", "-", "-"];
  return [
    `date: ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
    `cpu: ${cpu}, ${navigator.hardwareConcurrency} logical cores (nproc)`,
    `load average at start: ${loadavg()}`,
    `deno ${Deno.version.deno} (v8 ${Deno.version.v8}), ${
      ff.ok ? ff.out.split("\n")[0].split(" Copyright")[0] : "ffmpeg: not found"
    }`,
    `python ${pyv}, Pillow ${pil}, numpy ${np}, torch ${torch}`,
  ];
}

// ------------------------------------------------------------------------------------------
// 1. Corpus
// ------------------------------------------------------------------------------------------

/** Pillow: crops and zooms of the photo at 1920x1080, Gaussian noise (sigma 5), q90 4:2:0. */
const CORPUS_PY = String.raw`
import sys, numpy as np
from PIL import Image
photo, out, n, shard, shards = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
src = Image.open(photo).convert("RGB")
for i in range(shard, n, shards):
    rng = np.random.default_rng(i)
    cw = 2400 + (i * 97) % 1600
    ch = cw * 9 // 16
    x = (i * 211) % (src.width - cw + 1)
    y = (i * 137) % (src.height - ch + 1)
    im = src.crop((x, y, x + cw, y + ch)).resize((1920, 1080), Image.BILINEAR)
    a = np.asarray(im, np.int16) + rng.normal(0, 5, (1080, 1920, 3)).astype(np.int16)
    Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(
        "%s/%05d.jpg" % (out, i), quality=90, subsampling=2)
`;

/**
 * Generate the corpus: Pillow (two processes) from the corpus photo, else ffmpeg testsrc2 with
 * temporal noise.
 *
 * @param dir Empty folder; files are `00000.jpg`...
 * @param n Frame count.
 * @returns How it was made.
 */
export async function makeCorpus(dir: string, n: number): Promise<string> {
  const shards = 2;
  const runs = await Promise.all(
    Array.from(
      { length: shards },
      (_, s) => run(PYTHON, ["-c", CORPUS_PY, PHOTO, dir, String(n), String(s), String(shards)]),
    ),
  );
  if (runs.every((r) => r.ok)) return "Pillow: crops of large_4000x3000.jpg + noise sigma 5";
  const ff = await run("ffmpeg", [
    "-loglevel",
    "error",
    "-f",
    "lavfi",
    "-i",
    "testsrc2=size=1920x1080:rate=25,noise=alls=20:allf=t",
    "-frames:v",
    String(n),
    "-q:v",
    "2",
    "-pix_fmt",
    "yuvj420p",
    "-start_number",
    "0",
    `${dir}/%05d.jpg`,
  ]);
  if (!ff.ok) throw new Error(`cannot generate the corpus: ${runs[0].err} ${ff.err}`);
  return "ffmpeg: testsrc2 + noise=alls=20:allf=t";
}

/** Sorted JPEG paths of a folder. */
function listJpegs(dir: string): string[] {
  return [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".jpg"))
    .map((e) => `${dir}/${e.name}`).sort();
}

// ------------------------------------------------------------------------------------------
// 2. End to end
// ------------------------------------------------------------------------------------------

/** One end-to-end configuration: a consumer.py invocation. */
interface E2eConfig {
  name: string;
  args: string[];
  /** A failure drops this row's round instead of failing the bench (imagescript). */
  optional?: boolean;
  /** One of the alternatives the target compares with; `dataloader`: a DataLoader-style one. */
  alternative?: "pipe" | "dataloader";
}

/** What consumer.py prints. */
interface E2eResult {
  frames: number;
  seconds: number;
  fps: number;
  fps_steady: number | null;
  rss_mb: number | null;
  cpu_ms_per_frame: number;
}

/** The framepipe command line for `dir`. */
function framepipeCmd(dir: string, extra: string[]): string[] {
  return [
    Deno.execPath(),
    "run",
    "-q",
    `--allow-read=${dir}`, // the README's flags for the job: the data only
    `${ROOT}/cli.ts`,
    "images",
    dir,
    "--size",
    `${DST_W}x${DST_H}`,
    ...extra,
  ];
}

/** ffmpeg decoding the folder to planar RGB (gbrp) at the target size on stdout. */
function ffmpegCmd(dir: string, input: string[], output: string[] = []): string[] {
  return [
    "ffmpeg",
    "-loglevel",
    "error",
    ...input,
    "-i",
    `${dir}/%05d.jpg`,
    "-vf",
    `scale=${DST_W}:${DST_H}`,
    "-pix_fmt",
    "gbrp",
    ...output,
    "-f",
    "rawvideo",
    "-",
  ];
}

/**
 * Flags for `bench/imagescript_producer.ts`. `--frozen`: imagescript comes from `deno.lock`.
 * Importing npm `imagescript` loads its native encoder addon (`--allow-ffi`); the JPEG decoder
 * is wasm, read from the npm cache (`--allow-read`).
 */
const IMAGESCRIPT_FLAGS = [
  "run",
  "-q",
  "--frozen",
  "--allow-read",
  "--allow-env=IMAGESCRIPT_WASM_SIMD",
  "--allow-ffi",
];

/** The imagescript producer command line (raw CHW frames on stdout, or `extra` modes). */
function imagescriptCmd(extra: string[]): string[] {
  return [Deno.execPath(), ...IMAGESCRIPT_FLAGS, `${ROOT}/bench/imagescript_producer.ts`, ...extra];
}

/**
 * Whether npm `imagescript` loads here (a `--probe` run of the producer, at most 2 minutes,
 * which also fetches it into the npm cache if needed).
 *
 * @returns null when it loads, else the reason (the producer's first error line).
 */
async function imagescriptUnavailable(): Promise<string | null> {
  try {
    const [cmd, ...args] = imagescriptCmd(["--probe"]);
    const o = await new Deno.Command(cmd, {
      args,
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(120_000),
    }).output();
    const out = new TextDecoder().decode(o.stdout).trim();
    if (o.success && out === "ok") return null;
    // deno colours its messages unless NO_COLOR is honoured; strip escapes either way.
    // deno-lint-ignore no-control-regex
    const err = new TextDecoder().decode(o.stderr).replace(/\x1b\[[0-9;]*m/g, "");
    const line = err.split("\n").find((l) => /error/i.test(l)) ?? err.split("\n")[0];
    return (line || (o.signal ? `killed by ${o.signal}` : `exit code ${o.code}`)).trim();
  } catch (e) {
    return String(e);
  }
}

/**
 * Every end-to-end configuration; the first is the reference for ratios.
 *
 * @param dir Corpus folder.
 * @param imagescript Whether to include the imagescript rows.
 */
function e2eConfigs(dir: string, imagescript: boolean): E2eConfig[] {
  const size = [String(DST_W), String(DST_H)];
  const fp = (extra: string[]) => ["frame", ...size, "--", ...framepipeCmd(dir, extra)];
  const ff = (i: string[], o: string[] = []) => ["gbrp", ...size, "--", ...ffmpegCmd(dir, i, o)];
  const is = (extra: string[]) => [
    "raw",
    ...size,
    "--",
    ...imagescriptCmd([dir, "--size", `${DST_W}x${DST_H}`, ...extra]),
  ];
  const loader = (kind: string, workers: number, draft = false) => [
    kind,
    ...size,
    String(workers),
    draft ? "1" : "0",
    dir,
  ];
  return [
    { name: "framepipe (default: --workers = cores)", args: fp([]) },
    { name: "framepipe --workers 0 (one thread)", args: fp(["--workers", "0"]) },
    { name: "framepipe --decoder ts", args: fp(["--decoder", "ts"]) },
    { name: "ffmpeg rawvideo pipe -lowres 1", args: ff(["-lowres", "1"]), alternative: "pipe" },
    {
      name: "ffmpeg rawvideo pipe -lowres 1 -threads 2",
      args: ff(["-lowres", "1", "-threads", "2"], ["-threads", "2"]),
    },
    {
      name: "PIL draft(), DataLoader 2 workers",
      args: loader("pil", 2, true),
      alternative: "dataloader",
    },
    {
      name: "OpenCV IMREAD_REDUCED_COLOR_2, DataLoader 2 workers",
      args: loader("cv2", 2),
      alternative: "dataloader",
    },
    {
      name: "torchvision decode_jpeg, DataLoader 2 workers",
      args: loader("torchvision", 2),
      alternative: "dataloader",
    },
    { name: "PIL (no draft), DataLoader 2 workers", args: loader("pil", 2) },
    ...(imagescript
      ? [
        { name: "imagescript (one thread)", args: is([]), optional: true },
        { name: "imagescript 1/2 scale (one thread)", args: is(["--scaled"]), optional: true },
      ]
      : []),
  ];
}

/** Run consumer.py once. */
async function consume(args: string[]): Promise<E2eResult> {
  const r = await run(PYTHON, [`${ROOT}/bench/consumer.py`, ...args], { cwd: ROOT });
  if (!r.ok) throw new Error(`consumer.py ${args.slice(0, 4).join(" ")} failed: ${r.err}`);
  return JSON.parse(r.out.trim().split("\n").at(-1)!);
}

/**
 * Run every configuration `rounds` times, interleaved (the order rotates each round), and
 * print medians with ratios to the first configuration.
 *
 * @returns Median steady-state frames/s by configuration name.
 */
async function endToEnd(
  dir: string,
  s: Settings,
  imagescript: boolean,
): Promise<Map<string, number>> {
  const has = async (m: string) => (await run(PYTHON, ["-c", `import ${m}`])).ok;
  const torch = await has("torch"), cv2 = await has("cv2"), tv = await has("torchvision");
  const configs = e2eConfigs(dir, imagescript).filter((c) =>
    (torch || !c.name.includes("DataLoader")) && (cv2 || c.args[0] !== "cv2") &&
    (tv || c.args[0] !== "torchvision")
  );
  if (!torch) console.log("(no torch: the DataLoader rows are left out)\n");
  if (!cv2) console.log("(no cv2 in $PYTHON: the OpenCV row is left out)\n");
  if (!tv) console.log("(no torchvision in $PYTHON: the torchvision row is left out)\n");
  const results = new Map<string, E2eResult[]>(configs.map((c) => [c.name, []]));
  for (let r = 0; r < s.rounds; r++) {
    for (let k = 0; k < configs.length; k++) {
      const c = configs[(k + r) % configs.length];
      try {
        results.get(c.name)!.push(await consume(c.args));
      } catch (e) {
        if (!c.optional) throw e;
        console.log(`${c.name}: not available (${String(e).split("\n")[0]})\n`);
      }
    }
  }
  const med = (name: string, f: (x: E2eResult) => number | null) => {
    const xs = results.get(name)!.map(f).filter((x): x is number => x !== null);
    return xs.length ? median(xs) : null;
  };
  const ref = med(configs[0].name, (x) => x.fps_steady)!;
  const refRun = med(configs[0].name, (x) => x.fps)!;
  const steady = new Map<string, number>();
  const rows = configs.map((c) => {
    const fs = med(c.name, (x) => x.fps_steady);
    const fr = med(c.name, (x) => x.fps);
    steady.set(c.name, fs ?? 0);
    return [
      c.name,
      fmt(fs),
      fs ? `${(fs / ref).toFixed(2)}x` : "-",
      fmt(fr),
      fr ? `${(fr / refRun).toFixed(2)}x` : "-",
      fmt(med(c.name, (x) => x.cpu_ms_per_frame), 1),
      fmt(med(c.name, (x) => x.rss_mb), 0),
    ];
  });
  console.log(
    `## End to end: ${SRC_W}x${SRC_H} JPEG -> ${DST_W}x${DST_H} CHW uint8 arrays in Python ` +
      `(median of ${s.rounds} interleaved rounds)\n`,
  );
  table(
    [
      "configuration",
      "frames/s",
      "vs framepipe",
      "frames/s incl. start-up",
      "vs framepipe",
      "CPU ms/frame",
      "peak RSS MB",
    ],
    rows,
  );
  console.log(
    "frames/s: first to last frame in the consumer; incl. start-up: from spawning the producer " +
      "(or iterating the DataLoader). CPU ms/frame: user + system time of the consumer and the " +
      "producer or DataLoader workers, per frame (all cores). Peak RSS: the producer (pipes only).\n",
  );
  const alts = configs.filter((c) => c.alternative && med(c.name, (x) => x.fps_steady) !== null);
  if (alts.length) {
    const best = (xs: E2eConfig[], f: (x: E2eResult) => number | null, max: boolean) =>
      xs.reduce((a, b) => {
        const va = med(a.name, f)!, vb = med(b.name, f)!;
        return (max ? vb > va : vb < va) ? b : a;
      });
    const fp = configs[0].name;
    const fast = best(alts, (x) => x.fps_steady, true);
    const fastRun = best(alts, (x) => x.fps, true);
    const loaders = alts.filter((c) => c.alternative === "dataloader");
    const cheap = loaders.length ? best(loaders, (x) => x.cpu_ms_per_frame, false) : undefined;
    const cpu = (n: string) => med(n, (x) => x.cpu_ms_per_frame)!;
    console.log(`framepipe vs the best of ${alts.map((c) => c.name).join(" / ")}:\n`);
    console.log(
      `- frames/s: ${(ref / med(fast.name, (x) => x.fps_steady)!).toFixed(2)}x ${fast.name} ` +
        `(incl. start-up: ${(refRun / med(fastRun.name, (x) => x.fps)!).toFixed(2)}x ` +
        `${fastRun.name})`,
    );
    if (cheap) {
      console.log(
        `- CPU ms/frame: ${fmt(cpu(fp))} vs ${fmt(cpu(cheap.name))} for ${cheap.name}, the ` +
          `cheapest DataLoader-style one: ${(cpu(fp) / cpu(cheap.name)).toFixed(2)}x\n`,
      );
    }
  }
  return steady;
}

// ------------------------------------------------------------------------------------------
// 3. Decode throughput
// ------------------------------------------------------------------------------------------

/**
 * Median ms per frame of `fn` over `frames`, after one warm-up pass.
 *
 * @param frames Inputs.
 * @param repeats Timed passes.
 * @param fn Work on one input.
 */
function msPerFrame<T>(frames: T[], repeats: number, fn: (x: T, i: number) => void): number {
  frames.forEach(fn);
  const xs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    frames.forEach(fn);
    xs.push((performance.now() - t0) / frames.length);
  }
  return median(xs);
}

/** Async variant of {@linkcode msPerFrame} (sequential awaits). */
async function msPerFrameAsync<T>(
  frames: T[],
  repeats: number,
  fn: (x: T, i: number) => Promise<void>,
): Promise<number> {
  for (const [i, f] of frames.entries()) await fn(f, i);
  const xs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (const [i, f] of frames.entries()) await fn(f, i);
    xs.push((performance.now() - t0) / frames.length);
  }
  return median(xs);
}

/** tjbench's decompression throughput (megapixels/s of source pixels), or null. */
async function tjbench(file: string, scale?: string): Promise<number | null> {
  const args = [file, "-benchtime", "2", "-warmup", "0.5", ...(scale ? ["-scale", scale] : [])];
  const r = await run("tjbench", args);
  if (!r.ok) return null;
  const m = [...(r.out + r.err).matchAll(/Throughput:\s+([\d.]+)\s+Megapixels\/sec/g)].at(-1);
  return m ? Number(m[1]) : null;
}

/**
 * imagescript decode ms/frame (median of `repeats` passes over the first `limit` files), timed
 * inside its producer process: `Image.decode` (public API: wasm decode + JS copy to RGBA) and
 * its JPEG wasm alone (RGB out). Null when the run fails.
 */
async function imagescriptDecode(
  dir: string,
  limit: number,
  repeats: number,
): Promise<{ image_decode_ms: number; wasm_decode_ms: number } | null> {
  const [cmd, ...args] = imagescriptCmd([
    dir,
    "--decode",
    "--limit",
    String(limit),
    "--repeats",
    String(repeats),
  ]);
  const r = await run(cmd, args, { cwd: ROOT });
  try {
    if (r.ok) return JSON.parse(r.out.trim().split("\n").at(-1)!);
  } catch { /* reported below */ }
  console.log(`imagescript: not available (decode timing: ${r.err.trim().split("\n")[0]})\n`);
  return null;
}

/**
 * Print decoder megapixels/s, one thread in this process (imagescript in its own process).
 *
 * @param imagescript Whether npm `imagescript` loads (its rows read "n/a" otherwise).
 */
async function decodeThroughput(
  jpegs: Uint8Array[],
  files: string[],
  s: Settings,
  imagescript: boolean,
) {
  const fast = FastJpegDecoder.create();
  const small = jpegs.slice(0, Math.min(jpegs.length, s.quick ? 2 : 8));
  const tsRepeats = Math.min(s.repeats, 3);
  const rows: [string, number | null][] = [];
  rows.push([
    "wasm fast path, full scale -> 1920x1080 HWC",
    msPerFrame(jpegs, s.repeats, (b) => {
      fast.decodeView(b, {
        width: SRC_W,
        height: SRC_H,
        layout: "hwc",
        channels: 3,
        resize: "nearest",
      });
    }),
  ]);
  rows.push([
    `wasm fast path -> ${DST_W}x${DST_H} CHW (DCT 1/2 + bilinear)`,
    msPerFrame(jpegs, s.repeats, (b) => {
      fast.decodeView(b, {
        width: DST_W,
        height: DST_H,
        layout: "chw",
        channels: 3,
        resize: "bilinear",
      });
    }),
  ]);
  rows.push([
    "TypeScript decoder, full scale (HWC)",
    msPerFrame(small, tsRepeats, (b) => void decodeJpeg(b, { scale: 1 })),
  ]);
  rows.push([
    "TypeScript decoder, DCT scale 1/2 (HWC 960x540)",
    msPerFrame(small, tsRepeats, (b) => void decodeJpeg(b, { scale: 2 })),
  ]);
  const dir = files[0].slice(0, files[0].lastIndexOf("/"));
  const isd = imagescript ? await imagescriptDecode(dir, small.length * 2, tsRepeats) : null;
  rows.push(["imagescript Image.decode, full scale (RGBA)", isd?.image_decode_ms ?? null]);
  rows.push(["imagescript jpeg.wasm alone, full scale (RGB)", isd?.wasm_decode_ms ?? null]);
  for (const scale of [undefined, "1/2"]) {
    const mp = await tjbench(files[0], scale);
    rows.push([
      `tjbench (libjpeg-turbo, native) ${scale ? "scale 1/2" : "full scale"}, 1 file`,
      mp === null ? null : 1000 * SRC_MP / mp,
    ]);
  }
  console.log("## Decode throughput, one thread (megapixels/s of 1920x1080 source pixels)\n");
  table(
    ["decoder", "MP/s", "ms/frame"],
    rows.map(([n, ms]) => [n, ms === null ? "n/a" : fmt(1000 * SRC_MP / ms), fmt(ms, 2)]),
  );
}

// ------------------------------------------------------------------------------------------
// 4. Breakdown
// ------------------------------------------------------------------------------------------

/** A frame carrying `data`, as the pipeline would hand it to the sink. */
function fakeFrame(data: Uint8Array, seq: number): Frame {
  return {
    width: DST_W,
    height: DST_H,
    channels: 3,
    layout: "chw",
    data,
    seq,
    position: seq,
    timestamp: Date.now(),
    key: `${String(seq).padStart(5, "0")}.jpg`,
    labels: [],
    extra: {},
  };
}

/** Drains a FIFO like the Python reader does: 1 MiB pipe buffer, `readinto` a reused buffer. */
const DRAIN_PY = String.raw`
import fcntl, sys
f = open(sys.argv[1], "rb", buffering=0)
try:
    fcntl.fcntl(f.fileno(), 1031, 1 << 20)
except OSError:
    pass
buf = memoryview(bytearray(1 << 21))
while f.readinto(buf):
    pass
`;

/**
 * ms/frame to write frames through a {@linkcode WriterSink} (frame format) into a FIFO drained
 * by Python (pipe raised to 1 MiB, as `framepipe.py` does), like stdout into the consumer.
 */
async function pipeWriteMs(tmp: string, payloads: Uint8Array[], repeats: number): Promise<number> {
  const fifo = `${tmp}/bench.fifo`;
  const mk = await run("mkfifo", [fifo]);
  if (!mk.ok) return NaN;
  const cat = new Deno.Command(PYTHON, { args: ["-c", DRAIN_PY, fifo] }).spawn();
  const f = await Deno.open(fifo, { write: true });
  const sink = new WriterSink(f, { description: "fifo" });
  const ms = await msPerFrameAsync(payloads, repeats, (p, i) => sink.write(fakeFrame(p, i)));
  f.close();
  await cat.status;
  await Deno.remove(fifo);
  return ms;
}

/** Print where the time of one frame goes, in ms/frame, on one thread. */
async function breakdown(files: string[], jpegs: Uint8Array[], tmp: string, s: Settings) {
  const fast = FastJpegDecoder.create();
  const small = jpegs.slice(0, Math.min(jpegs.length, s.quick ? 2 : 8));
  const target = { width: DST_W, height: DST_H };
  const rows: [string, number, string][] = [];
  rows.push([
    "read (Deno.readFile, page cache)",
    await msPerFrameAsync(files, s.repeats, async (f) => void await Deno.readFile(f)),
    "main thread",
  ]);
  rows.push([
    "header parse (readJpegInfo)",
    msPerFrame(jpegs, s.repeats, (b) => void readJpegInfo(b)),
    "worker, before the fast path",
  ]);
  rows.push([
    "decode, fast path full scale -> HWC",
    msPerFrame(jpegs, s.repeats, (b) => {
      fast.decodeView(b, {
        width: SRC_W,
        height: SRC_H,
        layout: "hwc",
        channels: 3,
        resize: "nearest",
      });
    }),
    "not used for 853x480",
  ]);
  rows.push([
    `decode, fast path -> ${DST_W}x${DST_H} CHW (resize fused)`,
    msPerFrame(jpegs, s.repeats, (b) => {
      fast.decodeView(b, { ...target, layout: "chw", channels: 3, resize: "bilinear" });
    }),
    "worker",
  ]);
  const req = { ...target, layout: "chw", channels: 3, resize: "bilinear" } as const;
  rows.push([
    "  of which entropy decoding (Huffman)",
    msPerFrame(jpegs, s.repeats, (b) => void fast.decodeView(b, { ...req, profileStages: 3 })),
    "fast path profile",
  ]);
  rows.push([
    "  of which entropy + IDCT 1/2 (rest: colour + resample)",
    msPerFrame(jpegs, s.repeats, (b) => void fast.decodeView(b, { ...req, profileStages: 1 })),
    "fast path profile",
  ]);
  rows.push([
    "render (renderJpeg: parse + fast path + copy out)",
    msPerFrame(jpegs, s.repeats, (b) => void renderJpeg(b, target)),
    "worker, all of it",
  ]);
  const decoded = small.map((b) => decodeJpeg(b, { scale: 2 }));
  rows.push([
    "decode, TypeScript DCT 1/2 -> 960x540 HWC",
    msPerFrame(small, Math.min(s.repeats, 3), (b) => void decodeJpeg(b, { scale: 2 })),
    "--decoder ts",
  ]);
  rows.push([
    `resize, TypeScript 960x540 HWC -> ${DST_W}x${DST_H} CHW bilinear`,
    msPerFrame(decoded, s.repeats, (img) => {
      resizeInto(img, { ...target, channels: 3, layout: "chw", resize: "bilinear" });
    }),
    "--decoder ts",
  ]);
  const pool = new WorkerPoolRenderer(1);
  try {
    const hop = await msPerFrameAsync(jpegs, s.repeats, async (b) => {
      await pool.render(b.slice(), target);
    });
    rows.push(["render on 1 worker, awaited one at a time", hop, "incl. transfer both ways"]);
  } finally {
    pool.close();
  }
  const payloads = jpegs.slice(0, 16).map(() => new Uint8Array(3 * DST_W * DST_H).fill(7));
  const devnull = await Deno.open("/dev/null", { write: true });
  const nullSink = new WriterSink(devnull, { description: "/dev/null" });
  rows.push([
    "write, frame format -> /dev/null",
    await msPerFrameAsync(payloads, s.repeats, (p, i) => nullSink.write(fakeFrame(p, i))),
    "main thread",
  ]);
  devnull.close();
  rows.push([
    "write, frame format -> pipe (1 MiB, Python drains)",
    await pipeWriteMs(tmp, payloads, s.repeats),
    "main thread + reader",
  ]);
  console.log(`## Where the time goes (ms/frame, one thread, median of ${s.repeats})\n`);
  table(["stage", "ms/frame", "where"], rows.map(([n, ms, w]) => [n, fmt(ms, 2), w]));
}

// ------------------------------------------------------------------------------------------
// 5. Memory
// ------------------------------------------------------------------------------------------

/** Peak RSS (MB) of framepipe with 2 workers over `limit` frames looping over the corpus. */
async function peakRss(dir: string, limit: number): Promise<E2eResult> {
  return await consume([
    "frame",
    String(DST_W),
    String(DST_H),
    "--",
    ...framepipeCmd(dir, ["--workers", "2", "--loop", "--limit", String(limit)]),
  ]);
}

/** Print peak RSS for a short and a long run. */
async function memory(dir: string, n: number, s: Settings) {
  const rows: string[][] = [];
  for (const limit of [n, s.long]) {
    const r = await peakRss(dir, limit);
    rows.push([`${limit} frames`, fmt(r.rss_mb, 0), fmt(r.fps_steady)]);
  }
  console.log("## Peak RSS, framepipe --workers 2, 1080p -> 853x480 (--loop --limit)\n");
  table(["run", "peak RSS MB", "frames/s"], rows);
}

// ------------------------------------------------------------------------------------------
// 6. The Python package and PNG benches
// ------------------------------------------------------------------------------------------

/** Run `bench/<file>` in its own process and print what it prints (or why it failed). */
async function subBench(file: string, args: string[]): Promise<void> {
  try {
    await Deno.stat(`${ROOT}/bench/${file}`);
  } catch {
    return; // not in this checkout
  }
  console.log(`## bench/${file} ${args.join(" ")}\n`);
  const r = await run(Deno.execPath(), ["run", "-A", `${ROOT}/bench/${file}`, ...args], {
    cwd: ROOT,
  });
  console.log(r.out.trim() + "\n");
  if (!r.ok) console.log(`bench/${file} failed: ${r.err.trim().split("\n").slice(-3).join(" ")}\n`);
}

// ------------------------------------------------------------------------------------------
// Main
// ------------------------------------------------------------------------------------------

/** Run the bench. */
async function main(): Promise<void> {
  const s = parseSettings(Deno.args);
  console.log("# framepipe bench\n");
  for (const l of await machine()) console.log(`- ${l}`);
  const tmp = await Deno.makeTempDir({ prefix: "framepipe_bench_" });
  try {
    let dir = s.corpus;
    let how = "given";
    if (!dir) {
      dir = `${tmp}/corpus`;
      await Deno.mkdir(dir);
      how = await makeCorpus(dir, s.frames);
    }
    const files = listJpegs(dir).slice(0, s.frames);
    const jpegs = await Promise.all(files.map((f) => Deno.readFile(f)));
    const kb = jpegs.reduce((a, b) => a + b.length, 0) / jpegs.length / 1024;
    console.log(
      `- corpus: ${files.length} frames ${SRC_W}x${SRC_H} q90 4:2:0, mean ${kb.toFixed(0)} KB ` +
        `(${how})\n`,
    );
    let imagescript = false;
    if (s.imagescript && (s.only.has("e2e") || s.only.has("decode"))) {
      const why = await imagescriptUnavailable();
      imagescript = why === null;
      if (why !== null) console.log(`imagescript: not available (${why})\n`);
    }
    if (s.only.has("e2e")) await endToEnd(dir, s, imagescript);
    if (s.only.has("decode")) await decodeThroughput(jpegs, files, s, imagescript);
    if (s.only.has("breakdown")) await breakdown(files, jpegs, tmp, s);
    if (s.only.has("rss")) await memory(dir, files.length, s);
    if (s.only.has("python")) {
      await subBench(
        "python_bench.ts",
        s.quick ? ["--frames", "8", "--calls", "50", "--rounds", "1"] : [
          "--frames",
          "64",
          "--calls",
          "2000",
          "--rounds",
          "2",
        ],
      );
    }
    if (s.only.has("png")) {
      await subBench(
        "png_bench.ts",
        s.quick ? ["--frames", "2", "--rounds", "1"] : ["--rounds", "3"],
      );
    }
    console.log(`load average at the end: ${loadavg()}`);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

if (import.meta.main) await main();
