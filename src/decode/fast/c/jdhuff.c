/*
 * Entropy decoding: sequential and progressive block decoders, restart markers, the scan
 * walks (MCU order) and the final IDCT of progressive coefficients.
 * Part of the fast-path decoder; compiled as one unit through jpeg.c.
 */
/* ---- entropy decoding -------------------------------------------------------- */
/* Decode one baseline block into D.blk (natural order, not dequantised).
 * Returns 0 = DC only, 1 = has AC, -1 = error. */
INLINE int decode_block(BR *r, i16 *blk, const Huff *dc, const Huff *ac, int *pred) {
  if (r->cnt < 32) refill(r);
  int s = huff_sym(r, dc);
  if (UNLIKELY(s < 0 || s > 16)) return -1;
  if (s) {
    if (s == 16) return -1;
    *pred += extend(get_bits(r, s), s);
  }
  blk[0] = (i16)*pred;
  int k = 1, any = 0;
  for (;;) {
    if (r->cnt < 2 * FB) refill(r);
    /* one or two symbols in one lookup, when they fit it and lie in this block */
    u32 e = ac->multi[r->buf >> (64 - FB)];
    int k1 = k + (int)((e >> 4) & 15), k2 = k1 + (int)((e >> 8) & 31);
    if (LIKELY(e != 0 && k2 <= 63)) {
      r->buf <<= e & 15;
      r->cnt -= (int)(e & 15);
      blk[D.zz[k2]] = (i16)((i32)e >> 24); /* first, as k2 == k1 when there is one */
      blk[D.zz[k1]] = (i16)((i32)(e << 8) >> 23);
      any |= (int)(e & 0x4000);
      k = k2 + 1;
      if (e & 0x2000) break; /* EOB */
      if (k > 63) break;
      continue;
    }
    /* one symbol: a long code, a large value, ZRL, or the end of the block */
    if (r->cnt < 32) refill(r);
    i32 f = ac->fast_ac[r->buf >> (64 - FB)];
    if (f) {
      k += (f >> 8) & 255;
      r->buf <<= f & 255;
      r->cnt -= f & 255;
      if (UNLIKELY(k > 63)) {
        if (f & 0x8000) break; /* EOB */
        return -1;
      }
      blk[D.zz[k]] = (i16)(f >> 16);
      any = 1;
      k++;
    } else {
      int rs = huff_sym(r, ac);
      if (UNLIKELY(rs < 0)) return -1;
      int run = rs >> 4, sz = rs & 15;
      if (sz) {
        k += run;
        if (UNLIKELY(k > 63)) return -1;
        blk[D.zz[k]] = (i16)extend(get_bits(r, sz), sz);
        any = 1;
        k++;
      } else if (run == 15) {
        k += 16;
      } else {
        break;
      }
    }
    if (k > 63) break;
  }
  return any;
}

/* Find the next marker from the reader position. Returns bytes of data skipped
 * (not counting bits held in the buffer) and leaves D.br.p on the 0xFF. */
static u32 seek_marker(BR *r) {
  const u8 *p = r->p;
  u32 skipped = 0;
  if (!r->marker) {
    while (p < r->end) {
      if (*p == 0xFF) {
        const u8 *q = p + 1;
        while (q < r->end && *q == 0xFF) q++;
        if (q >= r->end) { p = q; break; }
        if (*q != 0) { p = q - 1; break; }
        p = q + 1;
        skipped++;
        continue;
      }
      p++;
      skipped++;
    }
  }
  r->p = p;
  int real = r->cnt - r->pad;
  if (real > 0) skipped += (u32)real / 8;
  return skipped;
}

/* At a restart boundary: expect RSTn, reset the reader. */
static int restart_sync(int *next_rst) {
  BR *r = &D.br;
  if (r->cnt < r->pad) return E_SCAN_TRUNCATED;
  u32 skipped = seek_marker(r);
  if (r->end - r->p < 2 || r->p[1] != 0xD0 + *next_rst) return E_MISSING_RST;
  if (skipped > MAX_EXTRANEOUS) return E_EXTRANEOUS;
  D.extraneous += (int)skipped;
  r->p += 2;
  r->buf = 0;
  r->cnt = 0;
  r->pad = 0;
  r->marker = 0;
  *next_rst = (*next_rst + 1) & 7;
  for (int i = 0; i < D.ncomp; i++) D.comp[i].pred = 0;
  D.eobrun = 0;
  return 0;
}

/* End of scan: check for truncation / trailing garbage and reposition parser. */
static int finish_scan(void) {
  BR *r = &D.br;
  if (r->cnt < r->pad) return E_SCAN_TRUNCATED;
  u32 skipped = seek_marker(r);
  if (skipped > MAX_EXTRANEOUS) return E_EXTRANEOUS;
  D.extraneous += (int)skipped;
  D.pos = (u32)(r->p - D.data);
  return 0;
}

/* The quantisation table of a component in the order this decode's IDCT reads. */
INLINE const i16 *comp_qt(const Comp *c) { return D.scale == 1 ? D.qtp[c->tq] : D.qt[c->tq]; }

/* IDCT of the decoded block into out, then clear the block for the next one (only the DC when
 * that was all it had). */
INLINE void idct_and_clear(i16 *blk, const i16 *q, u8 *out, int stride, int ac) {
  idct_block(blk, q, out, stride, ac);
  if (ac) for (int i = 0; i < 8; i++) wasm_v128_store(blk + 8 * i, wasm_i64x2_const(0, 0));
  else blk[0] = 0;
}

#define RESTART_CHECK()                                  \
  if (D.restart) {                                       \
    if (rst_left == 0) {                                 \
      D.br = r;                                          \
      int e_ = restart_sync(&next_rst);                  \
      if (e_) FAIL(e_);                                  \
      r = D.br;                                          \
    }                                                    \
    rst_left = (rst_left ? rst_left : D.restart) - 1;    \
  }

static int scan_baseline(void) {
  BR r = D.br;
  int rst_left = D.restart, next_rst = 0;
  int bs = D.bs;
  i16 *blk = D.blk;
  if (D.ns == 1) {
    Comp *c = D.sc[0];
    const Huff *dc = D.dc[c->td], *ac = D.ac[c->ta];
    const i16 *q = comp_qt(c);
    for (int by = 0; by < c->nby; by++) {
      u8 *row = c->plane + (u32)by * bs * c->stride;
      for (int bx = 0; bx < c->nbx; bx++) {
        RESTART_CHECK();
        int a = decode_block(&r, blk, dc, ac, &c->pred);
        if (UNLIKELY(a < 0)) FAIL(E_BAD_HUFFMAN);
        idct_and_clear(blk, q, row + bx * bs, c->stride, a);
        if (UNLIKELY(r.cnt < r.pad)) FAIL(E_SCAN_TRUNCATED);
      }
    }
    c->covered = 1;
  } else {
    for (int my = 0; my < D.mcuy; my++) {
      for (int mx = 0; mx < D.mcux; mx++) {
        RESTART_CHECK();
        for (int i = 0; i < D.ns; i++) {
          Comp *c = D.sc[i];
          const Huff *dc = D.dc[c->td], *ac = D.ac[c->ta];
          const i16 *q = comp_qt(c);
          for (int v = 0; v < c->v; v++) {
            u8 *row = c->plane + (u32)(my * c->v + v) * bs * c->stride + mx * c->h * bs;
            for (int h = 0; h < c->h; h++) {
              int a = decode_block(&r, blk, dc, ac, &c->pred);
              if (UNLIKELY(a < 0)) FAIL(E_BAD_HUFFMAN);
              idct_and_clear(blk, q, row + h * bs, c->stride, a);
            }
          }
        }
        if (UNLIKELY(r.cnt < r.pad)) FAIL(E_SCAN_TRUNCATED);
      }
    }
    for (int i = 0; i < D.ns; i++) D.sc[i]->covered = 1;
  }
  D.br = r;
  int e = finish_scan();
  if (e) FAIL(e);
  return ST_OK;
}

/* Progressive block decoders (G.1.2). Return 0 ok, -1 corrupt. */
static int prog_block(BR *r, i16 *blk, Comp *c) {
  if (r->cnt < 32) refill(r);
  if (D.ss == 0) {
    if (D.ah == 0) {
      int s = huff_sym(r, D.dc[c->td]);
      if (s < 0 || s > 15) return -1;
      if (s) c->pred += extend(get_bits(r, s), s);
      blk[0] = (i16)(c->pred * (1 << D.al));
    } else {
      if (get_bits(r, 1)) blk[0] = (i16)(blk[0] | (1 << D.al));
    }
    return 0;
  }
  const Huff *ac = D.ac[c->ta];
  int se = D.se, al = D.al;
  if (D.ah == 0) {
    if (D.eobrun) { D.eobrun--; return 0; }
    for (int k = D.ss; k <= se;) {
      if (r->cnt < 32) refill(r);
      int rs = huff_sym(r, ac);
      if (rs < 0) return -1;
      int run = rs >> 4, s = rs & 15;
      if (s) {
        k += run;
        if (k > se) return -1;
        blk[D.zz[k]] = (i16)(extend(get_bits(r, s), s) * (1 << al));
        k++;
      } else if (run < 15) {
        int e = 1 << run;
        if (run) e += (int)get_bits(r, run);
        D.eobrun = e - 1;
        break;
      } else {
        k += 16;
      }
    }
    return 0;
  }
  /* refinement */
  int p1 = 1 << al, m1 = -1 * (1 << al);
  int k = D.ss;
  if (D.eobrun == 0) {
    for (; k <= se; k++) {
      if (r->cnt < 32) refill(r);
      int rs = huff_sym(r, ac);
      if (rs < 0) return -1;
      int run = rs >> 4, s = rs & 15, val = 0;
      if (s) {
        if (s != 1) return -1;
        val = get_bits(r, 1) ? p1 : m1;
      } else if (run != 15) {
        int e = 1 << run;
        if (run) {
          if (r->cnt < 32) refill(r);
          e += (int)get_bits(r, run);
        }
        D.eobrun = e;
        break;
      }
      while (k <= se) {
        i16 *cp = &blk[D.zz[k]];
        if (*cp) {
          if (r->cnt < 8) refill(r);
          if (get_bits(r, 1) && (*cp & p1) == 0) *cp = (i16)(*cp >= 0 ? *cp + p1 : *cp + m1);
        } else {
          if (--run < 0) break;
        }
        k++;
      }
      if (val) {
        if (k > se) return -1;
        blk[D.zz[k]] = (i16)val;
      }
    }
  }
  if (D.eobrun > 0) {
    for (; k <= se; k++) {
      i16 *cp = &blk[D.zz[k]];
      if (*cp) {
        if (r->cnt < 8) refill(r);
        if (get_bits(r, 1) && (*cp & p1) == 0) *cp = (i16)(*cp >= 0 ? *cp + p1 : *cp + m1);
      }
    }
    D.eobrun--;
  }
  return 0;
}

static int scan_progressive(void) {
  BR r = D.br;
  int rst_left = D.restart, next_rst = 0;
  D.eobrun = 0;
  if (D.ns == 1) {
    Comp *c = D.sc[0];
    for (int by = 0; by < c->nby; by++)
      for (int bx = 0; bx < c->nbx; bx++) {
        RESTART_CHECK();
        if (prog_block(&r, c->coef + ((u32)by * c->bw + bx) * 64, c) < 0) FAIL(E_BAD_HUFFMAN);
        if (UNLIKELY(r.cnt < r.pad)) FAIL(E_SCAN_TRUNCATED);
      }
  } else {
    for (int my = 0; my < D.mcuy; my++)
      for (int mx = 0; mx < D.mcux; mx++) {
        RESTART_CHECK();
        for (int i = 0; i < D.ns; i++) {
          Comp *c = D.sc[i];
          for (int v = 0; v < c->v; v++)
            for (int h = 0; h < c->h; h++) {
              i16 *b = c->coef + ((u32)(my * c->v + v) * c->bw + mx * c->h + h) * 64;
              if (prog_block(&r, b, c) < 0) FAIL(E_BAD_HUFFMAN);
            }
        }
        if (UNLIKELY(r.cnt < r.pad)) FAIL(E_SCAN_TRUNCATED);
      }
  }
  D.br = r;
  int e = finish_scan();
  if (e) FAIL(e);
  return ST_OK;
}

static void idct_all_progressive(void) {
  int bs = D.bs;
  for (int i = 0; i < D.ncomp; i++) {
    Comp *c = &D.comp[i];
    const i16 *q = comp_qt(c);
    for (int by = 0; by < c->nby; by++)
      for (int bx = 0; bx < c->nbx; bx++) {
        const i16 *b = c->coef + ((u32)by * c->bw + bx) * 64;
        v128_t acc = wasm_v128_and(wasm_v128_load(b), wasm_i16x8_make(0, -1, -1, -1, -1, -1, -1, -1));
        for (int k = 1; k < 8; k++) acc = wasm_v128_or(acc, wasm_v128_load(b + 8 * k));
        int ac = wasm_v128_any_true(acc);
        idct_block(b, q, c->plane + (u32)by * bs * c->stride + bx * bs, c->stride, ac);
      }
  }
}
