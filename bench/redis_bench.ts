/**
 * Redis bench: 853x480 frames (`images fixtures/frames --loop --limit N --size 853x480`) into
 * Python consumers through Redis Streams (1, 2 and 4 consumers in one group), direct TCP
 * (`--listen` + `framepipe.connect`) and a pipe, in one run. Reports frames/s and MB/s (payload,
 * wall clock from producer start to the last consumer done) and Redis `used_memory` (peak during
 * the run, sampled every 50 ms).
 *
 * Run alone: deno run --allow-read --allow-run --allow-env --allow-net bench/redis_bench.ts
 * Env: BENCH_FRAMES (default 600), BENCH_SIZE (default 853x480), BENCH_MAX_LAG (default 32),
 * PYTHON (default /usr/bin/python3). Needs redis-server and python3-redis.
 *
 * @module
 */
import { RedisConnection } from "../src/redis/connection.ts";
import { parseRedisUrl } from "../src/redis/url.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const PYTHON = Deno.env.get("PYTHON") ?? "/usr/bin/python3";
const N = Number(Deno.env.get("BENCH_FRAMES") ?? 600);
const SIZE = Deno.env.get("BENCH_SIZE") ?? "853x480";
const MAX_LAG = Deno.env.get("BENCH_MAX_LAG") ?? "32";
const [W, H] = SIZE.split("x").map(Number);
const FRAME_BYTES = W * H * 3;

/** Python consumer: prints {"frames": n} when done. */
const CONSUMER = String.raw`
import json, sys
sys.path.insert(0, "python")
import framepipe
mode, src = sys.argv[1], sys.argv[2]
n = 0
if mode == "redis":
    it = framepipe.redis_frames(src, "bench", sys.argv[3], block_ms=200)
elif mode == "tcp":
    it = framepipe.connect(src)
else:
    it = framepipe.read_frames(sys.stdin.buffer)
for meta, img in it:
    n += 1
print(json.dumps({"frames": n}))
`;

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

function producerArgs(perms: string[], out: string[]): string[] {
  return [
    "run",
    "-q",
    "--allow-read=fixtures,src",
    ...perms,
    "cli.ts",
    "images",
    "fixtures/frames",
    "--loop",
    "--limit",
    String(N),
    "--size",
    SIZE,
    "--quiet",
    ...out,
  ];
}

function py(args: string[], stdin: "null" | "piped" = "null"): Deno.ChildProcess {
  return new Deno.Command(PYTHON, {
    args: ["-c", CONSUMER, ...args],
    cwd: ROOT,
    stdin,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
}

async function framesOf(c: Deno.ChildProcess): Promise<number> {
  const out = await c.output();
  if (!out.success) throw new Error(`consumer exited ${out.code}`);
  return JSON.parse(new TextDecoder().decode(out.stdout)).frames;
}

interface Row {
  transport: string;
  consumers: number;
  frames: number;
  seconds: number;
  fps: number;
  mbps: number;
  peak_used_memory_mb: number | null;
}

function row(transport: string, consumers: number, frames: number, t0: number): Row {
  const s = (performance.now() - t0) / 1000;
  return {
    transport,
    consumers,
    frames,
    seconds: Math.round(s * 100) / 100,
    fps: Math.round(frames / s * 10) / 10,
    mbps: Math.round(frames * FRAME_BYTES / 1e6 / s * 10) / 10,
    peak_used_memory_mb: null,
  };
}

async function redisRun(port: number, consumers: number): Promise<Row> {
  const stream = `framepipe:bench:${consumers}`;
  const url = `redis://127.0.0.1:${port}/${stream}`;
  const conn = await RedisConnection.open({
    target: parseRedisUrl(url, "bench"),
    connectTimeoutMs: 5000,
    what: "bench",
  });
  let peak = 0;
  const sample = async () => {
    const info = await conn.send<string>(["INFO", "memory"]);
    peak = Math.max(peak, Number(/used_memory:(\d+)/.exec(info)![1]));
  };
  await sample();
  const base = peak;
  const timer = setInterval(() => sample().catch(() => {}), 50);
  const t0 = performance.now();
  const cs = Array.from({ length: consumers }, (_, i) => py(["redis", url, `c${i}`]));
  const prod = new Deno.Command(Deno.execPath(), {
    args: producerArgs([`--allow-net=127.0.0.1:${port}`], ["--out", url, "--max-lag", MAX_LAG]),
    cwd: ROOT,
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const counts = await Promise.all(cs.map(framesOf));
  await prod.status;
  const r = row("redis", consumers, counts.reduce((a, b) => a + b, 0), t0);
  clearInterval(timer);
  await sample();
  r.peak_used_memory_mb = Math.round(peak / 1e5) / 10;
  console.error(`  (redis used_memory before the run: ${(base / 1e6).toFixed(1)} MB)`);
  await conn.send(["DEL", stream]);
  await conn.close();
  return r;
}

async function tcpRun(): Promise<Row> {
  const port = freePort();
  const t0 = performance.now();
  const prod = new Deno.Command(Deno.execPath(), {
    args: producerArgs([`--allow-net=127.0.0.1:${port}`], ["--listen", String(port)]),
    cwd: ROOT,
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const c = py(["tcp", `tcp://127.0.0.1:${port}`]);
  const frames = await framesOf(c);
  await prod.status;
  return row("tcp --listen", 1, frames, t0);
}

async function pipeRun(): Promise<Row> {
  const t0 = performance.now();
  const prod = new Deno.Command(Deno.execPath(), {
    args: producerArgs([], []),
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const c = py(["pipe", "-"], "piped");
  await prod.stdout.pipeTo(c.stdin);
  const frames = await framesOf(c);
  await prod.status;
  return row("pipe", 1, frames, t0);
}

const port = freePort();
const server = new Deno.Command("redis-server", {
  args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
  stdout: "null",
  stderr: "null",
}).spawn();
try {
  await new Promise((r) => setTimeout(r, 300));
  const version = new TextDecoder().decode(
    (await new Deno.Command("redis-server", { args: ["--version"], stdout: "piped" }).output())
      .stdout,
  ).trim();
  console.error(
    `redis bench: ${N} frames of ${SIZE} (${(FRAME_BYTES / 1e6).toFixed(2)} MB), ` +
      `--max-lag ${MAX_LAG}, ${navigator.hardwareConcurrency} cores; ${version.split(" ")[2]}`,
  );
  const rows: Row[] = [];
  rows.push(await pipeRun());
  rows.push(await tcpRun());
  for (const n of [1, 2, 4]) rows.push(await redisRun(port, n));
  console.log(
    "| transport | consumers | frames | s | frames/s | MB/s | Redis used_memory peak (MB) |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of rows) {
    console.log(
      `| ${r.transport} | ${r.consumers} | ${r.frames} | ${r.seconds} | ${r.fps} | ${r.mbps} | ${
        r.peak_used_memory_mb ?? "-"
      } |`,
    );
  }
  console.log(JSON.stringify(rows));
} finally {
  server.kill("SIGKILL");
  await server.status;
}
