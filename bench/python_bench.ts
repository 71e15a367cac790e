/**
 * The Python package's bench: `deno run -A bench/python_bench.ts [--frames N] [--calls N]
 * [--rounds N]`.
 *
 * Generates 1080p JPEGs with bench/bench.ts's generator (two class folders), then runs
 * bench/python_bench.py with `$PYTHON` (`PYTHONPATH=python`, so the package runs from this
 * clone) and prints:
 *
 * - `read_rgb_image` ms per call after warm-up (1920x1080 -> 853x480), next to the decode time
 *   the helper reports for the same calls (the bound: at most 1.2x);
 * - `framepipe.ImageFolder` vs torchvision's `ImageFolder` (PIL), both through
 *   `DataLoader(shuffle=True, num_workers=2)`, on the same files in the same run (frames/s);
 * - the decode helper's RSS over `--calls` (10,000) `read_rgb_image` calls.
 *
 * @module
 */
import { makeCorpus } from "./bench.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const PYTHON = Deno.env.get("PYTHON") ?? "/usr/bin/python3";

function arg(name: string, fallback: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(Deno.args[i + 1]);
  if (!Number.isSafeInteger(v) || v < 1) {
    console.error(`python_bench: --${name} needs a whole number >= 1`);
    Deno.exit(2);
  }
  return v;
}

const frames = arg("frames", 64);
const calls = arg("calls", 10000);
const rounds = arg("rounds", 2);

const tmp = await Deno.makeTempDir({ prefix: "framepipe_python_bench_" });
try {
  const all = `${tmp}/all`;
  await Deno.mkdir(all);
  const how = await makeCorpus(all, frames);
  for (const c of ["a", "b"]) await Deno.mkdir(`${tmp}/data/${c}`, { recursive: true });
  const names = [...Deno.readDirSync(all)].map((e) => e.name).sort();
  for (const [i, n] of names.entries()) {
    await Deno.rename(`${all}/${n}`, `${tmp}/data/${i % 2 ? "b" : "a"}/${n}`);
  }
  const out = await new Deno.Command(PYTHON, {
    args: [`${ROOT}/bench/python_bench.py`, `${tmp}/data`, String(calls), String(rounds)],
    cwd: ROOT,
    env: { PYTHONPATH: `${ROOT}/python` },
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) {
    console.error(`python_bench: bench/python_bench.py failed (exit ${out.code})`);
    Deno.exit(1);
  }
  const r = JSON.parse(new TextDecoder().decode(out.stdout));
  const load = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
  const rss = r.rss.rss_kb as number[];
  console.log(`# framepipe Python bench\n`);
  console.log(`- ${new Date().toISOString().slice(0, 16)} UTC, load average ${load}`);
  console.log(`- corpus: ${names.length} JPEGs 1920x1080 q90 4:2:0 in 2 class folders (${how})\n`);
  console.log("| measure | value |");
  console.log("| --- | ---: |");
  const p = r.read_rgb_image;
  console.log(
    `| read_rgb_image 1080p -> 853x480, ms/call after warm-up (median of ${p.calls}) | ${p.ms_per_call} |`,
  );
  console.log(`| decode in the helper for the same calls, ms (median) | ${p.helper_decode_ms} |`);
  console.log(`| ratio (bound: 1.2x) | ${p.ratio}x |`);
  console.log(`| CPU ms per call, Python + helper | ${p.cpu_ms_per_call} |`);
  console.log(`| CPU ms of the decodes in the helper | ${p.helper_decode_cpu_ms} |`);
  console.log(`| CPU ratio | ${p.cpu_ratio}x |`);
  const f = r.folder;
  console.log(
    `| framepipe.ImageFolder, DataLoader 2 workers, frames/s (best of ${f.rounds}) | ${f.framepipe_fps} |`,
  );
  console.log(
    `| torchvision ImageFolder (PIL), DataLoader 2 workers, frames/s | ${f.torchvision_fps} |`,
  );
  console.log(`| framepipe vs torchvision | ${f.ratio}x |`);
  console.log(
    `| helper RSS over ${r.rss.calls} calls, MB (start, after 1000, end) | ${
      (rss[0] / 1024).toFixed(0)
    }, ${(rss[1] / 1024).toFixed(0)}, ${(rss[rss.length - 1] / 1024).toFixed(0)} |`,
  );
  console.log(
    `| helper RSS growth after the first 1000 calls, MB | ${
      (r.rss.growth_kb_after_first_1000 / 1024).toFixed(1)
    } |`,
  );
  console.log(
    `\nRSS samples every 1000 calls (MB): ${rss.map((k) => (k / 1024).toFixed(0)).join(" ")}`,
  );
} finally {
  await Deno.remove(tmp, { recursive: true });
}
