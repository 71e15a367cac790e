import assert from "node:assert/strict";
import {
  parseFrames,
  parseStream,
  PYTHON,
  pythonHas,
  ROOT,
  runCli,
  runPython,
  withTempDir,
} from "./helpers.ts";

const hasNumpy = await pythonHas("numpy", "PIL");

Deno.test("images writes a header, one frame per fixture in natural order, and an end record", async () => {
  const r = await runCli(["images", "fixtures/frames", "--size", "64x48"]);
  assert.equal(r.code, 0, r.stderr);
  const recs = await parseStream(r.stdout);
  assert.equal(recs[0].kind, "header");
  assert.equal(recs.at(-1)!.kind, "end");
  const frames = recs.filter((x) => x.kind === "frame");
  assert.equal(frames.length, 12);
  const keys = frames.map((f) => f.meta.key);
  assert.deepEqual(keys, Array.from({ length: 12 }, (_, i) => `169_${i * 25}.jpg`));
  for (const [i, f] of frames.entries()) {
    assert.equal(f.fields.width, 64);
    assert.equal(f.fields.height, 48);
    assert.equal(f.fields.channels, 3);
    assert.equal(f.fields.layout, "chw");
    assert.equal(f.payload.length, 3 * 64 * 48);
    assert.equal(f.fields.seq, i);
    assert.equal(f.fields.position, i);
  }
  assert.equal(recs.at(-1)!.meta.frames, 12);
  assert.equal(recs.at(-1)!.meta.reason, "end");
});

Deno.test("CHW payload is numpy reshape(3, H, W) of the decoded image (10x5 contract)", {
  ignore: !hasNumpy,
}, async () => {
  await withTempDir(async (dir) => {
    // a 10x5 image with distinct values per pixel and channel, stored nearly losslessly
    const make = await runPython(
      `import sys;from PIL import Image;import numpy as np
a=np.zeros((5,10,3),np.uint8)
for y in range(5):
  for x in range(10):
    a[y,x]=(x*25,y*60,255-x*25)
Image.fromarray(a).save(sys.argv[1],quality=100,subsampling=0)`,
      undefined,
      [`${dir}/p.jpg`],
    );
    assert.equal(make.code, 0, make.stderr);
    const chw = await runCli(["images", `${dir}/p.jpg`, "--format", "raw"], {
      permissions: [`--allow-read=${dir}`],
    });
    assert.equal(chw.code, 0, chw.stderr);
    assert.equal(chw.stdout.length, 150);
    // index contract: (x,y,c) at c*H*W + y*W + x
    const at = (x: number, y: number, c: number) => chw.stdout[c * 50 + y * 10 + x];
    const near = (a: number, b: number) => Math.abs(a - b) <= 6;
    for (const [x, y] of [[0, 0], [1, 0], [2, 0], [0, 1], [0, 2], [9, 4]]) {
      assert.ok(near(at(x, y, 0), x * 25), `R at ${x},${y}: ${at(x, y, 0)}`);
      assert.ok(near(at(x, y, 1), y * 60), `G at ${x},${y}: ${at(x, y, 1)}`);
      assert.ok(near(at(x, y, 2), 255 - x * 25), `B at ${x},${y}: ${at(x, y, 2)}`);
    }
    // and numpy agrees with PIL's own decode after reshape(3, H, W)
    const check = await runPython(
      `import sys,numpy as np;from PIL import Image
buf=sys.stdin.buffer.read();a=np.frombuffer(buf,np.uint8).reshape(3,5,10)
ref=np.asarray(Image.open(sys.argv[1]).convert("RGB")).transpose(2,0,1).astype(int)
d=np.abs(a.astype(int)-ref).max();print(d);sys.exit(0 if d<=3 else 1)`,
      chw.stdout,
      [`${dir}/p.jpg`],
    );
    assert.equal(check.code, 0, `max diff vs PIL: ${new TextDecoder().decode(check.stdout)}`);
  });
});

Deno.test("--layout hwc and --gray change the payload shape consistently", async () => {
  const chw = await runCli(["images", "fixtures/frames/169_0.jpg", "--format", "raw"]);
  const hwc = await runCli([
    "images",
    "fixtures/frames/169_0.jpg",
    "--format",
    "raw",
    "--layout",
    "hwc",
  ]);
  const gray = await runCli(["images", "fixtures/frames/169_0.jpg", "--format", "raw", "--gray"]);
  for (const r of [chw, hwc, gray]) assert.equal(r.code, 0, r.stderr);
  const W = 160, H = 120;
  assert.equal(chw.stdout.length, 3 * W * H);
  assert.equal(hwc.stdout.length, 3 * W * H);
  assert.equal(gray.stdout.length, W * H);
  for (const [x, y] of [[0, 0], [17, 3], [159, 119], [80, 60]]) {
    for (let c = 0; c < 3; c++) {
      assert.equal(hwc.stdout[(y * W + x) * 3 + c], chw.stdout[c * W * H + y * W + x]);
    }
    const [r, g, b] = [0, 1, 2].map((c) => chw.stdout[c * W * H + y * W + x]);
    const luma = 0.299 * r + 0.587 * g + 0.114 * b;
    assert.ok(
      Math.abs(gray.stdout[y * W + x] - luma) <= 4,
      `gray ${gray.stdout[y * W + x]} vs ${luma}`,
    );
  }
});

Deno.test("the three formats carry the same pixels; seed widens each byte to u16 with the label tag", async () => {
  const args = [
    "images",
    "fixtures/frames",
    "--size",
    "32x24",
    "--labels",
    "fixtures/phases.json",
    "--limit",
    "3",
  ];
  const frame = await runCli([...args, "--format", "frame"]);
  const raw = await runCli([...args, "--format", "raw"]);
  const seed = await runCli([...args, "--format", "seed"]);
  for (const r of [frame, raw, seed]) assert.equal(r.code, 0, r.stderr);
  const frames = await parseFrames(frame.stdout);
  const n = 3 * 32 * 24;
  assert.equal(frames.length, 3);
  assert.equal(raw.stdout.length, 3 * n);
  assert.equal(seed.stdout.length, 3 * (6 + 2 * n));
  const dv = new DataView(seed.stdout.buffer);
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(raw.stdout.subarray(i * n, (i + 1) * n), frames[i].payload);
    const base = i * (6 + 2 * n);
    assert.equal(dv.getUint16(base, true), (frames[i].meta.labels as number[])[0]);
    assert.equal(dv.getUint32(base + 2, true), n);
    for (const k of [0, 1, 500, n - 1]) {
      assert.equal(dv.getUint16(base + 6 + 2 * k, true), frames[i].payload[k]);
    }
  }
});

Deno.test("JSON labels match trailing frame numbers and class names go in the header", async () => {
  const r = await runCli([
    "images",
    "fixtures/frames",
    "--labels",
    "fixtures/phases.json",
    "--size",
    "16x16",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const recs = await parseStream(r.stdout);
  const phases = JSON.parse(await Deno.readTextFile(`${ROOT}/fixtures/phases.json`));
  assert.deepEqual(recs[0].meta.classes, phases.classes);
  for (const f of recs.filter((x) => x.kind === "frame")) {
    const num = /_(\d+)\.jpg$/.exec(f.meta.key as string)![1];
    assert.deepEqual(f.meta.labels, phases.labels[num]);
  }
});

Deno.test("CSV labels and class-folder labels (--labels dirs) reach each frame", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/l.csv`,
      "path,label\n169_0.jpg,3\nframes/169_25.jpg,1;4\n169_50,Phase\n",
    );
    const r = await runCli([
      "images",
      "fixtures/frames",
      "--labels",
      `${dir}/l.csv`,
      "--limit",
      "4",
      "--size",
      "8x8",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const frames = await parseFrames(r.stdout);
    assert.deepEqual(frames.map((f) => f.meta.labels), [[3], [1, 4], [0], []]);
    assert.match(r.stderr, /1 frames had no label/);
  });
  const d = await runCli(["images", "fixtures/classes", "--labels", "dirs", "--size", "8x8"]);
  assert.equal(d.code, 0, d.stderr);
  const recs = await parseStream(d.stdout);
  assert.deepEqual(recs[0].meta.classes, ["instrument", "tissue"]);
  const frames = recs.filter((x) => x.kind === "frame");
  assert.deepEqual(frames.map((f) => [f.meta.key, f.meta.labels]), [
    ["instrument/instrument_0.jpg", [0]],
    ["instrument/instrument_1.jpg", [0]],
    ["instrument/instrument_2.jpg", [0]],
    ["tissue/tissue_0.jpg", [1]],
    ["tissue/tissue_1.jpg", [1]],
    ["tissue/tissue_2.jpg", [1]],
  ]);
});

async function keysOf(args: string[]): Promise<string[]> {
  const r = await runCli(["images", "fixtures/frames", "--size", "8x8", ...args]);
  assert.equal(r.code, 0, r.stderr);
  return (await parseFrames(r.stdout)).map((f) => f.meta.key as string);
}

Deno.test("shuffle is seeded, shards are disjoint and covering, epochs repeat, start resumes", async () => {
  const plain = await keysOf([]);
  const s1 = await keysOf(["--shuffle", "--seed", "7"]);
  const s1again = await keysOf(["--shuffle", "--seed", "7"]);
  const s2 = await keysOf(["--shuffle", "--seed", "8"]);
  assert.deepEqual(s1, s1again);
  assert.notDeepEqual(s1, plain);
  assert.notDeepEqual(s1, s2);
  assert.deepEqual([...s1].sort(), [...plain].sort());

  const shards = await Promise.all(
    [0, 1, 2, 3, 4].map((i) => keysOf(["--shuffle", "--seed", "3", "--shard", `${i}/5`])),
  );
  const union = shards.flat();
  assert.equal(new Set(union).size, 12, "disjoint");
  assert.deepEqual([...union].sort(), [...plain].sort(), "covering");
  const even = await Promise.all(
    [0, 1, 2, 3, 4].map((i) => keysOf(["--shard", `${i}/5`, "--even-shards"])),
  );
  assert.deepEqual(even.map((s) => s.length), [2, 2, 2, 2, 2]);

  const epochs = await runCli([
    "images",
    "fixtures/frames",
    "--size",
    "8x8",
    "--epochs",
    "3",
    "--shuffle",
  ]);
  const ef = await parseFrames(epochs.stdout);
  assert.equal(ef.length, 36);
  assert.deepEqual(ef.map((f) => f.meta.epoch), [...Array(36)].map((_, i) => Math.floor(i / 12)));
  assert.deepEqual(ef.map((f) => f.fields.position), [...Array(36).keys()]);

  // resume: --start N continues exactly where position N-1 stopped
  const resumed = await runCli([
    "images",
    "fixtures/frames",
    "--size",
    "8x8",
    "--epochs",
    "3",
    "--shuffle",
    "--start",
    "17",
  ]);
  const rf = await parseFrames(resumed.stdout);
  assert.deepEqual(rf.map((f) => f.meta.key), ef.slice(17).map((f) => f.meta.key));
  assert.equal(rf[0].fields.position, 17);
  const limited = await keysOf(["--limit", "5", "--start", "2"]);
  assert.deepEqual(limited, plain.slice(2, 7));
});

Deno.test("a corrupt JPEG is skipped and counted by default, and fails with exit 1 under --on-error fail", async () => {
  await withTempDir(async (dir) => {
    const good = await Deno.readFile(`${ROOT}/fixtures/frames/169_0.jpg`);
    await Deno.writeFile(`${dir}/a_1.jpg`, good);
    await Deno.writeFile(`${dir}/a_2.jpg`, good.slice(0, good.length >> 1));
    await Deno.writeTextFile(`${dir}/notes.txt`, "not an image");
    await Deno.writeFile(`${dir}/a_3.jpg`, good);
    const perms = [`--allow-read=${dir}`];
    const skip = await runCli(["images", dir], { permissions: perms });
    assert.equal(skip.code, 0, skip.stderr);
    const recs = await parseStream(skip.stdout);
    assert.equal(recs.filter((x) => x.kind === "frame").length, 2);
    const end = recs.at(-1)!.meta;
    assert.equal(end.skipped, 2);
    assert.equal(end.errors, 1);
    assert.equal(end.not_jpeg, 1);
    assert.match(skip.stderr, /skipped "a_2\.jpg": .+/);
    assert.match(skip.stderr, /skipped "notes\.txt": not a JPEG/);
    assert.doesNotMatch(skip.stderr, /\n\s+at /, "no stack trace");

    const fail = await runCli(["images", dir, "--on-error", "fail"], { permissions: perms });
    assert.equal(fail.code, 1);
    assert.match(fail.stderr, /cannot decode "a_2\.jpg"/);
    assert.doesNotMatch(fail.stderr, /\n\s+at /);
    const failRecs = await parseStream(fail.stdout);
    assert.equal(failRecs.at(-1)!.kind, "end");
    assert.equal(failRecs.at(-1)!.meta.reason, "error");
  });
});

Deno.test("runs under exactly --allow-read=DIR and names the missing permission otherwise", async () => {
  const ok = await runCli(["images", "fixtures/frames", "--size", "8x8"], {
    permissions: ["--allow-read=fixtures/frames"],
  });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal((await parseFrames(ok.stdout)).length, 12);
  const denied = await runCli(["images", "fixtures/frames"], { permissions: [] });
  assert.equal(denied.code, 2);
  assert.match(denied.stderr, /--allow-read=fixtures/);
  assert.equal(denied.stderr.trim().split("\n").length, 1, denied.stderr);
});

Deno.test("a missing path or a bad flag is one line and exit 2, with a suggestion for typos", async () => {
  const missing = await runCli(["images", "no/such/dir"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no such file or directory/);
  assert.equal(missing.stderr.trim().split("\n").length, 1);
  const typo = await runCli(["images", "fixtures/frames", "--shufle"]);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /did you mean --shuffle/);
  const size = await runCli(["images", "fixtures/frames", "--size", "853by480"]);
  assert.equal(size.code, 2);
  assert.match(size.stderr, /WIDTHxHEIGHT/);
});

Deno.test("a consumer that goes away stops the stream quietly with exit 0", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-q",
      "--allow-read=fixtures",
      "cli.ts",
      "images",
      "fixtures/frames",
      "--loop",
      "--size",
      "320x240",
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  let got = 0;
  while (got < 2_000_000) {
    const { value, done } = await reader.read();
    if (done) break;
    got += value.length;
  }
  await reader.cancel(); // close our end: the producer sees a broken pipe
  const out = await child.output().catch(() => null);
  const status = await child.status;
  assert.equal(status.code, 0);
  const stderr = out ? new TextDecoder().decode(out.stderr) : "";
  assert.doesNotMatch(stderr, /\n\s+at |error/i, stderr);
});

Deno.test("an MJPEG stream on stdin is split into frames", async () => {
  const parts = await Promise.all(
    ["169_0.jpg", "169_25.jpg", "169_50.jpg"].map((f) =>
      Deno.readFile(`${ROOT}/fixtures/frames/${f}`)
    ),
  );
  const cat = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    cat.set(p, off);
    off += p.length;
  }
  const r = await runCli(["images", "-", "--size", "16x12"], { stdin: cat });
  assert.equal(r.code, 0, r.stderr);
  const frames = await parseFrames(r.stdout);
  assert.deepEqual(frames.map((f) => f.meta.key), ["stdin#0", "stdin#1", "stdin#2"]);
  const single = await runCli(["images", "fixtures/frames/169_25.jpg", "--size", "16x12"]);
  assert.deepEqual(frames[1].payload, (await parseFrames(single.stdout))[0].payload);
});

Deno.test(
  "peak RSS for 2,000 streamed frames is within 10% of 200 frames",
  { ignore: !hasNumpy },
  async () => {
    const rss = async (n: number) => {
      const r = await runPython(
        `import resource,subprocess,sys
p=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.PIPE)
assert p.returncode==0,p.stderr
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)`,
        undefined,
        [
          Deno.execPath(),
          "run",
          "-q",
          "--allow-read=fixtures",
          "cli.ts",
          "images",
          "fixtures/frames",
          "--loop",
          "--limit",
          String(n),
          "--size",
          "853x480",
        ],
      );
      assert.equal(r.code, 0, r.stderr);
      return Number(new TextDecoder().decode(r.stdout).trim());
    };
    const small = await rss(200), large = await rss(2000);
    assert.ok(
      large <= small * 1.1,
      `peak RSS ${large} KiB for 2000 frames vs ${small} KiB for 200`,
    );
  },
);

void PYTHON;

Deno.test("--workers decodes on Web Workers in input order; --unordered yields the same frames", async () => {
  const base = ["images", "fixtures/frames", "--size", "80x60", "--epochs", "2"];
  const inline = await runCli([...base, "--workers", "0"]);
  const pooled = await runCli([...base, "--workers", "2"]);
  const unordered = await runCli([...base, "--workers", "2", "--unordered"]);
  for (const r of [inline, pooled, unordered]) assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(pooled.stderr, /main thread/);
  const a = await parseFrames(inline.stdout), b = await parseFrames(pooled.stdout);
  const u = await parseFrames(unordered.stdout);
  assert.equal(b.length, 24);
  assert.deepEqual(b.map((f) => f.meta.key), a.map((f) => f.meta.key));
  for (let i = 0; i < a.length; i++) assert.deepEqual(b[i].payload, a[i].payload);
  const byPos = (rs: typeof a) => new Map(rs.map((f) => [f.fields.position, f.payload]));
  assert.deepEqual(byPos(u), byPos(a));
  assert.deepEqual(u.map((f) => f.fields.seq), [...Array(24).keys()]);
});

Deno.test("a bad file decoded on a worker is skipped like on the main thread", async () => {
  await withTempDir(async (dir) => {
    const good = await Deno.readFile(`${ROOT}/fixtures/frames/169_0.jpg`);
    await Deno.writeFile(`${dir}/1.jpg`, good);
    await Deno.writeFile(`${dir}/2.jpg`, good.slice(0, 900));
    const r = await runCli(["images", dir, "--workers", "2", "--size", "16x16"], {
      permissions: [`--allow-read=${dir}`],
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /skipped "2\.jpg": .*(premature|end of data|truncat)/i);
    assert.equal((await parseFrames(r.stdout)).length, 1);
  });
});

Deno.test("the WASM fast path and the TypeScript decoder agree on resized frames", async () => {
  const args = ["images", "fixtures/frames", "--size", "80x60", "--limit", "4"];
  const wasm = await runCli([...args, "--decoder", "wasm"]);
  const ts = await runCli([...args, "--decoder", "ts"]);
  assert.equal(wasm.code, 0, wasm.stderr);
  assert.equal(ts.code, 0, ts.stderr);
  const a = await parseFrames(wasm.stdout), b = await parseFrames(ts.stdout);
  for (let i = 0; i < 4; i++) {
    let se = 0;
    for (let k = 0; k < a[i].payload.length; k++) se += (a[i].payload[k] - b[i].payload[k]) ** 2;
    const psnr = 10 * Math.log10(255 ** 2 / Math.max(1e-9, se / a[i].payload.length));
    assert.ok(psnr > 35, `frame ${i}: PSNR ${psnr.toFixed(1)} dB between decoders`);
  }
});
