/**
 * Bench producer for `bench/bench.ts`: what a Deno user would write with imagescript (npm
 * `imagescript`, a WASM JPEG decoder) to feed 853x480 CHW frames to Python, on one thread.
 *
 *   deno run --allow-read --allow-env=IMAGESCRIPT_WASM_SIMD --allow-ffi \
 *     bench/imagescript_producer.ts DIR [--size 853x480] [--scaled]   # raw CHW frames on stdout
 *   ... bench/imagescript_producer.ts --decode DIR [--limit 16] [--repeats 3]  # one JSON line
 *   ... bench/imagescript_producer.ts --probe                                   # prints "ok"
 *
 * Frames: for each `*.jpg` of DIR (sorted), `Image.decode` (full scale, RGBA), then
 * `image.resize(W, H)` (imagescript's only mode, nearest neighbour), then RGBA -> planar RGB,
 * written to stdout as `--format raw` payloads (3*W*H bytes each, no header).
 *
 * `--scaled`: imagescript's public `Image.decode` has no scale option, but its JPEG wasm module
 * (`imagescript/wasm/node/jpeg.js`, the one `Image.decode` calls) takes a target size and
 * picks the smallest DCT scale that still covers it (1/2 for 1920x1080 -> 853x480). The RGB
 * result is copied into an `Image` and resized the same way.
 *
 * Permissions: importing `imagescript` loads a native addon (`codecs/node/bin/*.node`, used only
 * by its JPEG/WebP/GIF *encoders*), hence `--allow-ffi`; decoding is `wasm/any/jpeg.wasm`, read
 * from the npm cache (`--allow-read`), and the wasm loader reads `IMAGESCRIPT_WASM_SIMD`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Image } from "imagescript";
import jpegWasmModule from "imagescript/wasm/node/jpeg.js";

/** Decoded pixels from imagescript's JPEG wasm: format 0 grey, 1 RGB, 2 CMYK. */
interface WasmFrame {
  width: number;
  height: number;
  format: number;
  buffer: Uint8Array;
}

/** One instance of imagescript's JPEG wasm (`wasm/node/jpeg.js` ships without types). */
interface JpegDecoder {
  /** Decode; with `width`/`height`, at the smallest DCT scale that still covers them. */
  decode(jpeg: Uint8Array, width?: number, height?: number): WasmFrame;
}

/** The module: `init()` compiles the wasm once and instantiates it. */
const jpegWasm = jpegWasmModule as { init(): Promise<JpegDecoder> };

/** Sorted JPEG paths of a folder. */
function listJpegs(dir: string): string[] {
  return [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".jpg"))
    .map((e) => `${dir}/${e.name}`).sort();
}

/** Median of a non-empty list. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Decode with imagescript's JPEG wasm at the smallest DCT scale covering `w`x`h`, into an
 * imagescript `Image` (RGBA).
 *
 * @param decoder From `jpegWasm.init()`.
 * @param jpeg File bytes.
 * @param w Target width (the decoder's output is at least this wide).
 * @param h Target height.
 */
function decodeScaled(
  decoder: JpegDecoder,
  jpeg: Uint8Array,
  w: number,
  h: number,
): Image {
  const fb = decoder.decode(jpeg, w, h);
  const img = new Image(fb.width, fb.height);
  const out = img.bitmap, src = fb.buffer, n = fb.width * fb.height;
  if (fb.format === 1) {
    for (let i = 0, j = 0, k = 0; i < n; i++, j += 3, k += 4) {
      out[k] = src[j];
      out[k + 1] = src[j + 1];
      out[k + 2] = src[j + 2];
      out[k + 3] = 255;
    }
  } else if (fb.format === 0) {
    for (let i = 0, k = 0; i < n; i++, k += 4) {
      out[k] = out[k + 1] = out[k + 2] = src[i];
      out[k + 3] = 255;
    }
  } else {
    throw new Error(`imagescript scaled decode: unsupported pixel format ${fb.format} (CMYK)`);
  }
  return img;
}

/**
 * RGBA (imagescript's bitmap) to planar R, G, B.
 *
 * @param rgba `w*h*4` bytes.
 * @param chw Output, `3*w*h` bytes.
 * @param n Pixel count `w*h`.
 */
function rgbaToChw(rgba: Uint8ClampedArray, chw: Uint8Array, n: number): void {
  for (let i = 0, k = 0; i < n; i++, k += 4) {
    chw[i] = rgba[k];
    chw[n + i] = rgba[k + 1];
    chw[2 * n + i] = rgba[k + 2];
  }
}

/** Write all of `buf` to stdout. */
async function writeAll(buf: Uint8Array): Promise<void> {
  for (let off = 0; off < buf.length;) off += await Deno.stdout.write(buf.subarray(off));
}

/** Stream every JPEG of `dir` as raw CHW frames of `w`x`h` on stdout. */
async function produce(dir: string, w: number, h: number, scaled: boolean): Promise<void> {
  const decoder = scaled ? await jpegWasm.init() : null;
  const chw = new Uint8Array(3 * w * h);
  for (const file of listJpegs(dir)) {
    const jpeg = await Deno.readFile(file);
    const img = decoder ? decodeScaled(decoder, jpeg, w, h) : await Image.decode(jpeg);
    img.resize(w, h);
    rgbaToChw(img.bitmap, chw, w * h);
    await writeAll(chw);
  }
}

/**
 * Decode-only timings, ms/frame (median of `repeats` passes after a warm-up pass over the
 * first `limit` files): `Image.decode` (public API: wasm decode + JS expansion to RGBA) and the
 * JPEG wasm alone at full scale (RGB out).
 */
async function decodeTimes(dir: string, limit: number, repeats: number) {
  const jpegs = await Promise.all(listJpegs(dir).slice(0, limit).map((f) => Deno.readFile(f)));
  const decoder = await jpegWasm.init();
  const time = async (fn: (b: Uint8Array) => unknown): Promise<number> => {
    for (const b of jpegs) await fn(b);
    const xs: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      for (const b of jpegs) await fn(b);
      xs.push((performance.now() - t0) / jpegs.length);
    }
    return median(xs);
  };
  return {
    frames: jpegs.length,
    image_decode_ms: await time((b) => Image.decode(b)),
    wasm_decode_ms: await time((b) => decoder.decode(b)),
  };
}

/** Entry point. */
async function main(): Promise<void> {
  const { values: v, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      size: { type: "string", default: "853x480" },
      scaled: { type: "boolean", default: false },
      decode: { type: "boolean", default: false },
      probe: { type: "boolean", default: false },
      limit: { type: "string", default: "16" },
      repeats: { type: "string", default: "3" },
    },
  });
  if (v.probe) {
    await jpegWasm.init();
    new Image(1, 1).resize(2, 2);
    console.log("ok");
    return;
  }
  const dir = positionals[0];
  if (!dir) throw new Error("usage: imagescript_producer.ts DIR [--size WxH] [--scaled]");
  if (v.decode) {
    console.log(JSON.stringify(await decodeTimes(dir, Number(v.limit), Number(v.repeats))));
    return;
  }
  const [w, h] = v.size!.split("x").map(Number);
  await produce(dir, w, h, v.scaled === true);
}

if (import.meta.main) await main();
