/**
 * Behaviour tests for the pure-TypeScript JPEG decoder against the shared
 * corpus (`/work/shared/jpeg-corpus`): PSNR against the libjpeg-turbo
 * references, options (scale, gray, orientation, limits) and clean failures.
 */
import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import {
  type DecodedImage,
  decodeJpeg,
  ImageTooLargeError,
  isJpeg,
  JpegError,
  JpegWarningError,
  readJpegInfo,
  tsDecoder,
  UnsupportedJpegError,
} from "../src/decode/mod.ts";
import { mutate, seededRandom } from "../scripts/fuzz/mutate.ts";
import { readRecords } from "../src/formats/read_stream.ts";

const CORPUS = new URL("../../shared/jpeg-corpus/", import.meta.url);

function read(rel: string): Uint8Array {
  return Deno.readFileSync(new URL(rel, CORPUS));
}

interface Pnm {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

function parsePnm(b: Uint8Array): Pnm {
  let p = 0;
  const tok: string[] = [];
  while (tok.length < 4) {
    while (b[p] === 0x20 || b[p] === 0x0a || b[p] === 0x0d || b[p] === 0x09) p++;
    if (b[p] === 0x23) {
      while (b[p] !== 0x0a) p++;
      continue;
    }
    let s = "";
    while (b[p] > 0x20) s += String.fromCharCode(b[p++]);
    tok.push(s);
  }
  p++;
  const channels = tok[0] === "P6" ? 3 : 1;
  const width = +tok[1];
  const height = +tok[2];
  return { width, height, channels, data: b.subarray(p, p + width * height * channels) };
}

function ref(rel: string): Pnm {
  return parsePnm(new Uint8Array(gunzipSync(read(rel))));
}

/** The reference as RGB. */
function rgb(p: Pnm): Uint8Array {
  if (p.channels === 3) return p.data;
  const o = new Uint8Array(p.width * p.height * 3);
  for (let i = 0; i < p.data.length; i++) o[i * 3] = o[i * 3 + 1] = o[i * 3 + 2] = p.data[i];
  return o;
}

function psnr(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length, "sizes differ");
  let se = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    se += d * d;
  }
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255 * a.length) / se);
}

/** Best PSNR of `img` (RGB) against the file's libjpeg-turbo references. */
function bestPsnr(name: string, img: DecodedImage): number {
  const refs = [...Deno.readDirSync(new URL("ref/", CORPUS))]
    .map((e) => e.name)
    .filter((n) => n.startsWith(name + ".djpeg_int") && !n.includes(".tile"));
  assert.ok(refs.length > 0, `no reference for ${name}`);
  let best = -Infinity;
  for (const r of refs) {
    const p = ref("ref/" + r);
    assert.equal(img.width, p.width, `${name}: width`);
    assert.equal(img.height, p.height, `${name}: height`);
    best = Math.max(best, psnr(img.data, rgb(p)));
  }
  return best;
}

function decodeRgb(name: string, opts = {}): DecodedImage {
  const img = decodeJpeg(read(`good/${name}.jpg`), { orientation: false, ...opts });
  if (img.channels === 3) return img;
  const data = new Uint8Array(img.width * img.height * 3);
  for (let i = 0; i < img.data.length; i++) {
    data[i * 3] = data[i * 3 + 1] = data[i * 3 + 2] = img.data[i];
  }
  return { ...img, channels: 3, data };
}

const REPRESENTATIVE = [
  "baseline_420_q75",
  "sub_422_q85",
  "sub_444_q85",
  "sub_440_q85",
  "sub_411_q80",
  "sub_mixed_2x2_1x2_2x1",
  "sub_444_all_2x1",
  "gray_q80",
  "gray_progressive",
  "prog_default_420",
  "prog_spectral_only",
  "prog_sa_noninterleaved_dc_422",
  "prog_restart_2B",
  "seq_3scans_noninterleaved",
  "restart_1row",
  "restart_7B",
  "cmyk_adobe_pil",
  "ycck_adobe_turbojpeg_420",
  "rgb_adobe_cjpeg",
  "size_1x1",
  "size_7x5",
  "size_17x13_progressive",
  "size_1023x1",
  "size_1x1023_444",
  "size_31x17_440",
  "quality_10",
  "quality_100",
  "mjpeg_webcam_no_dht_422",
  "camera_exif_thumbnail",
  "arith_seq_420",
  "arith_prog_420",
];

for (const name of REPRESENTATIVE) {
  Deno.test(`decodeJpeg() matches libjpeg-turbo on ${name} (>= 45 dB)`, () => {
    const p = bestPsnr(name, decodeRgb(name));
    assert.ok(p >= 45, `${name}: PSNR ${p.toFixed(2)} dB`);
  });
}

Deno.test("decodeJpeg() decodes a 4000x3000 baseline image matching the reference tiles", () => {
  const img = decodeJpeg(read("good/large_4000x3000.jpg"));
  assert.equal(img.width, 4000);
  assert.equal(img.height, 3000);
  const manifest = JSON.parse(new TextDecoder().decode(read("manifest.json")));
  const entry = manifest.files.find((f: { path: string }) => f.path === "good/large_4000x3000.jpg");
  const fancy = entry.references.find((r: { name: string }) => r.name === "djpeg_int_fancy");
  for (const t of fancy.tiles) {
    const p = ref(t.file);
    const tile = new Uint8Array(t.w * t.h * 3);
    for (let y = 0; y < t.h; y++) {
      const s = ((t.y + y) * 4000 + t.x) * 3;
      tile.set(img.data.subarray(s, s + t.w * 3), y * t.w * 3);
    }
    const v = psnr(tile, p.data);
    assert.ok(v >= 45, `tile at ${t.x},${t.y}: ${v.toFixed(2)} dB`);
  }
});

Deno.test("decodeJpeg() returns one channel for a greyscale file with gray: true", () => {
  const img = decodeJpeg(read("good/gray_q80.jpg"), { gray: true });
  assert.equal(img.channels, 1);
  assert.equal(img.data.length, img.width * img.height);
  const p = ref("ref/gray_q80.djpeg_int.pgm.gz");
  assert.ok(psnr(img.data, p.data) >= 45);
});

Deno.test("decodeJpeg() gray: true gives luma for YCbCr and CMYK files", () => {
  for (const name of ["baseline_420_q75", "cmyk_adobe_pil", "rgb_adobe_cjpeg"]) {
    const g = decodeJpeg(read(`good/${name}.jpg`), { gray: true });
    const c = decodeRgb(name);
    assert.equal(g.channels, 1);
    const luma = new Uint8Array(c.width * c.height);
    for (let i = 0; i < luma.length; i++) {
      luma[i] = Math.round(
        0.299 * c.data[i * 3] + 0.587 * c.data[i * 3 + 1] + 0.114 * c.data[i * 3 + 2],
      );
    }
    const v = psnr(g.data, luma);
    assert.ok(v >= 35, `${name}: grey vs luma of RGB ${v.toFixed(2)} dB`);
  }
});

/** Box-downscale an RGB reference by `s` (edge boxes average the pixels present). */
function boxDown(p: Pnm, s: number): Uint8Array {
  const src = rgb(p);
  const W = Math.ceil(p.width / s), H = Math.ceil(p.height / s);
  const out = new Uint8Array(W * H * 3);
  for (let Y = 0; Y < H; Y++) {
    for (let X = 0; X < W; X++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0, n = 0;
        for (let y = Y * s; y < Math.min(p.height, Y * s + s); y++) {
          for (let x = X * s; x < Math.min(p.width, X * s + s); x++) {
            sum += src[(y * p.width + x) * 3 + c];
            n++;
          }
        }
        out[(Y * W + X) * 3 + c] = Math.round(sum / n);
      }
    }
  }
  return out;
}

for (const s of [2, 4, 8] as const) {
  Deno.test(`decodeJpeg() with scale ${s} gives ceil(w/${s}) x ceil(h/${s}) close to a box downscale`, () => {
    for (const name of ["baseline_420_q75", "prog_default_420", "sub_422_q85", "size_179x101"]) {
      const img = decodeRgb(name, { scale: s });
      const p = ref(`ref/${name}.djpeg_int_nosmooth.ppm.gz`);
      assert.equal(img.width, Math.ceil(p.width / s), `${name} width`);
      assert.equal(img.height, Math.ceil(p.height / s), `${name} height`);
      const v = psnr(img.data, boxDown(p, s));
      assert.ok(v > 25, `${name} at 1/${s}: ${v.toFixed(2)} dB vs box downscale`);
    }
  });
}

Deno.test("decodeJpeg() with scale 8 on odd sizes gives at least one pixel", () => {
  const img = decodeJpeg(read("good/size_1x1.jpg"), { scale: 8 });
  assert.equal(img.width, 1);
  assert.equal(img.height, 1);
  const t = decodeJpeg(read("good/size_1023x1.jpg"), { scale: 8 });
  assert.equal(t.width, 128);
  assert.equal(t.height, 1);
});

Deno.test("decodeJpeg() applies EXIF orientation 6 (dimensions swap, pixels rotate clockwise)", () => {
  const stored = decodeJpeg(read("good/exif_orientation_6.jpg"), { orientation: false });
  const shown = decodeJpeg(read("good/exif_orientation_6.jpg"));
  assert.equal(stored.orientation, 6);
  assert.equal(shown.orientation, 6);
  assert.equal(stored.width, 160);
  assert.equal(stored.height, 120);
  assert.equal(shown.width, 120);
  assert.equal(shown.height, 160);
  // display (X, Y) = stored (Y, h-1-X)
  for (const [X, Y] of [[0, 0], [119, 0], [5, 150], [119, 159]]) {
    const si = (((120 - 1 - X) * 160) + Y) * 3;
    const di = (Y * 120 + X) * 3;
    assert.deepEqual([...shown.data.subarray(di, di + 3)], [...stored.data.subarray(si, si + 3)]);
  }
});

Deno.test("decodeJpeg() applies EXIF orientation 8 (rotate counter-clockwise)", () => {
  const stored = decodeJpeg(read("good/exif_orientation_8.jpg"), { orientation: false });
  const shown = decodeJpeg(read("good/exif_orientation_8.jpg"));
  assert.equal(shown.orientation, 8);
  assert.equal(shown.width, 120);
  // display (X, Y) = stored (w-1-Y, X)
  const X = 7, Y = 11;
  const si = (X * 160 + (160 - 1 - Y)) * 3;
  const di = (Y * 120 + X) * 3;
  assert.deepEqual([...shown.data.subarray(di, di + 3)], [...stored.data.subarray(si, si + 3)]);
});

Deno.test("readJpegInfo() reads the header without decoding the scans", () => {
  const a = readJpegInfo(read("good/prog_default_420.jpg"));
  assert.deepEqual(a, {
    width: 176,
    height: 120,
    components: 3,
    precision: 8,
    progressive: true,
    arithmetic: false,
    orientation: 1,
  });
  assert.equal(readJpegInfo(read("good/exif_orientation_6.jpg")).orientation, 6);
  assert.equal(readJpegInfo(read("good/arith_seq_420.jpg")).arithmetic, true);
  assert.equal(readJpegInfo(read("good/cmyk_adobe_pil.jpg")).components, 4);
  // Header only: a bomb's header is readable (no pixel limit applies here).
  assert.equal(readJpegInfo(read("bad/bomb_40000x40000_baseline.jpg")).width, 40000);
  assert.throws(() => readJpegInfo(read("bad/png_renamed.jpg")), JpegError);
  // Unsupported processes are still described.
  assert.equal(readJpegInfo(read("bad/precision_12bit_gray.jpg")).precision, 12);
  assert.equal(readJpegInfo(read("bad/lossless_sof3.jpg")).width, 96);
});

Deno.test("isJpeg() sniffs FF D8 FF", () => {
  assert.equal(isJpeg(read("good/size_1x1.jpg")), true);
  assert.equal(isJpeg(read("bad/png_renamed.jpg")), false);
  assert.equal(isJpeg(new Uint8Array([0xff, 0xd8])), false);
  assert.equal(isJpeg(new Uint8Array(0)), false);
});

Deno.test("tsDecoder implements JpegDecoder", () => {
  assert.equal(tsDecoder.name, "ts");
  const img = tsDecoder.decode(read("good/size_7x5.jpg"));
  assert.equal(img.width, 7);
  assert.equal(img.height, 5);
  assert.equal(img.data.length, 7 * 5 * 3);
});

Deno.test("decodeJpeg() rejects a truncated scan instead of returning a partial image", () => {
  for (const f of ["truncated_10pct", "truncated_50pct", "truncated_99pct"]) {
    assert.throws(() => decodeJpeg(read(`bad/${f}.jpg`)), (e: unknown) => {
      assert.ok(e instanceof JpegError && !(e instanceof UnsupportedJpegError));
      assert.match((e as Error).message, /premature end of data in scan 1 at MCU row \d+/);
      return true;
    });
  }
  assert.throws(
    () => decodeJpeg(read("bad/truncated_progressive_60pct.jpg")),
    /premature end/,
  );
});

Deno.test("decodeJpeg() rejects corrupt entropy-coded data", () => {
  for (const f of ["corrupt_entropy_baseline", "corrupt_entropy_progressive"]) {
    assert.throws(() => decodeJpeg(read(`bad/${f}.jpg`)), /corrupt entropy-coded data/);
  }
  assert.throws(
    () => decodeJpeg(read("bad/restart_markers_stripped.jpg")),
    /extraneous bytes|expected RST/,
  );
});

Deno.test("decodeJpeg() refuses decompression bombs with ImageTooLargeError before allocating", () => {
  for (
    const f of ["bomb_65535x65535", "bomb_40000x40000_baseline", "bomb_30000x45000_progressive"]
  ) {
    assert.throws(() => decodeJpeg(read(`bad/${f}.jpg`)), ImageTooLargeError);
  }
  assert.throws(
    () => decodeJpeg(read("bad/bomb_40000x40000_baseline.jpg")),
    /image is 40000x40000 \(1600 megapixels\), above the 50-megapixel limit; raise --max-pixels/,
  );
  assert.throws(
    () => decodeJpeg(read("good/baseline_420_q75.jpg"), { maxPixels: 10_000 }),
    ImageTooLargeError,
  );
});

Deno.test("decodeJpeg() enforces maxScans", () => {
  assert.throws(
    () => decodeJpeg(read("good/prog_default_420.jpg"), { maxScans: 4 }),
    ImageTooLargeError,
  );
  decodeJpeg(read("good/prog_default_420.jpg"), { maxScans: 10 });
});

Deno.test("decodeJpeg() rejects 12-bit and lossless files as unsupported", () => {
  assert.throws(() => decodeJpeg(read("bad/precision_12bit_gray.jpg")), UnsupportedJpegError);
  assert.throws(() => decodeJpeg(read("bad/lossless_sof3.jpg")), UnsupportedJpegError);
});

Deno.test("decodeJpeg() rejects an AC scan that comes before the DC scan (scan flood)", () => {
  const t0 = performance.now();
  assert.throws(
    () => decodeJpeg(read("bad/scan_flood_4096x4096_3000scans.jpg")),
    /inconsistent progression/,
  );
  assert.ok(performance.now() - t0 < 2000);
});

const BAD_MESSAGES: Record<string, RegExp> = {
  empty: /empty input/,
  random_bytes: /not a JPEG file: starts with 0x45 0x19/,
  png_renamed: /not a JPEG file: starts with 0x89 0x50/,
  random_after_soi: /unknown marker|runs past the end/,
  truncated_in_dht: /DHT .* runs past the end of the file/,
  sof_zero_width: /width is 0/,
  sof_zero_height: /height is 0/,
  missing_sos: /missing SOS/,
  dht_counts_sum_300: /sum to 300/,
  dht_oversubscribed: /oversubscribed/,
  only_soi: /premature end of file/,
  soi_eoi: /no image/,
  app1_length_past_eof: /APP1 .* runs past the end of the file/,
  bad_sampling_h0: /bad sampling factors 0x1/,
  undefined_qtable: /quantisation table 3 was not defined/,
  sos_unknown_component: /component id 9/,
  progressive_ss_gt_se: /Ss=5 Se=2/,
  duplicate_sof: /two SOF markers/,
  undefined_huffman_table: /Huffman table 3 was not defined/,
};

Deno.test("decodeJpeg() fails every bad corpus file with a precise JpegError", () => {
  for (const e of Deno.readDirSync(new URL("bad/", CORPUS))) {
    const name = e.name.replace(/\.jpg$/, "");
    let err: unknown = null;
    try {
      decodeJpeg(read(`bad/${e.name}`));
    } catch (x) {
      err = x;
    }
    assert.ok(err instanceof JpegError, `${name}: expected a JpegError, got ${err}`);
    const re = BAD_MESSAGES[name];
    if (re) assert.match((err as Error).message, re, name);
  }
});

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("decodeJpeg() throws only JpegError on truncated and mutated inputs", () => {
  const rand = rng(1234);
  const files = [
    "baseline_420_q75",
    "prog_default_420",
    "arith_prog_420",
    "restart_7B",
    "ycck_adobe_turbojpeg_420",
  ];
  const t0 = performance.now();
  for (const f of files) {
    const src = read(`good/${f}.jpg`);
    const cases: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) cases.push(src.subarray(0, Math.floor(rand() * src.length)));
    for (let i = 0; i < 80; i++) {
      const m = src.slice();
      const n = 1 + Math.floor(rand() * 8);
      for (let j = 0; j < n; j++) m[Math.floor(rand() * m.length)] = Math.floor(rand() * 256);
      cases.push(m);
    }
    for (const c of cases) {
      try {
        const img = decodeJpeg(c);
        assert.equal(img.data.length, img.width * img.height * img.channels);
      } catch (e) {
        if (!(e instanceof JpegError)) throw new Error(`${f}: leaked ${e}`, { cause: e });
      }
    }
  }
  assert.ok(performance.now() - t0 < 30_000);
});

Deno.test("decodeJpeg() after a failed decode gives the same pixels as before it", () => {
  const probes = ["baseline_420_q75", "prog_default_420", "arith_seq_420"].map((f) =>
    read(`good/${f}.jpg`)
  );
  const before = probes.map((p) => decodeJpeg(p).data);
  const before2 = probes.map((p) => decodeJpeg(p, { scale: 2 }).data);
  const rand = seededRandom(5);
  const kinds = new Map<string, { n: number; leaks: number }>();
  for (
    const f of [
      "baseline_420_q75",
      "prog_default_420",
      "restart_7B",
      "arith_prog_420",
      "sub_422_q85",
    ]
  ) {
    const src = read(`good/${f}.jpg`);
    for (let i = 0; i < 60; i++) {
      const c = mutate(src, rand).data;
      let msg = "";
      try {
        decodeJpeg(c, { scale: i % 2 ? 2 : 1 });
      } catch (e) {
        if (!(e instanceof JpegError)) throw e;
        msg = e.message.replace(/ in scan \d+ at MCU row \d+/, "");
      }
      if (!msg) continue;
      const k = kinds.get(msg) ?? { n: 0, leaks: 0 };
      k.n++;
      probes.forEach((p, j) => {
        const a = decodeJpeg(p).data, b = decodeJpeg(p, { scale: 2 }).data;
        if (a.some((v, x) => v !== before[j][x]) || b.some((v, x) => v !== before2[j][x])) {
          k.leaks++;
        }
      });
      kinds.set(msg, k);
    }
  }
  const leaking = [...kinds].filter(([, k]) => k.leaks > 0).map(([m, k]) =>
    `${m}: ${k.leaks} of ${k.n}`
  );
  assert.deepEqual(leaking, [], `state leaks after failed decodes:\n${leaking.join("\n")}`);
  assert.ok(
    [...kinds.keys()].some((m) => /invalid Huffman code/.test(m)),
    [...kinds.keys()].join("\n"),
  );
});

/** A folder with a clean JPEG, one with 2 extraneous bytes before EOI, one without EOI. */
function warningFiles(dir: string): void {
  const d = read("good/baseline_420_q75.jpg");
  assert.deepEqual([...d.subarray(d.length - 2)], [0xff, 0xd9]);
  const extra = new Uint8Array(d.length + 2);
  extra.set(d.subarray(0, d.length - 2));
  extra.set([0x12, 0x34, 0xff, 0xd9], d.length - 2);
  Deno.writeFileSync(`${dir}/a_extra.jpg`, extra);
  Deno.writeFileSync(`${dir}/b_noeoi.jpg`, d.subarray(0, d.length - 2));
  Deno.writeFileSync(`${dir}/c_good.jpg`, d);
}

Deno.test("decodeJpeg() and the fast path report the same libjpeg-style warnings; strict refuses", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    warningFiles(dir);
    const { FastJpegDecoder } = await import("../src/decode/fast/mod.ts");
    const fast = FastJpegDecoder.create();
    const want: Record<string, string[]> = {
      "a_extra.jpg": ["extraneous-bytes"],
      "b_noeoi.jpg": ["premature-end"],
      "c_good.jpg": [],
    };
    for (const [f, kinds] of Object.entries(want)) {
      const bytes = Deno.readFileSync(`${dir}/${f}`);
      const ts = decodeJpeg(bytes);
      const wasm = fast.decode(bytes)!;
      assert.deepEqual(ts.warnings?.map((w) => w.kind), kinds, f);
      assert.deepEqual(wasm.warnings, ts.warnings, f);
      const clean = fast.decode(read("good/baseline_420_q75.jpg"))!.data;
      assert.ok(
        wasm.data.every((v, i) => v === clean[i]),
        `${f}: pixels differ from the clean file`,
      );
      if (kinds.length) {
        assert.throws(() => decodeJpeg(bytes, { strict: true }), JpegWarningError);
        assert.throws(() => fast.decode(bytes, { strict: true }), JpegWarningError);
      }
    }
    // more than MAX_EXTRANEOUS_BYTES is corrupt data, refused by both
    const d = read("good/baseline_420_q75.jpg");
    const many = new Uint8Array(d.length + 3);
    many.set(d.subarray(0, d.length - 2));
    many.set([1, 2, 3, 0xff, 0xd9], d.length - 2);
    assert.throws(() => decodeJpeg(many), JpegError, "extraneous");
    assert.throws(() => fast.decode(many), JpegError, "extraneous");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("images counts warnings per frame and in the end record; --strict refuses those files", async () => {
  const dir = Deno.makeTempDirSync();
  const root = new URL("../", import.meta.url).pathname;
  try {
    warningFiles(dir);
    const run = async (...extra: string[]) => {
      const o = await new Deno.Command("deno", {
        args: ["run", `--allow-read=${dir}`, `${root}cli.ts`, "images", dir, ...extra],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const records = [];
      for await (const r of readRecords(ReadableStream.from([o.stdout]))) records.push(r);
      return { code: o.code, stderr: new TextDecoder().decode(o.stderr), records };
    };
    for (const workers of ["0", "2"]) {
      const r = await run("--workers", workers);
      assert.equal(r.code, 0, r.stderr);
      const frames = r.records.filter((x) => x.kind === "frame");
      assert.deepEqual(
        frames.map((f) => [f.meta.key, f.meta.warnings]),
        [["a_extra.jpg", 1], ["b_noeoi.jpg", 1], ["c_good.jpg", undefined]],
      );
      const end = r.records.find((x) => x.kind === "end")!;
      assert.equal(end.meta.warnings, 2, JSON.stringify(end.meta));
      assert.match(r.stderr, /"a_extra.jpg" decoded with a warning: .*2 extraneous bytes/);
      assert.match(r.stderr, /"b_noeoi.jpg" decoded with a warning: .*no EOI marker/);
    }
    const strict = await run("--strict");
    assert.equal(strict.code, 0, strict.stderr);
    assert.deepEqual(
      strict.records.filter((x) => x.kind === "frame").map((f) => f.meta.key),
      ["c_good.jpg"],
    );
    assert.equal(strict.records.find((x) => x.kind === "end")!.meta.skipped, 2);
    assert.match(strict.stderr, /skipped "a_extra.jpg": refused \(strict\)/);
    const fail = await run("--strict", "--on-error", "fail");
    assert.equal(fail.code, 1, fail.stderr);
    assert.match(fail.stderr, /cannot decode "a_extra.jpg": refused \(strict\)/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
