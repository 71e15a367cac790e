/**
 * Progress on stderr: an in-place line on terminals only, `--stats json` lines anywhere.
 */
import assert from "node:assert/strict";
import { parseCommand } from "../src/cli/options.ts";
import {
  formatProgressLine,
  parseProgressOptions,
  PROGRESS_OPTIONS,
  type ProgressSnapshot,
} from "../src/cli/progress.ts";
import { documentedFlags, parseStream, ROOT, runCli, withTempDir } from "./helpers.ts";

const CLEAR = "\r\x1b[2K";

/** JSON objects among stderr lines (a drawn progress line is cleared in front of them). */
function jsonLines(stderr: string): Record<string, unknown>[] {
  const afterClear = (l: string) => {
    const at = l.lastIndexOf(CLEAR);
    return at < 0 ? l : l.slice(at + CLEAR.length);
  };
  return stderr.split("\n").map(afterClear).filter((l) => l.startsWith("{")).map((l) =>
    JSON.parse(l)
  );
}

/**
 * Run the CLI with a pseudo-terminal as its stdin/stdout/stderr (`script`), with the README's
 * flags for the job (the terminal is /dev/tty: no write permission needed for it).
 * Returns the exit code and what the terminal showed.
 */
async function ptyRun(args: string[]): Promise<{ code: number; tty: string }> {
  const cmd = [
    Deno.execPath(),
    "run",
    "-q",
    "--no-prompt",
    ...documentedFlags(args),
    "cli.ts",
    ...args,
  ].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  const out = await new Deno.Command("script", {
    args: ["-qfec", cmd, "/dev/null"],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, tty: new TextDecoder().decode(out.stdout) };
}

/** {@linkcode ptyRun} with frames to /dev/null; asserts exit 0 and returns the terminal text. */
async function runInPty(args: string[]): Promise<string> {
  const { code, tty } = await ptyRun([...args, "-o", "/dev/null"]);
  assert.equal(code, 0, tty);
  return tty;
}

async function hasScript(): Promise<boolean> {
  try {
    return (await new Deno.Command("script", { args: ["--version"], stdout: "null" }).output())
      .success;
  } catch {
    return false;
  }
}

const IMAGES = ["images", "fixtures/frames", "--size", "64x48", "--epochs", "20", "--workers", "0"];

Deno.test({
  name: "on a terminal, images draws a progress line in place and clears it at the end",
  ignore: !(await hasScript()),
  fn: async () => {
    const tty = await runInPty(IMAGES);
    assert.ok(tty.includes(CLEAR), `no \\r+clear-line in ${JSON.stringify(tty)}`);
    assert.match(tty, /\d+\/240 \(\d+%\)\s+[\d.]+ frames\/s\s+[\d.]+ MB\/s\s+ETA \d+s/);
    // The last progress draw is cleared before the done line.
    assert.ok(tty.includes(`${CLEAR}framepipe: done: 240 frames`), JSON.stringify(tty));
  },
});

Deno.test({
  name: "on a terminal, --quiet and --no-progress turn the progress line off",
  ignore: !(await hasScript()),
  fn: async () => {
    for (const flag of ["--quiet", "--no-progress"]) {
      const tty = await runInPty([...IMAGES, flag]);
      assert.ok(!tty.includes("\r\x1b[2K"), `${flag}: ${JSON.stringify(tty)}`);
      assert.ok(!tty.includes("frames/s  "), flag);
    }
  },
});

Deno.test({
  name: "frames are not written to a terminal unless --out - is given (one line, exit 2)",
  ignore: !(await hasScript()),
  fn: async () => {
    const small = ["images", "fixtures/frames", "--size", "8x8", "--limit", "1"];
    const refused = await ptyRun(small);
    assert.equal(refused.code, 2, refused.tty);
    const lines = refused.tty.trim().split(/\r?\n/);
    assert.equal(lines.length, 1, refused.tty);
    assert.match(lines[0], /^framepipe: error: stdout is a terminal.*pipe it.*--out FILE/);
    assert.ok(!refused.tty.includes("FPIP"), "no frame bytes on the terminal");
    const forced = await ptyRun([...small, "--out", "-", "--quiet"]);
    assert.equal(forced.code, 0, forced.tty);
    assert.ok(forced.tty.includes("FPIP"), "--out - writes the stream to the terminal");
    const file = await ptyRun([...small, "-o", "/dev/null"]);
    assert.equal(file.code, 0, file.tty);
  },
});

Deno.test("with stderr piped there is no progress line (no \\r), unless --progress", async () => {
  const r = await runCli(IMAGES);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stderr.includes("\r"), JSON.stringify(r.stderr));
  assert.match(r.stderr, /done: 240 frames/);
  const forced = await runCli([...IMAGES, "--progress"]);
  assert.ok(forced.stderr.includes(CLEAR), JSON.stringify(forced.stderr));
  assert.match(forced.stderr, /\/240 \(/);
});

Deno.test("--stats json prints parseable stats lines and a summary equal to the end record", async () => {
  const r = await runCli([...IMAGES, "--stats", "json", "--stats-interval", "0.01"]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stderr.includes("\r"));
  const lines = r.stderr.split("\n").filter((l) => l.startsWith("{"));
  const objs = lines.map((l) => JSON.parse(l));
  const stats = objs.filter((o) => o.type === "stats");
  const summaries = objs.filter((o) => o.type === "summary");
  assert.ok(stats.length >= 1, r.stderr);
  assert.equal(summaries.length, 1);
  assert.equal(objs.at(-1).type, "summary", "the summary comes last");
  for (const s of stats) {
    for (const k of ["elapsed_s", "frames", "bytes", "fps", "mb_per_s", "done", "skipped"]) {
      assert.equal(typeof s[k], "number", `${k} in ${JSON.stringify(s)}`);
    }
    assert.equal(s.total, 240);
    assert.ok(s.frames <= 240);
  }
  const end = (await parseStream(r.stdout)).find((x) => x.kind === "end")!;
  const { type: _t, bytes, ...summary } = summaries[0];
  assert.deepEqual(summary, end.meta);
  assert.equal(summary.frames, 240);
  assert.equal(bytes, 240 * 3 * 64 * 48);
});

Deno.test("--stats json counts skipped inputs in done/total", async () => {
  await withTempDir(async (dir) => {
    for (const f of ["169_0.jpg", "169_25.jpg", "169_50.jpg"]) {
      await Deno.copyFile(`${ROOT}/fixtures/frames/${f}`, `${dir}/${f}`);
    }
    await Deno.writeTextFile(`${dir}/zz_not.jpg`, "not a jpeg");
    const r = await runCli(
      ["images", dir, "--size", "32x24", "--workers", "0", "--stats", "json", "--progress"],
      { permissions: [`--allow-read=${dir}`] },
    );
    assert.equal(r.code, 0, r.stderr);
    // deno-lint-ignore no-explicit-any
    const summary = jsonLines(r.stderr).find((o) => o.type === "summary") as any;
    assert.equal(summary.frames, 3);
    assert.equal(summary.skipped, 1);
    assert.match(r.stderr, /\/4 \(/, "progress shows done/total over all 4 inputs");
  });
});

Deno.test("capture reports progress and --stats json with its own counters", async () => {
  await withTempDir(async (dir) => {
    const video = `${dir}/clip.mp4`;
    const ff = await new Deno.Command("ffmpeg", {
      args: ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=10:duration=2"]
        .concat(["-pix_fmt", "yuv420p", "-y", video]),
    }).output();
    assert.ok(ff.success);
    const r = await runCli(
      ["capture", video, "--size", "48x32", "--frames", "12", "--progress", "--stats", "json"],
      { permissions: [`--allow-read=${dir}`, "--allow-run=ffmpeg"] },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /\/12 \(/, "--frames gives a total");
    // deno-lint-ignore no-explicit-any
    const summary = jsonLines(r.stderr).find((o) => o.type === "summary") as any;
    const end = (await parseStream(r.stdout)).find((x) => x.kind === "end")!;
    const { type: _t, bytes: _b, ...rest } = summary;
    assert.deepEqual(rest, end.meta);
    assert.equal(summary.frames, 12);
    assert.equal(summary.dropped, 0);
    assert.equal(summary.reconnects, 0);
  });
});

Deno.test("progress options: terminal default, --quiet, --progress wins, bad --stats", () => {
  const spec = { name: "t", positionals: "", summary: "", examples: [], options: PROGRESS_OPTIONS };
  const opts = (...args: string[]) => parseCommand(spec, args).values;
  assert.deepEqual(parseProgressOptions(opts(), false, true), {
    line: true,
    json: false,
    intervalS: 1,
  });
  assert.equal(parseProgressOptions(opts(), false, false).line, false);
  assert.equal(parseProgressOptions(opts(), true, true).line, false);
  assert.equal(parseProgressOptions(opts("--progress"), true, false).line, true);
  assert.equal(parseProgressOptions(opts("--no-progress"), false, true).line, false);
  assert.equal(parseProgressOptions(opts("--stats-interval", "0.5"), false, false).intervalS, 0.5);
  assert.throws(() => opts("--stats", "xml"), /--stats json/);
  assert.throws(() => opts("--stats-interval", "0"), /> 0/);
});

Deno.test("the progress line shows done/total, rates, ETA and the problem counts", () => {
  const s: ProgressSnapshot = {
    elapsed_s: 2,
    frames: 100,
    bytes: 5e6,
    fps: 50,
    mb_per_s: 2.5,
    done: 102,
    total: 400,
    eta_s: 125,
    skipped: 2,
    errors: 1,
    dropped: 3,
    reconnects: 1,
  };
  assert.equal(
    formatProgressLine(s),
    "102/400 (25%)  50.0 frames/s  2.5 MB/s  ETA 2m05s  2 skipped  3 dropped  1 reconnects",
  );
  assert.equal(
    formatProgressLine({ ...s, total: null, eta_s: null, skipped: 0, dropped: 0, reconnects: 0 }),
    "100 frames  50.0 frames/s  2.5 MB/s  2s",
  );
});
