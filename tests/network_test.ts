// framepipe over TCP with real sockets on loopback: --listen fan-out and slow consumers,
// --out tcp:// with retry and reconnect, the token handshake, TLS, the Python client, inspect.
// Every CLI run is a subprocess with exact permissions (--allow-net=127.0.0.1:PORT).
import assert from "node:assert/strict";
import { readRecords, type StreamRecord } from "../src/formats/read_stream.ts";
import { type Frame, RECORD_HEADER_SIZE } from "../src/formats/frame.ts";
import { connectStream } from "../src/net/consumer.ts";
import { SeqCheck } from "../src/net/seq.ts";
import { Consumer } from "../src/sinks/tcp_consumer.ts";
import { TcpServerSink } from "../src/sinks/tcp_server.ts";
import { testFrame } from "./frames.ts";
import { freePort, parseStream, PYTHON, pythonHas, ROOT, withTempDir } from "./helpers.ts";

const hasNumpy = await pythonHas("numpy");
const text = new TextDecoder();
const hasOpenssl = await new Deno.Command("openssl", { args: ["version"], stdout: "null" })
  .output().then((o) => o.success).catch(() => false);

/** `--workers 0` when `images` has worker decoding (keeps runs light on a shared machine). */
const IMAGES_EXTRA = await (async () => {
  const o = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", "--allow-read=fixtures", "cli.ts", "images", "--help"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).output();
  return text.decode(o.stdout).includes("--workers") ? ["--workers", "0"] : [];
})();

/** Processes spawned by the running test; killed when it ends (so nothing is left behind). */
let spawned: Proc[] = [];
/** Longest a test may take. */
const TEST_LIMIT_MS = 30_000;

/**
 * `Deno.test` with a deadline that kills every subprocess the test started.
 *
 * @param name Behaviour under test.
 * @param fn Body.
 * @param ignore Skip it.
 */
function netTest(name: string, fn: () => Promise<void>, ignore = false): void {
  Deno.test({
    name,
    ignore,
    async fn() {
      spawned = [];
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        await Promise.race([
          fn(),
          new Promise((_, reject) =>
            timer = setTimeout(
              () => reject(new Error(`timed out after ${TEST_LIMIT_MS / 1000} s`)),
              TEST_LIMIT_MS,
            )
          ),
        ]);
      } finally {
        clearTimeout(timer);
        for (const p of spawned) {
          try {
            p.child.kill("SIGKILL");
          } catch {
            // already exited
          }
        }
        await Promise.all(spawned.map((p) => p.done.catch(() => {})));
      }
    },
  });
}

/** A free loopback port (bind port 0, read it, close). */

/** A running CLI subprocess whose stderr is collected as it arrives. */
interface Proc {
  child: Deno.ChildProcess;
  stderr: () => string;
  /** Resolves when stderr contains `needle`. */
  waitFor: (needle: string, ms?: number) => Promise<void>;
  /** Exit code, with stderr. */
  done: Promise<{ code: number; stderr: string; stdout: Uint8Array }>;
}

function spawn(
  cmd: string,
  args: string[],
  env?: Record<string, string>,
  stdin: "null" | "piped" = "null",
): Proc {
  const child = new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    stdin,
    stdout: "piped",
    stderr: "piped",
    env,
  }).spawn();
  let err = "";
  const waiters: { needle: string; resolve: () => void }[] = [];
  const errDone = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      err += chunk;
      for (const w of waiters.filter((w) => err.includes(w.needle))) w.resolve();
    }
  })();
  const outDone = new Response(child.stdout).arrayBuffer().then((b) => new Uint8Array(b));
  const done = (async () => {
    const [status, stdout] = await Promise.all([child.status, outDone, errDone]).then((
      [s, o],
    ) => [s, o] as const);
    return { code: status.code, stderr: err, stdout };
  })();
  const proc: Proc = {
    child,
    stderr: () => err,
    waitFor: (needle, ms = 15_000) =>
      new Promise<void>((resolve, reject) => {
        if (err.includes(needle)) return resolve();
        const t = setTimeout(
          () => reject(new Error(`timed out waiting for "${needle}" in stderr:\n${err}`)),
          ms,
        );
        waiters.push({
          needle,
          resolve: () => {
            clearTimeout(t);
            resolve();
          },
        });
      }),
    done,
  };
  spawned.push(proc);
  return proc;
}

/** `deno run -q <perms> cli.ts <args>`. */
function cli(perms: string[], args: string[], env?: Record<string, string>): Proc {
  return spawn(Deno.execPath(), ["run", "-q", ...perms, "cli.ts", ...args], env);
}

/** `images` with fixtures at a small size, streaming `n` frames. */
function imagesArgs(n: number, size = "32x24"): string[] {
  return [
    "images",
    "fixtures/frames",
    "--size",
    size,
    "--loop",
    "--limit",
    String(n),
    ...IMAGES_EXTRA,
  ];
}

/** Python with `python/` on the path. */
function python(code: string, env?: Record<string, string>): Proc {
  return spawn(PYTHON, ["-c", `import sys; sys.path.insert(0, "python")\n${code}`], env);
}

/** Read a whole stream from a `--listen` server as a consumer: raw bytes. */
async function consumeRaw(port: number, token?: string): Promise<Uint8Array> {
  const c = await connectStream(`tcp://127.0.0.1:${port}`, { token });
  const b = new Uint8Array(await new Response(c.readable).arrayBuffer());
  c.close();
  return b;
}

/** Byte length of every record but the end record (whose counts differ per consumer). */
function bytesBeforeEnd(recs: StreamRecord[]): number {
  return recs.filter((r) => r.kind !== "end").reduce(
    (n, r) => n + RECORD_HEADER_SIZE + r.fields.metaLength + r.fields.payloadLength,
    0,
  );
}

/** VmRSS (kB) of `pid` every 50 ms until it exits, sampled by a Python process. */
async function rssSampler(pid: number): Promise<number[]> {
  const out = await python(`
import time
try:
    while True:
        with open("/proc/${pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    print(line.split()[1], flush=True)
        time.sleep(0.05)
except (FileNotFoundError, ProcessLookupError):
    pass
`).done;
  return text.decode(out.stdout).trim().split("\n").filter(Boolean).map(Number);
}

netTest(
  "--listen fans out every frame to 3 consumers, byte-identical up to their end records",
  async () => {
    const port = freePort();
    const srv = cli(
      ["--allow-read=fixtures", `--allow-net=127.0.0.1:${port}`],
      [...imagesArgs(40), "--listen", String(port), "--wait-consumers", "3"],
    );
    const streams = await Promise.all([consumeRaw(port), consumeRaw(port), consumeRaw(port)]);
    const r = await srv.done;
    assert.equal(r.code, 0, r.stderr);
    const parsed = await Promise.all(streams.map(parseStream));
    for (const recs of parsed) {
      assert.equal(recs[0].kind, "header");
      const frames = recs.filter((x) => x.kind === "frame");
      assert.deepEqual(frames.map((f) => f.fields.seq), Array.from({ length: 40 }, (_, i) => i));
      const end = recs.at(-1)!;
      assert.equal(end.kind, "end");
      assert.equal(end.meta.frames, 40);
      const me = end.meta.consumer as { frames: number; dropped: number };
      assert.equal(me.frames, 40);
      assert.equal(me.dropped, 0);
    }
    const n = bytesBeforeEnd(parsed[0]);
    for (const s of streams.slice(1)) assert.deepEqual(s.subarray(0, n), streams[0].subarray(0, n));
    assert.match(r.stderr, /listening on tcp:\/\/127\.0\.0\.1:\d+/);
    assert.equal((r.stderr.match(/: 40 frames, 0 dropped/g) ?? []).length, 3, r.stderr);
  },
);

netTest("a consumer killed in the middle of a frame does not disturb the others", async () => {
  const port = freePort();
  const srv = cli(
    ["--allow-read=fixtures", `--allow-net=127.0.0.1:${port}`],
    [...imagesArgs(150, "64x48"), "--listen", String(port), "--wait-consumers", "3"],
  );
  await srv.waitFor("listening on");
  // reads the header and part of a frame, then SIGKILLs itself mid-record
  const victim = python(`
import os, signal, socket, time
s = socket.create_connection(("127.0.0.1", ${port}), timeout=10)
got = 0
while got < 20000:
    got += len(s.recv(20000 - got))
os.kill(os.getpid(), signal.SIGKILL)
`);
  const [a, b] = await Promise.all([consumeRaw(port), consumeRaw(port)]);
  const v = await victim.done;
  assert.equal(v.code, 137, `the victim should die by SIGKILL: ${v.stderr}`);
  const r = await srv.done;
  assert.equal(r.code, 0, r.stderr);
  for (const s of [a, b]) {
    const recs = await parseStream(s);
    assert.equal(recs.filter((x) => x.kind === "frame").length, 150);
    assert.equal(recs.at(-1)!.meta.reason, "end");
  }
  assert.match(r.stderr, /went away/);
});

netTest(
  "a stalled consumer with --slow drop keeps server memory flat and does not slow the source or the others",
  async () => {
    const port = freePort();
    const n = 1500; // 320x240x3 = 230 KB each: 345 MB in all
    const srv = cli(
      ["--allow-read=fixtures", `--allow-net=127.0.0.1:${port}`],
      [
        ...imagesArgs(n, "320x240"),
        "--listen",
        String(port),
        "--wait-consumers",
        "2",
        "--slow",
        "drop",
        "--buffer",
        "8",
      ],
    );
    await srv.waitFor("listening on");
    const stalled = await Deno.connect({ hostname: "127.0.0.1", port }); // never reads
    // RSS sampled by another process (this one is busy reading)
    const sampler = rssSampler(srv.child.pid);
    const t0 = performance.now();
    const c = await connectStream(`tcp://127.0.0.1:${port}`);
    const recs: StreamRecord[] = [];
    for await (const rec of readRecords(c.readable)) {
      recs.push({ ...rec, payload: new Uint8Array(0) });
    }
    const seconds = (performance.now() - t0) / 1000;
    stalled.close(); // lets the server finish (it waits for the stalled consumer's end)
    const r = await srv.done;
    const samples = await sampler;
    assert.equal(r.code, 0, r.stderr);
    // the reader may lose frames only when it falls behind the source itself (drop-old), and
    // every loss is announced: frames + announced gaps == n, in order
    const frames = recs.filter((x) => x.kind === "frame");
    const announced = frames.reduce((g, f) => g + Number(f.meta.gap ?? 0), 0);
    assert.equal(frames.length + announced, n, "unannounced loss");
    assert.ok(frames.every((f, i) => i === 0 || f.fields.seq > frames[i - 1].fields.seq));
    assert.ok(frames.length > n / 2, `the reader got only ${frames.length} of ${n} frames`);
    assert.equal(frames.at(-1)!.fields.seq, n - 1);
    const end = recs.at(-1)!.meta;
    const stalledStats = (end.consumers as { id: number; dropped: number; frames: number }[])
      .find((x) => x.id === 1)!;
    assert.ok(stalledStats.dropped > n / 2, `stalled consumer drops: ${JSON.stringify(end)}`);
    // memory: after warm-up (first quarter of the samples) RSS does not grow with the stream
    assert.ok(samples.length >= 8, `too few RSS samples (${samples.length})`);
    const warm = samples[Math.floor(samples.length / 4)];
    const peak = Math.max(...samples.slice(Math.floor(samples.length / 4)));
    console.log(
      `  RSS ${warm >> 10} MB after warm-up, peak ${
        peak >> 10
      } MB; reader got ${frames.length}/${n}` +
        ` frames (${
          (n / seconds).toFixed(0)
        } source frames/s) beside a stalled peer that dropped ${stalledStats.dropped}`,
    );
    assert.ok(peak - warm < 64 * 1024, `server RSS grew from ${warm} kB to ${peak} kB`);
  },
);

netTest("--slow wait loses nothing: the source waits for a slow consumer", async () => {
  const port = freePort();
  const srv = cli(
    ["--allow-read=fixtures", `--allow-net=127.0.0.1:${port}`],
    [
      ...imagesArgs(30, "64x48"),
      "--listen",
      String(port),
      "--wait-consumers",
      "2",
      "--slow",
      "wait",
      "--buffer",
      "2",
    ],
  );
  const slow = (async () => {
    const c = await connectStream(`tcp://127.0.0.1:${port}`);
    const out: StreamRecord[] = [];
    for await (const rec of readRecords(c.readable)) {
      out.push(rec);
      await new Promise((r) => setTimeout(r, 20));
    }
    return out;
  })();
  const [fast, slowRecs] = await Promise.all([consumeRaw(port).then(parseStream), slow]);
  const r = await srv.done;
  assert.equal(r.code, 0, r.stderr);
  for (const recs of [fast, slowRecs]) {
    const frames = recs.filter((x) => x.kind === "frame");
    assert.deepEqual(frames.map((f) => f.fields.seq), Array.from({ length: 30 }, (_, i) => i));
    assert.equal((recs.at(-1)!.meta.consumer as { dropped: number }).dropped, 0);
  }
});

netTest(
  "--slow disconnect drops a stalled consumer and keeps streaming to the others",
  async () => {
    const port = freePort();
    const srv = cli(
      ["--allow-read=fixtures", `--allow-net=127.0.0.1:${port}`],
      [
        ...imagesArgs(300, "320x240"),
        "--listen",
        String(port),
        "--wait-consumers",
        "2",
        "--slow",
        "disconnect",
        // generous, so that only the consumer that never reads overflows it, even on a busy machine
        "--buffer",
        "96",
      ],
    );
    await srv.waitFor("listening on");
    const stalled = await Deno.connect({ hostname: "127.0.0.1", port });
    const recs = await consumeRaw(port).then(parseStream);
    const r = await srv.done;
    stalled.close();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(recs.filter((x) => x.kind === "frame").length, 300, r.stderr);
    assert.match(r.stderr, /too slow .*disconnected/);
  },
);

netTest("--out tcp:// retries until the Python consumer server is up, then streams", async () => {
  const port = freePort();
  const prod = cli(
    ["--allow-read=fixtures", `--allow-net=127.0.0.1:${port}`],
    [...imagesArgs(24), "--out", `tcp://127.0.0.1:${port}`, "--connect-timeout", "20"],
  );
  await prod.waitFor("waiting for a consumer");
  await new Promise((r) => setTimeout(r, 700));
  const consumer = python(`
import framepipe
with framepipe.serve("127.0.0.1:${port}") as r:
    n = sum(1 for _ in r)
    print(n, r.end["frames"], r.end["reason"])
`);
  const [c, p] = await Promise.all([consumer.done, prod.done]);
  assert.equal(c.code, 0, c.stderr);
  assert.equal(text.decode(c.stdout).trim(), "24 24 end");
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stderr, /connected to tcp:\/\/127\.0\.0\.1/);
}, !hasNumpy);

netTest(
  "--out tcp:// stops cleanly (exit 0) when the consumer leaves; --reconnect restarts with a header",
  async () => {
    // consumer 1: reads 3 frames and hangs up; consumer 2 (same port): reads to the end
    const port = freePort();
    const consumer = python(`
import json, framepipe
srv = framepipe.listen("127.0.0.1:${port}")
print("ready", flush=True)
r = framepipe.accept(srv)
for i, (meta, img) in enumerate(r):
    if i == 2:
        break
r.close()
first = r.header["source"]
r = framepipe.accept(srv, timeout=20)
seqs = [meta["seq"] for meta, img in r]
print(json.dumps([first, r.header["source"], len(seqs), seqs[-1], r.end["frames"],
                  r.end.get("tcp_reconnects")]))
`);
    await new Promise((r) => setTimeout(r, 300));
    const prod = cli(
      ["--allow-read=fixtures", `--allow-net=127.0.0.1:${port}`],
      [...imagesArgs(400, "64x48"), "--out", `tcp://127.0.0.1:${port}`, "--reconnect"],
    );
    const [c, p] = await Promise.all([consumer.done, prod.done]);
    assert.equal(p.code, 0, p.stderr);
    assert.equal(c.code, 0, c.stderr);
    const [src1, src2, count, last, frames, reconnects] = JSON.parse(
      text.decode(c.stdout).trim().split("\n").at(-1)!,
    );
    assert.equal(src1, src2); // the second connection started with a stream header
    assert.ok(src1.length > 0);
    assert.equal(last, 399); // ...and then ran to the end, from a record boundary
    assert.equal(frames, 400);
    assert.equal(reconnects, 1);
    assert.ok(Number(count) > 0 && Number(count) <= 400);
    assert.match(p.stderr, /went away; reconnecting/);

    // without --reconnect: stop cleanly like a broken pipe
    const port2 = freePort();
    const quitter = python(`
import framepipe
with framepipe.serve("127.0.0.1:${port2}") as r:
    for i, _ in enumerate(r):
        if i == 2:
            break
print("left")
`);
    await new Promise((r) => setTimeout(r, 300));
    const p2 = await cli(
      ["--allow-read=fixtures", `--allow-net=127.0.0.1:${port2}`],
      [
        ...imagesArgs(2000, "64x48"),
        "--out",
        `tcp://127.0.0.1:${port2}`,
        "--connect-timeout",
        "20",
      ],
    ).done;
    assert.equal((await quitter.done).code, 0);
    assert.equal(p2.code, 0, p2.stderr);
    assert.match(
      p2.stderr,
      /the consumer closed tcp:\/\/127\.0\.0\.1:\d+ after \d+ frames; stopped/,
    );
  },
);

netTest(
  "a wrong or missing token is refused with FPERR1; the token never reaches stderr",
  async () => {
    const port = freePort();
    const secret = "s3cret-Token_42";
    const srv = cli(
      ["--allow-read=fixtures", `--allow-net=127.0.0.1:${port}`, "--allow-env=FRAMEPIPE_TOKEN"],
      [...imagesArgs(12), "--listen", String(port)],
      { FRAMEPIPE_TOKEN: secret },
    );
    await srv.waitFor("listening on");
    // raw protocol: a wrong token gets exactly one refusal line
    const raw = await Deno.connect({ hostname: "127.0.0.1", port });
    await raw.write(new TextEncoder().encode("FPAUTH1 not-the-token\n"));
    const answer = text.decode(new Uint8Array(await new Response(raw.readable).arrayBuffer()));
    assert.equal(answer, "FPERR1 bad token\n");
    // Python: missing token, wrong token, then the right one (from the environment)
    const py = python(
      `
import framepipe
for tok in (None, "wrong-token"):
    try:
        framepipe.connect("127.0.0.1:${port}", token=tok)
        print("accepted?!")
    except framepipe.AuthError as e:
        print("refused:", e)
with framepipe.connect("127.0.0.1:${port}", token="${secret}") as r:
    print("frames", sum(1 for _ in r))
`,
      { FRAMEPIPE_TOKEN: "" },
    );
    const p = await py.done;
    const r = await srv.done;
    assert.equal(p.code, 0, p.stderr);
    const out = text.decode(p.stdout);
    assert.match(out, /refused: .*token required/);
    assert.match(out, /refused: .*bad token/);
    assert.match(out, /frames 12/);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((r.stderr.match(/refused consumer 127\.0\.0\.1:\d+: bad token/g) ?? []).length, 2);
    assert.match(r.stderr, /refused consumer 127\.0\.0\.1:\d+: token required/);
    assert.match(r.stderr, /listening on .*\(token required;/);
    assert.ok(!r.stderr.includes(secret) && !r.stderr.includes("wrong-token"), r.stderr);
  },
  !hasNumpy,
);

netTest(
  "--out tcp:// presents the token to the consumer, which refuses a wrong one (exit 2)",
  async () => {
    const port = freePort();
    const consumer = python(`
import framepipe
srv = framepipe.listen("127.0.0.1:${port}")
print("ready", flush=True)
try:
    framepipe.accept(srv, token="right", timeout=20)
except framepipe.AuthError as e:
    print("refused:", e, flush=True)
with framepipe.accept(srv, token="right", timeout=20) as r:
    print("frames", sum(1 for _ in r))
`);
    await new Promise((r) => setTimeout(r, 300));
    const perms = [
      "--allow-read=fixtures",
      `--allow-net=127.0.0.1:${port}`,
      "--allow-env=FRAMEPIPE_TOKEN",
    ];
    const bad = await cli(perms, [...imagesArgs(12), "--out", `tcp://127.0.0.1:${port}`], {
      FRAMEPIPE_TOKEN: "wrong",
    }).done;
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /refused the token: bad token/);
    assert.ok(!bad.stderr.includes("wrong\n") && !bad.stderr.includes(" wrong"), bad.stderr);
    const good = await cli(perms, [...imagesArgs(12), "--out", `tcp://127.0.0.1:${port}`], {
      FRAMEPIPE_TOKEN: "right",
    }).done;
    assert.equal(good.code, 0, good.stderr);
    const c = await consumer.done;
    assert.equal(c.code, 0, c.stderr);
    assert.match(text.decode(c.stdout), /refused: .*bad token[\s\S]*frames 12/);
  },
  !hasNumpy,
);

/** `openssl req -x509 ...` for localhost / 127.0.0.1 into `dir/NAME.{cert,key}.pem`. */
async function selfSigned(dir: string, name: string, extra: string[] = []): Promise<void> {
  const gen = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      ...extra,
      "-keyout",
      `${dir}/${name}.key.pem`,
      "-out",
      `${dir}/${name}.cert.pem`,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.ok(gen.success, text.decode(gen.stderr));
}

/** A `--listen` TLS server of `n` 32x24 frames. */
function tlsServer(dir: string, name: string, port: number, n: number): Proc {
  return cli([`--allow-read=fixtures,${dir}`, `--allow-net=127.0.0.1:${port}`], [
    ...imagesArgs(n),
    "--listen",
    String(port),
    "--tls-cert",
    `${dir}/${name}.cert.pem`,
    "--tls-key",
    `${dir}/${name}.key.pem`,
  ]);
}

netTest(
  "TLS round trip with a self-signed certificate: --listen --tls-cert to Python and inspect, --out tcps:// to Python",
  async () => {
    await withTempDir(async (dir) => {
      // 1. the plain `openssl req -x509` certificate (CA:TRUE): Python (OpenSSL) accepts it;
      //    Deno's TLS (rustls) refuses a CA certificate as a server certificate, with a hint
      await selfSigned(dir, "ca");
      const port = freePort();
      const srv = tlsServer(dir, "ca", port, 20);
      const refused = await cli([`--allow-read=${dir}`, `--allow-net=127.0.0.1:${port}`], [
        "inspect",
        `tcps://127.0.0.1:${port}`,
        "--ca",
        `${dir}/ca.cert.pem`,
      ]).done;
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr, /TLS handshake failed: .*basicConstraints=critical,CA:FALSE/);
      const py = await python(`
import framepipe
with framepipe.connect("tcps://127.0.0.1:${port}", ca="${dir}/ca.cert.pem") as r:
    n = 0
    for meta, img in r:
        n += 1
    print(n, img.shape, r.end["reason"])
`).done;
      const s = await srv.done;
      assert.equal(s.code, 0, s.stderr);
      assert.equal(py.code, 0, py.stderr);
      assert.equal(text.decode(py.stdout).trim(), "20 (3, 24, 32) end");
      assert.match(s.stderr, /listening on tcps:\/\/127\.0\.0\.1:\d+ \(no token, TLS/);
      assert.match(s.stderr, /TLS handshake with 127\.0\.0\.1:\d+ failed/);

      // 2. a self-signed server certificate (CA:FALSE): inspect over tcps:// with --ca
      await selfSigned(dir, "leaf", ["-addext", "basicConstraints=critical,CA:FALSE"]);
      const port2 = freePort();
      const srv2 = tlsServer(dir, "leaf", port2, 20);
      const i = await cli([`--allow-read=${dir}`, `--allow-net=127.0.0.1:${port2}`], [
        "inspect",
        `tcps://127.0.0.1:${port2}`,
        "--ca",
        `${dir}/leaf.cert.pem`,
        "--json",
      ]).done;
      assert.equal(i.code, 0, i.stderr);
      assert.equal(JSON.parse(text.decode(i.stdout)).frames, 20);
      assert.equal((await srv2.done).code, 0);

      // 3. the other direction: --out tcps:// to a Python TLS consumer, trusted with --ca
      const port3 = freePort();
      const server = python(`
import framepipe
with framepipe.serve("127.0.0.1:${port3}", tls_cert="${dir}/leaf.cert.pem",
                     tls_key="${dir}/leaf.key.pem") as r:
    print("frames", sum(1 for _ in r))
`);
      const out = await cli(
        [`--allow-read=fixtures,${dir}`, `--allow-net=127.0.0.1:${port3}`],
        [...imagesArgs(12), "--out", `tcps://127.0.0.1:${port3}`, "--ca", `${dir}/leaf.cert.pem`],
      ).done;
      assert.equal(out.code, 0, out.stderr);
      const c = await server.done;
      assert.equal(c.code, 0, c.stderr);
      assert.match(text.decode(c.stdout), /frames 12/);
    });
  },
  !hasOpenssl || !hasNumpy,
);

netTest(
  "Python connect() reads a --listen stream into the same numpy arrays as a pipe",
  async () => {
    await withTempDir(async (dir) => {
      const args = [
        "images",
        "fixtures/frames",
        "--size",
        "40x30",
        "--labels",
        "fixtures/phases.json",
        ...IMAGES_EXTRA,
      ];
      const piped = await cli(["--allow-read=fixtures"], args).done;
      assert.equal(piped.code, 0, piped.stderr);
      await Deno.writeFile(`${dir}/s.fpip`, piped.stdout);
      const port = freePort();
      const srv = cli(["--allow-read=fixtures", `--allow-net=127.0.0.1:${port}`], [
        ...args,
        "--listen",
        String(port),
      ]);
      const py = python(`
import numpy as np, framepipe
ref = [(m["key"], img) for m, img in framepipe.read_frames("${dir}/s.fpip")]
with framepipe.connect("127.0.0.1:${port}") as r:
    got = [(m["key"], m["labels"], img) for m, img in r]
    classes = r.classes
assert len(got) == len(ref) == 12, (len(got), len(ref))
for (k1, a), (k2, labels, b) in zip(ref, got):
    assert k1 == k2 and a.dtype == np.uint8 and a.shape == b.shape == (3, 30, 40)
    assert np.array_equal(a, b), k1
print("ok", len(classes))
`);
      const [p, s] = await Promise.all([py.done, srv.done]);
      assert.equal(s.code, 0, s.stderr);
      assert.equal(p.code, 0, p.stderr);
      assert.match(text.decode(p.stdout), /^ok [1-9]/);
    });
  },
  !hasNumpy,
);

netTest(
  "inspect summarises a file (text and --json), stops with --frames, and exits 1 on a malformed stream",
  async () => {
    await withTempDir(async (dir) => {
      const made = await cli(["--allow-read=fixtures"], [
        "images",
        "fixtures/frames",
        "--size",
        "16x12",
        "--labels",
        "fixtures/phases.json",
        ...IMAGES_EXTRA,
      ]).done;
      assert.equal(made.code, 0, made.stderr);
      const file = `${dir}/s.fpip`;
      await Deno.writeFile(file, made.stdout);
      const perms = [`--allow-read=${dir}`];
      const j = await cli(perms, ["inspect", file, "--json"]).done;
      assert.equal(j.code, 0, j.stderr);
      const s = JSON.parse(text.decode(j.stdout));
      assert.equal(s.frames, 12);
      assert.deepEqual(s.sizes, { "16x12x3": 12 });
      assert.deepEqual(s.layouts, { chw: 12 });
      assert.equal(s.labels.reduce((n: number, l: { count: number }) => n + l.count, 0), 12);
      assert.ok(s.labels.every((l: { name: string | null }) => typeof l.name === "string"));
      assert.equal(s.first_key, "169_0.jpg");
      assert.equal(s.last_key, "169_275.jpg");
      assert.equal(s.end.reason, "end");
      assert.deepEqual(s.gaps, { gap_meta: 0, seq_holes: 0, seq_hole_frames: 0 });
      const t = await cli(perms, ["inspect", file]).done;
      assert.equal(t.code, 0, t.stderr);
      assert.match(text.decode(t.stdout), /frames: +12 /);
      assert.match(text.decode(t.stdout), /labels: +0 \S+: \d/);
      const few = await cli(perms, ["inspect", file, "--frames", "5", "--json"]).done;
      assert.equal(few.code, 0, few.stderr);
      assert.equal(JSON.parse(text.decode(few.stdout)).frames, 5);
      // truncated inside a payload: one line, exit 1
      await Deno.writeFile(`${dir}/cut.fpip`, made.stdout.subarray(0, made.stdout.length - 700));
      const bad = await cli(perms, ["inspect", `${dir}/cut.fpip`]).done;
      assert.equal(bad.code, 1);
      assert.equal(bad.stderr.trim().split("\n").length, 1, bad.stderr);
      assert.match(bad.stderr, /error: .*stream ended inside a payload/);
      // from stdin
      const piped = spawn(
        Deno.execPath(),
        ["run", "-q", "cli.ts", "inspect", "--json"],
        undefined,
        "piped",
      );
      const w = piped.child.stdin.getWriter();
      await w.write(made.stdout);
      await w.close();
      const fromStdin = await piped.done;
      assert.equal(fromStdin.code, 0, fromStdin.stderr);
      assert.equal(JSON.parse(text.decode(fromStdin.stdout)).frames, 12);
    });
  },
);

netTest(
  "inspect reads a --listen server over tcp:// with a token from the environment",
  async () => {
    const port = freePort();
    const env = { FRAMEPIPE_TOKEN: "tok-123" };
    const perms = [`--allow-net=127.0.0.1:${port}`, "--allow-env=FRAMEPIPE_TOKEN"];
    const srv = cli(["--allow-read=fixtures", ...perms], [
      ...imagesArgs(30),
      "--listen",
      String(port),
    ], env);
    const i = await cli(perms, ["inspect", `tcp://127.0.0.1:${port}`], env).done;
    const s = await srv.done;
    assert.equal(s.code, 0, s.stderr);
    assert.equal(i.code, 0, i.stderr);
    const out = text.decode(i.stdout);
    assert.match(out, /frames: +30 +\(sizes WxHxC 32x24x3: 30/);
    assert.match(out, /consumer: #1 127\.0\.0\.1:\d+: 30 frames, 0 dropped/);
    assert.match(out, /end: .*reason=end/);
  },
);

netTest("missing --allow-net is one line naming the exact flag (exit 2)", async () => {
  const port = freePort();
  const l = await cli(["--allow-read=fixtures"], [...imagesArgs(3), "--listen", String(port)]).done;
  assert.equal(l.code, 2);
  assert.equal(l.stderr.trim().split("\n").length, 1, l.stderr);
  assert.match(l.stderr, new RegExp(`--allow-net=127\\.0\\.0\\.1:${port}`));
  const o = await cli(["--allow-read=fixtures"], [
    ...imagesArgs(3),
    "--out",
    `tcp://127.0.0.1:${port}`,
  ]).done;
  assert.equal(o.code, 2);
  assert.equal(o.stderr.trim().split("\n").length, 1, o.stderr);
  assert.match(o.stderr, new RegExp(`--allow-net=127\\.0\\.0\\.1:${port}`));
  const i = await cli([], ["inspect", `tcp://127.0.0.1:${port}`]).done;
  assert.equal(i.code, 2);
  assert.match(i.stderr, new RegExp(`--allow-net=127\\.0\\.0\\.1:${port}`));
});

netTest("network options that do not fit together are usage errors", async () => {
  const cases: [string[], RegExp][] = [
    [["--listen", "9000", "--out", "x.fpip"], /--listen serves the stream itself/],
    [["--slow", "drop"], /--slow needs --listen/],
    [["--listen", "9000", "--slow", "fast"], /--slow "fast" is not one of drop, disconnect, wait/],
    [["--reconnect"], /--reconnect needs --out tcp:\/\//],
    [["--listen", "9000", "--tls-cert", "c.pem"], /--tls-cert and --tls-key go together/],
    [["--listen", "nope:port"], /--listen "nope:port"/],
    [["--token", "x"], /--token needs --listen or --out tcp/],
    [
      ["--out", "tcp://127.0.0.1:abc"],
      /--out tcp:\/\/ "127\.0\.0\.1:abc": port must be 0\.\.65535/,
    ],
  ];
  for (const [extra, re] of cases) {
    const r = await cli(["--allow-read=fixtures"], [...imagesArgs(1), ...extra]).done;
    assert.equal(r.code, 2, `${extra.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
});

// --- seams in process: the slow-consumer policy, sequence checks ---------------------------

const noSocket = { write: (p: Uint8Array) => Promise.resolve(p.length) };
const tag = (f: Frame, gap: number) => [new TextEncoder().encode(`${f.seq}+${gap}`)];

Deno.test("slow policy drop: the oldest queued frame goes and the next one carries the gap", () => {
  const c = new Consumer(1, "peer", noSocket, 2);
  c.pushRecord([new Uint8Array([0])]); // the header is never dropped
  for (let i = 0; i < 5; i++) {
    assert.equal(c.offer(testFrame(i), tag(testFrame(i), 0), "drop", tag), "queued");
  }
  assert.equal(c.queuedFrames(), 2);
  assert.equal(c.dropped, 3);
  assert.equal(c.queue[0].frame, undefined, "header kept");
  // frames 0, 1, 2 dropped: 3 carries them all as its gap, 4 follows
  assert.deepEqual(c.queue.slice(1).map((it) => [it.frame!.seq, it.gap]), [[3, 3], [4, 0]]);
  assert.equal(new TextDecoder().decode(c.queue[1].chunks[0]), "3+3");
  assert.deepEqual(c.stats(), {
    id: 1,
    peer: "peer",
    frames: 2,
    dropped: 3,
    bytes: 6,
    state: "connected",
  });
});

Deno.test("slow policy disconnect: a full queue is reported as too slow and nothing is queued", () => {
  const c = new Consumer(1, "peer", noSocket, 1);
  assert.equal(c.offer(testFrame(0), tag(testFrame(0), 0), "disconnect", tag), "queued");
  assert.equal(c.offer(testFrame(1), tag(testFrame(1), 0), "disconnect", tag), "too-slow");
  assert.equal(c.queuedFrames(), 1);
  assert.equal(c.dropped, 0);
});

Deno.test("the consumer writer sends queued records in order and stops after the end", async () => {
  const out: number[] = [];
  const sock = { write: (p: Uint8Array) => (out.push(...p), Promise.resolve(p.length)) };
  const c = new Consumer(1, "peer", sock, 4);
  const w = c.write();
  c.pushRecord([new Uint8Array([9])]);
  c.offer(testFrame(1), [new Uint8Array([1])], "drop", tag);
  c.offer(testFrame(2), [new Uint8Array([2]), new Uint8Array([22])], "drop", tag);
  c.ending = true;
  c.pushRecord([new Uint8Array([7])]);
  await w;
  assert.deepEqual(out, [9, 1, 2, 22, 7]);
  assert.equal(c.frames, 2);
});

Deno.test("SeqCheck counts holes, repeats and announced gaps; a header restarts the sequence", () => {
  const s = new SeqCheck();
  assert.deepEqual([0, 1, 4, 5].map((q) => s.frame(q)), [0, 0, 2, 0]);
  s.frame(3); // sent again
  s.frame(7, 1); // a hole of 1, announced
  s.header();
  s.frame(0);
  assert.deepEqual(s.counts, { frames: 7, holes: 2, missing: 3, repeated: 1, announced: 1 });
});

netTest(
  "connectStream().records() marks a hole in seq as the frame's gap and counts it",
  async () => {
    const sink = new TcpServerSink({
      address: { hostname: "127.0.0.1", port: 0 },
      format: "frame",
      waitConsumers: 1,
    });
    let port = 0;
    const listening = new Promise<void>((r) => {
      sink.start({ source: "t", classes: [], layout: "chw", width: 1, height: 1, channels: 1 });
      const t = setInterval(() => {
        if (sink.address) {
          port = sink.address.port;
          clearInterval(t);
          r();
        }
      }, 5);
    });
    await listening;
    const warned: string[] = [];
    const c = await connectStream(`tcp://127.0.0.1:${port}`, {
      log: { warn: (m) => warned.push(m) },
    });
    const got = (async () => {
      const out: [number, unknown][] = [];
      for await (const r of c.records()) {
        if (r.kind === "frame") {
          out.push([r.fields.seq, r.meta.gap]);
        }
      }
      return out;
    })();
    for (const seq of [0, 1, 5, 6]) await sink.write(testFrame(seq));
    await sink.end({
      frames: 4,
      skipped: 0,
      errors: 0,
      dropped: 0,
      reconnects: 0,
      elapsed_s: 0,
      reason: "end",
    });
    await sink.close();
    assert.deepEqual(await got, [[0, undefined], [1, undefined], [5, 3], [6, undefined]]);
    assert.deepEqual(c.seq, { frames: 4, holes: 1, missing: 3, repeated: 0, announced: 0 });
    assert.match(warned[0], /3 frame\(s\) missing before seq 5/);
    c.close();
  },
);
