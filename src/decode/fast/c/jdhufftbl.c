/*
 * Huffman table construction (DHT and the Annex K standard tables) and the table cache.
 * Part of the fast-path decoder; compiled as one unit through jpeg.c.
 */
/* The multi-symbol AC table from fast_ac: each FB-bit index decodes to its first symbol (a
 * coefficient or EOB) and, when the rest of the index holds a whole second symbol after a
 * coefficient, that one too (a coefficient with an 8-bit value, or EOB). */
static void build_multi(Huff *h) {
  const int mask = (1 << FB) - 1;
  for (int j = 0; j < (1 << FB); j++) {
    i32 f1 = h->fast_ac[j];
    if (!f1) continue;
    int l1 = f1 & 255;
    if (f1 & 0x8000) { h->multi[j] = (1u << 13) | (u32)l1; continue; } /* lone EOB */
    int r1 = (f1 >> 8) & 255, v1 = f1 >> 16;
    if (v1 < -256 || v1 > 255) continue;
    u32 e = (1u << 14) | ((u32)(v1 & 511) << 15) | ((u32)r1 << 4) | (u32)l1;
    i32 f2 = l1 < FB ? h->fast_ac[(j << l1) & mask] : 0;
    int l2 = f2 & 255;
    if (f2 && l1 + l2 <= FB) {
      if (f2 & 0x8000) {
        /* distance 1: the EOB must not follow a coefficient at 63 (a zero is stored there) */
        e = (e & ~15u) | (1u << 13) | (1u << 8) | (u32)(l1 + l2);
      } else {
        int r2 = (f2 >> 8) & 255, v2 = f2 >> 16;
        if (v2 >= -128 && v2 <= 127)
          e = (e & ~15u) | ((u32)(v2 & 255) << 24) | ((u32)(1 + r2) << 8) | (u32)(l1 + l2);
      }
    }
    h->multi[j] = e;
  }
}

/* Build into h the table of these counts and their total (<= 256) values. Returns 0 when they do
 * not form a valid code. */
static int build_huff(Huff *h, const u8 *counts, const u8 *vals, int total, int is_ac) {
  mem_zero(h->look, sizeof h->look);
  mem_zero(h->fast_ac, sizeof h->fast_ac);
  mem_zero(h->multi, sizeof h->multi);
  int code = 0, k = 0;
  for (int l = 1; l <= 16; l++) {
    int n = counts[l - 1];
    h->valoff[l] = k - code;
    /* over-subscribed (or uses the all-ones code): refuse before filling the lookahead
     * table, which these codes would overrun */
    if (n && code + n >= (1 << l)) return 0;
    for (int i = 0; i < n; i++, k++, code++) {
      if (l <= FB) {
        int sh = FB - l;
        for (int j = code << sh; j < ((code + 1) << sh); j++) h->look[j] = (u16)((l << 8) | vals[k]);
      }
    }
    h->maxcode[l] = n ? code - 1 : -1;
    if (code > (1 << l)) return 0;
    code <<= 1;
  }
  for (int i = 0; i < total; i++) h->vals[i] = vals[i];
  if (is_ac) {
    for (int j = 0; j < (1 << FB); j++) {
      int e = h->look[j];
      if (!e) continue;
      int l = e >> 8, rs = e & 255, run = rs >> 4, s = rs & 15;
      if (rs == 0) { h->fast_ac[j] = (0x80 << 8) | l; continue; }
      if (!s || l + s > FB) continue;
      int bits = (j >> (FB - l - s)) & ((1 << s) - 1);
      int v = bits < (1 << (s - 1)) ? bits - (1 << s) + 1 : bits;
      h->fast_ac[j] = (i32)((u32)v << 16) | (run << 8) | (l + s);
    }
    build_multi(h);
  }
  return 1;
}

/* ---- table cache ---------------------------------------------------------------
 * A built table is a pure function of its class, counts and values, so tables are kept
 * across decodes, keyed by exactly those bytes: a file whose DHT equals a previous file's
 * (every frame of a camera or a dataset) reuses the table instead of rebuilding its lookahead
 * tables. A slot is filled completely before its key is set, so a failed build leaves nothing
 * to hit; the slots the current decode points to (at most 8) are never evicted. */
#define HUFF_SLOTS 12
static Huff g_huff[HUFF_SLOTS];
static u8 g_huff_key[HUFF_SLOTS][16 + 256];
static u16 g_huff_len[HUFF_SLOTS]; /* 1 + 16 + values of the key, 0 = empty */
static u8 g_huff_ac[HUFF_SLOTS];
static u32 g_huff_age[HUFF_SLOTS], g_huff_clock;

static int huff_in_use(const Huff *h) {
  for (int i = 0; i < 4; i++)
    if (D.dc[i] == h || D.ac[i] == h) return 1;
  return 0;
}

/* The table for these counts and values (from the cache or built into it), 0 when they do
 * not form a valid code. */
static const Huff *huff_table(const u8 *counts, const u8 *vals, int is_ac) {
  int total = 0;
  for (int i = 0; i < 16; i++) total += counts[i];
  if (total > 256) return 0;
  u32 len = 17u + (u32)total;
  for (int s = 0; s < HUFF_SLOTS; s++) {
    if (g_huff_len[s] != len || g_huff_ac[s] != is_ac) continue;
    const u8 *k = g_huff_key[s];
    int same = 1;
    for (int i = 0; i < 16 && same; i++) same = k[i] == counts[i];
    for (int i = 0; i < total && same; i++) same = k[16 + i] == vals[i];
    if (same) {
      g_huff_age[s] = ++g_huff_clock;
      return &g_huff[s];
    }
  }
  int v = -1;
  for (int s = 0; s < HUFF_SLOTS; s++) {
    if (huff_in_use(&g_huff[s])) continue;
    if (v < 0 || !g_huff_len[s] || (g_huff_len[v] && g_huff_age[s] < g_huff_age[v])) v = s;
  }
  g_huff_len[v] = 0;
  if (!build_huff(&g_huff[v], counts, vals, total, is_ac)) return 0;
  for (int i = 0; i < 16; i++) g_huff_key[v][i] = counts[i];
  for (int i = 0; i < total; i++) g_huff_key[v][16 + i] = vals[i];
  g_huff_ac[v] = (u8)is_ac;
  g_huff_len[v] = (u16)len;
  g_huff_age[v] = ++g_huff_clock;
  return &g_huff[v];
}

static const u8 STD_DC_L_BITS[16] = {0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0};
static const u8 STD_DC_C_BITS[16] = {0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0};
static const u8 STD_AC_L_BITS[16] = {0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d};
static const u8 STD_AC_C_BITS[16] = {0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77};
/* Irregular heads of the K.5/K.6 value lists; the tails are every remaining
 * (run, size) pair with size 1..10 in increasing order. */
static const u8 STD_AC_L_HEAD[] = {0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31,
                                   0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32,
                                   0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52,
                                   0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82};
static const u8 STD_AC_C_HEAD[] = {0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06,
                                   0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13, 0x22, 0x32, 0x81,
                                   0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33,
                                   0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34,
                                   0xe1, 0x25, 0xf1};

static int std_ac_vals(u8 *out, const u8 *head, int nhead) {
  u8 seen[256];
  mem_zero(seen, sizeof seen);
  int n = 0;
  for (int i = 0; i < nhead; i++) { out[n++] = head[i]; seen[head[i]] = 1; }
  for (int r = 0; r < 16; r++)
    for (int s = 1; s <= 10; s++) {
      int v = r * 16 + s;
      if (!seen[v]) out[n++] = (u8)v;
    }
  return n;
}
