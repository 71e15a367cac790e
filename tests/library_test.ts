import assert from "node:assert/strict";
import { decodeJpeg, frames, listInputs, openImages, readRgbImage, resizeInto } from "../mod.ts";
import { ROOT, withTempDir } from "./helpers.ts";

const FIX = `${ROOT}/fixtures/frames`;

Deno.test("readRgbImage() returns the CHW planes of decodeJpeg()'s interleaved pixels", async () => {
  const chw = await readRgbImage(`${FIX}/169_50.jpg`, { decoder: "ts" });
  const img = decodeJpeg(await Deno.readFile(`${FIX}/169_50.jpg`));
  const { width: W, height: H } = img;
  assert.equal(chw.length, 3 * W * H);
  for (const [x, y] of [[0, 0], [1, 0], [0, 1], [W - 1, H - 1], [37, 91]]) {
    for (let c = 0; c < 3; c++) {
      assert.equal(chw[c * W * H + y * W + x], img.data[(y * W + x) * 3 + c], `${x},${y},${c}`);
    }
  }
  const small = await readRgbImage(`${FIX}/169_50.jpg`, {
    width: 40,
    height: 30,
    resize: "nearest",
  });
  assert.equal(small.length, 3 * 40 * 30);
});

Deno.test("resizeInto() lays a 10x5 image out as c*H*W + y*W + x (the original contract)", () => {
  const W = 10, H = 5;
  const data = new Uint8Array(W * H * 3);
  // interleaved source whose value names its own CHW index
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      for (let c = 0; c < 3; c++) data[(y * W + x) * 3 + c] = c * W * H + y * W + x;
    }
  }
  const out = resizeInto({ width: W, height: H, channels: 3, data, orientation: 1 }, {
    width: W,
    height: H,
    channels: 3,
    layout: "chw",
  });
  assert.deepEqual([out[0], out[50], out[100]], [0, 50, 100]); // (0,0)
  assert.deepEqual([out[1], out[51], out[101]], [1, 51, 101]); // (1,0)
  assert.deepEqual([out[2], out[52], out[102]], [2, 52, 102]); // (2,0)
  assert.deepEqual([out[10], out[60], out[110]], [10, 60, 110]); // (0,1)
  assert.deepEqual([out[20], out[70], out[120]], [20, 70, 120]); // (0,2)
  for (let i = 0; i < 150; i++) assert.equal(out[i], i);
});

Deno.test("resizeInto() fit contain letterboxes and cover fills the target", () => {
  const src = {
    width: 40,
    height: 20,
    channels: 3 as const,
    orientation: 1,
    data: new Uint8Array(40 * 20 * 3).fill(200),
  };
  const contain = resizeInto(src, {
    width: 20,
    height: 20,
    channels: 1,
    layout: "chw",
    fit: "contain",
  });
  assert.equal(contain[0], 0, "top band is black");
  assert.equal(contain[10 * 20 + 10], 200, "centre is the image");
  const cover = resizeInto(src, {
    width: 20,
    height: 20,
    channels: 1,
    layout: "chw",
    fit: "cover",
  });
  assert.ok(cover.every((v) => v === 200));
});

Deno.test("frames() iterates a folder lazily with labels, positions and epochs", async () => {
  const seen: string[] = [];
  for await (
    const f of frames(FIX, {
      width: 32,
      height: 24,
      labels: `${ROOT}/fixtures/phases.json`,
      limit: 5,
      start: 10,
      epochs: 2,
    })
  ) {
    assert.equal(f.data.length, 3 * 32 * 24);
    assert.equal(f.layout, "chw");
    assert.equal(f.labels.length, 1);
    seen.push(`${f.position}:${f.extra?.epoch}:${f.key}`);
  }
  assert.deepEqual(seen, [
    "10:0:169_250.jpg",
    "11:0:169_275.jpg",
    "12:1:169_0.jpg",
    "13:1:169_25.jpg",
    "14:1:169_50.jpg",
  ]);
});

Deno.test("globs match below their static prefix, naturally sorted", async () => {
  await withTempDir(async (dir) => {
    const jpeg = await Deno.readFile(`${FIX}/169_0.jpg`);
    await Deno.mkdir(`${dir}/a/b`, { recursive: true });
    for (const p of ["a/f10.jpg", "a/f9.jpg", "a/b/f1.jpg", "a/notes.txt", "x.jpg"]) {
      await Deno.writeFile(`${dir}/${p}`, jpeg);
    }
    const all = await listInputs([`${dir}/a/**/*.jpg`]);
    assert.deepEqual(all.map((f) => f.key), ["b/f1.jpg", "f9.jpg", "f10.jpg"]);
    const top = await listInputs([`${dir}/a/*.jpg`]);
    assert.deepEqual(top.map((f) => f.key), ["f9.jpg", "f10.jpg"]);
    await assert.rejects(() => listInputs([`${dir}/nothing/*.jpg`]), /matches no files/);
    const src = await openImages([`${dir}/a/**/*.jpg`], { width: 8, height: 8 });
    let n = 0;
    for await (const _ of src) n++;
    assert.equal(n, 3);
    assert.equal(src.stats.total, 3);
  });
});

// The library on a par with the CLI: every destination `--out` accepts opens from mod.ts alone
// (no CLI module imported), and pipe() is the CLI's run loop.
import {
  connectStream,
  openSink,
  parseRedisUrl,
  pipe,
  readRecords,
  RedisConnection,
  SINK_SCHEMES,
  type StreamRecord,
} from "../mod.ts";
import { freePort, startRedis } from "./helpers.ts";

async function collect(readable: ReadableStream<Uint8Array>): Promise<StreamRecord[]> {
  const out: StreamRecord[] = [];
  for await (const r of readRecords(readable)) out.push(r);
  return out;
}

function assertWholeStream(records: StreamRecord[], frames: number): void {
  assert.equal(records[0].kind, "header");
  assert.equal(records.filter((r) => r.kind === "frame").length, frames);
  const end = records.at(-1)!;
  assert.equal(end.kind, "end");
  assert.equal(end.meta.frames, frames);
  assert.equal(end.meta.reason, "end");
}

Deno.test("openSink() from mod.ts knows tcp://, tcps://, redis:// and rediss:// without CLI imports", () => {
  assert.deepEqual(Object.keys(SINK_SCHEMES).sort(), ["redis:", "rediss:", "tcp:", "tcps:"]);
});

Deno.test("pipe() streams a folder to a tcp:// consumer listening in the test", async () => {
  const port = freePort();
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  const received = (async () => {
    const conn = await listener.accept();
    return await collect(conn.readable);
  })();
  const src = await openImages([FIX], { width: 32, height: 24 });
  const sink = await openSink(`tcp://127.0.0.1:${port}`, { format: "frame" });
  const { summary, consumerGone } = await pipe(src, sink);
  const records = await received;
  listener.close();
  assert.equal(consumerGone, false);
  assert.equal(summary.frames, 12);
  assertWholeStream(records, 12);
  assert.equal(records[1].payload.length, 3 * 32 * 24);
});

Deno.test("pipe() serves a folder to a consumer with net.listen (the CLI's --listen)", async () => {
  const port = freePort();
  const src = await openImages([FIX], { width: 32, height: 24 });
  const sink = await openSink("-", {
    format: "frame",
    net: { listen: { hostname: "127.0.0.1", port }, waitConsumers: 1 },
  });
  const run = pipe(src, sink);
  const c = await connectStream(`tcp://127.0.0.1:${port}`, { connectTimeoutMs: 10_000 });
  const records = await collect(c.readable);
  const { summary } = await run;
  assert.equal(summary.frames, 12);
  assertWholeStream(records, 12);
});

Deno.test("pipe() stops at the signal and says so in the end record", async () => {
  await withTempDir(async (dir) => {
    const stop = new AbortController();
    const src = await openImages([FIX], { width: 16, height: 12, loop: true });
    let n = 0;
    const { summary } = await pipe(src, await openSink(`${dir}/s.fpip`, { format: "frame" }), {
      signal: stop.signal,
      onFrame: () => ++n === 30 && stop.abort(),
    });
    assert.equal(summary.reason, "signal");
    assert.equal(summary.frames, 30);
    const records = await collect((await Deno.open(`${dir}/s.fpip`)).readable);
    assert.equal(records.at(-1)!.meta.reason, "signal");
  });
});

Deno.test("openSink() refuses an unknown scheme with one line naming the ones it knows", async () => {
  await assert.rejects(
    () => openSink("ftp://x/y", { format: "frame" }),
    (e: Error & { kind?: string }) =>
      e.kind === "setup" &&
      /unknown destination scheme "ftp".*tcp:\/\/.*redis:\/\//.test(e.message),
  );
});

const hasRedis = await new Deno.Command("redis-server", { args: ["--version"], stdout: "null" })
  .output().then((o) => o.success, () => false);

Deno.test({
  name: "pipe() publishes a folder to a real redis-server via openSink(redis://...)",
  ignore: !hasRedis,
  async fn() {
    const server = (await startRedis())!;
    try {
      const url = server.url("framepipe:libtest");
      const src = await openImages([FIX], { width: 32, height: 24 });
      const sink = await openSink(url, {
        format: "frame",
        redis: { maxlen: 100, connectTimeoutMs: 10_000 },
      });
      const { summary } = await pipe(src, sink);
      assert.equal(summary.frames, 12);
      const conn = await RedisConnection.open({
        target: parseRedisUrl(url, "test"),
        connectTimeoutMs: 5000,
        what: "test",
      });
      try {
        // the header, 12 frames and the end record are entries of the stream
        const len = await conn.send<number>(["XLEN", "framepipe:libtest"]);
        assert.equal(Number(len), 14);
      } finally {
        await conn.close();
      }
    } finally {
      await server.stop();
    }
  },
});
