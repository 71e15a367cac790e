/**
 * Fast-path decode benchmark.
 *
 *   deno run --allow-read --allow-write --allow-run --allow-env bench/decode_bench.ts [--frames 20] [--repeats 7]
 *
 * Generates a 1080p q90 4:2:0 JPEG corpus (crops of the corpus photo
 * `large_4000x3000.jpg`, re-encoded with Pillow; falls back to FFmpeg testsrc2)
 * in a temp dir, then reports megapixels/s of *source* pixels (median of repeats,
 * single thread) for:
 *   - wasm fast path, full-scale decode to interleaved RGB (HWC)
 *   - wasm fast path, decode into an 853x480 planar CHW target (DCT scale 1/2 + bilinear)
 *   - tjbench (native libjpeg-turbo), if installed
 *
 * Set FASTPATH_PROFILE=1 to also time the stages separately (entropy+IDCT vs colour).
 */
import { FastJpegDecoder } from "../src/decode/fast/mod.ts";

const args = Deno.args;
function arg(name: string, dflt: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}
const FRAMES = arg("--frames", 20);
const REPEATS = arg("--repeats", 7);
const PY = Deno.env.get("PYTHON") ?? "/usr/bin/python3";
const PHOTO = "/work/shared/jpeg-corpus/good/large_4000x3000.jpg";

async function run(cmd: string, cmdArgs: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const o = await new Deno.Command(cmd, { args: cmdArgs, stdout: "piped", stderr: "piped" })
      .output();
    const dec = new TextDecoder();
    return { ok: o.success, out: dec.decode(o.stdout) + dec.decode(o.stderr) };
  } catch {
    return { ok: false, out: "" };
  }
}

async function makeCorpus(dir: string): Promise<string[]> {
  const script = `
import sys
from PIL import Image
src = Image.open(sys.argv[1]).convert("RGB")
n = int(sys.argv[3])
for i in range(n):
    # different crops and zooms of the photo, scaled to 1920x1080
    cw = 2400 + (i * 97) % 1600
    ch = cw * 9 // 16
    x = (i * 211) % (src.width - cw + 1)
    y = (i * 137) % (src.height - ch + 1)
    im = src.crop((x, y, x + cw, y + ch)).resize((1920, 1080), Image.BICUBIC)
    im.save("%s/f%03d.jpg" % (sys.argv[2], i), quality=90, subsampling=2)
`;
  let r = await run(PY, ["-c", script, PHOTO, dir, String(FRAMES)]);
  if (!r.ok) {
    r = await run("ffmpeg", [
      "-loglevel",
      "error",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=1920x1080:rate=25",
      "-frames:v",
      String(FRAMES),
      "-q:v",
      "3",
      "-pix_fmt",
      "yuvj420p",
      `${dir}/f%03d.jpg`,
    ]);
    if (!r.ok) throw new Error(`cannot generate the corpus (need Pillow or ffmpeg): ${r.out}`);
  }
  const files = [...Deno.readDirSync(dir)].map((e) => `${dir}/${e.name}`).filter((f) =>
    f.endsWith(".jpg")
  ).sort();
  return files;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function bench(
  label: string,
  frames: Uint8Array[],
  mpPerFrame: number,
  fn: (b: Uint8Array) => void,
) {
  for (const f of frames) fn(f); // warm-up
  const rates: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const t0 = performance.now();
    for (const f of frames) fn(f);
    const dt = (performance.now() - t0) / 1000;
    rates.push((mpPerFrame * frames.length) / dt);
  }
  const med = median(rates);
  console.log(
    `${label.padEnd(44)} ${med.toFixed(1).padStart(7)} MP/s  (${
      (1000 * mpPerFrame / med).toFixed(2)
    } ms/frame, min ${Math.min(...rates).toFixed(1)}, max ${Math.max(...rates).toFixed(1)})`,
  );
  return med;
}

const dir = Deno.makeTempDirSync({ prefix: "framepipe_bench_" });
try {
  const files = await makeCorpus(dir);
  const frames = files.map((f) => Deno.readFileSync(f));
  const totalKB = frames.reduce((a, f) => a + f.length, 0) / 1024;
  console.log(
    `corpus: ${frames.length} frames 1920x1080 q90 4:2:0, ${
      (totalKB / frames.length).toFixed(0)
    } KB/frame avg`,
  );
  const dec = FastJpegDecoder.create();
  const mp = (1920 * 1080) / 1e6;
  bench("wasm-simd full-scale -> HWC RGB", frames, mp, (b) => {
    dec.decodeView(b, { width: 1920, height: 1080, layout: "hwc", channels: 3, resize: "nearest" });
  });
  bench("wasm-simd full-scale -> CHW RGB", frames, mp, (b) => {
    dec.decodeView(b, { width: 1920, height: 1080, layout: "chw", channels: 3, resize: "nearest" });
  });
  const out = new Uint8Array(3 * 853 * 480);
  bench("wasm-simd -> 853x480 CHW (bilinear, into out)", frames, mp, (b) => {
    dec.decodeInto(
      b,
      { width: 853, height: 480, layout: "chw", channels: 3, resize: "bilinear" },
      out,
    );
  });
  bench("wasm-simd -> 853x480 CHW (area, into out)", frames, mp, (b) => {
    dec.decodeInto(b, { width: 853, height: 480, layout: "chw", channels: 3, resize: "area" }, out);
  });
  bench("wasm-simd full-scale -> grey", frames, mp, (b) => {
    dec.decodeView(b, { width: 1920, height: 1080, layout: "chw", channels: 1, resize: "nearest" });
  });
  if (Deno.env.get("FASTPATH_PROFILE")) {
    const req = {
      width: 1920,
      height: 1080,
      layout: "chw",
      channels: 3,
      resize: "nearest",
    } as const;
    bench("  profile: entropy decoding only", frames, mp, (b) => {
      dec.decodeView(b, { ...req, profileStages: 3 });
    });
    bench("  profile: entropy + IDCT (scale 1)", frames, mp, (b) => {
      dec.decodeView(b, { ...req, profileStages: 1 });
    });
    const small = { ...req, width: 853, height: 480, resize: "bilinear" } as const;
    bench("  profile: entropy + IDCT (scale 1/2)", frames, mp, (b) => {
      dec.decodeView(b, { ...small, profileStages: 1 });
    });
  }
  const tj = await run("tjbench", [files[0], "-benchtime", "2", "-warmup", "1"]);
  if (tj.ok) {
    // tjbench prints "Decompress ... Throughput: N Megapixels/sec"
    const m = [...tj.out.matchAll(/Throughput:\s+([\d.]+)\s+Megapixels\/sec/g)];
    const last = m.at(-1);
    console.log(
      `${"tjbench (native libjpeg-turbo, 1 frame)".padEnd(44)} ${
        last ? Number(last[1]).toFixed(1).padStart(7) : "    n/a"
      } MP/s`,
    );
  } else {
    console.log("tjbench: not available");
  }
} finally {
  Deno.removeSync(dir, { recursive: true });
}
