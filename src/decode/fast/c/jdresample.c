/*
 * Resampling to the target size: tap tables (nearest, bilinear, area), the horizontal and
 * vertical filters and the row ring.
 * Part of the fast-path decoder; compiled as one unit through jpeg.c.
 */
/* -- resampling -- */

static double dfloor(double x) {
  double t = (double)(i64)x;
  return t > x ? t - 1 : t;
}

/* Build taps for dn destination samples over [off, off+len) of srcn samples. */
static int build_taps(Tap *taps, i16 *wts, int dn, double off, double len, int srcn, int method) {
  double r = len / dn;
  int wi = 0, maxn = 1;
  if (method == 1 && r > 2.0) method = 2;
  for (int d = 0; d < dn; d++) {
    Tap *t = &taps[d];
    t->w = wi;
    if (method == 0) {
      double sx = off + (d + 0.5) * r;
      int i = (int)dfloor(sx);
      if (i < 0) i = 0;
      if (i > srcn - 1) i = srcn - 1;
      t->start = i; t->n = 1; wts[wi++] = 16384;
    } else if (method == 1) {
      double sx = off + (d + 0.5) * r - 0.5;
      double fl = dfloor(sx);
      int i0 = (int)fl, i1 = i0 + 1;
      int w1 = (int)((sx - fl) * 16384.0 + 0.5);
      if (i0 < 0) i0 = 0;
      if (i0 > srcn - 1) i0 = srcn - 1;
      if (i1 < 0) i1 = 0;
      if (i1 > srcn - 1) i1 = srcn - 1;
      if (i0 == i1 || w1 == 0) { t->start = i0; t->n = 1; wts[wi++] = 16384; }
      else if (w1 == 16384) { t->start = i1; t->n = 1; wts[wi++] = 16384; }
      else { t->start = i0; t->n = 2; wts[wi++] = (i16)(16384 - w1); wts[wi++] = (i16)w1; }
    } else {
      double a = off + d * r, b = a + r;
      if (a < 0) a = 0;
      if (b > srcn) b = srcn;
      if (b <= a) {
        int i = (int)dfloor(a);
        if (i > srcn - 1) i = srcn - 1;
        if (i < 0) i = 0;
        t->start = i; t->n = 1; wts[wi++] = 16384;
      } else {
        int i0 = (int)dfloor(a), i1 = (int)dfloor(b);
        if ((double)i1 == b) i1--;
        if (i1 > srcn - 1) i1 = srcn - 1;
        double tot = b - a;
        int sum = 0, big = wi;
        t->start = i0; t->n = i1 - i0 + 1;
        for (int i = i0; i <= i1; i++) {
          double lo = a > i ? a : i, hi = b < i + 1 ? b : i + 1;
          int w = (int)((hi - lo) / tot * 16384.0 + 0.5);
          wts[wi] = (i16)w;
          if (w > wts[big]) big = wi;
          sum += w;
          wi++;
        }
        wts[big] = (i16)(wts[big] + (16384 - sum));
      }
    }
    if (t->n > maxn) maxn = t->n;
  }
  return maxn;
}


static void hfilter(const u8 *src, i16 *dst) {
  int dw = D.rs.dw;
  if (D.rs.maxnx <= 2) {
    const i32 *x0 = D.rs.x0, *x1 = D.rs.x1, *w0 = D.rs.xw0, *w1 = D.rs.xw1;
    const v128_t rnd = g_vk[14];
    int ng = D.rs.ngroups;
    for (int g = 0; g < ng; g++) {
      i32 base = D.rs.gbase[g];
      int d0 = 8 * g;
      if (UNLIKELY(base < 0)) {
        for (int d = d0; d < d0 + 8; d++) dst[d] = (i16)((w0[d] * src[x0[d]] + w1[d] * src[x1[d]] + 64) >> 7);
        continue;
      }
      /* src has >= 64 bytes of slack past the row, so 16 bytes at base are readable */
      v128_t p = wasm_i8x16_swizzle(wasm_v128_load(src + base), wasm_v128_load(D.rs.gmask + 16 * g));
      v128_t a = wasm_i32x4_dot_i16x8(wasm_u16x8_extend_low_u8x16(p), wasm_v128_load(D.rs.gw + 16 * g));
      v128_t b = wasm_i32x4_dot_i16x8(wasm_u16x8_extend_high_u8x16(p), wasm_v128_load(D.rs.gw + 16 * g + 8));
      a = wasm_i32x4_shr(wasm_i32x4_add(a, rnd), 7);
      b = wasm_i32x4_shr(wasm_i32x4_add(b, rnd), 7);
      wasm_v128_store(dst + d0, wasm_i16x8_narrow_i32x4(a, b));
    }
    for (int d = 8 * ng; d < dw; d++) dst[d] = (i16)((w0[d] * src[x0[d]] + w1[d] * src[x1[d]] + 64) >> 7);
    return;
  }
  if (D.rs.maxnx <= 4) {
    const i32 *x0 = D.rs.x0, *w = D.rs.xw4;
    for (int d = 0; d < dw; d++, w += 4) {
      const u8 *s = src + x0[d];
      dst[d] = (i16)((w[0] * s[0] + w[1] * s[1] + w[2] * s[2] + w[3] * s[3] + 64) >> 7);
    }
    return;
  }
  const Tap *xt = D.rs.xt;
  const i16 *xw = D.rs.xw;
  for (int d = 0; d < dw; d++) {
    const Tap t = xt[d];
    const u8 *s = src + t.start;
    const i16 *w = xw + t.w;
    i32 acc = 64;
    for (int j = 0; j < t.n; j++) acc += w[j] * s[j];
    dst[d] = (i16)(acc >> 7);
  }
}

/* Vertical pass for one channel: n rows of horizontally filtered values
 * (value * 128) with 14-bit weights -> u8 row (contiguous). */
static void vfilter(const i16 **rows, const i16 *w, int n, u8 *o, int dw) {
  int x = 0;
  if (n == 1) {
    const i16 *r0 = rows[0];
    v128_t rnd = g_vk2[4];
    for (; x + 16 <= dw; x += 16) {
      v128_t a = wasm_u16x8_shr(wasm_i16x8_add(wasm_v128_load(r0 + x), rnd), 7);
      v128_t b = wasm_u16x8_shr(wasm_i16x8_add(wasm_v128_load(r0 + x + 8), rnd), 7);
      wasm_v128_store(o + x, wasm_u8x16_narrow_i16x8(a, b));
    }
    for (; x < dw; x++) { int v = (r0[x] + 64) >> 7; o[x] = (u8)(v > 255 ? 255 : v); }
    return;
  }
  if (n == 2) {
    const i16 *r0 = rows[0], *r1 = rows[1];
    v128_t wp = wasm_i32x4_splat((i32)(((u32)(u16)w[1] << 16) | (u16)w[0]));
    v128_t rnd = g_vk[15];
    for (; x + 8 <= dw; x += 8) {
      v128_t a = wasm_v128_load(r0 + x), b = wasm_v128_load(r1 + x);
      v128_t lo = wasm_i16x8_shuffle(a, b, 0, 8, 1, 9, 2, 10, 3, 11);
      v128_t hi = wasm_i16x8_shuffle(a, b, 4, 12, 5, 13, 6, 14, 7, 15);
      v128_t sl = wasm_i32x4_shr(wasm_i32x4_add(wasm_i32x4_dot_i16x8(lo, wp), rnd), 21);
      v128_t sh = wasm_i32x4_shr(wasm_i32x4_add(wasm_i32x4_dot_i16x8(hi, wp), rnd), 21);
      v128_t p = wasm_u8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(sl, sh), sl);
      wasm_v128_store64_lane(o + x, p, 0);
    }
    for (; x < dw; x++) {
      int v = (w[0] * r0[x] + w[1] * r1[x] + (1 << 20)) >> 21;
      o[x] = (u8)(v > 255 ? 255 : v);
    }
    return;
  }
  i32 *acc = D.rs.acc;
  for (x = 0; x < dw; x++) acc[x] = 1 << 20;
  for (int j = 0; j < n; j++) {
    const i16 *r = rows[j];
    i32 wj = w[j];
    for (x = 0; x < dw; x++) acc[x] += wj * r[x];
  }
  for (x = 0; x < dw; x++) {
    int v = acc[x] >> 21;
    o[x] = (u8)(v > 255 ? 255 : v);
  }
}

static void resample_run(u8 *out) {
  int slots = D.rs.maxny + 1, nch = D.rs.nch, dw = D.rs.dw;
  for (int s = 0; s < slots; s++) D.rs.tags[s] = -1;
  u32 plane = (u32)D.rs.outw * D.rs.outh;
  const i16 **rows = D.rs.rows;
  for (int dy = 0; dy < D.rs.dh; dy++) {
    const Tap t = D.rs.yt[dy];
    for (int j = 0; j < t.n; j++) {
      int sy = t.start + j, slot = sy % slots;
      if (D.rs.tags[slot] != sy) {
        produce_row(sy, D.rs.srow, nch);
        for (int c = 0; c < nch; c++) hfilter(D.rs.srow[c], D.rs.ring + ((u32)slot * nch + c) * dw);
        D.rs.tags[slot] = sy;
      }
    }
    u32 oy = (u32)(D.rs.dy0 + dy);
    for (int c = 0; c < nch; c++) {
      int n = t.n;
      for (int j = 0; j < n; j++) rows[j] = D.rs.ring + ((u32)((t.start + j) % slots) * nch + c) * dw;
      if (D.rs.layout == 0 || nch == 1) {
        vfilter(rows, D.rs.yw + t.w, n, out + c * plane + oy * D.rs.outw + D.rs.dx0, dw);
      } else {
        u8 *tmp = D.rs.srow[c];
        vfilter(rows, D.rs.yw + t.w, n, tmp, dw);
      }
    }
    if (D.rs.layout == 1 && nch == 3)
      interleave3(D.rs.srow[0], D.rs.srow[1], D.rs.srow[2], out + (oy * D.rs.outw + D.rs.dx0) * 3, dw);
  }
}
