/**
 * Capture bench: 1080p30 H.264 over SRT on loopback (`framepipe srt-serve --testsrc`) into the
 * Python reader, through `framepipe capture` vs ffmpeg's own rawvideo pipe (same pixel format),
 * in one run. Reports frames/s, CPU ms per frame (producer process tree, from /proc) and
 * capture-to-consumer latency (framepipe only: frames carry their capture timestamp).
 *
 * Run alone: deno run --allow-read --allow-run --allow-env --allow-net bench/capture_bench.ts
 * Env: BENCH_SECONDS (default 8), BENCH_SIZE (default 1920x1080), BENCH_FPS (default 30).
 *
 * @module
 */

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const PYTHON = Deno.env.get("PYTHON") ?? "/usr/bin/python3";
const SECONDS = Number(Deno.env.get("BENCH_SECONDS") ?? 8);
const SIZE = Deno.env.get("BENCH_SIZE") ?? "1920x1080";
const FPS = Number(Deno.env.get("BENCH_FPS") ?? 30);
const [W, H] = SIZE.split("x").map(Number);

/** Python side: run the producer, read frames for a window, measure fps, CPU and latency. */
const READER = String.raw`
import json, os, subprocess, sys, time
sys.path.insert(0, "python")
import framepipe
fmt, secs, w, h = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
args = sys.argv[5:]
tick = os.sysconf("SC_CLK_TCK")
def tree_cpu(pid):
    total = 0
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            st = open(f"/proc/{p}/stat").read()
        except OSError:
            continue
        rest = st[st.rindex(")") + 2:].split()
        ppid, ut, stt = int(rest[1]), int(rest[11]), int(rest[12])
        if int(p) == pid or ppid == pid:
            total += ut + stt
    return total / tick
proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
kw = {} if fmt == "frame" else dict(width=w, height=h)
n, lat, t0, c0 = 0, [], None, None
for meta, img in framepipe.read_frames(proc.stdout, format=fmt, reuse=True, **kw):
    now = time.time()
    if t0 is None:
        t0, c0 = time.monotonic(), tree_cpu(proc.pid)
        continue
    n += 1
    if "timestamp" in meta and meta.get("timestamp"):
        lat.append(now * 1000 - meta["timestamp"])
    if time.monotonic() - t0 >= secs:
        break
el = time.monotonic() - t0
cpu = tree_cpu(proc.pid) - c0
proc.terminate()
try:
    proc.wait(5)
except subprocess.TimeoutExpired:
    proc.kill(); proc.wait()
lat.sort()
q = lambda p: round(lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else None
print(json.dumps({"frames": n, "fps": n / el, "cpu_ms_per_frame": 1000 * cpu / max(n, 1),
                  "cpu_cores": cpu / el, "lat_p50": q(0.5), "lat_p95": q(0.95)}))
`;

interface Result {
  frames: number;
  fps: number;
  cpu_ms_per_frame: number;
  cpu_cores: number;
  lat_p50: number | null;
  lat_p95: number | null;
}

async function measure(format: string, producer: string[]): Promise<Result> {
  const out = await new Deno.Command(PYTHON, {
    args: ["-c", READER, format, String(SECONDS), String(W), String(H), ...producer],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`reader failed (${format})`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

async function freePort(): Promise<number> {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return await Promise.resolve(port);
}

if (import.meta.main) {
  const port = await freePort();
  const server = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-q",
      "--allow-run=ffmpeg",
      "cli.ts",
      "srt-serve",
      "--testsrc",
      "--size",
      SIZE,
      "--fps",
      String(FPS),
      "--port",
      String(port),
      "-q",
    ],
    cwd: ROOT,
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const url = `srt://127.0.0.1:${port}?mode=caller`;
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const fp = await measure("frame", [
      Deno.execPath(),
      "run",
      "-q",
      "--allow-run=ffmpeg",
      "cli.ts",
      "capture",
      url,
      "--size",
      SIZE,
      "-q",
    ]);
    const ff = await measure("raw", [
      "ffmpeg",
      "-hide_banner",
      "-nostdin",
      "-loglevel",
      "error",
      "-flags",
      "low_delay",
      "-i",
      url,
      "-map",
      "0:v:0",
      "-pix_fmt",
      "gbrp",
      "-f",
      "rawvideo",
      "pipe:1",
    ]);
    const row = (name: string, r: Result) =>
      `| ${name.padEnd(26)} | ${r.fps.toFixed(1).padStart(6)} | ${
        r.cpu_ms_per_frame.toFixed(1).padStart(9)
      } | ${r.cpu_cores.toFixed(2).padStart(5)} | ${
        r.lat_p50 === null ? "     -" : r.lat_p50.toFixed(1).padStart(6)
      } | ${r.lat_p95 === null ? "     -" : r.lat_p95.toFixed(1).padStart(6)} |`;
    console.log(`capture bench: ${SIZE}@${FPS} H.264 over SRT loopback, ${SECONDS} s each`);
    console.log("| producer -> python reader   | fps    | CPU ms/fr | cores | lat50  | lat95  |");
    console.log("|----------------------------|--------|-----------|-------|--------|--------|");
    console.log(row("framepipe capture (frame)", fp));
    console.log(row("ffmpeg rawvideo pipe (raw)", ff));
    console.log(
      `framepipe/ffmpeg: ${(fp.fps / ff.fps).toFixed(2)}x frames/s, ${
        (fp.cpu_ms_per_frame / ff.cpu_ms_per_frame).toFixed(2)
      }x CPU per frame (latency: capture timestamp to the reader's receipt, ms)`,
    );
  } finally {
    server.kill("SIGTERM");
    await server.status;
  }
}
