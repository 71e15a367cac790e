/*
 * Marker parsing (SOF, DHT, DQT, DRI, APP0/APP1/APP14) and the per-frame setup of planes,
 * output and resampler, and the output pass.
 * Part of the fast-path decoder; compiled as one unit through jpeg.c.
 */
/* ---- marker parsing ------------------------------------------------------------ */
INLINE u32 be16(const u8 *p) { return ((u32)p[0] << 8) | p[1]; }

static void parse_exif(const u8 *p, u32 n) {
  if (n < 14 || p[0] != 'E' || p[1] != 'x' || p[2] != 'i' || p[3] != 'f' || p[4] || p[5]) return;
  const u8 *t = p + 6;
  u32 tn = n - 6;
  int le;
  if (t[0] == 'I' && t[1] == 'I') le = 1;
  else if (t[0] == 'M' && t[1] == 'M') le = 0;
  else return;
#define RD16(q) (le ? ((u32)(q)[0] | ((u32)(q)[1] << 8)) : (((u32)(q)[0] << 8) | (q)[1]))
#define RD32(q) (le ? ((u32)(q)[0] | ((u32)(q)[1] << 8) | ((u32)(q)[2] << 16) | ((u32)(q)[3] << 24)) \
                    : (((u32)(q)[0] << 24) | ((u32)(q)[1] << 16) | ((u32)(q)[2] << 8) | (q)[3]))
  if (RD16(t + 2) != 42) return;
  u32 ifd = RD32(t + 4);
  if (ifd > tn || tn - ifd < 2) return;
  u32 cnt = RD16(t + ifd);
  for (u32 i = 0; i < cnt; i++) {
    u32 e = ifd + 2 + i * 12;
    if (e > tn || tn - e < 12) return;
    if (RD16(t + e) == 0x0112) {
      u32 v = RD16(t + e + 8);
      if (v >= 1 && v <= 8) D.orientation = (int)v;
      return;
    }
  }
#undef RD16
#undef RD32
}

static int parse_sof(const u8 *p, u32 n, int marker) {
  if (D.seen_sof) FAIL(E_DUP_SOF);
  D.seen_sof = 1;
  if (n < 6) FAIL(E_BAD_SOF);
  int prec = p[0];
  D.height = (int)be16(p + 1);
  D.width = (int)be16(p + 3);
  D.ncomp = p[5];
  if (n < 6u + 3u * D.ncomp || D.ncomp == 0) FAIL(E_BAD_SOF);
  if (D.width == 0 || D.height == 0) FAIL(E_ZERO_SIZE);
  D.progressive = marker == 0xC2;
  __builtin_memset(D.cbits, -1, sizeof D.cbits);
  D.hmax = D.vmax = 1;
  for (int i = 0; i < D.ncomp; i++) {
    const u8 *c = p + 6 + 3 * i;
    int h = c[1] >> 4, v = c[1] & 15;
    if (h < 1 || h > 4 || v < 1 || v > 4) FAIL(E_BAD_SAMPLING);
    if (c[2] > 3) FAIL(E_BAD_SOF);
    for (int j = 0; j < i; j++)
      if (p[6 + 3 * j] == c[0]) FAIL(E_BAD_SOF);
    if (h > D.hmax) D.hmax = h;
    if (v > D.vmax) D.vmax = v;
  }
  if (prec != 8) { D.detail = NH_PRECISION; return ST_NOT_HANDLED; }
  if (D.ncomp != 1 && D.ncomp != 3) { D.detail = NH_COMPONENTS; return ST_NOT_HANDLED; }
  int blocks = 0;
  for (int i = 0; i < D.ncomp; i++) {
    const u8 *c = p + 6 + 3 * i;
    Comp *cp = &D.comp[i];
    cp->id = c[0];
    cp->h = c[1] >> 4;
    cp->v = c[1] & 15;
    cp->tq = c[2];
    if (D.hmax % cp->h || D.vmax % cp->v) { D.detail = NH_SAMPLING; return ST_NOT_HANDLED; }
    cp->rh = D.hmax / cp->h;
    cp->rv = D.vmax / cp->v;
    blocks += cp->h * cp->v;
  }
  if (blocks > 10 && D.ncomp > 1) FAIL(E_BAD_SAMPLING);
  if (D.ncomp == 1) { /* single component: MCU = one block, whatever the factors */
    D.comp[0].h = D.comp[0].v = 1;
    D.comp[0].rh = D.comp[0].rv = 1;
    D.hmax = D.vmax = 1;
  }
  D.mcux = (D.width + 8 * D.hmax - 1) / (8 * D.hmax);
  D.mcuy = (D.height + 8 * D.vmax - 1) / (8 * D.vmax);
  return ST_OK;
}

static int parse_dht(const u8 *p, u32 n) {
  u32 i = 0;
  while (i < n) {
    if (n - i < 17) FAIL(E_BAD_DHT);
    int tc = p[i] >> 4, th = p[i] & 15;
    if (tc > 1 || th > 3) FAIL(E_BAD_DHT);
    const u8 *counts = p + i + 1;
    u32 total = 0;
    for (int k = 0; k < 16; k++) total += counts[k];
    if (total > 256 || n - i - 17 < total) FAIL(E_BAD_DHT);
    if (tc == 0)
      for (u32 k = 0; k < total; k++)
        if (p[i + 17 + k] > 15) FAIL(E_BAD_DC_SYMBOL);
    const Huff *h = huff_table(counts, p + i + 17, tc);
    if (!h) FAIL(E_BAD_DHT);
    if (tc) D.ac[th] = h;
    else D.dc[th] = h;
    i += 17 + total;
  }
  return ST_OK;
}

static int parse_dqt(const u8 *p, u32 n) {
  u32 i = 0;
  while (i < n) {
    int pq = p[i] >> 4, tq = p[i] & 15;
    if (pq > 1 || tq > 3) FAIL(E_BAD_DQT);
    u32 need = pq ? 128 : 64;
    if (n - i - 1 < need) FAIL(E_BAD_DQT);
    for (int k = 0; k < 64; k++) {
      u32 v = pq ? be16(p + i + 1 + 2 * k) : p[i + 1 + k];
      if (v > 32767) v = 32767;
      D.qt[tq][zzn[k]] = (i16)v;
      D.qtp[tq][zzp[k]] = (i16)v;
    }
    D.qdef[tq] = 1;
    i += 1 + need;
  }
  return ST_OK;
}

/* Allocate planes / coefficients / output once the frame header is known. */
static int setup_frame(void) {
  const i32 *P = g_params;
  int W = D.width, H = D.height;
  int mode = P[P_MODE];
  int s;
  int dstw, dsth, nch = P[P_CHANNELS] == 1 ? 1 : 3;
  double sx, sy, swd, shd;
  int drx = 0, dry = 0, drw, drh;
  if (mode == 1) {
    s = P[P_SCALE];
    if (s != 1 && s != 2 && s != 4 && s != 8) { D.detail = BR_SCALE; return ST_BAD_REQUEST; }
    dstw = (W + s - 1) / s;
    dsth = (H + s - 1) / s;
    drw = dstw; drh = dsth;
    sx = 0; sy = 0; swd = W; shd = H;
  } else {
    dstw = P[P_DSTW];
    dsth = P[P_DSTH];
    if (dstw <= 0 || dsth <= 0) return ST_BAD_REQUEST;
    int rx = 0, ry = 0, rw = W, rh = H;
    if (P[P_SRCW] > 0) {
      rx = P[P_SRCX]; ry = P[P_SRCY]; rw = P[P_SRCW]; rh = P[P_SRCH];
      if (rx < 0 || ry < 0 || rw <= 0 || rh <= 0 || (i64)rx + rw > W || (i64)ry + rh > H) { D.detail = BR_SRC_RECT; return ST_BAD_REQUEST; }
    }
    drw = dstw; drh = dsth;
    if (P[P_DRW] > 0) {
      drx = P[P_DRX]; dry = P[P_DRY]; drw = P[P_DRW]; drh = P[P_DRH];
      if (drx < 0 || dry < 0 || drw <= 0 || drh <= 0 || (i64)drx + drw > dstw || (i64)dry + drh > dsth) { D.detail = BR_DST_RECT; return ST_BAD_REQUEST; }
    }
    s = 8;
    while (s > 1 && ((rw + s - 1) / s < drw || (rh + s - 1) / s < drh)) s >>= 1;
    sx = rx; sy = ry; swd = rw; shd = rh;
  }
  D.scale = s;
  D.bs = 8 / s;
  __builtin_memcpy(D.zz, s == 1 ? zzp : zzn, sizeof D.zz);
  D.outw = (W + s - 1) / s;
  D.outh = (H + s - 1) / s;
  D.fancy = P[P_FANCY] != 0;
  int bs = D.bs;
  int maxw = 0;
  for (int i = 0; i < D.ncomp; i++) {
    Comp *c = &D.comp[i];
    c->bw = D.mcux * c->h;
    c->bh = D.mcuy * c->v;
    int cw = (int)(((i64)W * c->h + D.hmax - 1) / D.hmax);
    int ch = (int)(((i64)H * c->v + D.vmax - 1) / D.vmax);
    c->nbx = (cw + 7) / 8;
    c->nby = (ch + 7) / 8;
    c->sw = (int)(((i64)W * c->h + (i64)D.hmax * s - 1) / ((i64)D.hmax * s));
    c->sh = (int)(((i64)H * c->v + (i64)D.vmax * s - 1) / ((i64)D.vmax * s));
    c->stride = c->bw * bs;
    if (c->stride > maxw) maxw = c->stride;
    c->plane = arena_alloc((u64)c->stride * c->bh * bs);
    if (!c->plane) FAIL(E_OOM);
    c->pred = 0;
    c->covered = 0;
    c->coef = 0;
    if (D.progressive) {
      u64 nb = (u64)c->bw * c->bh * 64 * 2;
      c->coef = arena_alloc(nb);
      if (!c->coef) FAIL(E_OOM);
      mem_zero(c->coef, nb);
    }
  }
  int rowlen = (D.outw > maxw ? D.outw : maxw) * 2 + 64;
  D.colsum = arena_alloc((u64)(rowlen + 4) * 2);
  for (int i = 0; i < 3; i++) D.tmp[i] = arena_alloc((u64)rowlen);
  for (int i = 0; i < 3; i++) D.rgbrow[i] = arena_alloc((u64)rowlen);
  if (!D.colsum || !D.tmp[0] || !D.tmp[1] || !D.tmp[2] || !D.rgbrow[2]) FAIL(E_OOM);
  D.colsum[0] = 0;
  /* output */
  u64 outn = (u64)dstw * dsth * nch;
  u8 *out = arena_alloc(outn);
  if (!out) FAIL(E_OOM);
  D.rs.outw = dstw; D.rs.outh = dsth; D.rs.nch = nch;
  D.rs.layout = P[P_LAYOUT] == 1 ? 1 : 0;
  D.rs.dx0 = drx; D.rs.dy0 = dry; D.rs.dw = drw; D.rs.dh = drh;
  g_result[R_OUTPTR] = (i32)(unsigned long)out;
  g_result[R_OUTW] = dstw;
  g_result[R_OUTH] = dsth;
  g_result[R_CHANNELS] = nch;
  g_result[R_SCALE] = s;
  /* direct path when no resampling is needed */
  int direct = drw == D.outw && drh == D.outh && sx == 0 && sy == 0 && swd == W && shd == H;
  if (direct) { D.rs.xt = 0; }
  else {
    if (drw != dstw || drh != dsth) mem_zero(out, outn);
    D.rs.xt = arena_alloc((u64)drw * sizeof(Tap));
    D.rs.yt = arena_alloc((u64)drh * sizeof(Tap));
    double rx = swd / s / drw, ry = shd / s / drh;
    u64 nxw = (u64)drw * ((u64)rx + 3), nyw = (u64)drh * ((u64)ry + 3);
    D.rs.xw = arena_alloc(nxw * 2);
    D.rs.yw = arena_alloc(nyw * 2);
    if (!D.rs.xt || !D.rs.yt || !D.rs.xw || !D.rs.yw) FAIL(E_OOM);
    int method = P[P_RESIZE];
    D.rs.maxnx = build_taps(D.rs.xt, D.rs.xw, drw, sx / s, swd / s, D.outw, method);
    D.rs.maxny = build_taps(D.rs.yt, D.rs.yw, drh, sy / s, shd / s, D.outh, method);
    D.rs.rows = arena_alloc((u64)D.rs.maxny * sizeof(i16 *));
    D.rs.x0 = arena_alloc((u64)drw * 4);
    D.rs.x1 = arena_alloc((u64)drw * 4);
    D.rs.xw0 = arena_alloc((u64)drw * 4);
    D.rs.xw1 = arena_alloc((u64)drw * 4);
    if (!D.rs.rows || !D.rs.x0 || !D.rs.x1 || !D.rs.xw0 || !D.rs.xw1) FAIL(E_OOM);
    D.rs.xw4 = 0;
    if (D.rs.maxnx > 2 && D.rs.maxnx <= 4) {
      D.rs.xw4 = arena_alloc((u64)drw * 16);
      if (!D.rs.xw4) FAIL(E_OOM);
      for (int d = 0; d < drw; d++) {
        Tap t = D.rs.xt[d];
        D.rs.x0[d] = t.start; /* start + 3 stays inside the row slack (64 bytes) */
        for (int j = 0; j < 4; j++) D.rs.xw4[4 * d + j] = j < t.n ? D.rs.xw[t.w + j] : 0;
      }
    }
    if (D.rs.maxnx <= 2) {
      for (int d = 0; d < drw; d++) {
        Tap t = D.rs.xt[d];
        D.rs.x0[d] = t.start;
        D.rs.xw0[d] = D.rs.xw[t.w];
        D.rs.x1[d] = t.n == 2 ? t.start + 1 : t.start;
        D.rs.xw1[d] = t.n == 2 ? D.rs.xw[t.w + 1] : 0;
      }
      int ng = drw / 8;
      D.rs.ngroups = ng;
      D.rs.gbase = arena_alloc((u64)ng * 4 + 4);
      D.rs.gmask = arena_alloc((u64)ng * 16 + 16);
      D.rs.gw = arena_alloc((u64)ng * 32 + 32);
      if (!D.rs.gbase || !D.rs.gmask || !D.rs.gw) FAIL(E_OOM);
      for (int g = 0; g < ng; g++) {
        i32 base = D.rs.x0[8 * g];
        for (int d = 8 * g; d < 8 * g + 8; d++) {
          if (D.rs.x0[d] < base || D.rs.x0[d] - base > 15 || D.rs.x1[d] < base || D.rs.x1[d] - base > 15) base = -1;
          if (D.rs.xw0[d] > 32767 || D.rs.xw1[d] > 32767 || D.rs.xw0[d] < 0 || D.rs.xw1[d] < 0) base = -1;
        }
        D.rs.gbase[g] = base;
        if (base < 0) continue;
        for (int j = 0; j < 8; j++) {
          int d = 8 * g + j;
          D.rs.gmask[16 * g + 2 * j] = (u8)(D.rs.x0[d] - base);
          D.rs.gmask[16 * g + 2 * j + 1] = (u8)(D.rs.x1[d] - base);
          D.rs.gw[16 * g + 2 * j] = (i16)D.rs.xw0[d];
          D.rs.gw[16 * g + 2 * j + 1] = (i16)D.rs.xw1[d];
        }
      }
    }
    D.rs.ring = arena_alloc((u64)(D.rs.maxny + 1) * nch * drw * 2);
    D.rs.tags = arena_alloc((u64)(D.rs.maxny + 1) * 4);
    D.rs.acc = arena_alloc((u64)drw * 4 + 64);
    for (int c = 0; c < nch; c++) D.rs.srow[c] = arena_alloc((u64)D.outw + 64);
    if (!D.rs.ring || !D.rs.tags || !D.rs.acc || !D.rs.srow[nch - 1]) FAIL(E_OOM);
  }
  return ST_OK;
}

static int output_image(void) {
  u8 *out = (u8 *)(unsigned long)(u32)g_result[R_OUTPTR];
  int nch = D.rs.nch;
  if (D.rs.xt) { resample_run(out); return ST_OK; }
  u32 W = (u32)D.outw, plane = (u32)D.outw * D.outh;
  for (int y = 0; y < D.outh; y++) {
    if (nch == 1) {
      u8 *dst[1] = {out + (u32)y * W};
      produce_row(y, dst, 1);
    } else if (D.rs.layout == 0) {
      u8 *dst[3] = {out + (u32)y * W, out + plane + (u32)y * W, out + 2 * plane + (u32)y * W};
      produce_row(y, dst, 3);
    } else {
      produce_row_hwc(y, out + (u32)y * W * 3);
    }
  }
  return ST_OK;
}
