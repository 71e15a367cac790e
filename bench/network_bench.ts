/**
 * Network benchmark (runnable alone):
 *
 * ```sh
 * deno run --allow-read --allow-run --allow-net --allow-env bench/network_bench.ts [FRAMES]
 * ```
 *
 * 1. frames/s and MB/s of 853x480 frames into the Python reader over a pipe and over loopback
 *    TCP (`--listen` + `framepipe.connect`), one run each, and their ratio;
 * 2. server RSS over time with one stalled consumer and one reading consumer (`--slow drop`).
 *
 * @module
 */

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const PYTHON = Deno.env.get("PYTHON") ?? "/usr/bin/python3";
const FRAMES = Number(Deno.args[0] ?? 300);
const SIZE = "853x480";
const text = new TextDecoder();

const workers = await (async () => {
  const o = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", "--allow-read=fixtures", "cli.ts", "images", "--help"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).output();
  return text.decode(o.stdout).includes("--workers") ? ["--workers", "0"] : [];
})();

function images(n: number): string[] {
  return ["images", "fixtures/frames", "--size", SIZE, "--loop", "--limit", String(n), ...workers];
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** The Python reader: prints `frames bytes seconds` (first byte to end). */
const READER = `
import sys, time
sys.path.insert(0, "python")
import framepipe
src = sys.argv[1]
r = framepipe.connect(src) if src.startswith("tcp") else framepipe.FrameReader(sys.stdin.buffer, reuse=True)
n = 0
t0 = None
for meta, img in r:
    if t0 is None:
        t0 = time.perf_counter()
    n += 1
dt = time.perf_counter() - t0
print(n, r.bytes_read, dt)
`;

interface Rate {
  frames: number;
  mb: number;
  seconds: number;
  fps: number;
  mbps: number;
}

function rate(out: string): Rate {
  const [frames, bytes, seconds] = out.trim().split(/\s+/).map(Number);
  return {
    frames,
    mb: bytes / 1e6,
    seconds,
    fps: frames / seconds,
    mbps: bytes / 1e6 / seconds,
  };
}

async function overPipe(n: number): Promise<Rate> {
  const cli = [Deno.execPath(), "run", "-q", "--allow-read=fixtures", "cli.ts", ...images(n)];
  const sh = `${cli.map((a) => `'${a}'`).join(" ")} --quiet | '${PYTHON}' -c '${
    READER.replaceAll("'", `'"'"'`)
  }' -`;
  const o = await new Deno.Command("sh", { args: ["-c", sh], cwd: ROOT, stdout: "piped" })
    .output();
  if (!o.success) throw new Error("pipe run failed");
  return rate(text.decode(o.stdout));
}

async function overTcp(n: number): Promise<Rate> {
  const port = freePort();
  const srv = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-q",
      "--allow-read=fixtures",
      `--allow-net=127.0.0.1:${port}`,
      "cli.ts",
      ...images(n),
      "--listen",
      String(port),
      "--quiet",
    ],
    cwd: ROOT,
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const py = await new Deno.Command(PYTHON, {
    args: ["-c", READER, `tcp://127.0.0.1:${port}`],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  await srv.status;
  if (!py.success) throw new Error("tcp run failed");
  return rate(text.decode(py.stdout));
}

async function decodeOnly(n: number): Promise<number> {
  const t0 = performance.now();
  const o = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-q",
      "--allow-read=fixtures",
      "--allow-write=/dev/null",
      "cli.ts",
      ...images(n),
      "-o",
      "/dev/null",
      "-q",
    ],
    cwd: ROOT,
    stdout: "null",
    stderr: "null",
  }).output();
  if (!o.success) throw new Error("decode run failed");
  return n / ((performance.now() - t0) / 1000);
}

/** Server RSS every 250 ms (sampled from /proc) while one consumer is stalled and another reads (`--slow drop`). */
async function stalledMemory(n: number): Promise<{ t: number; rss_mb: number }[]> {
  const port = freePort();
  const srv = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-q",
      "--allow-read=fixtures",
      `--allow-net=127.0.0.1:${port}`,
      "cli.ts",
      ...images(n),
      "--listen",
      String(port),
      "--wait-consumers",
      "2",
      "--slow",
      "drop",
      "--quiet",
    ],
    cwd: ROOT,
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  let stalled: Deno.Conn | undefined;
  for (let i = 0; i < 100 && !stalled; i++) {
    try {
      stalled = await Deno.connect({ hostname: "127.0.0.1", port });
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  // the reader runs in Python so that this process stays idle and samples on time
  const reader = new Deno.Command(PYTHON, {
    args: ["-c", READER, `tcp://127.0.0.1:${port}`],
    cwd: ROOT,
    stdout: "piped",
  }).spawn();
  // sampled by another process: timers of this one may not run on time while sockets are busy
  const sampler = new Deno.Command(PYTHON, {
    args: [
      "-c",
      `import time
t0 = time.monotonic()
try:
    while True:
        with open("/proc/${srv.pid}/status") as f:
            kb = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
        print(round(time.monotonic() - t0, 2), kb, flush=True)
        time.sleep(0.25)
except (FileNotFoundError, ProcessLookupError, StopIteration):
    pass`,
    ],
    stdout: "piped",
  }).spawn();
  await reader.output();
  stalled?.close();
  await srv.status;
  const out = text.decode((await sampler.output()).stdout).trim().split("\n").filter(Boolean);
  const samples = out.map((l) => {
    const [t, kb] = l.split(" ").map(Number);
    return { t, rss_mb: Math.round(kb / 1024) };
  });
  return samples;
}

if (import.meta.main) {
  console.log(
    `network bench: ${FRAMES} frames of ${SIZE} (${(FRAMES * 853 * 480 * 3 / 1e6).toFixed(0)} MB)`,
  );
  const decode = await decodeOnly(FRAMES);
  console.log(`  producer alone (-o /dev/null):   ${decode.toFixed(0)} frames/s`);
  const pipe = await overPipe(FRAMES);
  console.log(
    `  pipe -> Python reader:           ${pipe.fps.toFixed(0)} frames/s, ${
      pipe.mbps.toFixed(0)
    } MB/s`,
  );
  const tcp = await overTcp(FRAMES);
  console.log(
    `  loopback TCP -> Python connect(): ${tcp.fps.toFixed(0)} frames/s, ${
      tcp.mbps.toFixed(0)
    } MB/s`,
  );
  console.log(`  TCP / pipe:                      ${(tcp.fps / pipe.fps).toFixed(2)}`);
  const mem = await stalledMemory(FRAMES * 3);
  console.log(
    `  server RSS with a stalled consumer (--slow drop, ${FRAMES * 3} frames), MB over time:`,
  );
  console.log("    " + mem.map((s) => `${s.t.toFixed(2)}s:${s.rss_mb}`).join("  "));
  console.log(
    JSON.stringify({
      frames: FRAMES,
      size: SIZE,
      producer_fps: Math.round(decode),
      pipe,
      tcp,
      tcp_over_pipe: tcp.fps / pipe.fps,
      stalled_rss_mb: mem,
    }),
  );
}
