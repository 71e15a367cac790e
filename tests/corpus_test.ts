/**
 * Runs the shared corpus checker (check_decoder.py) against the decoder CLI
 * and asserts every good file decodes (PSNR >= 35 dB vs libjpeg-turbo) and
 * every bad file fails cleanly.
 *
 * Needs Python 3 with numpy: `/usr/bin/python3` by default, or `$PYTHON`.
 * The decoder command can be overridden with `$FRAMEPIPE_CORPUS_CMD` (a
 * check_decoder.py `--cmd` template writing raw RGB, `{in}` = input path).
 */
import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { decodeJpeg } from "../src/decode/mod.ts";
import { FastJpegDecoder } from "../src/decode/fast/mod.ts";

const CORPUS = new URL("../../shared/jpeg-corpus/", import.meta.url).pathname;
const ROOT = new URL("../", import.meta.url).pathname;
const PYTHON = Deno.env.get("PYTHON") ?? "/usr/bin/python3";
const READ = new URL("../../", import.meta.url).pathname;
/** The CLI as a user runs it (default decoder: WASM fast path with TypeScript fallback). */
const CLI_CMD =
  `deno run -q --allow-read=${READ} ${ROOT}cli.ts images {in} --layout hwc --format raw`;
// Raw RGB carries no size, so the checker reshapes with the stored size unless told the output is
// display-oriented: the default CLI applies EXIF orientation (checked with --orientation display),
// --no-orientation keeps the stored pixels (checked with --orientation raw).
const CMDS: [string, string, string][] = Deno.env.get("FRAMEPIPE_CORPUS_CMD")
  ? [["$FRAMEPIPE_CORPUS_CMD", Deno.env.get("FRAMEPIPE_CORPUS_CMD")!, "either"]]
  : [
    ["framepipe images (default decoder, EXIF applied)", CLI_CMD, "display"],
    [
      "framepipe images --decoder ts --no-orientation (the generic TypeScript decoder)",
      `${CLI_CMD} --decoder ts --no-orientation`,
      "raw",
    ],
  ];

function pythonHasNumpy(): boolean {
  try {
    const r = new Deno.Command(PYTHON, {
      args: ["-c", "import numpy"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync();
    return r.success;
  } catch {
    return false;
  }
}

const haveNumpy = pythonHasNumpy();
const haveCorpus = (() => {
  try {
    return Deno.statSync(CORPUS + "check_decoder.py").isFile;
  } catch {
    return false;
  }
})();
if (!haveNumpy) {
  console.warn(`corpus_test: skipped, ${PYTHON} has no numpy (set PYTHON to a Python with numpy)`);
} else if (!haveCorpus) {
  console.warn(`corpus_test: skipped, no corpus at ${CORPUS}`);
}

for (const [label, CMD, orientation] of CMDS) {
  Deno.test({
    name: `${label} passes every good and bad file of the JPEG corpus`,
    ignore: !haveNumpy || !haveCorpus,
    async fn() {
      const json = await Deno.makeTempFile({ suffix: ".json" });
      try {
        const out = await new Deno.Command(PYTHON, {
          args: [
            CORPUS + "check_decoder.py",
            CORPUS,
            "--output-format",
            "rgb",
            "--quiet",
            "--json",
            json,
            "--orientation",
            orientation,
            "--cmd",
            CMD,
          ],
          cwd: ROOT,
          stdout: "piped",
          stderr: "piped",
        }).output();
        const report = JSON.parse(await Deno.readTextFile(json));
        const results = report.results as { result: string; path: string; detail: string }[];
        // framepipe tells images apart by content: a PNG named .jpg is decoded as the PNG it is
        const pngAsPng = (r: { path: string; detail: string }) =>
          r.path === "bad/png_renamed.jpg" && /exit 0/.test(r.detail);
        const pngDecoded = results.filter((r) => r.result !== "PASS" && pngAsPng(r)).length;
        const failed = results
          .filter((r) => r.result !== "PASS")
          .filter((r) => !pngAsPng(r))
          .map((r) => `${r.path}: ${r.detail}`);
        assert.deepEqual(
          failed,
          [],
          `corpus failures:\n${failed.join("\n")}\n${new TextDecoder().decode(out.stderr)}`,
        );
        const s = report.summary;
        assert.ok(s.good.PASS > 0 && s.bad.PASS > 0, "the checker ran no files");
        assert.equal(s.good.FAIL, 0);
        assert.equal(s.bad.FAIL, pngDecoded);
      } finally {
        await Deno.remove(json).catch(() => {});
      }
    },
  });
}

// ---- pixel agreement with libjpeg-turbo, in process, as max difference (not PSNR) ----

interface CorpusRef {
  name: string;
  mode: "full" | "tiles";
  file?: string;
  sha256_pixels?: string;
  tiles?: { x: number; y: number; w: number; h: number; file: string }[];
}
interface CorpusEntry {
  path: string;
  category: string;
  references?: CorpusRef[];
}

function parsePnm(b: Uint8Array): { w: number; h: number; ch: number; px: Uint8Array } {
  let p = 2;
  const t: number[] = [];
  while (t.length < 3) {
    while (b[p] <= 0x20) p++;
    let v = 0;
    while (b[p] > 0x20) v = v * 10 + b[p++] - 0x30;
    t.push(v);
  }
  return { w: t[0], h: t[1], ch: b[1] === 0x36 ? 3 : 1, px: b.subarray(p + 1) };
}

function maxDiff(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length, "sizes differ");
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > m) m = d;
  }
  return m;
}

async function sha256Hex(b: Uint8Array): Promise<string> {
  const h = new Uint8Array(await crypto.subtle.digest("SHA-256", b as Uint8Array<ArrayBuffer>));
  return [...h].map((x) => x.toString(16).padStart(2, "0")).join("");
}

Deno.test({
  name:
    "every good corpus file: TypeScript decoder max difference 0, fast path <= 1 vs djpeg -dct int",
  ignore: !haveCorpus,
  async fn() {
    const files: CorpusEntry[] = JSON.parse(Deno.readTextFileSync(CORPUS + "manifest.json")).files;
    const fast = FastJpegDecoder.create();
    const rows: string[] = [];
    let checked = 0;
    for (const e of files.filter((f) => f.category === "good")) {
      const ref = e.references?.find((r) => r.name === "djpeg_int_fancy");
      assert.ok(ref, `${e.path}: no djpeg -dct int reference`);
      const bytes = Deno.readFileSync(CORPUS + e.path);
      const first = parsePnm(
        new Uint8Array(gunzipSync(Deno.readFileSync(CORPUS + (ref.file ?? ref.tiles![0].file)))),
      );
      const opts = { orientation: false, gray: first.ch === 1 };
      const ts = decodeJpeg(bytes, opts);
      const wasm = fast.decode(bytes, opts);
      const diffs = (img: { data: Uint8Array; width: number }): number => {
        if (ref.mode === "full") return maxDiff(img.data, first.px);
        let m = 0;
        for (const t of ref.tiles!) {
          const tile = parsePnm(new Uint8Array(gunzipSync(Deno.readFileSync(CORPUS + t.file))));
          const c = new Uint8Array(t.w * t.h * tile.ch);
          for (let y = 0; y < t.h; y++) {
            const o = ((t.y + y) * img.width + t.x) * tile.ch;
            c.set(img.data.subarray(o, o + t.w * tile.ch), y * t.w * tile.ch);
          }
          m = Math.max(m, maxDiff(c, tile.px));
        }
        return m;
      };
      const dTs = diffs(ts);
      const dWasm = wasm ? diffs(wasm) : -1;
      if (ref.mode === "tiles" && ref.sha256_pixels) {
        assert.equal(await sha256Hex(ts.data), ref.sha256_pixels, `${e.path}: full-frame sha256`);
      }
      if (dTs !== 0 || dWasm > 1) rows.push(`${e.path}: ts ${dTs}, wasm ${dWasm}`);
      checked++;
    }
    assert.deepEqual(rows, [], `max differences vs djpeg -dct int:\n${rows.join("\n")}`);
    assert.ok(checked >= 40, `only ${checked} good files checked`);
  },
});

function haveTool(cmd: string): boolean {
  try {
    return new Deno.Command(cmd, { args: ["-version"], stdout: "null", stderr: "null" })
      .outputSync().code !== 127;
  } catch {
    return false;
  }
}
const haveDjpeg = haveTool("djpeg") && haveTool("cjpeg");

Deno.test({
  name:
    "tiny subsampled images (3x3, 4x4, 1x1023, ...): TypeScript decoder bit-exact, fast path <= 1 vs djpeg -dct int",
  ignore: !haveDjpeg,
  fn() {
    const dir = Deno.makeTempDirSync();
    const fast = FastJpegDecoder.create();
    const rows: string[] = [];
    try {
      const sizes = [
        [1, 1],
        [2, 2],
        [3, 3],
        [4, 4],
        [5, 5],
        [6, 3],
        [1, 1023],
        [1023, 1],
        [
          2,
          9,
        ],
        [9, 2],
        [3, 17],
        [17, 3],
        [33, 33],
      ];
      // 4:2:0, 4:2:2, 4:4:0, 4:1:1 (cjpeg -sample: luma factors, chroma 1x1)
      for (const sample of ["2x2", "2x1", "1x2", "4x1"]) {
        for (const [w, h] of sizes) {
          const ppm = `${dir}/in.ppm`, jpg = `${dir}/t.jpg`;
          const head = new TextEncoder().encode(`P6\n${w} ${h}\n255\n`);
          const px = new Uint8Array(w * h * 3);
          for (let i = 0; i < px.length; i++) px[i] = (i * 37 + (i >> 4) * 91 + (i % 7) * 29) & 255;
          const f = new Uint8Array(head.length + px.length);
          f.set(head);
          f.set(px, head.length);
          Deno.writeFileSync(ppm, f);
          const c = new Deno.Command("cjpeg", {
            args: ["-quality", "90", "-sample", `${sample},1x1,1x1`, "-outfile", jpg, ppm],
            stderr: "piped",
          }).outputSync();
          assert.ok(c.success, new TextDecoder().decode(c.stderr));
          const d = new Deno.Command("djpeg", { args: ["-dct", "int", jpg], stdout: "piped" })
            .outputSync();
          assert.ok(d.success);
          const ref = parsePnm(d.stdout).px;
          const bytes = Deno.readFileSync(jpg);
          const dTs = maxDiff(decodeJpeg(bytes).data, ref);
          const dWasm = maxDiff(fast.decode(bytes)!.data, ref);
          if (dTs !== 0 || dWasm > 1) rows.push(`${sample} ${w}x${h}: ts ${dTs}, wasm ${dWasm}`);
        }
      }
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
    assert.deepEqual(rows, [], `max differences vs djpeg -dct int:\n${rows.join("\n")}`);
  },
});
