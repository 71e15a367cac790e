/**
 * `framepipe preview`: contact sheets decoded back (PIL) and compared with the source frames.
 */
import assert from "node:assert/strict";
import { ADVANCE, FONT_5X7, glyph, textWidth } from "../src/preview/font.ts";
import { crc32, encodePng, PNG_SIGNATURE } from "../src/preview/png.ts";
import { ContactSheet, fitText, type TileRect } from "../src/preview/sheet.ts";
import { recordSpans, testFrame } from "./frames.ts";
import { parseFrames, pythonHas, runCli, runPython, withTempDir } from "./helpers.ts";

const hasPil = await pythonHas("PIL", "numpy");

interface Decoded {
  width: number;
  height: number;
  rgb: Uint8Array;
}

/** Decode a PNG with PIL (an independent decoder) into RGB bytes. */
async function decodePng(png: Uint8Array): Promise<Decoded> {
  const r = await runPython(
    `import sys, io
from PIL import Image
im = Image.open(io.BytesIO(sys.stdin.buffer.read()))
im.load()
assert im.format == "PNG", im.format
im = im.convert("RGB")
sys.stdout.buffer.write(f"{im.width} {im.height}\\n".encode() + im.tobytes())`,
    png,
  );
  assert.equal(r.code, 0, r.stderr);
  const nl = r.stdout.indexOf(10);
  const [width, height] = new TextDecoder().decode(r.stdout.subarray(0, nl)).split(" ").map(Number);
  return { width, height, rgb: r.stdout.subarray(nl + 1) };
}

function meanRect(img: Decoded, r: TileRect): [number, number, number] {
  const s = [0, 0, 0];
  for (let y = r.y; y < r.y + r.height; y++) {
    for (let x = r.x; x < r.x + r.width; x++) {
      for (let c = 0; c < 3; c++) s[c] += img.rgb[(y * img.width + x) * 3 + c];
    }
  }
  const n = r.width * r.height;
  return [s[0] / n, s[1] / n, s[2] / n];
}

function meanFrame(f: { payload: Uint8Array; fields: { width: number; height: number } }) {
  const plane = f.fields.width * f.fields.height;
  return [0, 1, 2].map((c) => {
    let s = 0;
    for (let i = 0; i < plane; i++) s += f.payload[c * plane + i];
    return s / plane;
  });
}

/** The tile rectangles the CLI's sheet has, computed with the same module. */
function expectedRects(
  count: number,
  tw: number,
  th: number,
  fw: number,
  fh: number,
  cols?: number,
) {
  const sheet = new ContactSheet({ count, cols, tileWidth: tw, tileHeight: th, title: "x" });
  const dummy = testFrame(0, { width: fw, height: fh });
  for (let i = 0; i < count; i++) sheet.draw(i, dummy, []);
  return { rects: sheet.tiles, width: sheet.width, height: sheet.height };
}

/** Count bright (caption text) pixels in the strip under a tile. */
function brightUnder(img: Decoded, r: TileRect, tileH: number, tileTop: number): number {
  let n = 0;
  for (let y = tileTop + tileH + 2; y < tileTop + tileH + 22; y++) {
    for (let x = r.x - 2; x < r.x + r.width; x++) {
      const o = (y * img.width + x) * 3;
      if (img.rgb[o] > 200 && img.rgb[o + 1] > 200 && img.rgb[o + 2] > 200) n++;
    }
  }
  return n;
}

Deno.test("crc32 and the PNG chunk layout match the specification", () => {
  assert.equal(crc32(new TextEncoder().encode("IEND")), 0xae426082);
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  const png = encodePng(2, 1, new Uint8Array([255, 0, 0, 0, 0, 255]));
  assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
  assert.equal(new TextDecoder().decode(png.subarray(12, 16)), "IHDR");
  assert.equal(new TextDecoder().decode(png.subarray(png.length - 8, png.length - 4)), "IEND");
  assert.throws(() => encodePng(0, 1, new Uint8Array(0)), /at least 1x1/);
  assert.throws(() => encodePng(2, 2, new Uint8Array(3)), /expected 12 bytes/);
});

Deno.test({
  name: "an encoded PNG decodes (PIL) to exactly the pixels written",
  ignore: !hasPil,
  fn: async () => {
    const w = 37, h = 23;
    const rgb = new Uint8Array(w * h * 3).map((_, i) => (i * 7919 + (i >> 5) * 31) & 0xff);
    const d = await decodePng(encodePng(w, h, rgb));
    assert.equal(d.width, w);
    assert.equal(d.height, h);
    assert.deepEqual(d.rgb, rgb);
  },
});

Deno.test("the built-in font has a glyph for every printable ASCII character", () => {
  assert.equal(FONT_5X7.length, 95 * 5);
  for (let c = 33; c <= 126; c++) {
    assert.ok(glyph(String.fromCharCode(c)).some((col) => col !== 0), `glyph ${c} is blank`);
  }
  assert.deepEqual(glyph("é"), glyph("?"));
  assert.equal(textWidth("abc"), 3 * ADVANCE - 1);
  assert.equal(fitText("abcdefghij", 6 * ADVANCE - 1, false), "abcd..");
  assert.equal(fitText("abcdefghij", 6 * ADVANCE - 1, true), "..ghij");
});

Deno.test({
  name: "preview of a labelled folder: each tile has its frame's colours and a caption",
  ignore: !hasPil,
  fn: async () => {
    await withTempDir(async (dir) => {
      const out = `${dir}/sheet.png`;
      const r = await runCli(
        [
          "preview",
          "fixtures/frames",
          "--labels",
          "fixtures/phases.json",
          "--tile",
          "80x60",
          "-o",
          out,
        ],
        { permissions: [`--allow-read=fixtures`, `--allow-write=${dir}`] },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /wrote .*sheet\.png: 12 frames/);
      const img = await decodePng(await Deno.readFile(out));
      // The same frames at full size, as the images command decodes them.
      const src = await runCli(["images", "fixtures/frames", "--labels", "fixtures/phases.json"]);
      const frames = await parseFrames(src.stdout);
      assert.equal(frames.length, 12);
      const geo = expectedRects(12, 80, 60, frames[0].fields.width, frames[0].fields.height);
      assert.equal(img.width, geo.width);
      assert.equal(img.height, geo.height);
      for (let i = 0; i < 12; i++) {
        const got = meanRect(img, geo.rects[i]);
        const want = meanFrame(frames[i]);
        for (let c = 0; c < 3; c++) {
          assert.ok(Math.abs(got[c] - want[c]) < 1.5, `tile ${i} ch ${c}: ${got} vs ${want}`);
        }
        const bright = brightUnder(img, geo.rects[i], 60, geo.rects[i].y);
        assert.ok(bright > 30, `tile ${i} caption looks blank (${bright} text pixels)`);
      }
      // Tiles differ from one another (not one frame repeated).
      assert.notDeepEqual(meanRect(img, geo.rects[0]), meanRect(img, geo.rects[11]));
    });
  },
});

Deno.test({
  name:
    "preview of a frame stream on stdin renders CHW and HWC alike; a wrong layout flag scrambles",
  ignore: !hasPil,
  fn: async () => {
    const base = ["images", "fixtures/frames", "--size", "64x48", "--limit", "4"];
    const chw = (await runCli(base)).stdout;
    const hwc = (await runCli([...base, "--layout", "hwc"])).stdout;
    // Flip the layout byte of every frame record of the CHW stream (claims HWC, holds CHW).
    const lying = chw.slice();
    for (const rec of recordSpans(lying)) if (rec[4] === 0x46) rec[7] = 1;
    const sheet = async (stream: Uint8Array) => {
      const r = await runCli(["preview", "-", "--tile", "64x48", "-o", "-", "-q"], {
        stdin: stream,
      });
      assert.equal(r.code, 0, r.stderr);
      return await decodePng(r.stdout);
    };
    const a = await sheet(chw), b = await sheet(hwc), c = await sheet(lying);
    const geo = expectedRects(4, 64, 48, 64, 48);
    const diff = (x: Decoded, y: Decoded, r: TileRect) => {
      let d = 0;
      for (let yy = r.y; yy < r.y + r.height; yy++) {
        for (let xx = r.x; xx < r.x + r.width; xx++) {
          for (let ch = 0; ch < 3; ch++) {
            const o = (yy * x.width + xx) * 3 + ch;
            d += Math.abs(x.rgb[o] - y.rgb[o]);
          }
        }
      }
      return d / (r.width * r.height * 3);
    };
    for (const r of geo.rects) {
      assert.equal(diff(a, b, r), 0, "CHW and HWC streams give the same tile");
      assert.ok(
        diff(a, c, r) > 20,
        `a mislabelled layout should look scrambled (${diff(a, c, r)})`,
      );
    }
  },
});

Deno.test({
  name: "preview of a capture (a video file through ffmpeg) shows its colour",
  ignore: !hasPil,
  fn: async () => {
    await withTempDir(async (dir) => {
      const video = `${dir}/red.mp4`;
      const ff = await new Deno.Command("ffmpeg", {
        args: ["-v", "error", "-f", "lavfi", "-i", "color=c=0xD02020:s=96x64:r=5:d=2"]
          .concat(["-pix_fmt", "yuv444p", "-y", video]),
      }).output();
      assert.ok(ff.success);
      const out = `${dir}/cap.png`;
      const r = await runCli(["preview", video, "--frames", "4", "--cols", "2", "-o", out], {
        permissions: [`--allow-read=${dir}`, `--allow-write=${dir}`, "--allow-run=ffmpeg"],
      });
      assert.equal(r.code, 0, r.stderr);
      const img = await decodePng(await Deno.readFile(out));
      const geo = expectedRects(4, 160, 120, 96, 64, 2);
      assert.equal(img.width, geo.width);
      for (const rect of geo.rects) {
        const [red, g, b] = meanRect(img, rect);
        assert.ok(Math.abs(red - 0xd0) < 12 && g < 50 && b < 50, `${[red, g, b]}`);
      }
    });
  },
});

Deno.test("preview errors: no source is a usage error; an empty folder is a data error", async () => {
  const none = await runCli(["preview"]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /preview needs a source/);
  const typo = await runCli(["preview", "fixtures/frames", "--tiles", "8x8"]);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /did you mean --tile\?/);
  await withTempDir(async (dir) => {
    const r = await runCli(["preview", dir, "-o", `${dir}/x.png`], {
      permissions: [`--allow-read=${dir}`, `--allow-write=${dir}`],
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /no frames to preview/);
  });
});
