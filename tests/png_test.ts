/**
 * PNG decoding: PngSuite (../shared/png-corpus) against its Pillow references, in process and
 * through the CLI as users run it; corrupt files refused with one line; PNG and JPEG mixed in a
 * folder; an 854x480 frame resized to 853x480 against Pillow's decode and resize.
 */
import assert from "node:assert/strict";
import { deflateSync, gunzipSync } from "node:zlib";
import { crc32, decodePng, isPng, PngError, readPngInfo } from "../src/decode/png/mod.ts";
import { ImageTooLargeError, JpegError } from "../src/decode/types.ts";
import { readRgbImage } from "../src/pipeline/read_rgb_image.ts";
import { renderImage, sniffImage } from "../src/pipeline/render.ts";
import { openImages } from "../src/pipeline/images.ts";
import { parseFrames, pythonHas, ROOT, runCli, runPython, withTempDir } from "./helpers.ts";

const PNG_CORPUS = `${ROOT}/../shared/png-corpus`;
const haveCorpus = (() => {
  try {
    return Deno.statSync(`${PNG_CORPUS}/manifest.json`).isFile;
  } catch {
    return false;
  }
})();
if (!haveCorpus) console.warn(`png_test: corpus tests skipped, no corpus at ${PNG_CORPUS}`);
const hasPil = await pythonHas("numpy", "PIL");

interface Entry {
  path: string;
  category: "good" | "bad";
  width: number;
  height: number;
  reference: string;
  tolerance: number;
}
const entries: Entry[] = haveCorpus
  ? JSON.parse(Deno.readTextFileSync(`${PNG_CORPUS}/manifest.json`)).files
  : [];
const good = entries.filter((e) => e.category === "good");
const bad = entries.filter((e) => e.category === "bad");

function reference(e: Entry): Uint8Array {
  return new Uint8Array(gunzipSync(Deno.readFileSync(`${PNG_CORPUS}/${e.reference}`)));
}

/** Largest absolute difference, or -1 when the lengths differ. */
function maxDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return -1;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Run `fn` over `items`, `n` at a time (the CLI tests spawn one process per file). */
async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** Build a PNG from chunks (CRCs computed), for hand-made corrupt files. */
function makePng(chunks: [string, Uint8Array][]): Uint8Array {
  const parts: Uint8Array[] = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])];
  for (const [type, data] of chunks) {
    const c = new Uint8Array(12 + data.length);
    const v = new DataView(c.buffer);
    v.setUint32(0, data.length);
    c.set(new TextEncoder().encode(type), 4);
    c.set(data, 8);
    v.setUint32(8 + data.length, crc32(c.subarray(4, 8 + data.length)));
    parts.push(c);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function ihdr(width: number, height: number, depth = 8, colorType = 2): Uint8Array {
  const d = new Uint8Array(13);
  const v = new DataView(d.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  d[8] = depth;
  d[9] = colorType;
  return d;
}

/** A 4x2 8-bit RGB PNG whose IDAT holds `raw` (filter bytes included). */
function rgbPng(raw: Uint8Array, width = 4, height = 2): Uint8Array {
  return makePng([
    ["IHDR", ihdr(width, height)],
    ["IDAT", new Uint8Array(deflateSync(raw))],
    ["IEND", new Uint8Array(0)],
  ]);
}

Deno.test({
  name: "decodePng() gives every good PngSuite file exactly its reference (16-bit within 1)",
  ignore: !haveCorpus,
  fn() {
    assert.ok(good.length >= 140, `only ${good.length} good files in the manifest`);
    const wrong: string[] = [];
    for (const e of good) {
      const bytes = Deno.readFileSync(`${PNG_CORPUS}/${e.path}`);
      // renderImage: content sniffing, then the shared resize/layout stage (identity here)
      const r = renderImage(bytes, { layout: "hwc" });
      const d = maxDiff(r.data, reference(e));
      if (r.width !== e.width || r.height !== e.height || d < 0 || d > e.tolerance) {
        wrong.push(`${e.path}: ${r.width}x${r.height}, max diff ${d} (allowed ${e.tolerance})`);
      }
    }
    assert.deepEqual(wrong, []);
  },
});

Deno.test({
  name: "decodePng() refuses every bad PngSuite file with a PngError",
  ignore: !haveCorpus,
  fn() {
    assert.ok(bad.length >= 14);
    for (const e of bad) {
      const bytes = Deno.readFileSync(`${PNG_CORPUS}/${e.path}`);
      assert.equal(sniffImage(bytes), "png", `${e.path} is still told apart as a (broken) PNG`);
      assert.throws(() => decodePng(bytes), PngError, e.path);
    }
  },
});

Deno.test({
  name: "the CLI streams every good PngSuite file of the folder as exactly its reference",
  ignore: !haveCorpus,
  async fn() {
    const r = await runCli(
      ["images", "../shared/png-corpus/good", "--layout", "hwc", "--format", "frame"],
      { permissions: ["--allow-read=../shared/png-corpus"] },
    );
    assert.equal(r.code, 0, r.stderr);
    const frames = new Map((await parseFrames(r.stdout)).map((f) => [f.meta.key, f]));
    assert.equal(frames.size, good.length);
    const wrong: string[] = [];
    for (const e of good) {
      const f = frames.get(e.path.replace("good/", ""));
      const d = f ? maxDiff(f.payload, reference(e)) : -2;
      if (d < 0 || d > e.tolerance) wrong.push(`${e.path}: max diff ${d}`);
    }
    assert.deepEqual(wrong, []);
  },
});

/** One good file of each colour type, bit depth and interlacing, and every bad file. */
const oneFileRuns = [
  ...["basn0g01", "basi0g16", "basn2c08", "basi2c16", "basi3p04", "tbbn3p08", "basn4a08"]
    .concat(["basi4a16", "basn6a08", "basi6a16", "s01i3p01", "f04n2c08", "z09n2c08"])
    .map((n) => entries.find((e) => e.path === `good/${n}.png`))
    .filter((e): e is Entry => e !== undefined),
  ...bad,
];

Deno.test({
  name:
    "`images FILE --layout hwc --format raw` writes a good PNG's reference and refuses a bad one",
  ignore: !haveCorpus,
  async fn() {
    assert.ok(oneFileRuns.length >= 25, `${oneFileRuns.length} files`);
    const failures: string[] = [];
    await pool(oneFileRuns, 2, async (e) => {
      const r = await runCli(
        ["images", `../shared/png-corpus/${e.path}`, "--layout", "hwc", "--format", "raw"],
        { permissions: ["--allow-read=../shared/png-corpus"] },
      );
      if (e.category === "good") {
        const d = maxDiff(r.stdout, reference(e));
        if (r.code !== 0 || d < 0 || d > e.tolerance) {
          failures.push(`${e.path}: exit ${r.code}, max diff ${d}: ${r.stderr}`);
        }
        return;
      }
      const lines = r.stderr.trim().split("\n");
      // one line naming the file and the PNG problem (a skip line plus the summary, or the
      // single "no frame could be produced from FILE: reason")
      const line = lines.find((l) => l.includes(`"../shared/png-corpus/${e.path}": `));
      if (r.code !== 1 || r.stdout.length !== 0 || !line || !/PNG/.test(line)) {
        failures.push(`${e.path}: exit ${r.code}, ${r.stdout.length} bytes out: ${r.stderr}`);
      }
      if (/\n\s+at /.test(r.stderr)) failures.push(`${e.path}: a stack trace: ${r.stderr}`);
    });
    assert.deepEqual(failures, []);
  },
});

Deno.test({
  name: "--on-error fail stops at a bad PNG with exit 1 and one line naming the file",
  ignore: !haveCorpus,
  async fn() {
    const r = await runCli(
      ["images", "../shared/png-corpus/bad/xcsn0g01.png", "--on-error", "fail", "--format", "raw"],
      { permissions: ["--allow-read=../shared/png-corpus"] },
    );
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /cannot decode "\.\.\/shared\/png-corpus\/bad\/xcsn0g01\.png": invalid PNG: CRC mismatch in the IDAT chunk/,
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  },
});

Deno.test("every truncation of a PNG is refused with a PngError", () => {
  const raw = new Uint8Array(2 * (1 + 12)).map((_, i) => (i * 37) & 0xff);
  raw[0] = 0, raw[13] = 4; // None, Paeth
  const png = rgbPng(raw);
  assert.equal(decodePng(png).width, 4);
  for (let n = 0; n < png.length; n++) {
    assert.throws(() => decodePng(png.subarray(0, n)), PngError, `cut at ${n}`);
  }
});

Deno.test("bad zlib data, a bad filter type, a bad IHDR and a missing IDAT are refused", () => {
  const raw = new Uint8Array(2 * 13);
  const z = new Uint8Array(deflateSync(raw));
  z[3] ^= 0xff; // corrupt deflate data (the CRC is recomputed, so only zlib can notice)
  const cases: [string, Uint8Array, RegExp][] = [
    ["bad zlib", makePng([["IHDR", ihdr(4, 2)], ["IDAT", z], ["IEND", new Uint8Array(0)]]), /zlib/],
    ["filter 5", rgbPng(raw.map((v, i) => i === 13 ? 5 : v)), /unknown filter type 5/],
    ["short data", rgbPng(raw.subarray(0, 20)), /inflates to 20 bytes, the header needs 26/],
    ["long data", rgbPng(new Uint8Array(40)), /more than the 26 bytes/],
    ["zero width", rgbPng(raw, 0, 2), /size of 0x2/],
    ["no IDAT", makePng([["IHDR", ihdr(4, 2)], ["IEND", new Uint8Array(0)]]), /no IDAT/],
    [
      "IHDR not first",
      makePng([["gAMA", new Uint8Array(4)], ["IHDR", ihdr(4, 2)], ["IEND", new Uint8Array(0)]]),
      /first chunk is gAMA/,
    ],
    [
      "palette without PLTE",
      makePng([
        ["IHDR", ihdr(4, 2, 8, 3)],
        ["IDAT", new Uint8Array(deflateSync(new Uint8Array(10)))],
        ["IEND", new Uint8Array(0)],
      ]),
      /without a PLTE/,
    ],
  ];
  for (const [what, bytes, message] of cases) {
    assert.throws(() => decodePng(bytes), (e: Error) => {
      assert.ok(e instanceof PngError, `${what}: ${e}`);
      assert.match(e.message, message, what);
      return true;
    });
  }
});

Deno.test("the pixel limit refuses a huge declared PNG before allocating or inflating", () => {
  // 200000 x 200000 RGB would need 120 GB; the file is 60 bytes.
  const huge = makePng([
    ["IHDR", ihdr(200_000, 200_000)],
    ["IDAT", new Uint8Array(deflateSync(new Uint8Array(1)))],
    ["IEND", new Uint8Array(0)],
  ]);
  assert.throws(() => decodePng(huge), ImageTooLargeError);
  assert.throws(() => renderImage(huge, { maxPixels: 1000 }), /raise --max-pixels/);
  assert.equal(readPngInfo(huge, Infinity).width, 200_000);
  const small = rgbPng(new Uint8Array(26));
  assert.throws(() => decodePng(small, { maxPixels: 7 }), ImageTooLargeError);
  assert.equal(decodePng(small, { maxPixels: 8 }).data.length, 24);
});

Deno.test("a zlib bomb inflates to no more than the image needs", () => {
  // 64 MB of zeros in 64 KB: refused without inflating it all
  const bomb = rgbPng(new Uint8Array(64 << 20));
  assert.throws(() => decodePng(bomb), /more than the 26 bytes/);
});

Deno.test("content sniffing tells JPEG, PNG and neither apart (names are not trusted)", async () => {
  const jpeg = await Deno.readFile(`${ROOT}/fixtures/frames/169_0.jpg`);
  const png = rgbPng(new Uint8Array(26));
  assert.equal(sniffImage(jpeg), "jpeg");
  assert.equal(sniffImage(png), "png");
  assert.ok(isPng(png));
  assert.equal(sniffImage(new TextEncoder().encode("GIF89a......")), null);
  assert.equal(sniffImage(new Uint8Array(0)), null);
  assert.throws(() => renderImage(new TextEncoder().encode("hello world")), JpegError);
});

Deno.test(
  "a folder mixing PNG and JPEG streams both, and a PNG of a JPEG's pixels renders identically",
  {
    ignore: !hasPil,
  },
  async () => {
    await withTempDir(async (dir) => {
      const jpeg = `${ROOT}/fixtures/frames/169_0.jpg`;
      await Deno.copyFile(jpeg, `${dir}/a_0.jpg`);
      // b_1.png holds exactly the pixels framepipe decodes from the JPEG (160x120), saved by PIL
      const hwc = await runCli(["images", jpeg, "--layout", "hwc", "--format", "raw"]);
      assert.equal(hwc.code, 0, hwc.stderr);
      const save = await runPython(
        `import sys,numpy as np;from PIL import Image
a=np.frombuffer(sys.stdin.buffer.read(),np.uint8).reshape(120,160,3)
Image.fromarray(a).save(sys.argv[1]);Image.fromarray(a).save(sys.argv[2],format="PNG",optimize=True)`,
        hwc.stdout,
        [`${dir}/b_1.png`, `${dir}/c_2.jpg`], // a PNG named .jpg: content decides
      );
      assert.equal(save.code, 0, save.stderr);
      await Deno.writeTextFile(`${dir}/d_3.txt`, "not an image");
      const png = await Deno.readFile(`${dir}/b_1.png`);
      await Deno.writeFile(`${dir}/e_4.png`, png.subarray(0, png.length >> 1)); // truncated
      for (const workers of ["0", "2"]) {
        const r = await runCli(
          ["images", dir, "--size", "97x61", "--fit", "contain", "--gray", "--workers", workers],
          { permissions: [`--allow-read=${dir}`] },
        );
        assert.equal(r.code, 0, r.stderr);
        const frames = await parseFrames(r.stdout);
        assert.deepEqual(frames.map((f) => f.meta.key), ["a_0.jpg", "b_1.png", "c_2.jpg"]);
        assert.match(r.stderr, /skipped "d_3\.txt": not a JPEG or PNG/);
        // the same one line from a worker as from the main thread
        assert.match(
          r.stderr,
          /skipped "e_4\.png": invalid PNG: premature end of file in the IDAT/,
        );
        // two PNGs of the same pixels (other filters and compression) render identically; the
        // JPEG differs here only by its DCT-domain downscale (compared at full size below)
        assert.deepEqual(frames[2].payload, frames[1].payload);
      }
      const full = await runCli(["images", dir, "--format", "raw"], {
        permissions: [`--allow-read=${dir}`],
      });
      assert.equal(full.code, 0, full.stderr);
      const n = 3 * 160 * 120;
      assert.equal(full.stdout.length, 3 * n); // e_4.png and d_3.txt skipped
      assert.deepEqual(full.stdout.subarray(n, 2 * n), full.stdout.subarray(0, n));
      // the library path: readRgbImage sniffs too
      assert.deepEqual(await readRgbImage(`${dir}/b_1.png`), full.stdout.subarray(0, n));
      const src = await openImages([dir], { width: 16, height: 12 });
      let count = 0;
      for await (const f of src) count += f.data.length === 3 * 16 * 12 ? 1 : 0;
      assert.equal(count, 3);
      assert.equal(src.stats.errors, 1); // e_4.png
      assert.equal(src.stats.notJpeg, 1); // d_3.txt
    });
  },
);

Deno.test({
  name: "an 854x480 PNG at --size 853x480 matches Pillow's decode and bilinear resize",
  ignore: !hasPil,
  async fn() {
    await withTempDir(async (dir) => {
      const make = await runPython(
        `import sys;from PIL import Image
im=Image.open("../shared/jpeg-corpus/good/large_4000x3000.jpg").convert("RGB")
im.crop((600,400,2308,1360)).resize((854,480),Image.BILINEAR).save(sys.argv[1])`,
        undefined,
        [`${dir}/000000.png`],
      );
      assert.equal(make.code, 0, make.stderr);
      const full = await runCli(["images", `${dir}/000000.png`, "--format", "raw"], {
        permissions: [`--allow-read=${dir}`],
      });
      const sized = await runCli(
        ["images", `${dir}/000000.png`, "--size", "853x480", "--format", "raw"],
        { permissions: [`--allow-read=${dir}`] },
      );
      for (const r of [full, sized]) assert.equal(r.code, 0, r.stderr);
      const check = await runPython(
        `import sys,numpy as np;from PIL import Image
im=Image.open(sys.argv[1]);ref=np.asarray(im.convert("RGB")).transpose(2,0,1)
buf=sys.stdin.buffer.read();n=3*480*854
full=np.frombuffer(buf[:n],np.uint8).reshape(3,480,854)
res=np.frombuffer(buf[n:],np.uint8).reshape(3,480,853).astype(int)
rr=np.asarray(im.convert("RGB").resize((853,480),Image.BILINEAR)).transpose(2,0,1).astype(int)
d=np.abs(res-rr)
print(int((full!=ref).sum()),int(d.max()),float(d.mean()))`,
        new Uint8Array([...full.stdout, ...sized.stdout]),
        [`${dir}/000000.png`],
      );
      assert.equal(check.code, 0, check.stderr);
      const [differ, max, mean] = new TextDecoder().decode(check.stdout).trim().split(" ").map(
        Number,
      );
      assert.equal(differ, 0, "full-size decode differs from Pillow's");
      // Pillow's bilinear widens its kernel by the scale (854/853) and rounds in fixed point;
      // framepipe samples at pixel centres: measured max 1, mean 0.0001.
      assert.ok(max <= 1 && mean < 0.01, `853x480 vs Pillow: max ${max}, mean ${mean}`);
    });
  },
});

const hasFfmpeg = await new Deno.Command("ffmpeg", { args: ["-version"], stdout: "null" })
  .output().then((o) => o.success, () => false);

Deno.test({
  name: "every filter on a full-size RGB and RGBA frame (ffmpeg -pred ...) decodes as Pillow does",
  ignore: !hasPil || !hasFfmpeg,
  async fn() {
    await withTempDir(async (dir) => {
      const make = await runPython(
        `import sys;import numpy as np;from PIL import Image
im=Image.open("../shared/jpeg-corpus/good/large_4000x3000.jpg").convert("RGB")
a=np.asarray(im.crop((900,700,2608,1660)).resize((854,480),Image.BILINEAR)).astype(float)
a=np.clip(a+np.random.default_rng(2).normal(0,3,a.shape),0,255).astype(np.uint8)
Image.fromarray(a).save(sys.argv[1])`,
        undefined,
        [`${dir}/src.png`],
      );
      assert.equal(make.code, 0, make.stderr);
      const names: string[] = [];
      for (const pred of ["none", "sub", "up", "avg", "paeth", "mixed"]) {
        for (const pix of pred === "paeth" || pred === "avg" ? ["rgb24", "rgba"] : ["rgb24"]) {
          const name = `${pred}_${pix}.png`;
          const ff = await new Deno.Command("ffmpeg", {
            args: ["-loglevel", "error", "-i", `${dir}/src.png`, "-pred", pred, "-pix_fmt", pix]
              .concat([`${dir}/${name}`]),
          }).output();
          assert.ok(ff.success, new TextDecoder().decode(ff.stderr));
          names.push(name);
        }
      }
      const refs = await runPython(
        `import sys;from PIL import Image
for p in sys.argv[1:]: sys.stdout.buffer.write(Image.open(p).convert("RGB").tobytes())`,
        undefined,
        names.map((n) => `${dir}/${n}`),
      );
      assert.equal(refs.code, 0, refs.stderr);
      const n = 854 * 480 * 3;
      assert.equal(refs.stdout.length, names.length * n);
      for (const [k, name] of names.entries()) {
        const ours = renderImage(await Deno.readFile(`${dir}/${name}`), { layout: "hwc" }).data;
        assert.equal(maxDiff(ours, refs.stdout.subarray(k * n, (k + 1) * n)), 0, name);
      }
    });
  },
});

Deno.test("the render worker bundle loads node:zlib on its first PNG, not at start-up (no static import)", async () => {
  const { RENDER_WORKER_SOURCE } = await import("../src/pipeline/render_worker_bundle.ts");
  assert.doesNotMatch(RENDER_WORKER_SOURCE, /(from|import)\s*\\?["']node:zlib/);
  assert.match(RENDER_WORKER_SOURCE, /getBuiltinModule\(\\?"node:zlib\\?"\)/);
  // and the lazy path decodes: a PNG right after a fresh import of the decoder
  const png = Deno.readFileSync("fixtures/cholect50/videos/VID01/000000.png");
  const img = decodePng(png);
  assert.ok(img.width > 0 && img.data.length > 0);
});
