/*
 * Output rows: chroma upsampling (libjpeg's triangle filters and replication), YCbCr / RGB /
 * grey colour conversion and the interleaved (HWC) stores.
 * Part of the fast-path decoder; compiled as one unit through jpeg.c.
 */
/* ---- output: chroma upsampling, colour conversion, resampling ---------------- */

/* The horizontal pass of the h2 triangle filters over n sums cs[0..n-1] (h2v2: 3 near + far
 * rows; h2v1: the row itself), edges replicated into cs[-1] and cs[n]:
 *   out[2i] = (3 cs[i] + cs[i-1] + re) >> sh,  out[2i+1] = (3 cs[i] + cs[i+1] + ro) >> sh,
 * with vre, vro the splatted re, ro. */
INLINE void h2_triangle(u16 *cs, u8 *tmp, int n, v128_t vre, v128_t vro, int re, int ro, int sh) {
  cs[-1] = cs[0];
  cs[n] = cs[n - 1];
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    v128_t m = wasm_v128_load(cs + i), p = wasm_v128_load(cs + i - 1), nx = wasm_v128_load(cs + i + 1);
    v128_t m3 = wasm_i16x8_add(m, wasm_i16x8_shl(m, 1));
    v128_t ev = wasm_u16x8_shr(wasm_i16x8_add(wasm_i16x8_add(m3, p), vre), sh);
    v128_t od = wasm_u16x8_shr(wasm_i16x8_add(wasm_i16x8_add(m3, nx), vro), sh);
    /* both <= 255: byte pairs (ev, od) are the i16 lanes ev | od << 8 */
    wasm_v128_store(tmp + 2 * i, wasm_v128_or(ev, wasm_i16x8_shl(od, 8)));
  }
  for (; i < n; i++) {
    tmp[2 * i] = (u8)((3 * cs[i] + cs[i - 1] + re) >> sh);
    tmp[2 * i + 1] = (u8)((3 * cs[i] + cs[i + 1] + ro) >> sh);
  }
}

/* Row y (decoded coordinates) of component c at full decoded width into tmp (or a
 * pointer straight into the plane). */
static const u8 *comp_row(Comp *c, int y, u8 *tmp, int outw) {
  if (c->rh == 1 && c->rv == 1) return c->plane + (u32)y * c->stride;
  int n = c->sw, sh = c->sh;
  /* libjpeg-turbo (jdsample.c jinit_upsampler): the h2v1 / h2v2 triangle filters only for
   * components more than 2 samples wide, replication otherwise; h1v2 whatever the width. */
  if (D.fancy && c->rh == 2 && (c->rv == 1 || c->rv == 2) && n > 2) {
    u16 *cs = D.colsum + 1;
    int cy = y / c->rv;
    if (cy >= sh) cy = sh - 1;
    const u8 *near = c->plane + (u32)cy * c->stride;
    if (c->rv == 2) {
      int fy = (y & 1) ? cy + 1 : cy - 1;
      if (fy < 0) fy = 0;
      if (fy >= sh) fy = sh - 1;
      const u8 *far = c->plane + (u32)fy * c->stride;
      int i = 0;
      for (; i + 8 <= n; i += 8) {
        v128_t a = wasm_u16x8_load8x8(near + i), b = wasm_u16x8_load8x8(far + i);
        wasm_v128_store(cs + i, wasm_i16x8_add(wasm_i16x8_add(a, wasm_i16x8_shl(a, 1)), b));
      }
      for (; i < n; i++) cs[i] = (u16)(3 * near[i] + far[i]);
      h2_triangle(cs, tmp, n, g_vk2[0], g_vk2[1], 8, 7, 4);
    } else {
      /* h2v1: triangle filter on one row */
      for (int i = 0; i < n; i++) cs[i] = near[i];
      h2_triangle(cs, tmp, n, g_vk2[2], g_vk2[3], 1, 2, 2);
    }
    return tmp;
  }
  if (D.fancy && c->rh == 1 && c->rv == 2) {
    int cy = y >> 1;
    if (cy >= sh) cy = sh - 1;
    int fy = (y & 1) ? cy + 1 : cy - 1;
    if (fy < 0) fy = 0;
    if (fy >= sh) fy = sh - 1;
    const u8 *near = c->plane + (u32)cy * c->stride, *far = c->plane + (u32)fy * c->stride;
    int bias = (y & 1) ? 2 : 1;
    for (int i = 0; i < outw; i++) tmp[i] = (u8)((3 * near[i] + far[i] + bias) >> 2);
    return tmp;
  }
  /* replicate */
  int cy = y / c->rv;
  if (cy >= sh) cy = sh - 1;
  const u8 *src = c->plane + (u32)cy * c->stride;
  if (c->rh == 1) return src;
  if (c->rh == 2) {
    for (int i = 0; i < outw; i++) tmp[i] = src[i >> 1];
  } else {
    int rh = c->rh;
    for (int i = 0; i < outw; i++) tmp[i] = src[i / rh];
  }
  return tmp;
}

/* 16 pixels of YCbCr -> R, G, B (u8x16 each). */
INLINE void ycc16(const u8 *y, const u8 *cb, const u8 *cr, v128_t *R, v128_t *G, v128_t *B) {
  v128_t c128 = g_vk[0];
  v128_t kr = g_vk[1], kgb = g_vk[2], kgr = g_vk[3], kb = g_vk[4];
  {
    v128_t Y = wasm_v128_load(y), CB = wasm_v128_load(cb), CR = wasm_v128_load(cr);
    v128_t yl = wasm_u16x8_extend_low_u8x16(Y), yh = wasm_u16x8_extend_high_u8x16(Y);
    v128_t bl = wasm_i16x8_sub(wasm_u16x8_extend_low_u8x16(CB), c128);
    v128_t bh = wasm_i16x8_sub(wasm_u16x8_extend_high_u8x16(CB), c128);
    v128_t rl = wasm_i16x8_sub(wasm_u16x8_extend_low_u8x16(CR), c128);
    v128_t rh = wasm_i16x8_sub(wasm_u16x8_extend_high_u8x16(CR), c128);
    v128_t Rl = wasm_i16x8_add(wasm_i16x8_add(yl, rl), wasm_i16x8_q15mulr_sat(rl, kr));
    v128_t Rh = wasm_i16x8_add(wasm_i16x8_add(yh, rh), wasm_i16x8_q15mulr_sat(rh, kr));
    v128_t Gl = wasm_i16x8_add(yl, wasm_i16x8_add(wasm_i16x8_q15mulr_sat(bl, kgb), wasm_i16x8_q15mulr_sat(rl, kgr)));
    v128_t Gh = wasm_i16x8_add(yh, wasm_i16x8_add(wasm_i16x8_q15mulr_sat(bh, kgb), wasm_i16x8_q15mulr_sat(rh, kgr)));
    v128_t Bl = wasm_i16x8_add(wasm_i16x8_add(yl, bl), wasm_i16x8_q15mulr_sat(bl, kb));
    v128_t Bh = wasm_i16x8_add(wasm_i16x8_add(yh, bh), wasm_i16x8_q15mulr_sat(bh, kb));
    *R = wasm_u8x16_narrow_i16x8(Rl, Rh);
    *G = wasm_u8x16_narrow_i16x8(Gl, Gh);
    *B = wasm_u8x16_narrow_i16x8(Bl, Bh);
  }
}

INLINE void ycc1(const u8 *y, const u8 *cb, const u8 *cr, u8 *r, u8 *g, u8 *b) {
  int Y = *y, CB = *cb - 128, CR = *cr - 128;
  *r = clamp_u8(Y + CR + ((CR * 13173 + 16384) >> 15));
  *g = clamp_u8(Y + ((CB * -11277 + 16384) >> 15) + ((CR * -23401 + 16384) >> 15));
  *b = clamp_u8(Y + CB + ((CB * 25297 + 16384) >> 15));
}

static void ycc_to_rgb(const u8 *y, const u8 *cb, const u8 *cr, u8 *r, u8 *g, u8 *b, int n) {
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    v128_t R, G, B;
    ycc16(y + i, cb + i, cr + i, &R, &G, &B);
    wasm_v128_store(r + i, R);
    wasm_v128_store(g + i, G);
    wasm_v128_store(b + i, B);
  }
  for (; i < n; i++) ycc1(y + i, cb + i, cr + i, r + i, g + i, b + i);
}

static void rgb_to_gray(const u8 *r, const u8 *g, const u8 *b, u8 *o, int n) {
  for (int i = 0; i < n; i++) o[i] = (u8)((r[i] * 19595 + g[i] * 38470 + b[i] * 7471 + 32768) >> 16);
}


/* Produce decoded row y as nch planar channel rows into dst[]. dst may point
 * straight into the output. */
static void produce_row(int y, u8 **dst, int nch) {
  int w = D.outw;
  if (D.ncomp == 1) {
    const u8 *s = D.comp[0].plane + (u32)y * D.comp[0].stride;
    for (int c = 0; c < nch; c++) __builtin_memcpy(dst[c], s, (unsigned long)w);
    return;
  }
  const u8 *c0 = comp_row(&D.comp[0], y, D.tmp[0], w);
  if (nch == 1 && !D.rgb) { __builtin_memcpy(dst[0], c0, (unsigned long)w); return; }
  const u8 *c1 = comp_row(&D.comp[1], y, D.tmp[1], w);
  const u8 *c2 = comp_row(&D.comp[2], y, D.tmp[2], w);
  if (D.rgb) {
    if (nch == 1) { rgb_to_gray(c0, c1, c2, dst[0], w); return; }
    __builtin_memcpy(dst[0], c0, (unsigned long)w);
    __builtin_memcpy(dst[1], c1, (unsigned long)w);
    __builtin_memcpy(dst[2], c2, (unsigned long)w);
    return;
  }
  ycc_to_rgb(c0, c1, c2, dst[0], dst[1], dst[2], w);
}

/* 16 pixels R, G, B -> 48 bytes RGBRGB... */
INLINE void store_rgb48(v128_t R, v128_t G, v128_t B, u8 *o) {
  const v128_t *m = g_vk + 5;
  for (int j = 0; j < 3; j++)
    wasm_v128_store(o + 16 * j, wasm_v128_or(wasm_v128_or(wasm_i8x16_swizzle(R, m[3 * j]),
                                                          wasm_i8x16_swizzle(G, m[3 * j + 1])),
                                             wasm_i8x16_swizzle(B, m[3 * j + 2])));
}

static void interleave3(const u8 *r, const u8 *g, const u8 *b, u8 *o, int n) {
  int i = 0;
  for (; i + 16 <= n; i += 16)
    store_rgb48(wasm_v128_load(r + i), wasm_v128_load(g + i), wasm_v128_load(b + i), o + 3 * i);
  for (; i < n; i++) { o[3 * i] = r[i]; o[3 * i + 1] = g[i]; o[3 * i + 2] = b[i]; }
}

/* Decoded row y as interleaved RGB straight into o (colour conversion fused
 * with the interleave for YCbCr). */
static void produce_row_hwc(int y, u8 *o) {
  int w = D.outw;
  if (D.ncomp != 3 || D.rgb) {
    produce_row(y, D.rgbrow, 3);
    interleave3(D.rgbrow[0], D.rgbrow[1], D.rgbrow[2], o, w);
    return;
  }
  const u8 *c0 = comp_row(&D.comp[0], y, D.tmp[0], w);
  const u8 *c1 = comp_row(&D.comp[1], y, D.tmp[1], w);
  const u8 *c2 = comp_row(&D.comp[2], y, D.tmp[2], w);
  int i = 0;
  for (; i + 16 <= w; i += 16) {
    v128_t R, G, B;
    ycc16(c0 + i, c1 + i, c2 + i, &R, &G, &B);
    store_rgb48(R, G, B, o + 3 * i);
  }
  for (; i < w; i++) ycc1(c0 + i, c1 + i, c2 + i, o + 3 * i, o + 3 * i + 1, o + 3 * i + 2);
}
