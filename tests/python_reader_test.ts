// The Python reader (python/framepipe.py): its unit tests, and reading streams written by
// the TypeScript encoders. Python is $PYTHON (default /usr/bin/python3, with numpy and torch).
import assert from "node:assert";
import { createEncoder, type WireFormat } from "../src/formats/writers.ts";
import type { Frame, Layout } from "../src/formats/frame.ts";

const repoRoot = new URL("..", import.meta.url);
const python = Deno.env.get("PYTHON") || "/usr/bin/python3";
const text = new TextDecoder();

async function runPython(args: string[], input?: Uint8Array) {
  const child = new Deno.Command(python, {
    args,
    cwd: repoRoot,
    stdin: input ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (input) {
    const w = child.stdin.getWriter();
    await w.write(input);
    await w.close();
  }
  const { code, stdout, stderr } = await child.output();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

Deno.test("python reader unit tests pass", async () => {
  const { code, stdout, stderr } = await runPython([
    "-m",
    "unittest",
    "-v",
    "python/test_framepipe.py",
  ]);
  const output = stdout + stderr;
  if (code !== 0) console.error(output);
  assert.strictEqual(code, 0, `${python} -m unittest python/test_framepipe.py failed:\n${output}`);
});

/** W=10, H=5, C=3 frames whose payload byte i is (i + seq) % 256. */
function testFrame(seq: number, layout: Layout, labels: number[]): Frame {
  const data = new Uint8Array(150);
  for (let i = 0; i < data.length; i++) data[i] = (i + seq) % 256;
  return {
    width: 10,
    height: 5,
    channels: 3,
    layout,
    data,
    seq,
    position: seq + 100,
    timestamp: 1700000000000 + seq,
    key: `dir/${seq}.jpg`,
    labels,
    extra: { epoch: 1 },
  };
}

function encodeStream(format: WireFormat, layout: Layout): Uint8Array {
  const enc = createEncoder(format);
  const chunks = [
    ...enc.header({
      source: "test",
      classes: ["a", "b", "c"],
      layout,
      width: 10,
      height: 5,
      channels: 3,
    }),
    ...enc.frame(testFrame(0, layout, [2])),
    ...enc.frame(testFrame(1, layout, [])),
    ...enc.end({
      frames: 2,
      skipped: 0,
      errors: 0,
      dropped: 0,
      reconnects: 0,
      elapsed_s: 0.1,
      reason: "end",
    }),
  ];
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

// Prints, per frame, the meta and pixel (x=1, y=2) of every channel, read via array indexing.
const probe = `
import json, sys
sys.path.insert(0, "python")
import framepipe
fmt, layout = sys.argv[1], sys.argv[2]
kw = {} if fmt == "frame" else {"width": 10, "height": 5}
if fmt == "raw":
    kw["layout"] = layout
r = framepipe.FrameReader(sys.stdin.buffer, format=fmt, **kw)
out = []
for meta, a in r:
    px = [int(a[c, 2, 1]) if meta["layout"] == "chw" else int(a[2, 1, c]) for c in range(3)]
    out.append({"seq": meta["seq"], "labels": meta["labels"], "key": meta.get("key"),
                "position": meta.get("position"), "epoch": meta.get("epoch"),
                "shape": list(a.shape), "px": px})
print(json.dumps({"frames": out, "classes": r.classes, "end": r.end}))
`;

const cases: [WireFormat, Layout][] = [
  ["frame", "chw"],
  ["frame", "hwc"],
  ["raw", "chw"],
  ["raw", "hwc"],
  ["seed", "chw"],
];
for (const [format, layout] of cases) {
  Deno.test(`python reader reads the TypeScript ${format} encoder (${layout})`, async () => {
    const { code, stdout, stderr } = await runPython(
      ["-c", probe, format, layout],
      encodeStream(format, layout),
    );
    assert.strictEqual(code, 0, stderr);
    const got = JSON.parse(stdout);
    assert.strictEqual(got.frames.length, 2);
    // pixel (x=1, y=2) of channel c: CHW index c*50 + 2*10 + 1, HWC index (2*10 + 1)*3 + c
    const index = (c: number) => layout === "chw" ? c * 50 + 21 : 21 * 3 + c;
    for (const [seq, f] of got.frames.entries()) {
      assert.strictEqual(f.seq, seq);
      assert.deepStrictEqual(f.shape, layout === "chw" ? [3, 5, 10] : [5, 10, 3]);
      assert.deepStrictEqual(f.px, [0, 1, 2].map((c) => (index(c) + seq) % 256));
    }
    if (format === "frame") {
      assert.deepStrictEqual(got.classes, ["a", "b", "c"]);
      assert.deepStrictEqual(got.frames.map((f: { labels: number[] }) => f.labels), [[2], []]);
      assert.deepStrictEqual(got.frames.map((f: { key: string }) => f.key), [
        "dir/0.jpg",
        "dir/1.jpg",
      ]);
      assert.strictEqual(got.frames[1].position, 101);
      assert.strictEqual(got.frames[1].epoch, 1);
      assert.strictEqual(got.end.frames, 2);
      assert.strictEqual(got.end.reason, "end");
    } else if (format === "seed") {
      assert.deepStrictEqual(got.frames.map((f: { labels: number[] }) => f.labels), [[2], []]);
    }
  });
}
