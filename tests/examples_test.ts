/**
 * The examples in examples/ and `deno task demo` run and produce real output.
 */
import assert from "node:assert/strict";
import { readRecords } from "../src/formats/read_stream.ts";
import { freePort, PYTHON, pythonHas, ROOT } from "./helpers.ts";

const hasTorch = await pythonHas("numpy", "torch");
const hasNumpy = await pythonHas("numpy");
const dec = new TextDecoder();

Deno.test({
  name:
    "train_phases.py trains on streamed frames with 2 sharded workers; loss is finite and falls",
  ignore: !hasTorch,
  fn: async () => {
    const out = await new Deno.Command(PYTHON, {
      args: ["examples/train_phases.py"],
      cwd: ROOT,
      env: { DENO: Deno.execPath() },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = dec.decode(out.stdout);
    assert.equal(out.code, 0, text + dec.decode(out.stderr));
    const losses = [...text.matchAll(/^step +\d+ +batch \d+ +loss ([\d.]+)$/gm)].map((m) => +m[1]);
    // 12 frames x 12 epochs, both shards together, in batches of 6.
    assert.equal(losses.length, 24, text);
    assert.ok(losses.every(Number.isFinite));
    const m = /done: 24 steps, 144 frames, loss ([\d.]+) -> ([\d.]+)/.exec(text);
    assert.ok(m, text);
    assert.ok(+m[2] < +m[1], `loss should fall: ${m[1]} -> ${m[2]}`);
  },
});

Deno.test({
  name: "live_infer.py prints a prediction and a latency for each of 10 live SRT frames",
  ignore: !hasNumpy,
  fn: async () => {
    const port = freePort();
    const server = new Deno.Command(Deno.execPath(), {
      args: ["run", "-q", "--allow-read=fixtures", "--allow-run=ffmpeg", "cli.ts", "srt-serve"]
        .concat(["fixtures/frames", "--fps", "5", "--size", "320x240", "--port", String(port)])
        .concat(["--loop", "--quiet"]),
      cwd: ROOT,
      stdout: "null",
      stderr: "piped",
    }).spawn();
    try {
      const capture = new Deno.Command(Deno.execPath(), {
        args: ["run", "-q", "--allow-run=ffmpeg", "cli.ts", "capture"]
          .concat([`srt://127.0.0.1:${port}?mode=caller`, "--size", "160x120", "--frames", "10"]),
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const infer = new Deno.Command(PYTHON, {
        args: ["examples/live_infer.py"],
        cwd: ROOT,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      await capture.stdout.pipeTo(infer.stdin);
      const [c, r] = await Promise.all([capture.output(), infer.output()]);
      const text = dec.decode(r.stdout);
      assert.equal(c.code, 0, dec.decode(c.stderr));
      assert.equal(r.code, 0, text + dec.decode(r.stderr));
      const lines = [
        ...text.matchAll(
          /^frame +(\d+) +pred (\S+) +p=[\d.]+ +mean_rgb=\(.*\) +latency (-?[\d.]+) ms$/gm,
        ),
      ];
      assert.equal(lines.length, 10, text);
      assert.deepEqual(lines.map((l) => +l[1]), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      for (const l of lines) {
        assert.match(l[2], /^(dark|mid|bright)-(red|green|blue)$/);
        const ms = +l[3];
        assert.ok(ms >= -5 && ms < 5000, `latency ${ms} ms`);
      }
      assert.match(text, /done: 10 frames, latency p50 [\d.]+ ms/);
    } finally {
      server.kill("SIGTERM");
      await server.output();
    }
  },
});

Deno.test("library.ts decodes a JPEG, iterates the folder and sends 12 frames over TCP", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const received = (async () => {
    const conn = await listener.accept();
    const kinds: string[] = [];
    let payload = 0;
    for await (const r of readRecords(conn.readable)) {
      kinds.push(r.kind);
      payload += r.payload.length;
    }
    return { kinds, payload };
  })();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", "--allow-read=fixtures", `--allow-net=127.0.0.1:${port}`]
      .concat(["examples/library.ts", `127.0.0.1:${port}`]),
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = dec.decode(out.stderr);
  assert.equal(out.code, 0, err);
  const got = await received;
  listener.close();
  assert.equal(got.kinds.filter((k) => k === "frame").length, 12);
  assert.equal(got.kinds[0], "header");
  assert.equal(got.kinds.at(-1), "end");
  assert.equal(got.payload, 12 * 3 * 64 * 48);
  assert.match(err, /decoded 169_0\.jpg: 160x120/);
  assert.match(err, /iterated 12 frames/);
  assert.match(err, /sent 12 frames/);
});

Deno.test({
  name:
    "deno task demo streams the fixtures into the Python reader and prints the 12-frame summary",
  ignore: !hasNumpy,
  fn: async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["task", "-q", "demo"],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = dec.decode(out.stdout);
    assert.equal(out.code, 0, text + dec.decode(out.stderr));
    assert.match(text, /frames: +12 +\(shapes 3x48x64: 12; layout chw; uint8\)/);
    assert.match(text, /0 Preparation: 2/);
    assert.match(text, /end: +frames=12 skipped=0 errors=0/);
  },
});
