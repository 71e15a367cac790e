// framepipe over Redis Streams with a real redis-server on a free loopback port (started by each
// test with --save '' --appendonly no, killed at the end): consumer groups, claims after a crash,
// two groups, --maxlen and --max-lag memory bounds, auth, Redis restarts, oversized frames,
// inspect. Every CLI run is a subprocess with only --allow-read=fixtures and
// --allow-net=127.0.0.1:PORT (plus --allow-env=FRAMEPIPE_REDIS_PASSWORD where a password is used).
// Skipped with a message when redis-server or Python's redis module is missing.
import assert from "node:assert/strict";
import { RedisConnection } from "../src/redis/connection.ts";
import { parseRedisUrl } from "../src/redis/url.ts";
import { freePort, PYTHON, pythonHas, ROOT, startRedis, type TestRedis } from "./helpers.ts";

const hasRedisServer = await new Deno.Command("redis-server", {
  args: ["--version"],
  stdout: "null",
})
  .output().then((o) => o.success).catch(() => false);
const hasPyRedis = await pythonHas("numpy", "redis");
const hasTorch = await pythonHas("torch");
const ignore = !hasRedisServer || !hasPyRedis;
if (ignore) {
  console.error(
    `redis_test: SKIPPED: ${
      !hasRedisServer ? "redis-server is not installed (apt-get install redis-server)" : ""
    }${!hasPyRedis ? ` ${PYTHON} cannot import redis (apt-get install python3-redis)` : ""}`,
  );
}

/** A free loopback port (bind port 0, read it, close). */

/** A redis-server on 127.0.0.1 without persistence ({@linkcode startRedis}), restartable on its port. */
class RedisServer {
  #server: TestRedis | undefined;
  constructor(readonly port = freePort(), readonly extra: string[] = []) {}

  async start(): Promise<this> {
    this.#server = await startRedis(this.extra, this.port);
    if (!this.#server) throw new Error("redis-server is not installed");
    return this;
  }

  /** SIGKILL it and wait (a crash: nothing is saved). */
  async kill(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    await s?.stop();
  }

  url(stream: string): string {
    return `redis://127.0.0.1:${this.port}/${stream}`;
  }

  async connect(password?: string): Promise<RedisConnection> {
    return await RedisConnection.open({
      target: parseRedisUrl(this.url("x"), "test"),
      password,
      connectTimeoutMs: 5000,
      what: "test",
    });
  }
}

/** Run `fn` with a fresh server, always killed afterwards. */
async function withRedis<T>(
  fn: (srv: RedisServer) => Promise<T>,
  extra: string[] = [],
): Promise<T> {
  const srv = await new RedisServer(freePort(), extra).start();
  try {
    return await fn(srv);
  } finally {
    await srv.kill();
  }
}

/** A subprocess whose stdout and stderr are collected as they arrive. */
interface Proc {
  child: Deno.ChildProcess;
  stderr: () => string;
  waitFor: (needle: string | RegExp, ms?: number) => Promise<void>;
  done: Promise<{ code: number; stdout: string; stderr: string }>;
}

function spawn(cmd: string, args: string[], env?: Record<string, string>): Proc {
  const child = new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env,
  }).spawn();
  let err = "";
  const waiters: { test: (s: string) => boolean; resolve: () => void }[] = [];
  const errDone = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      err += chunk;
      for (const w of waiters.filter((w) => w.test(err))) w.resolve();
    }
  })();
  const outDone = new Response(child.stdout).text();
  const done = (async () => {
    const [status, stdout] = await Promise.all([child.status, outDone, errDone]);
    return { code: status.code, stdout, stderr: err };
  })();
  return {
    child,
    stderr: () => err,
    waitFor: (needle, ms = 15_000) =>
      new Promise<void>((resolve, reject) => {
        const test = (s: string) =>
          typeof needle === "string" ? s.includes(needle) : needle.test(s);
        if (test(err)) return resolve();
        const t = setTimeout(
          () => reject(new Error(`timed out waiting for ${needle} in stderr:\n${err}`)),
          ms,
        );
        waiters.push({
          test,
          resolve: () => {
            clearTimeout(t);
            resolve();
          },
        });
      }),
    done,
  };
}

/** The CLI with exactly the permissions a user would grant. */
function cli(
  port: number,
  args: string[],
  env?: Record<string, string>,
  extra: string[] = [],
): Proc {
  return spawn(Deno.execPath(), [
    "run",
    "-q",
    "--allow-read=fixtures",
    `--allow-net=127.0.0.1:${port}`,
    ...extra,
    "cli.ts",
    ...args,
  ], env);
}

/** `images` over the fixtures, `n` frames at `size`, to `--out url`. */
function produce(url: string, n: number, size: string, more: string[] = []): string[] {
  return [
    "images",
    "fixtures/frames",
    "--size",
    size,
    "--loop",
    "--limit",
    String(n),
    "--workers",
    "0",
    "--out",
    url,
    ...more,
  ];
}

interface Consumed {
  consumer: string;
  seqs: number[];
  claimed: number;
  end: Record<string, unknown> | null;
  classes?: string[];
  consumers?: string[];
  /** `consume`: the reader's counts and its RedisGroupWarning messages. */
  duplicates?: number;
  missing?: number;
  groups_recreated?: number;
  group_warnings?: string[];
}

/** `python/test_redis.py ARGS`; one JSON object per stdout line. */
function py(args: string[]): Proc {
  return spawn(PYTHON, ["python/test_redis.py", ...args]);
}

async function results(p: Proc, okCodes = [0]): Promise<Consumed[]> {
  const r = await p.done;
  assert.ok(okCodes.includes(r.code), `python exited ${r.code}:\n${r.stderr}`);
  return r.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sorted = (a: number[]) => [...a].sort((x, y) => x - y);

async function usedMemory(conn: RedisConnection): Promise<number> {
  const info = await conn.send<string>(["INFO", "memory"]);
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

Deno.test({
  name: "three consumers in one group get disjoint frames whose union is the source",
  ignore,
  fn: () =>
    withRedis(async (srv) => {
      const url = srv.url("framepipe:fixtures:0");
      const prod = cli(srv.port, produce(url, 90, "32x24", ["--labels", "fixtures/phases.json"]));
      const cons = py(["group", url, "train", "3"]);
      const p = await prod.done;
      assert.equal(p.code, 0, p.stderr);
      const out = await results(cons);
      assert.equal(out.length, 3);
      const all = out.flatMap((o) => o.seqs);
      assert.deepEqual(sorted(all), range(90), "every frame exactly once");
      for (const o of out) {
        assert.equal(o.end?.frames, 90);
        assert.ok((o.classes ?? []).length > 0, "class names from the stream header");
      }
      // inspect: the group is drained, nothing pending
      const i = cli(srv.port, ["inspect", url, "--json"]);
      const r = await i.done;
      assert.equal(r.code, 0, r.stderr);
      const info = JSON.parse(r.stdout);
      assert.equal(info.header.width, 32);
      assert.equal(info.producers.length, 1);
      assert.equal(info.producers[0].state, "ended");
      assert.equal(info.producers[0].end.frames, 90);
      // the frames still in the stream (acknowledged ones may be trimmed): no hole, no repeat
      assert.equal(info.seq.complete, true);
      assert.ok(info.seq.frames > 0 && info.seq.frames <= 90, JSON.stringify(info.seq));
      assert.deepEqual([info.seq.holes, info.seq.missing, info.seq.repeated], [0, 0, 0]);
      const g = info.groups.find((x: { name: string }) => x.name === "train");
      assert.equal(g.pending, 0);
      assert.equal(g.lag, 0);
      assert.equal(g.consumers_detail.length, 3);
    }),
});

Deno.test({
  name: "frames a crashed consumer read but did not acknowledge reach another consumer",
  ignore,
  fn: () =>
    withRedis(async (srv) => {
      const url = srv.url("framepipe:crash");
      const p = await cli(srv.port, produce(url, 40, "32x24")).done;
      assert.equal(p.code, 0, p.stderr);
      // reads 10 frames (acknowledging 9: each when the next is requested), then dies
      const [victim] = await results(
        py(["consume", url, "train", "victim", "--stop-after", "10", "--hard-exit"]),
        [3],
      );
      assert.deepEqual(victim.seqs, range(10));
      const [rescuer] = await results(
        py(["consume", url, "train", "rescuer", "--claim-idle-ms", "300"]),
      );
      assert.ok(rescuer.claimed >= 1, `claimed ${rescuer.claimed}`);
      const union = new Set([...victim.seqs, ...rescuer.seqs]);
      assert.deepEqual(sorted([...union]), range(40), "none lost");
      // at-least-once: only the frame the victim held unacknowledged comes twice
      const dup = victim.seqs.filter((s) => rescuer.seqs.includes(s));
      assert.deepEqual(dup, [9]);
      assert.equal(rescuer.end?.frames, 40);
    }),
});

Deno.test({
  name: "two groups each get every frame (--wait-groups 2)",
  ignore,
  fn: () =>
    withRedis(async (srv) => {
      const url = srv.url("framepipe:two");
      const prod = cli(srv.port, produce(url, 50, "32x24", ["--wait-groups", "2"]));
      const a = py(["consume", url, "train", "a"]);
      const b = py(["consume", url, "eval", "b"]);
      const p = await prod.done;
      assert.equal(p.code, 0, p.stderr);
      for (const [o] of [await results(a), await results(b)]) {
        assert.deepEqual(o.seqs, range(50));
      }
    }),
});

Deno.test({
  name: "--maxlen keeps Redis memory bounded with a stalled consumer and counts the drops",
  ignore,
  fn: () =>
    withRedis(async (srv) => {
      const url = srv.url("framepipe:cam:stalled");
      const conn = await srv.connect();
      try {
        await results(py(["create-group", url, "stalled"]));
        const base = await usedMemory(conn);
        const n = 300; // 320x240x3 = 230 KB each: 69 MB without trimming
        const prod = cli(srv.port, produce(url, n, "320x240", ["--maxlen", "20"]));
        let peak = base, peakLen = 0;
        const poll = setInterval(async () => {
          try {
            peak = Math.max(peak, await usedMemory(conn));
            peakLen = Math.max(peakLen, Number(await conn.send(["XLEN", "framepipe:cam:stalled"])));
          } catch { /* shutting down */ }
        }, 25);
        const p = await prod.done;
        clearInterval(poll);
        assert.equal(p.code, 0, p.stderr);
        const grown = (peak - base) / 1e6;
        assert.ok(grown < 25, `used_memory grew ${grown.toFixed(1)} MB (limit 25 MB)`);
        assert.ok(peakLen <= 20 + 110, `stream length peaked at ${peakLen}`);
        const ends = await conn.send<string[]>(["HGETALL", "framepipe:cam:stalled:producers"]);
        const end = JSON.parse(ends[1]);
        assert.equal(end.frames, n);
        assert.ok(end.redis_dropped >= n - 140, `redis_dropped ${end.redis_dropped}`);
        assert.equal(end.dropped, end.redis_dropped);
        assert.match(p.stderr, /dropped/);
      } finally {
        await conn.close();
      }
    }),
});

Deno.test({
  name: "--max-lag loses nothing with a slow consumer and keeps the stream short",
  ignore,
  fn: () =>
    withRedis(async (srv) => {
      const url = srv.url("framepipe:slow");
      const conn = await srv.connect();
      try {
        await results(py(["create-group", url, "train"]));
        const n = 120;
        const prod = cli(srv.port, produce(url, n, "160x120", ["--max-lag", "10"]));
        const cons = py(["consume", url, "train", "slow", "--sleep-ms", "15"]);
        let peakLen = 0;
        const poll = setInterval(async () => {
          try {
            peakLen = Math.max(peakLen, Number(await conn.send(["XLEN", "framepipe:slow"])));
          } catch { /* shutting down */ }
        }, 20);
        const p = await prod.done;
        const [o] = await results(cons);
        clearInterval(poll);
        assert.equal(p.code, 0, p.stderr);
        assert.deepEqual(o.seqs, range(n), "lossless, in order");
        assert.ok(peakLen <= 40, `stream length peaked at ${peakLen} (--max-lag 10)`);
        assert.match(p.stderr, /waiting for the slowest consumer group/);
      } finally {
        await conn.close();
      }
    }),
});

Deno.test({
  name: "a wrong or missing password is one clear line and exit 2; the right one works",
  ignore,
  fn: () =>
    withRedis(async (srv) => {
      const url = srv.url("framepipe:auth");
      const env = ["--allow-env=FRAMEPIPE_REDIS_PASSWORD,REDIS_PASSWORD"];
      const wrong = await cli(srv.port, produce(url, 5, "32x24"), {
        FRAMEPIPE_REDIS_PASSWORD: "nope",
      }, env).done;
      assert.equal(wrong.code, 2, wrong.stderr);
      assert.match(wrong.stderr, /WRONGPASS/);
      assert.doesNotMatch(wrong.stderr, /nope/, "never print the password");
      assert.equal(wrong.stderr.trim().split("\n").length, 1, wrong.stderr);
      const none = await cli(srv.port, produce(url, 5, "32x24")).done;
      assert.equal(none.code, 2, none.stderr);
      assert.match(none.stderr, /NOAUTH.*FRAMEPIPE_REDIS_PASSWORD/);
      const inUrl = await cli(
        srv.port,
        produce(`redis://default:s3cret@127.0.0.1:${srv.port}/x`, 5, "32x24"),
      ).done;
      assert.equal(inUrl.code, 2);
      assert.match(inUrl.stderr, /password in the URL/);
      assert.doesNotMatch(inUrl.stderr, /s3cret/);
      const right = await cli(srv.port, produce(url, 5, "32x24"), {
        REDIS_PASSWORD: "s3cret",
      }, env).done;
      assert.equal(right.code, 0, right.stderr);
    }, ["--requirepass", "s3cret"]),
});

Deno.test({
  name:
    "Redis not up: retries until --connect-timeout, then one line and exit 2; up later: connects",
  ignore,
  fn: async () => {
    const port = freePort();
    const t0 = performance.now();
    const r = await cli(
      port,
      produce(`redis://127.0.0.1:${port}/s`, 5, "32x24", ["--connect-timeout", "1"]),
    ).done;
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /no Redis server answered at 127\.0\.0\.1:\d+ .* within 1\.0 s/);
    assert.ok(performance.now() - t0 < 8000);
    const late = new RedisServer(port);
    const prod = cli(port, produce(late.url("s"), 5, "32x24", ["--connect-timeout", "20"]));
    await prod.waitFor("not up yet");
    await late.start();
    try {
      const p = await prod.done;
      assert.equal(p.code, 0, p.stderr);
    } finally {
      await late.kill();
    }
    const noNet = await spawn(Deno.execPath(), [
      "run",
      "-q",
      "--allow-read=fixtures",
      "cli.ts",
      ...produce(`redis://127.0.0.1:${port}/s`, 5, "32x24"),
    ]).done;
    assert.equal(noNet.code, 2, noNet.stderr);
    assert.match(noNet.stderr, new RegExp(`--allow-net=127\\.0\\.0\\.1:${port}`));
  },
});

Deno.test({
  name: "Redis killed and restarted mid-stream: the producer reconnects and the stream goes on",
  ignore,
  fn: async () => {
    const srv = await new RedisServer().start();
    const url = srv.url("framepipe:restart");
    const conn = await srv.connect();
    const prod = cli(srv.port, produce(url, 1_000_000, "32x24", ["--maxlen", "2000"]));
    try {
      await waitUntil(async () => Number(await conn.send(["XLEN", "framepipe:restart"])) > 50);
      await conn.close();
      await srv.kill();
      await new Promise((r) => setTimeout(r, 300));
      await srv.start();
      await prod.waitFor("reconnected");
      await prod.waitFor("stream is gone");
      const c2 = await srv.connect();
      try {
        await waitUntil(async () => Number(await c2.send(["XLEN", "framepipe:restart"])) > 20);
      } finally {
        await c2.close();
      }
      prod.child.kill("SIGINT");
      const p = await prod.done;
      assert.equal(p.code, 0, p.stderr);
      // a consumer that joins now sees the frames written after the restart: seq goes on
      const [o] = await results(py(["consume", url, "late", "c"]));
      assert.ok(o.seqs.length > 20);
      assert.ok(o.seqs[0] > 50, `first seq after the restart: ${o.seqs[0]}`);
      assert.equal(o.end?.reason, "signal");
      assert.ok(Number(o.end?.redis_reconnects) >= 1);
      assert.equal(o.end?.redis_stream_resets, 1);
    } finally {
      try {
        prod.child.kill("SIGKILL");
      } catch { /* exited */ }
      await prod.done;
      await srv.kill();
    }
  },
});

/** Kill Redis (no persistence) while a --max-lag producer waits for a slow group; restart it. */
async function resetMidRun(
  srv: RedisServer,
  stream: string,
  more: string[],
): Promise<{ p: { code: number; stdout: string; stderr: string }; o: Consumed }> {
  const url = srv.url(stream);
  await results(py(["create-group", url, "train"]));
  const prod = cli(srv.port, produce(url, 200, "32x24", ["--max-lag", "10", ...more]));
  const cons = py(["consume", url, "train", "c", "--sleep-ms", "20"]);
  await prod.waitFor("waiting for the slowest consumer group");
  await new Promise((r) => setTimeout(r, 800));
  await srv.kill();
  await new Promise((r) => setTimeout(r, 300));
  await srv.start();
  const p = await prod.done;
  const [o] = await results(cons);
  return { p, o };
}

Deno.test({
  name:
    "--max-lag, Redis restarted without persistence mid-run: the unacknowledged frames are republished, none lost",
  ignore,
  fn: () =>
    withRedis(async (srv) => {
      const { p, o } = await resetMidRun(srv, "framepipe:reset", []);
      assert.equal(p.code, 0, p.stderr);
      assert.match(p.stderr, /republishing the \d+ frames not yet acknowledged/);
      assert.deepEqual(sorted([...new Set(o.seqs)]), range(200), "every frame reached the group");
      assert.equal(o.end?.redis_stream_resets, 1);
      assert.ok(Number(o.end?.redis_republished) > 0, JSON.stringify(o.end));
      assert.equal(o.end?.redis_lost, 0);
      console.log(
        `Redis reset mid-run: ${o.end?.redis_republished} frames republished, ` +
          `${new Set(o.seqs).size}/200 reached the group, ${
            o.seqs.length - new Set(o.seqs).size
          } twice`,
      );
      // inspect sees the frames republished after the reset: no hole, counted as repeated or not
      const i = await cli(srv.port, ["inspect", srv.url("framepipe:reset"), "--json"]).done;
      assert.equal(i.code, 0, i.stderr);
      assert.equal(JSON.parse(i.stdout).seq.holes, 0);
    }),
});

Deno.test({
  name:
    "--max-lag, Redis restarted without persistence, frames not held (--retain-mb 0): exit 1 naming how many were lost",
  ignore,
  fn: () =>
    withRedis(async (srv) => {
      const { p } = await resetMidRun(srv, "framepipe:lost", ["--retain-mb", "0"]);
      assert.equal(p.code, 1, p.stderr);
      const m = /and (\d+) of the \d+ frames not yet acknowledged by every consumer group are lost/
        .exec(p.stderr);
      assert.ok(m && Number(m[1]) > 0, p.stderr);
      assert.match(p.stderr, /appendfsync always/);
    }),
});

async function waitUntil(cond: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const t0 = performance.now();
  while (!(await cond().catch(() => false))) {
    if (performance.now() - t0 > ms) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

Deno.test({
  name: "a frame larger than proto-max-bulk-len is refused before sending",
  ignore,
  fn: () =>
    withRedis(async (srv) => {
      // 640x600x3 = 1,152,000 bytes > 1 MB (the smallest limit Redis accepts)
      const r = await cli(srv.port, produce(srv.url("big"), 3, "640x600")).done;
      assert.equal(r.code, 2, r.stderr);
      assert.match(
        r.stderr,
        /1152000 bytes, more than the server's proto-max-bulk-len \(1048576\)/,
      );
      const ok = await cli(srv.port, produce(srv.url("small"), 3, "320x240")).done;
      assert.equal(ok.code, 0, ok.stderr);
    }, ["--proto-max-bulk-len", "1mb"]),
});

Deno.test({
  name: "FrameStream over redis:// makes each DataLoader worker its own consumer",
  ignore: ignore || !hasTorch,
  fn: () =>
    withRedis(async (srv) => {
      const url = srv.url("framepipe:torch");
      const p = await cli(srv.port, produce(url, 40, "32x24")).done;
      assert.equal(p.code, 0, p.stderr);
      const [o] = await results(py(["framestream", `${url}?group=fs&consumer=host`, "2"]));
      assert.deepEqual(sorted(o.seqs), range(40));
      assert.deepEqual(o.consumers, ["host-0-0", "host-0-1"]);
    }),
});

Deno.test({
  name: "redis options are refused without --out redis:// and --format raw with it",
  fn: async () => {
    const a = await cli(1, ["images", "fixtures/frames", "--maxlen", "5"]).done;
    assert.equal(a.code, 2);
    assert.match(a.stderr, /--maxlen needs --out redis:\/\//);
    const b = await cli(1, ["images", "fixtures/frames", "-f", "raw", "--out", "redis://h:1/s"])
      .done;
    assert.equal(b.code, 2);
    assert.match(b.stderr, /drop --format raw|use the frame format/);
    const c = await cli(1, ["images", "fixtures/frames", "--out", "redis://127.0.0.1:abc/s"]).done;
    assert.equal(c.code, 2, c.stderr);
    assert.equal(c.stderr.trim().split("\n").length, 1, c.stderr);
    assert.match(c.stderr, /redis:\/\/127\.0\.0\.1:abc\/s: malformed host or port/);
  },
});

const hasOpenssl = await new Deno.Command("openssl", { args: ["version"], stdout: "null" })
  .output().then((o) => o.success).catch(() => false);

Deno.test({
  name: "rediss:// with --ca: TLS to Redis with only --allow-net and --allow-read=CA",
  ignore: ignore || !hasOpenssl,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "framepipe-redis-tls-" });
    const sh = (cmd: string) =>
      new Deno.Command("sh", { args: ["-c", cmd], cwd: dir, stdout: "null", stderr: "null" })
        .output();
    await sh(
      "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=ca && " +
        "openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=127.0.0.1 && " +
        "printf 'subjectAltName=IP:127.0.0.1\\n' > ext && " +
        "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 -extfile ext",
    );
    const port = freePort();
    const srv = await new RedisServer(freePort(), [
      "--tls-port",
      String(port),
      "--tls-cert-file",
      `${dir}/srv.pem`,
      "--tls-key-file",
      `${dir}/srv.key`,
      "--tls-ca-cert-file",
      `${dir}/ca.pem`,
      "--tls-auth-clients",
      "no",
    ]).start();
    try {
      const url = `rediss://127.0.0.1:${port}/framepipe:tls`;
      const ok = await cli(port, produce(url, 10, "32x24", ["--ca", `${dir}/ca.pem`]), undefined, [
        `--allow-read=${dir}/ca.pem`,
      ]).done;
      assert.equal(ok.code, 0, ok.stderr);
      const noCa = await cli(port, produce(url, 10, "32x24", ["--connect-timeout", "5"])).done;
      assert.equal(noCa.code, 2, noCa.stderr);
      assert.match(noCa.stderr, /TLS handshake failed.*--ca FILE/);
      const got = await spawn(PYTHON, [
        "-c",
        `import sys; sys.path.insert(0, "python"); import framepipe
print(len(list(framepipe.redis_frames("${url}", "g", "c", ca="${dir}/ca.pem", block_ms=100))))`,
      ]).done;
      assert.equal(got.stdout.trim(), "10", got.stderr);
    } finally {
      await srv.kill();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** A fresh server with group "train" on `stream` (created from 0) and a connection for `fn`. */
function withTrainGroup(
  stream: string,
  fn: (
    t: { srv: RedisServer; stream: string; url: string; conn: RedisConnection },
  ) => Promise<void>,
): Promise<void> {
  return withRedis(async (srv) => {
    const url = srv.url(stream);
    const conn = await srv.connect();
    try {
      await results(py(["create-group", url, "train"]));
      await fn({ srv, stream, url, conn });
    } finally {
      await conn.close();
    }
  });
}

/** The producer's end JSON from `STREAM:producers` (one producer). */
async function producerEnd(
  conn: RedisConnection,
  stream: string,
): Promise<Record<string, unknown>> {
  const h = await conn.send<string[]>(["HGETALL", `${stream}:producers`]);
  return JSON.parse(h[1]);
}

/** Entries group `group` of `stream` has read (Redis >= 7 `entries-read`), 0 when unknown. */
async function entriesRead(conn: RedisConnection, stream: string, group: string): Promise<number> {
  const gs = await conn.send<unknown[][]>(["XINFO", "GROUPS", stream]);
  for (const g of gs) {
    const m = new Map<string, unknown>();
    for (let i = 0; i + 1 < g.length; i += 2) m.set(String(g[i]), g[i + 1]);
    if (m.get("name") === group) return Number(m.get("entries-read") ?? 0);
  }
  return 0;
}

Deno.test({
  name:
    "--max-lag, the only group destroyed mid-run and not recreated: one line, then exit 1 after --connect-timeout instead of a hang",
  ignore,
  fn: () =>
    withTrainGroup("framepipe:gone", async ({ srv, stream, url, conn }) => {
      const prod = cli(
        srv.port,
        produce(url, 200, "32x24", ["--max-lag", "10", "--connect-timeout", "2"]),
      );
      const killer = setTimeout(() => prod.child.kill("SIGKILL"), 30_000);
      try {
        await prod.waitFor("waiting for the slowest consumer group");
        await conn.send(["XGROUP", "DESTROY", stream, "train"]);
        const t0 = performance.now();
        const p = await prod.done;
        const s = (performance.now() - t0) / 1000;
        assert.equal(p.code, 1, `exit ${p.code} after ${s.toFixed(1)} s:\n${p.stderr}`);
        assert.match(
          p.stderr,
          /consumer group 'train' is gone while the stream survives \(XGROUP DESTROY\?\); it had not acknowledged about \d+ entries; no group left: waiting 2 s for one/,
        );
        assert.match(p.stderr, /error: .*no group came back within 2 s/);
        assert.doesNotMatch(p.stderr, /\n\s+at /, "no stack trace");
        const end = await producerEnd(conn, stream);
        assert.equal(end.reason, "error");
        assert.equal(end.redis_groups_destroyed, 1);
        assert.ok(
          Number((end.redis_groups_destroyed_unacked as Record<string, number>).train) > 0,
        );
        console.log(`group destroyed, none left: exit ${p.code} ${s.toFixed(1)} s after it`);
      } finally {
        clearTimeout(killer);
      }
    }),
});

Deno.test({
  name:
    "--max-lag, one of two groups destroyed mid-run: the other is not blocked and gets every frame; the end entry counts it",
  ignore,
  fn: () =>
    withTrainGroup("framepipe:twogone", async ({ srv, stream, url, conn }) => {
      await results(py(["create-group", url, "eval"])); // nobody reads "eval": it stalls
      const prod = cli(srv.port, produce(url, 200, "32x24", ["--max-lag", "10"]));
      const cons = py(["consume", url, "train", "a"]);
      await prod.waitFor("waiting for the slowest consumer group");
      await conn.send(["XGROUP", "DESTROY", stream, "eval"]);
      const p = await prod.done;
      const [o] = await results(cons);
      assert.equal(p.code, 0, p.stderr);
      assert.match(
        p.stderr,
        /consumer group 'eval' is gone while the stream survives .* going on with 'train'/,
      );
      assert.deepEqual(o.seqs, range(200), "train: every frame once, in order");
      assert.equal(o.end?.redis_groups_destroyed, 1);
      const unacked = o.end?.redis_groups_destroyed_unacked as Record<string, number>;
      assert.ok(unacked.eval >= 10, JSON.stringify(unacked));
    }),
});

Deno.test({
  name:
    "a consumer whose group is destroyed under it recreates it where it was: no frame twice, none missing, one RedisGroupWarning",
  ignore,
  fn: () =>
    withTrainGroup("framepipe:destroyed", async ({ srv, stream, url, conn }) => {
      const prod = cli(srv.port, produce(url, 200, "32x24", ["--max-lag", "10"]));
      const cons = py(["consume", url, "train", "c", "--sleep-ms", "10"]);
      await waitUntil(async () => (await entriesRead(conn, stream, "train")) > 60);
      await conn.send(["XGROUP", "DESTROY", stream, "train"]);
      const p = await prod.done;
      const [o] = await results(cons);
      assert.equal(p.code, 0, p.stderr);
      const twice = o.seqs.length - new Set(o.seqs).size;
      assert.deepEqual(o.seqs, range(200), `every frame once (${twice} twice)`);
      assert.equal(o.groups_recreated, 1);
      assert.deepEqual([o.duplicates, o.missing], [0, 0]);
      assert.equal(o.group_warnings?.length, 1, JSON.stringify(o.group_warnings));
      assert.match(
        (o.group_warnings ?? [])[0],
        /consumer group 'train' was destroyed while the stream survives .*recreated it at \d+-\d+, the last entry this consumer read/,
      );
    }),
});

Deno.test({
  name:
    "a group recreated further back under a running consumer: the frames it gets again are marked and counted as duplicates",
  ignore,
  fn: () =>
    withTrainGroup("framepipe:rewound", async ({ srv, stream, url, conn }) => {
      // two consumers: no seq check, so only the entry ids can tell; each slower than the
      // producer, so each holds a frame (pending) when the group starts over
      const prod = cli(srv.port, produce(url, 120, "32x24", ["--max-lag", "10"]));
      const a = py(["consume", url, "train", "a", "--sleep-ms", "50", "--count", "1"]);
      const b = py(["consume", url, "train", "b", "--sleep-ms", "50", "--count", "1"]);
      await waitUntil(async () => (await entriesRead(conn, stream, "train")) > 40);
      // by hand, atomically: the consumers never see NOGROUP, the group just starts over at 0
      await conn.send([
        "EVAL",
        "redis.call('XGROUP', 'DESTROY', KEYS[1], 'train') " +
        "return redis.call('XGROUP', 'CREATE', KEYS[1], 'train', '0')",
        "1",
        stream,
      ]);
      const p = await prod.done;
      const out = [...await results(a), ...await results(b)];
      assert.equal(p.code, 0, p.stderr);
      const all = out.flatMap((o) => o.seqs);
      assert.deepEqual(sorted([...new Set(all)]), range(120), "none lost");
      const twice = all.length - new Set(all).size;
      const counted = out.reduce((n, o) => n + Number(o.duplicates), 0);
      assert.ok(twice > 0, "the rewind re-delivered frames");
      assert.ok(counted > 0 && counted <= twice, `counted ${counted} of ${twice} repeats`);
      assert.ok(
        out.some((o) => (o.group_warnings ?? []).some((w) => /went back/.test(w))),
        JSON.stringify(out.map((o) => o.group_warnings)),
      );
      console.log(`group rewound to 0: ${twice} frames twice, ${counted} marked by the readers`);
    }),
});
