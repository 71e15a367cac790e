/*
 * The entropy-coded segment bit reader (byte stuffing, markers, zero fill past the end) and
 * Huffman symbol decoding.
 * Part of the fast-path decoder; compiled as one unit through jpeg.c.
 */
/* ---- bit reader ------------------------------------------------------------ */
NOINLINE void refill_slow(void) {
  BR *r = &D.br;
  while (r->cnt <= 56) {
    if (r->marker || r->p >= r->end) { r->cnt += 8; r->pad += 8; continue; }
    u32 b = *r->p;
    if (b == 0xFF) {
      const u8 *q = r->p + 1;
      while (q < r->end && *q == 0xFF) q++;
      if (q >= r->end) { r->marker = 1; r->p = q; continue; }
      if (*q == 0) { r->p = q + 1; }
      else { r->marker = 1; r->p = q - 1; continue; }
    } else {
      r->p++;
    }
    r->buf |= (u64)b << (56 - r->cnt);
    r->cnt += 8;
  }
}

INLINE void refill(BR *r) {
  if (LIKELY(!r->marker && r->end - r->p >= 8)) {
    u64 w;
    __builtin_memcpy(&w, r->p, 8);
    w = __builtin_bswap64(w);
    u64 t = ~w;
    if (LIKELY(((t - 0x0101010101010101ull) & ~t & 0x8080808080808080ull) == 0)) {
      int nb = (64 - r->cnt) >> 3;
      r->buf |= (w >> (64 - nb * 8)) << (64 - r->cnt - nb * 8);
      r->p += nb;
      r->cnt += nb * 8;
      return;
    }
  }
  D.br = *r;
  refill_slow();
  *r = D.br;
}

/* Returns (len << 8) | sym for codes longer than FB bits, or -1. */
NOINLINE int huff_slow(u64 buf, const Huff *h) {
  u32 c16 = (u32)(buf >> 48);
  for (int l = FB + 1; l <= 16; l++) {
    i32 c = (i32)(c16 >> (16 - l));
    if (c <= h->maxcode[l]) {
      int idx = h->valoff[l] + c;
      if (idx < 0 || idx > 255) return -1;
      return (l << 8) | h->vals[idx];
    }
  }
  return -1;
}

/* Needs >= 16 bits in the buffer. */
INLINE int huff_sym(BR *r, const Huff *h) {
  u32 e = h->look[r->buf >> (64 - FB)];
  if (UNLIKELY(!e)) {
    int x = huff_slow(r->buf, h);
    if (x < 0) return -1;
    e = (u32)x;
  }
  int l = (int)(e >> 8);
  r->buf <<= l;
  r->cnt -= l;
  return (int)(e & 255);
}

INLINE u32 get_bits(BR *r, int s) { /* 1 <= s <= 16, enough bits present */
  u32 v = (u32)(r->buf >> (64 - s));
  r->buf <<= s;
  r->cnt -= s;
  return v;
}
INLINE int extend(u32 v, int s) { return v < (1u << (s - 1)) ? (int)v - (1 << s) + 1 : (int)v; }
