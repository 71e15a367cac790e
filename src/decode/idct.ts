/**
 * Inverse DCTs: the accurate integer 8x8 IDCT (the Loeffler-Ligtenberg-Moschytz
 * algorithm with 13-bit constants, as in libjpeg's `jpeg_idct_islow`) and
 * reduced-size IDCTs (4x4, 2x2, 1x1) for DCT-domain downscaling.
 *
 * All take dequantised coefficients in natural order and write clamped
 * 8-bit samples (level shift +128) into a plane.
 *
 * @module
 */

const CONST_BITS = 13;
const PASS1_BITS = 2;
const FIX_0_298631336 = 2446;
const FIX_0_390180644 = 3196;
const FIX_0_541196100 = 4433;
const FIX_0_765366865 = 6270;
const FIX_0_899976223 = 7373;
const FIX_1_175875602 = 9633;
const FIX_1_501321110 = 12299;
const FIX_1_847759065 = 15137;
const FIX_1_961570560 = 16069;
const FIX_2_053119869 = 16819;
const FIX_2_562915447 = 20995;
const FIX_3_072711026 = 25172;

const ws = new Int32Array(64);

/** Clamp table: `CLAMP[v + 512]` = v clamped to 0..255 for v in -512..1535 (values outside are clamped first). */
const CLAMP = new Uint8Array(2048);
for (let i = 0; i < 2048; i++) {
  const v = i - 512;
  CLAMP[i] = v < 0 ? 0 : v > 255 ? 255 : v;
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * Accurate integer 8x8 IDCT (libjpeg `jpeg_idct_islow` arithmetic).
 *
 * @param blk 64 dequantised coefficients, natural order.
 * @param out Destination plane.
 * @param off Offset of the block's top-left sample in `out`.
 * @param stride Row stride of `out`.
 * @returns Nothing; writes 8x8 samples.
 * @example
 * ```ts
 * idct8x8(blk, plane, 0, 64);
 * ```
 */
export function idct8x8(blk: Int32Array, out: Uint8Array, off: number, stride: number): void {
  // Pass 1: columns -> workspace, scaled up by 2^PASS1_BITS.
  for (let c = 0; c < 8; c++) {
    const d1 = blk[8 + c], d2 = blk[16 + c], d3 = blk[24 + c], d4 = blk[32 + c];
    const d5 = blk[40 + c], d6 = blk[48 + c], d7 = blk[56 + c];
    if ((d1 | d2 | d3 | d4 | d5 | d6 | d7) === 0) {
      const dc = blk[c] * 4;
      ws[c] = dc;
      ws[8 + c] = dc;
      ws[16 + c] = dc;
      ws[24 + c] = dc;
      ws[32 + c] = dc;
      ws[40 + c] = dc;
      ws[48 + c] = dc;
      ws[56 + c] = dc;
      continue;
    }
    // Even part.
    let z1 = (d2 + d6) * FIX_0_541196100;
    const t2 = z1 - d6 * FIX_1_847759065;
    const t3 = z1 + d2 * FIX_0_765366865;
    const d0 = blk[c];
    const t0 = (d0 + d4) * 8192;
    const t1 = (d0 - d4) * 8192;
    const t10 = t0 + t3;
    const t13 = t0 - t3;
    const t11 = t1 + t2;
    const t12 = t1 - t2;
    // Odd part.
    z1 = d7 + d1;
    let z2 = d5 + d3;
    let z3 = d7 + d3;
    let z4 = d5 + d1;
    const z5 = (z3 + z4) * FIX_1_175875602;
    let o0 = d7 * FIX_0_298631336;
    let o1 = d5 * FIX_2_053119869;
    let o2 = d3 * FIX_3_072711026;
    let o3 = d1 * FIX_1_501321110;
    z1 *= -FIX_0_899976223;
    z2 *= -FIX_2_562915447;
    z3 = z3 * -FIX_1_961570560 + z5;
    z4 = z4 * -FIX_0_390180644 + z5;
    o0 += z1 + z3;
    o1 += z2 + z4;
    o2 += z2 + z3;
    o3 += z1 + z4;
    const R = 1 << (CONST_BITS - PASS1_BITS - 1);
    const S = CONST_BITS - PASS1_BITS;
    ws[c] = (t10 + o3 + R) >> S;
    ws[56 + c] = (t10 - o3 + R) >> S;
    ws[8 + c] = (t11 + o2 + R) >> S;
    ws[48 + c] = (t11 - o2 + R) >> S;
    ws[16 + c] = (t12 + o1 + R) >> S;
    ws[40 + c] = (t12 - o1 + R) >> S;
    ws[24 + c] = (t13 + o0 + R) >> S;
    ws[32 + c] = (t13 - o0 + R) >> S;
  }
  // Pass 2: rows -> samples.
  const S2 = CONST_BITS + PASS1_BITS + 3;
  const R2 = 1 << (S2 - 1);
  for (let r = 0; r < 64; r += 8) {
    const d1 = ws[r + 1], d2 = ws[r + 2], d3 = ws[r + 3], d4 = ws[r + 4];
    const d5 = ws[r + 5], d6 = ws[r + 6], d7 = ws[r + 7];
    const d0 = ws[r];
    if ((d1 | d2 | d3 | d4 | d5 | d6 | d7) === 0) {
      const v = clamp(((d0 + 16) >> 5) + 128);
      out[off] = v;
      out[off + 1] = v;
      out[off + 2] = v;
      out[off + 3] = v;
      out[off + 4] = v;
      out[off + 5] = v;
      out[off + 6] = v;
      out[off + 7] = v;
      off += stride;
      continue;
    }
    let z1 = (d2 + d6) * FIX_0_541196100;
    const t2 = z1 - d6 * FIX_1_847759065;
    const t3 = z1 + d2 * FIX_0_765366865;
    const t0 = (d0 + d4) * 8192;
    const t1 = (d0 - d4) * 8192;
    const t10 = t0 + t3;
    const t13 = t0 - t3;
    const t11 = t1 + t2;
    const t12 = t1 - t2;
    z1 = d7 + d1;
    let z2 = d5 + d3;
    let z3 = d7 + d3;
    let z4 = d5 + d1;
    const z5 = (z3 + z4) * FIX_1_175875602;
    let o0 = d7 * FIX_0_298631336;
    let o1 = d5 * FIX_2_053119869;
    let o2 = d3 * FIX_3_072711026;
    let o3 = d1 * FIX_1_501321110;
    z1 *= -FIX_0_899976223;
    z2 *= -FIX_2_562915447;
    z3 = z3 * -FIX_1_961570560 + z5;
    z4 = z4 * -FIX_0_390180644 + z5;
    o0 += z1 + z3;
    o1 += z2 + z4;
    o2 += z2 + z3;
    o3 += z1 + z4;
    out[off] = CLAMP[(((t10 + o3 + R2) >> S2) + 640) & 2047];
    out[off + 7] = CLAMP[(((t10 - o3 + R2) >> S2) + 640) & 2047];
    out[off + 1] = CLAMP[(((t11 + o2 + R2) >> S2) + 640) & 2047];
    out[off + 6] = CLAMP[(((t11 - o2 + R2) >> S2) + 640) & 2047];
    out[off + 2] = CLAMP[(((t12 + o1 + R2) >> S2) + 640) & 2047];
    out[off + 5] = CLAMP[(((t12 - o1 + R2) >> S2) + 640) & 2047];
    out[off + 3] = CLAMP[(((t13 + o0 + R2) >> S2) + 640) & 2047];
    out[off + 4] = CLAMP[(((t13 - o0 + R2) >> S2) + 640) & 2047];
    off += stride;
  }
}

/**
 * Fill an n x n block from a DC-only coefficient set (same rounding as the full IDCT).
 *
 * @param dc Dequantised DC coefficient.
 * @param n Block size (8, 4, 2 or 1).
 * @param out Destination plane.
 * @param off Offset of the block's top-left sample.
 * @param stride Row stride.
 * @returns Nothing.
 * @example
 * ```ts
 * idctDcOnly(blk[0], 8, plane, 0, 64);
 * ```
 */
export function idctDcOnly(
  dc: number,
  n: number,
  out: Uint8Array,
  off: number,
  stride: number,
): void {
  const v = clamp(((dc + 4) >> 3) + 128);
  if (n === 8) {
    for (let y = 0; y < 8; y++, off += stride) {
      out[off] = v;
      out[off + 1] = v;
      out[off + 2] = v;
      out[off + 3] = v;
      out[off + 4] = v;
      out[off + 5] = v;
      out[off + 6] = v;
      out[off + 7] = v;
    }
    return;
  }
  for (let y = 0; y < n; y++, off += stride) {
    for (let x = 0; x < n; x++) out[off + x] = v;
  }
}

// Reduced IDCT basis, fixed point (x 2^12): T_n[x][u] = C(u) cos((2x+1) u pi / 2n) / 2.
function basis(n: number): Int32Array {
  const t = new Int32Array(n * n);
  for (let x = 0; x < n; x++) {
    for (let u = 0; u < n; u++) {
      const c = (u === 0 ? Math.SQRT1_2 : 1) * Math.cos(((2 * x + 1) * u * Math.PI) / (2 * n)) / 2;
      t[x * n + u] = Math.round(c * 4096);
    }
  }
  return t;
}
const T4 = basis(4);
const A0 = T4[0], A1 = T4[1], A2 = T4[2], A3 = T4[3]; // row x=0: c0, c1, c2, c3
const B1 = T4[5], B3 = T4[7]; // row x=1: u=1, u=3 (u=2 is -A2)
const H = T4[0]; // 2-point: C(0)/2 for both, and cos(pi/4)/2 for u=1
const iws = new Int32Array(16);

/**
 * Reduced-size IDCT: an n-point IDCT (n = 4, 2 or 1) of the top-left n x n
 * coefficients, giving the block downscaled by 8/n (T.81 DCT basis, same DC
 * gain), in 12-bit fixed point with 2 extra bits kept between the passes.
 *
 * @param blk 64 dequantised coefficients, natural order.
 * @param n Output block size: 4, 2 or 1.
 * @param out Destination plane.
 * @param off Offset of the block's top-left sample.
 * @param stride Row stride.
 * @returns Nothing.
 * @example
 * ```ts
 * idctReduced(blk, 4, plane, 0, 32);
 * ```
 */
export function idctReduced(
  blk: Int32Array,
  n: number,
  out: Uint8Array,
  off: number,
  stride: number,
): void {
  if (n === 1) {
    out[off] = clamp(((blk[0] + 4) >> 3) + 128);
    return;
  }
  if (n === 2) {
    const f00 = blk[0], f01 = blk[1], f10 = blk[8], f11 = blk[9];
    // g(x,y) = sum T2[y][v] T2[x][u] F(v,u) with T2 = [[H, H], [H, -H]].
    const s0 = (f00 + f10) * H, d0 = (f00 - f10) * H; // column u=0, rows y=0/1
    const s1 = (f01 + f11) * H, d1 = (f01 - f11) * H; // column u=1
    const R = 1 << 23;
    out[off] = clamp((((s0 + s1) * H + R) >> 24) + 128);
    out[off + 1] = clamp((((s0 - s1) * H + R) >> 24) + 128);
    out[off + stride] = clamp((((d0 + d1) * H + R) >> 24) + 128);
    out[off + stride + 1] = clamp((((d0 - d1) * H + R) >> 24) + 128);
    return;
  }
  // 4-point: even part (u=0,2) and odd part (u=1,3); rows x=0..3:
  // x0 = A0 f0 + A1 f1 + A2 f2 + A3 f3, x1 = A0 f0 + B1 f1 - A2 f2 + B3 f3,
  // x2 = A0 f0 - B1 f1 - A2 f2 - B3 f3, x3 = A0 f0 - A1 f1 + A2 f2 - A3 f3.
  for (let u = 0; u < 4; u++) {
    const f0 = blk[u], f1 = blk[8 + u], f2 = blk[16 + u], f3 = blk[24 + u];
    const e0 = f0 * A0 + f2 * A2, e1 = f0 * A0 - f2 * A2;
    const o0 = f1 * A1 + f3 * A3, o1 = f1 * B1 + f3 * B3;
    iws[u] = (e0 + o0 + 512) >> 10;
    iws[4 + u] = (e1 + o1 + 512) >> 10;
    iws[8 + u] = (e1 - o1 + 512) >> 10;
    iws[12 + u] = (e0 - o0 + 512) >> 10;
  }
  const R = 1 << 13;
  for (let y = 0; y < 16; y += 4, off += stride) {
    const f0 = iws[y], f1 = iws[y + 1], f2 = iws[y + 2], f3 = iws[y + 3];
    const e0 = f0 * A0 + f2 * A2, e1 = f0 * A0 - f2 * A2;
    const o0 = f1 * A1 + f3 * A3, o1 = f1 * B1 + f3 * B3;
    out[off] = clamp(((e0 + o0 + R) >> 14) + 128);
    out[off + 1] = clamp(((e1 + o1 + R) >> 14) + 128);
    out[off + 2] = clamp(((e1 - o1 + R) >> 14) + 128);
    out[off + 3] = clamp(((e0 - o0 + R) >> 14) + 128);
  }
}
