/**
 * PNG decode speed on 854x480 frames (CholecT50's frame size), next to JPEG and Pillow, in one
 * run, plus the inflate comparison that chose the decoder:
 *
 * - framepipe `decodePng` (runtime zlib `inflateSync` + TypeScript unfilter/convert) and
 *   `renderImage` to 853x480 CHW (the `images --size 853x480` work);
 * - the same decoder on `DecompressionStream` (asynchronous inflate, one stream per frame);
 * - npm `fast-png` (pure JS: fflate inflate + its own unfilter), `decode(bytes)` only;
 * - the PNG rows again on the same frames re-encoded by ffmpeg with every row Paeth-filtered
 *   (Pillow's own encoder picks Sub/Up here; libpng-based encoders often pick Paeth);
 * - JPEG: the same frames saved by Pillow at q90 through `renderImage` (WASM fast path);
 * - Pillow (`/usr/bin/python3`, or `$PYTHON`): `Image.open(p).convert("RGB")` + `np.asarray`,
 *   PNG and JPEG, and `.resize((853, 480), BILINEAR)` + CHW for the end-to-end row.
 *
 *   deno run --allow-read --allow-write --allow-run --allow-env bench/png_bench.ts \
 *     [--frames 20] [--rounds 5] [--sigma 3]
 *
 * Frames: crops of `../shared/jpeg-corpus/good/large_4000x3000.jpg` resized to 854x480 with
 * Gaussian noise (sigma `--sigma`, default 3: sensor-like noise, about 640 KB per PNG as
 * Pillow saves them), written to a temp dir and removed afterwards. Every row runs the same
 * frames, one thread, in-memory bytes (no file reads timed); rounds are interleaved (the row
 * order rotates, Pillow runs once per round) and each figure is the median round. Prints a markdown table (ms/frame and MP/s, 854x480 = 0.41 MP).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { decode as fastPngDecode } from "fast-png";
import { decodePng } from "../src/decode/png/mod.ts";
import { parsePng } from "../src/decode/png/chunks.ts";
import { planPasses, reconstruct } from "../src/decode/png/decode.ts";
import { renderImage } from "../src/pipeline/render.ts";

const args = parseArgs({
  args: Deno.args,
  options: {
    frames: { type: "string", default: "20" },
    rounds: { type: "string", default: "5" },
    sigma: { type: "string", default: "3" },
  },
});
const FRAMES = Number(args.values.frames);
const ROUNDS = Number(args.values.rounds);
const SIGMA = Number(args.values.sigma);
const PY = Deno.env.get("PYTHON") ?? "/usr/bin/python3";
const PHOTO = new URL("../../shared/jpeg-corpus/good/large_4000x3000.jpg", import.meta.url)
  .pathname;
const W = 854, H = 480, MP = (W * H) / 1e6;

async function run(cmd: string, argv: string[]): Promise<{ ok: boolean; out: string }> {
  const o = await new Deno.Command(cmd, { args: argv, stdout: "piped", stderr: "piped" })
    .output();
  const td = new TextDecoder();
  return { ok: o.success, out: td.decode(o.stdout) + td.decode(o.stderr) };
}

/** The DecompressionStream variant: same parsing and reconstruction, asynchronous inflate. */
async function decodePngStream(bytes: Uint8Array) {
  const png = parsePng(bytes);
  const stream = new Blob([png.idat as BlobPart]).stream()
    .pipeThrough(new DecompressionStream("deflate"));
  const raw = new Uint8Array(await new Response(stream).arrayBuffer());
  if (raw.length < planPasses(png).bytes) throw new Error("short image data");
  return reconstruct(png, raw);
}

const PIL_SCRIPT = `
import sys, time, glob, json, io
import numpy as np
from PIL import Image
d, rounds = sys.argv[1], int(sys.argv[2])
res = {}
for ext in ("png", "jpg", "paeth.png"):
    blobs = [open(p, "rb").read() for p in sorted(glob.glob(d + "/*[0-9]." + ext))]
    for mode in (("decode",) if ext == "paeth.png" else ("decode", "853x480")):
        times = []
        for r in range(rounds + 1):
            t0 = time.perf_counter()
            for b in blobs:
                im = Image.open(io.BytesIO(b)).convert("RGB")
                if mode == "853x480":
                    a = np.ascontiguousarray(np.asarray(im.resize((853, 480), Image.BILINEAR)).transpose(2, 0, 1))
                else:
                    a = np.asarray(im)
            if r > 0: times.append((time.perf_counter() - t0) * 1000 / len(blobs))
        res[ext + " " + mode] = sorted(times)[len(times) // 2]
print(json.dumps(res))
`;

async function main() {
  const dir = await Deno.makeTempDir({ prefix: "framepipe-png-bench-" });
  try {
    const make = await run(PY, [
      "-c",
      `import sys
import numpy as np
from PIL import Image
src = Image.open(sys.argv[1]).convert("RGB")
rng = np.random.default_rng(1)
for i in range(int(sys.argv[3])):
    cw = 1708 + (i * 97) % 1200
    ch = cw * 480 // 854
    x = (i * 211) % (src.width - cw + 1)
    y = (i * 137) % (src.height - ch + 1)
    a = np.asarray(src.crop((x, y, x + cw, y + ch)).resize((854, 480), Image.BILINEAR)).astype(float)
    a = np.clip(a + rng.normal(0, float(sys.argv[4]), a.shape), 0, 255).astype(np.uint8)
    Image.fromarray(a).save("%s/%06d.png" % (sys.argv[2], i))
    Image.fromarray(a).save("%s/%06d.jpg" % (sys.argv[2], i), quality=90)
`,
      PHOTO,
      dir,
      String(FRAMES),
      String(SIGMA),
    ]);
    if (!make.ok) throw new Error(`cannot generate the frames (need Pillow): ${make.out}`);
    // The same frames with every row Paeth-filtered (ffmpeg -pred paeth), as libpng-based
    // encoders often choose for photos: the costliest filter to undo.
    for (
      const n of [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".png"))
    ) {
      const ff = await run("ffmpeg", [
        "-loglevel",
        "error",
        "-i",
        `${dir}/${n}`,
        "-pred",
        "paeth",
        `${dir}/${n.replace(".png", ".paeth.png")}`,
      ]);
      if (!ff.ok) throw new Error(`ffmpeg -pred paeth failed: ${ff.out}`);
    }
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    const paeths = names.filter((n) => n.endsWith(".paeth.png"))
      .map((n) => Deno.readFileSync(`${dir}/${n}`));
    const pngs = names.filter((n) => /[0-9]\.png$/.test(n)).map((n) =>
      Deno.readFileSync(`${dir}/${n}`)
    );
    const jpgs = names.filter((n) => n.endsWith(".jpg")).map((n) =>
      Deno.readFileSync(`${dir}/${n}`)
    );
    const kb = (fs: Uint8Array[]) => fs.reduce((s, f) => s + f.length, 0) / fs.length / 1024;

    // Check the variants agree before timing them.
    const a = decodePng(pngs[0]).data, b = (await decodePngStream(pngs[0])).data;
    const c = fastPngDecode(pngs[0]).data;
    for (let i = 0; i < a.length; i++) {
      if (a[i] !== b[i] || a[i] !== c[i]) throw new Error(`decoders disagree at byte ${i}`);
    }

    const size = { width: 853, height: 480 };
    const rows: [string, (f: Uint8Array) => unknown, Uint8Array[]][] = [
      ["framepipe decodePng (node:zlib inflateSync)", (f) => decodePng(f), pngs],
      ["framepipe decodePng on DecompressionStream", (f) => decodePngStream(f), pngs],
      ["fast-png 8.0.0 decode (fflate, pure JS)", (f) => fastPngDecode(f), pngs],
      ["framepipe decodePng, all rows Paeth", (f) => decodePng(f), paeths],
      ["fast-png 8.0.0 decode, all rows Paeth", (f) => fastPngDecode(f), paeths],
      ["framepipe renderImage PNG -> 853x480 CHW", (f) => renderImage(f, size), pngs],
      ["framepipe renderImage JPEG q90 full size", (f) => renderImage(f), jpgs],
      ["framepipe renderImage JPEG q90 -> 853x480 CHW", (f) => renderImage(f, size), jpgs],
    ];
    const times: number[][] = rows.map(() => []);
    const PIL_ROWS: [string, string][] = [
      ["png decode", "Pillow PNG decode (convert RGB, asarray)"],
      ["png 853x480", "Pillow PNG -> 853x480 BILINEAR CHW"],
      ["jpg decode", "Pillow JPEG q90 decode (convert RGB, asarray)"],
      ["jpg 853x480", "Pillow JPEG q90 -> 853x480 BILINEAR CHW"],
      ["paeth.png decode", "Pillow PNG decode, all rows Paeth"],
    ];
    const pilTimes: number[][] = PIL_ROWS.map(() => []);
    let pilError = "";
    for (let r = 0; r <= ROUNDS; r++) {
      for (let k = 0; k < rows.length; k++) {
        const [, fn, files] = rows[(k + r) % rows.length];
        const t0 = performance.now();
        for (const f of files) await fn(f);
        if (r > 0) times[(k + r) % rows.length].push((performance.now() - t0) / files.length);
      }
      // Pillow in the same round (its own warm-up pass, then one timed pass per row)
      if (r === 0 || pilError) continue;
      const pil = await run(PY, ["-c", PIL_SCRIPT, dir, "1"]);
      if (!pil.ok) pilError = pil.out.trim();
      else PIL_ROWS.forEach(([key], i) => pilTimes[i].push(JSON.parse(pil.out)[key]));
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
    const out: [string, number][] = rows.map(([name], k) => [name, median(times[k])]);
    if (pilError) console.error(`Pillow rows skipped: ${pilError}`);
    else PIL_ROWS.forEach(([, name], i) => out.push([name, median(pilTimes[i])]));
    const load = Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
    console.log(
      `${FRAMES} frames 854x480, PNG ${kb(pngs).toFixed(0)} KB/frame, JPEG q90 ${
        kb(jpgs).toFixed(0)
      } KB/frame, noise sigma ${SIGMA}, median of ${ROUNDS} rounds, one thread, load ${load}\n`,
    );
    const ref = out[0][1];
    console.log("| decoder | ms/frame | MP/s | vs framepipe decodePng |");
    console.log("| --- | ---: | ---: | ---: |");
    for (const [name, ms] of out) {
      console.log(
        `| ${name} | ${ms.toFixed(2)} | ${(MP / (ms / 1000)).toFixed(1)} | ${
          (ms / ref).toFixed(2)
        }x |`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await main();
