/**
 * resizeInto(): the two-tap bilinear and fused-store paths against an independent per-pixel
 * bilinear formula (pixel centres, clamp to edge), on random images of odd sizes.
 */
import assert from "node:assert/strict";
import { resizeInto } from "../src/transform/resize.ts";

/** Bilinear at pixel centres with clamp-to-edge, written directly from the module's contract. */
function bilinearRef(
  src: Uint8Array,
  sw: number,
  sh: number,
  ch: number,
  W: number,
  H: number,
): Uint8Array {
  const out = new Uint8Array(W * H * ch); // HWC
  const clamp = (v: number, hi: number) => Math.max(0, Math.min(hi, v));
  for (let y = 0; y < H; y++) {
    const cy = (y + 0.5) * (sh / H) - 0.5, y0 = Math.floor(cy), fy = cy - y0;
    for (let x = 0; x < W; x++) {
      const cx = (x + 0.5) * (sw / W) - 0.5, x0 = Math.floor(cx), fx = cx - x0;
      for (let c = 0; c < ch; c++) {
        const at = (xx: number, yy: number) =>
          src[(clamp(yy, sh - 1) * sw + clamp(xx, sw - 1)) * ch + c];
        const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
        const bot = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
        out[(y * W + x) * ch + c] = Math.round(top * (1 - fy) + bot * fy);
      }
    }
  }
  return out;
}

Deno.test("resizeInto() bilinear within 2x matches a per-pixel bilinear formula (grey and RGB, both layouts)", () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const cases: [number, number, number, number][] = [
    [854, 48, 853, 48],
    [17, 9, 30, 13],
    [30, 13, 17, 9],
    [2, 2, 3, 3],
    [5, 7, 4, 7],
    [64, 1, 33, 2],
  ];
  for (const [sw, sh, W, H] of cases) {
    for (const ch of [1, 3] as const) {
      const data = new Uint8Array(sw * sh * ch).map(() => (rnd() * 256) | 0);
      const ref = bilinearRef(data, sw, sh, ch, W, H);
      const img = { width: sw, height: sh, channels: ch, data, orientation: 1 };
      const hwc = resizeInto(img, { width: W, height: H, channels: ch, layout: "hwc" });
      const chw = resizeInto(img, { width: W, height: H, channels: ch, layout: "chw" });
      let max = 0;
      for (let p = 0; p < W * H; p++) {
        for (let c = 0; c < ch; c++) {
          max = Math.max(max, Math.abs(hwc[p * ch + c] - ref[p * ch + c]));
          assert.equal(chw[c * W * H + p], hwc[p * ch + c], "CHW is HWC re-laid");
        }
      }
      // float32 weights and rows: at most one level from the double-precision formula
      assert.ok(max <= 1, `${sw}x${sh}x${ch} -> ${W}x${H}: max diff ${max}`);
    }
  }
});

Deno.test("resizeInto() gives the same bytes when it reuses its scratch rows across sizes", () => {
  const big = { width: 300, height: 200, channels: 3 as const, orientation: 1 };
  const a = { ...big, data: new Uint8Array(300 * 200 * 3).map((_, i) => (i * 31) & 255) };
  const small = { width: 20, height: 10, channels: 3 as const, orientation: 1 };
  const b = { ...small, data: new Uint8Array(20 * 10 * 3).map((_, i) => (i * 17) & 255) };
  const o = { width: 19, height: 11, channels: 3 as const, layout: "chw" as const };
  const first = resizeInto(b, o);
  resizeInto(a, { width: 299, height: 201, channels: 3, layout: "chw" }); // grows the scratch
  assert.deepEqual(resizeInto(b, o), first);
});
