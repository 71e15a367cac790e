/*
 * framepipe fast-path JPEG decoder: C -> wasm32 + simd128, no libc.
 *
 * Written from ITU-T T.81 (baseline/extended Huffman SOF0/SOF1 and progressive
 * SOF2, 8-bit, 1 or 3 components). Decodes into component planes (optionally at a
 * DCT-domain scale of 1/2, 1/4, 1/8), then upsamples chroma, converts colour and
 * resamples straight into the caller's target layout (CHW / HWC / grey).
 *
 * Resampling semantics (shared with the TypeScript resize, see mod.ts):
 *   The decoded image at DCT scale s covers the full-resolution image with pixels
 *   of size s, so a full-resolution source rectangle (x, y, w, h) becomes
 *   (x/s, y/s, w/s, h/s) in decoded coordinates. For a destination of dw pixels,
 *   r = (w/s) / dw and, with pixel centres:
 *     nearest : sx = floor(x/s + (dx + 0.5) * r), clamped to [0, W'-1]
 *     bilinear: sx = x/s + (dx + 0.5) * r - 0.5; taps floor(sx), floor(sx)+1 with
 *               weights 1-f, f (f = sx - floor(sx)); indices clamped to the edge.
 *               When r > 2 (downscaling by more than 2x) bilinear uses area.
 *     area    : box [x/s + dx*r, x/s + (dx+1)*r) clamped to [0, W'], each source
 *               pixel weighted by its fractional coverage, normalised.
 *   Separable (x then y); weights are 14-bit fixed point, the horizontal pass
 *   keeps 7 fractional bits, the result is rounded half up to u8.
 */
#include <wasm_simd128.h>

typedef unsigned char u8;
typedef unsigned short u16;
typedef short i16;
typedef unsigned int u32;
typedef int i32;
typedef unsigned long long u64;
typedef long long i64;

#define EXPORT(name) __attribute__((export_name(name)))
#define INLINE static inline __attribute__((always_inline))
#define NOINLINE static __attribute__((noinline))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---- status / error codes and parameter / result slots (codes.ts is generated from it) */
#include "codes.h"

static i32 g_params[32];
static i32 g_result[16];

/* ---- memory: input buffer at __heap_base, per-decode bump arena after it -- */
extern u8 __heap_base;
static u32 g_in_cap, g_arena_ptr;

static int mem_ensure(u64 end) {
  u64 have = (u64)__builtin_wasm_memory_size(0) << 16;
  if (end <= have) return 1;
  if (end > 0xFFFF0000ull) return 0;
  u64 pages = (end - have + 65535) >> 16;
  return __builtin_wasm_memory_grow(0, (unsigned long)pages) != (unsigned long)-1;
}
static u32 in_base(void) { return ((u32)(unsigned long)&__heap_base + 63u) & ~63u; }
static u32 arena_base(void) { return in_base() + g_in_cap + 64; }

static void *arena_alloc(u64 n) {
  u64 p = ((u64)g_arena_ptr + 63) & ~63ull;
  u64 e = p + n + 64; /* 64 bytes slack: SIMD loads may read past the end */
  if (!mem_ensure(e)) return 0;
  g_arena_ptr = (u32)e;
  return (void *)(unsigned long)p;
}

static void mem_zero(void *p, u64 n) { __builtin_memset(p, 0, (unsigned long)n); }

/* ---- tables --------------------------------------------------------------- */
/* zigzag index -> coefficient position (entries 64..79 unused guard). zz is the
 * table of the current decode: zzn (natural order) or, at DCT scale 1, zzp, the
 * layout idct8x8 reads without shuffles (see perm8). */
static u8 zz[80], zzn[80], zzp[80];
static int g_inited;
/* Natural (row r, col c) -> position in the pass-1 pair layout of idct8x8:
 * vectors ILO/IHI of row pairs (0,4), (2,6), (7,1), (3,5). */
static int perm8(int nat) {
  int r = nat >> 3, c = nat & 7;
  static const u8 pair[8] = {0, 2, 1, 3, 0, 3, 1, 2}, second[8] = {0, 1, 0, 0, 1, 1, 1, 0};
  return 8 * (2 * pair[r] + (c >= 4)) + 2 * (c & 3) + second[r];
}

static void init_tables(void) {
  int k = 0;
  for (int s = 0; s < 15; s++) {
    int lo = s > 7 ? s - 7 : 0, hi = s < 7 ? s : 7;
    if (s & 1) {
      for (int r = lo; r <= hi; r++) zzn[k++] = (u8)(r * 8 + (s - r));
    } else {
      for (int r = hi; r >= lo; r--) zzn[k++] = (u8)(r * 8 + (s - r));
    }
  }
  for (; k < 80; k++) zzn[k] = 63;
  for (k = 0; k < 80; k++) zzp[k] = (u8)perm8(zzn[k]);
  g_inited = 1;
}

/* ---- Huffman tables --------------------------------------------------------- */
#ifndef FB
#define FB 11 /* Huffman lookahead bits (measured: 9 4.02 ms, 10 3.83, 11 3.75, 12 3.90 entropy ms/frame) */
#endif
typedef struct {
  u16 look[1 << FB];    /* FB-bit lookahead: (len << 8) | symbol, 0 = longer code */
  /* AC: (value << 16) | (run << 8) | (code + magnitude bits), 0 = none; EOB has
   * run 0x80 (so k jumps past 63) and value 0. */
  i32 fast_ac[1 << FB];
  i32 maxcode[18];
  i32 valoff[18];
  u8 vals[256];
  u8 defined;
  u8 is_ac;
} Huff;

static int build_huff(Huff *h, const u8 *counts, const u8 *vals, int is_ac) {
  int total = 0;
  for (int i = 0; i < 16; i++) total += counts[i];
  if (total > 256) return 0;
  mem_zero(h->look, sizeof h->look);
  mem_zero(h->fast_ac, sizeof h->fast_ac);
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
  h->is_ac = (u8)is_ac;
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
  }
  h->defined = 1;
  return 1;
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

/* ---- decoder state ------------------------------------------------------------ */
typedef struct {
  int id, h, v, tq, td, ta;
  int rh, rv;   /* upsampling ratios Hmax/h, Vmax/v */
  int bw, bh;   /* blocks in the MCU-padded grid */
  int nbx, nby; /* blocks covering the component (non-interleaved scans) */
  int sw, sh;   /* component size in samples at the DCT scale */
  int stride;   /* plane stride = bw * bs */
  u8 *plane;
  i16 *coef;
  int pred;
  int covered;
} Comp;

typedef struct {
  const u8 *p, *end;
  u64 buf;
  int cnt, pad, marker;
} BR;

static double g_pmax;

static struct {
  const u8 *data;
  u32 len, pos;
  int width, height, ncomp, progressive, seen_sof, hmax, vmax, mcux, mcuy, restart;
  int adobe, adobe_transform, jfif, orientation, rgb;
  int scale, bs;
  i16 qt[4][64]; /* natural order */
  i16 qtp[4][64] __attribute__((aligned(16))); /* perm8 order, for idct8x8 */
  u8 qdef[4];
  Huff dc[4], ac[4];
  Comp comp[3];
  int nscans;
  int ns, ss, se, ah, al;
  Comp *sc[4];
  int eobrun;
  int detail;
  signed char cbits[3][64]; /* progressive: current Al of each coefficient, -1 = not coded yet */
  int extraneous;           /* warning: data bytes skipped before markers (each <= MAX_EXTRANEOUS) */
  int no_eoi;               /* warning: the file ends without EOI after complete scans */
  int scan_parameters;      /* warning: a sequential scan's Ss/Se/Ah/Al are not 0/63/0/0 */
} D;

static BR g_br;
static i16 g_blk[64 + 16] __attribute__((aligned(16)));

#define FAIL(code) do { D.detail = (code); return ST_ERROR; } while (0)

/* ---- bit reader ------------------------------------------------------------ */
NOINLINE void refill_slow(void) {
  BR *r = &g_br;
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
  g_br = *r;
  refill_slow();
  *r = g_br;
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

/* ---- IDCT ------------------------------------------------------------------- */
#define F_0_298 2446
#define F_0_390 3196
#define F_0_541 4433
#define F_0_765 6270
#define F_0_899 7373
#define F_1_175 9633
#define F_1_501 12299
#define F_1_847 15137
#define F_1_961 16069
#define F_2_053 16819
#define F_2_562 20995
#define F_3_072 25172

#define SPL(c) wasm_i32x4_splat(c)

INLINE void transpose8(v128_t *r) {
  v128_t t0 = wasm_i16x8_shuffle(r[0], r[1], 0, 8, 1, 9, 2, 10, 3, 11);
  v128_t t1 = wasm_i16x8_shuffle(r[0], r[1], 4, 12, 5, 13, 6, 14, 7, 15);
  v128_t t2 = wasm_i16x8_shuffle(r[2], r[3], 0, 8, 1, 9, 2, 10, 3, 11);
  v128_t t3 = wasm_i16x8_shuffle(r[2], r[3], 4, 12, 5, 13, 6, 14, 7, 15);
  v128_t t4 = wasm_i16x8_shuffle(r[4], r[5], 0, 8, 1, 9, 2, 10, 3, 11);
  v128_t t5 = wasm_i16x8_shuffle(r[4], r[5], 4, 12, 5, 13, 6, 14, 7, 15);
  v128_t t6 = wasm_i16x8_shuffle(r[6], r[7], 0, 8, 1, 9, 2, 10, 3, 11);
  v128_t t7 = wasm_i16x8_shuffle(r[6], r[7], 4, 12, 5, 13, 6, 14, 7, 15);
  v128_t u0 = wasm_i32x4_shuffle(t0, t2, 0, 4, 1, 5);
  v128_t u1 = wasm_i32x4_shuffle(t0, t2, 2, 6, 3, 7);
  v128_t u2 = wasm_i32x4_shuffle(t1, t3, 0, 4, 1, 5);
  v128_t u3 = wasm_i32x4_shuffle(t1, t3, 2, 6, 3, 7);
  v128_t u4 = wasm_i32x4_shuffle(t4, t6, 0, 4, 1, 5);
  v128_t u5 = wasm_i32x4_shuffle(t4, t6, 2, 6, 3, 7);
  v128_t u6 = wasm_i32x4_shuffle(t5, t7, 0, 4, 1, 5);
  v128_t u7 = wasm_i32x4_shuffle(t5, t7, 2, 6, 3, 7);
  r[0] = wasm_i64x2_shuffle(u0, u4, 0, 2);
  r[1] = wasm_i64x2_shuffle(u0, u4, 1, 3);
  r[2] = wasm_i64x2_shuffle(u1, u5, 0, 2);
  r[3] = wasm_i64x2_shuffle(u1, u5, 1, 3);
  r[4] = wasm_i64x2_shuffle(u2, u6, 0, 2);
  r[5] = wasm_i64x2_shuffle(u2, u6, 1, 3);
  r[6] = wasm_i64x2_shuffle(u3, u7, 0, 2);
  r[7] = wasm_i64x2_shuffle(u3, u7, 1, 3);
}

/* Accurate integer IDCT (libjpeg islow: LL&M, 13-bit constants, 2 extra bits
 * after pass 1) on 16-bit lanes, the jidctint-sse2 formulation: every pair of
 * products is one i32x4.dot_i16x8 of interleaved inputs. Exact integer maths,
 * so the results equal the 32-bit form. The odd part is expanded (each output
 * is dot(x7, x1) + dot(x3, x5) with combined constants) so that no 16-bit sum of
 * inputs is ever formed; every sum is accumulated in 32 bits. */
#define C2(a, b) wasm_i16x8_make(a, b, a, b, a, b, a, b)
#define ILO(a, b) wasm_i16x8_shuffle(a, b, 0, 8, 1, 9, 2, 10, 3, 11)
#define IHI(a, b) wasm_i16x8_shuffle(a, b, 4, 12, 5, 13, 6, 14, 7, 15)
#define DOT wasm_i32x4_dot_i16x8
#define ADD wasm_i32x4_add
#define SUB wasm_i32x4_sub

/* The constant pairs, loaded from memory: V8 builds every v128.const from
 * immediates at each use (about 4 instructions), a load is one. */
static v128_t g_idk[14];
static v128_t g_vk[16], g_vk2[8]; /* other vector constants, same reason */
static void init_idct_consts(void) {
  g_idk[0] = C2(F_0_541 + F_0_765, F_0_541);
  g_idk[1] = C2(F_0_541, F_0_541 - F_1_847);
  g_idk[2] = C2(8192, 8192);
  g_idk[3] = C2(8192, -8192);
  g_idk[4] = C2(F_0_298 - F_0_899 + F_1_175 - F_1_961, F_1_175 - F_0_899);
  g_idk[5] = C2(F_1_175 - F_1_961, F_1_175);
  g_idk[6] = C2(F_1_175 - F_0_899, F_1_501 - F_0_899 + F_1_175 - F_0_390);
  g_idk[7] = C2(F_1_175, F_1_175 - F_0_390);
  g_idk[8] = C2(F_1_175 - F_2_562, F_2_053 - F_2_562 + F_1_175 - F_0_390);
  g_idk[9] = C2(F_3_072 - F_2_562 + F_1_175 - F_1_961, F_1_175 - F_2_562);
  g_idk[10] = wasm_i32x4_splat(1 << 10);
  g_idk[11] = wasm_i32x4_splat((1 << 17) + (128 << 18));
  g_vk[0] = wasm_i16x8_splat(128);
  g_vk[1] = wasm_i16x8_splat(13173);
  g_vk[2] = wasm_i16x8_splat(-11277);
  g_vk[3] = wasm_i16x8_splat(-23401);
  g_vk[4] = wasm_i16x8_splat(25297);
  /* RGB interleave: out vector j = swz(R, m[3j]) | swz(G, m[3j+1]) | swz(B, m[3j+2]) */
  for (int j = 0; j < 3; j++)
    for (int c = 0; c < 3; c++) {
      u8 m[16];
      for (int i = 0; i < 16; i++) {
        int pos = 16 * j + i; /* output byte */
        m[i] = pos % 3 == c ? (u8)(pos / 3) : 0x80;
      }
      __builtin_memcpy(&g_vk[5 + 3 * j + c], m, 16);
    }
  g_vk[14] = wasm_i32x4_splat(64);
  g_vk[15] = wasm_i32x4_splat(1 << 20);
  g_vk2[0] = wasm_i16x8_splat(8);
  g_vk2[1] = wasm_i16x8_splat(7);
  g_vk2[2] = wasm_i16x8_splat(1);
  g_vk2[3] = wasm_i16x8_splat(2);
  g_vk2[4] = wasm_i16x8_splat(64);
}

/* Half (4 lanes) of one 8-point pass: o[] = outputs + rnd, before the shift. */
INLINE void idct16_half(v128_t e26, v128_t e04, v128_t p71, v128_t p35, v128_t rnd, v128_t *o) {
  const v128_t *K = g_idk;
  v128_t t3 = DOT(e26, K[0]);
  v128_t t2 = DOT(e26, K[1]);
  v128_t t0 = ADD(DOT(e04, K[2]), rnd);
  v128_t t1 = ADD(DOT(e04, K[3]), rnd);
  v128_t t10 = ADD(t0, t3), t13 = SUB(t0, t3), t11 = ADD(t1, t2), t12 = SUB(t1, t2);
  v128_t a0 = ADD(DOT(p71, K[4]), DOT(p35, K[5]));
  v128_t a3 = ADD(DOT(p71, K[6]), DOT(p35, K[7]));
  v128_t a1 = ADD(DOT(p71, K[7]), DOT(p35, K[8]));
  v128_t a2 = ADD(DOT(p71, K[5]), DOT(p35, K[9]));
  o[0] = ADD(t10, a3);
  o[7] = SUB(t10, a3);
  o[1] = ADD(t11, a2);
  o[6] = SUB(t11, a2);
  o[2] = ADD(t12, a1);
  o[5] = SUB(t12, a1);
  o[3] = ADD(t13, a0);
  o[4] = SUB(t13, a0);
}

INLINE void idct16_pass(const v128_t *x, v128_t rnd, v128_t *lo, v128_t *hi) {
  idct16_half(ILO(x[2], x[6]), ILO(x[0], x[4]), ILO(x[7], x[1]), ILO(x[3], x[5]), rnd, lo);
  idct16_half(IHI(x[2], x[6]), IHI(x[0], x[4]), IHI(x[7], x[1]), IHI(x[3], x[5]), rnd, hi);
}
/* Pass 1 on coefficients already in the perm8 layout: no shuffles. */
INLINE void idct16_pass_perm(const v128_t *x, v128_t rnd, v128_t *lo, v128_t *hi) {
  idct16_half(x[2], x[0], x[4], x[6], rnd, lo);
  idct16_half(x[3], x[1], x[5], x[7], rnd, hi);
}

NOINLINE void idct8x8(const i16 *blk, const i16 *q, u8 *out, int stride) {
  v128_t w[8], lo[8], hi[8];
  for (int k = 0; k < 8; k++) w[k] = wasm_i16x8_mul(wasm_v128_load(blk + 8 * k), wasm_v128_load(q + 8 * k));
  idct16_pass_perm(w, g_idk[10], lo, hi);
  for (int k = 0; k < 8; k++)
    w[k] = wasm_i16x8_narrow_i32x4(wasm_i32x4_shr(lo[k], 11), wasm_i32x4_shr(hi[k], 11));
  transpose8(w);
  idct16_pass(w, g_idk[11], lo, hi);
  /* >> 18: the high 16 bits of each lane (>> 16 exactly, always in i16 range), then >> 2 */
  for (int k = 0; k < 8; k++)
    w[k] = wasm_i16x8_shr(wasm_i16x8_shuffle(lo[k], hi[k], 1, 3, 5, 7, 9, 11, 13, 15), 2);
  transpose8(w);
  for (int k = 0; k < 8; k += 2) {
    v128_t p = wasm_u8x16_narrow_i16x8(w[k], w[k + 1]);
    wasm_v128_store64_lane(out + k * stride, p, 0);
    wasm_v128_store64_lane(out + (k + 1) * stride, p, 1);
  }
}

INLINE u8 clamp_u8(int v) { return (u8)(v < 0 ? 0 : v > 255 ? 255 : v); }

static void fill_block(u8 *out, int stride, int n, int v) {
  u8 c = clamp_u8(v);
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++) out[y * stride + x] = c;
}

/* DCT-domain reduced IDCTs: the 8-point IDCT evaluated at the centres of
 * n = 4, 2 output pixels using the low n x n coefficients. */
static float g_m4[4][4], g_m2[2][2];
static v128_t g_m4v[4][4], g_bias4; /* splatted, loaded (see g_idk) */
static int g_mats;
static float fcos(float x) { /* cos on [0, 2pi*2], Taylor after range reduction */
  const float PI = 3.14159265358979f;
  while (x > PI) x -= 2 * PI;
  while (x < -PI) x += 2 * PI;
  float s = 1.0f, t = 1.0f, x2 = x * x;
  for (int i = 1; i < 14; i++) { t *= -x2 / (float)((2 * i - 1) * (2 * i)); s += t; }
  return s;
}
static void init_mats(void) {
  const float PI = 3.14159265358979f;
  for (int m = 0; m < 4; m++)
    for (int k = 0; k < 4; k++)
      g_m4[m][k] = (k ? 1.0f : 0.70710678f) * 0.5f * fcos((2 * m + 1) * k * PI / 8);
  for (int m = 0; m < 2; m++)
    for (int k = 0; k < 2; k++)
      g_m2[m][k] = (k ? 1.0f : 0.70710678f) * 0.5f * fcos((2 * m + 1) * k * PI / 4);
  for (int m = 0; m < 4; m++)
    for (int k = 0; k < 4; k++) g_m4v[m][k] = wasm_f32x4_splat(g_m4[m][k]);
  g_bias4 = wasm_f32x4_splat(128.5f);
  g_mats = 1;
}
INLINE u8 fclamp(float v) {
  v += 128.5f;
  if (!(v >= 0.0f)) return 0;
  if (v >= 255.0f) return 255;
  return (u8)(int)v;
}
INLINE void transpose4f(v128_t *r) {
  v128_t a = wasm_i32x4_shuffle(r[0], r[1], 0, 4, 1, 5), b = wasm_i32x4_shuffle(r[2], r[3], 0, 4, 1, 5);
  v128_t c = wasm_i32x4_shuffle(r[0], r[1], 2, 6, 3, 7), d = wasm_i32x4_shuffle(r[2], r[3], 2, 6, 3, 7);
  r[0] = wasm_i64x2_shuffle(a, b, 0, 2);
  r[1] = wasm_i64x2_shuffle(a, b, 1, 3);
  r[2] = wasm_i64x2_shuffle(c, d, 0, 2);
  r[3] = wasm_i64x2_shuffle(c, d, 1, 3);
}
NOINLINE void idct4x4(const i16 *blk, const i16 *q, u8 *out, int stride) {
  v128_t F[4], T[4];
  for (int k = 0; k < 4; k++)
    F[k] = wasm_f32x4_convert_i32x4(
        wasm_i32x4_mul(wasm_i32x4_load16x4(blk + 8 * k), wasm_i32x4_load16x4(q + 8 * k)));
  for (int m = 0; m < 4; m++) {
    v128_t acc = wasm_f32x4_mul(F[0], g_m4v[m][0]);
    for (int k = 1; k < 4; k++) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(F[k], g_m4v[m][k]));
    T[m] = acc; /* T[m] lane l = pass-1 value at row m, column l */
  }
  transpose4f(T); /* T[l] lane m */
  for (int n = 0; n < 4; n++) {
    v128_t acc = wasm_f32x4_mul(T[0], g_m4v[n][0]);
    for (int l = 1; l < 4; l++) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(T[l], g_m4v[n][l]));
    F[n] = acc; /* F[n] lane m = out[m][n] */
  }
  transpose4f(F); /* F[m] lane n */
  v128_t bias = g_bias4;
  v128_t i0 = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_add(F[0], bias));
  v128_t i1 = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_add(F[1], bias));
  v128_t i2 = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_add(F[2], bias));
  v128_t i3 = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_add(F[3], bias));
  v128_t p = wasm_u8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(i0, i1), wasm_i16x8_narrow_i32x4(i2, i3));
  wasm_v128_store32_lane(out, p, 0);
  wasm_v128_store32_lane(out + stride, p, 1);
  wasm_v128_store32_lane(out + 2 * stride, p, 2);
  wasm_v128_store32_lane(out + 3 * stride, p, 3);
}
NOINLINE void idct2x2(const i16 *blk, const i16 *q, u8 *out, int stride) {
  float c00 = (float)(blk[0] * q[0]), c01 = (float)(blk[1] * q[1]);
  float c10 = (float)(blk[8] * q[8]), c11 = (float)(blk[9] * q[9]);
  for (int m = 0; m < 2; m++) {
    float t0 = g_m2[m][0] * c00 + g_m2[m][1] * c10;
    float t1 = g_m2[m][0] * c01 + g_m2[m][1] * c11;
    for (int n = 0; n < 2; n++) out[m * stride + n] = fclamp(g_m2[n][0] * t0 + g_m2[n][1] * t1);
  }
}

/* Dispatch by DCT scale. ac = block has non-zero AC coefficients. */
static int g_skip_idct;
INLINE void idct_block(const i16 *blk, const i16 *q, u8 *out, int stride, int ac) {
  if (UNLIKELY(g_skip_idct)) return;
  switch (D.scale) {
  case 1:
    if (ac) idct8x8(blk, q, out, stride);
    else {
      int v = ((blk[0] * q[0] + 4) >> 3) + 128;
      u64 c = (u64)clamp_u8(v) * 0x0101010101010101ull;
      for (int y = 0; y < 8; y++) __builtin_memcpy(out + y * stride, &c, 8);
    }
    break;
  case 2:
    if (ac) idct4x4(blk, q, out, stride);
    else fill_block(out, stride, 4, ((blk[0] * q[0] + 4) >> 3) + 128);
    break;
  case 4:
    if (ac) idct2x2(blk, q, out, stride);
    else fill_block(out, stride, 2, ((blk[0] * q[0] + 4) >> 3) + 128);
    break;
  default:
    out[0] = clamp_u8(((blk[0] * q[0] + 4) >> 3) + 128);
  }
}

/* ---- entropy decoding -------------------------------------------------------- */
/* Decode one baseline block into g_blk (natural order, not dequantised).
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
  while (k < 64) {
    if (r->cnt < 3 * FB) refill(r);
    i32 f = ac->fast_ac[r->buf >> (64 - FB)];
    if (LIKELY(f)) {
#define FAST_AC_STEP()                          \
      k += (f >> 8) & 255;                      \
      r->buf <<= f & 255;                       \
      r->cnt -= f & 255;                        \
      if (UNLIKELY(k > 63)) {                   \
        if (f & 0x8000) break; /* EOB */        \
        return -1;                              \
      }                                         \
      blk[zz[k]] = (i16)(f >> 16);              \
      any = 1;                                  \
      k++;
      FAST_AC_STEP()
      /* a fast entry uses <= FB bits of the >= 32 present: a second fast
       * lookup needs no refill check */
      if (k > 63) break;
      f = ac->fast_ac[r->buf >> (64 - FB)];
      if (!f) continue;
      FAST_AC_STEP()
      if (k > 63) break;
      f = ac->fast_ac[r->buf >> (64 - FB)];
      if (!f) continue;
      FAST_AC_STEP()
#undef FAST_AC_STEP
      continue;
    }
    int rs = huff_sym(r, ac);
    if (UNLIKELY(rs < 0)) return -1;
    int run = rs >> 4, sz = rs & 15;
    if (sz) {
      k += run;
      if (UNLIKELY(k > 63)) return -1;
      blk[zz[k]] = (i16)extend(get_bits(r, sz), sz);
      any = 1;
      k++;
    } else if (run == 15) {
      k += 16;
    } else {
      break;
    }
  }
  return any;
}

/* Find the next marker from the reader position. Returns bytes of data skipped
 * (not counting bits held in the buffer) and leaves g_br.p on the 0xFF. */
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
  BR *r = &g_br;
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
  BR *r = &g_br;
  if (r->cnt < r->pad) return E_SCAN_TRUNCATED;
  u32 skipped = seek_marker(r);
  if (skipped > MAX_EXTRANEOUS) return E_EXTRANEOUS;
  D.extraneous += (int)skipped;
  D.pos = (u32)(r->p - D.data);
  return 0;
}

#define RESTART_CHECK()                                  \
  if (D.restart) {                                       \
    if (rst_left == 0) {                                 \
      g_br = r;                                          \
      int e_ = restart_sync(&next_rst);                  \
      if (e_) FAIL(e_);                                  \
      r = g_br;                                          \
    }                                                    \
    rst_left = (rst_left ? rst_left : D.restart) - 1;    \
  }

static int scan_baseline(void) {
  BR r = g_br;
  int rst_left = D.restart, next_rst = 0;
  int bs = D.bs;
  i16 *blk = g_blk;
  if (D.ns == 1) {
    Comp *c = D.sc[0];
    const Huff *dc = &D.dc[c->td], *ac = &D.ac[c->ta];
    const i16 *q = D.scale == 1 ? D.qtp[c->tq] : D.qt[c->tq];
    for (int by = 0; by < c->nby; by++) {
      u8 *row = c->plane + (u32)by * bs * c->stride;
      for (int bx = 0; bx < c->nbx; bx++) {
        RESTART_CHECK();
        int a = decode_block(&r, blk, dc, ac, &c->pred);
        if (UNLIKELY(a < 0)) FAIL(E_BAD_HUFFMAN);
        idct_block(blk, q, row + bx * bs, c->stride, a);
        if (a) for (int i = 0; i < 8; i++) wasm_v128_store(blk + 8 * i, wasm_i64x2_const(0, 0));
        else blk[0] = 0;
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
          const Huff *dc = &D.dc[c->td], *ac = &D.ac[c->ta];
          const i16 *q = D.scale == 1 ? D.qtp[c->tq] : D.qt[c->tq];
          for (int v = 0; v < c->v; v++) {
            u8 *row = c->plane + (u32)(my * c->v + v) * bs * c->stride + mx * c->h * bs;
            for (int h = 0; h < c->h; h++) {
              int a = decode_block(&r, blk, dc, ac, &c->pred);
              if (UNLIKELY(a < 0)) FAIL(E_BAD_HUFFMAN);
              idct_block(blk, q, row + h * bs, c->stride, a);
              if (a) for (int k = 0; k < 8; k++) wasm_v128_store(blk + 8 * k, wasm_i64x2_const(0, 0));
              else blk[0] = 0;
            }
          }
        }
        if (UNLIKELY(r.cnt < r.pad)) FAIL(E_SCAN_TRUNCATED);
      }
    }
    for (int i = 0; i < D.ns; i++) D.sc[i]->covered = 1;
  }
  g_br = r;
  int e = finish_scan();
  if (e) FAIL(e);
  return ST_OK;
}

/* Progressive block decoders (G.1.2). Return 0 ok, -1 corrupt. */
static int prog_block(BR *r, i16 *blk, Comp *c) {
  if (r->cnt < 32) refill(r);
  if (D.ss == 0) {
    if (D.ah == 0) {
      int s = huff_sym(r, &D.dc[c->td]);
      if (s < 0 || s > 15) return -1;
      if (s) c->pred += extend(get_bits(r, s), s);
      blk[0] = (i16)(c->pred * (1 << D.al));
    } else {
      if (get_bits(r, 1)) blk[0] = (i16)(blk[0] | (1 << D.al));
    }
    return 0;
  }
  const Huff *ac = &D.ac[c->ta];
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
        blk[zz[k]] = (i16)(extend(get_bits(r, s), s) * (1 << al));
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
        i16 *cp = &blk[zz[k]];
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
        blk[zz[k]] = (i16)val;
      }
    }
  }
  if (D.eobrun > 0) {
    for (; k <= se; k++) {
      i16 *cp = &blk[zz[k]];
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
  BR r = g_br;
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
  g_br = r;
  int e = finish_scan();
  if (e) FAIL(e);
  return ST_OK;
}

static void idct_all_progressive(void) {
  int bs = D.bs;
  for (int i = 0; i < D.ncomp; i++) {
    Comp *c = &D.comp[i];
    const i16 *q = D.scale == 1 ? D.qtp[c->tq] : D.qt[c->tq];
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

/* ---- output: chroma upsampling, colour conversion, resampling ---------------- */
static u16 *g_colsum; /* width + 2 */
static int g_fancy;

/* Row y (decoded coordinates) of component c at full decoded width into tmp (or a
 * pointer straight into the plane). */
static const u8 *comp_row(Comp *c, int y, u8 *tmp, int outw) {
  if (c->rh == 1 && c->rv == 1) return c->plane + (u32)y * c->stride;
  int n = c->sw, sh = c->sh;
  /* libjpeg-turbo (jdsample.c jinit_upsampler): the h2v1 / h2v2 triangle filters only for
   * components more than 2 samples wide, replication otherwise; h1v2 whatever the width. */
  if (g_fancy && c->rh == 2 && (c->rv == 1 || c->rv == 2) && n > 2) {
    u16 *cs = g_colsum + 1;
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
      cs[-1] = cs[0];
      cs[n] = cs[n - 1];
      i = 0;
      v128_t r8 = g_vk2[0], r7 = g_vk2[1];
      for (; i + 8 <= n; i += 8) {
        v128_t m = wasm_v128_load(cs + i), p = wasm_v128_load(cs + i - 1), nx = wasm_v128_load(cs + i + 1);
        v128_t m3 = wasm_i16x8_add(m, wasm_i16x8_shl(m, 1));
        v128_t ev = wasm_u16x8_shr(wasm_i16x8_add(wasm_i16x8_add(m3, p), r8), 4);
        v128_t od = wasm_u16x8_shr(wasm_i16x8_add(wasm_i16x8_add(m3, nx), r7), 4);
        /* both <= 255: byte pairs (ev, od) are the i16 lanes ev | od << 8 */
        wasm_v128_store(tmp + 2 * i, wasm_v128_or(ev, wasm_i16x8_shl(od, 8)));
      }
      for (; i < n; i++) {
        tmp[2 * i] = (u8)((3 * cs[i] + cs[i - 1] + 8) >> 4);
        tmp[2 * i + 1] = (u8)((3 * cs[i] + cs[i + 1] + 7) >> 4);
      }
    } else {
      /* h2v1: triangle filter on one row */
      u16 *cs2 = cs;
      int i = 0;
      for (; i < n; i++) cs2[i] = near[i];
      cs2[-1] = cs2[0];
      cs2[n] = cs2[n - 1];
      v128_t r1 = g_vk2[2], r2 = g_vk2[3];
      i = 0;
      for (; i + 8 <= n; i += 8) {
        v128_t m = wasm_v128_load(cs2 + i), p = wasm_v128_load(cs2 + i - 1), nx = wasm_v128_load(cs2 + i + 1);
        v128_t m3 = wasm_i16x8_add(m, wasm_i16x8_shl(m, 1));
        v128_t ev = wasm_u16x8_shr(wasm_i16x8_add(wasm_i16x8_add(m3, p), r1), 2);
        v128_t od = wasm_u16x8_shr(wasm_i16x8_add(wasm_i16x8_add(m3, nx), r2), 2);
        wasm_v128_store(tmp + 2 * i, wasm_v128_or(ev, wasm_i16x8_shl(od, 8)));
      }
      for (; i < n; i++) {
        tmp[2 * i] = (u8)((3 * cs2[i] + cs2[i - 1] + 1) >> 2);
        tmp[2 * i + 1] = (u8)((3 * cs2[i] + cs2[i + 1] + 2) >> 2);
      }
    }
    return tmp;
  }
  if (g_fancy && c->rh == 1 && c->rv == 2) {
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

static u8 *g_tmp[3];  /* upsampled component rows */
static u8 *g_rgb[3];  /* planar rows for the direct HWC path */
static int g_outw, g_outh; /* decoded size at the DCT scale */

/* Produce decoded row y as nch planar channel rows into dst[]. dst may point
 * straight into the output. */
static void produce_row(int y, u8 **dst, int nch) {
  int w = g_outw;
  if (D.ncomp == 1) {
    const u8 *s = D.comp[0].plane + (u32)y * D.comp[0].stride;
    for (int c = 0; c < nch; c++) __builtin_memcpy(dst[c], s, (unsigned long)w);
    return;
  }
  const u8 *c0 = comp_row(&D.comp[0], y, g_tmp[0], w);
  if (nch == 1 && !D.rgb) { __builtin_memcpy(dst[0], c0, (unsigned long)w); return; }
  const u8 *c1 = comp_row(&D.comp[1], y, g_tmp[1], w);
  const u8 *c2 = comp_row(&D.comp[2], y, g_tmp[2], w);
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
  int w = g_outw;
  if (D.ncomp != 3 || D.rgb) {
    produce_row(y, g_rgb, 3);
    interleave3(g_rgb[0], g_rgb[1], g_rgb[2], o, w);
    return;
  }
  const u8 *c0 = comp_row(&D.comp[0], y, g_tmp[0], w);
  const u8 *c1 = comp_row(&D.comp[1], y, g_tmp[1], w);
  const u8 *c2 = comp_row(&D.comp[2], y, g_tmp[2], w);
  int i = 0;
  for (; i + 16 <= w; i += 16) {
    v128_t R, G, B;
    ycc16(c0 + i, c1 + i, c2 + i, &R, &G, &B);
    store_rgb48(R, G, B, o + 3 * i);
  }
  for (; i < w; i++) ycc1(c0 + i, c1 + i, c2 + i, o + 3 * i, o + 3 * i + 1, o + 3 * i + 2);
}

/* -- resampling -- */
typedef struct { i32 start, n, w; } Tap;

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

typedef struct {
  int dw, dh, nch, layout, dx0, dy0, outw, outh;
  Tap *xt, *yt;
  i16 *xw, *yw;
  int maxny, maxnx;
  const i16 **rows;
  i32 *x0, *x1;  /* 2-tap horizontal form (maxnx <= 2) */
  i32 *xw0, *xw1;
  i32 *xw4; /* 4-tap padded weights (2 < maxnx <= 4) */
  /* SIMD 2-tap form, per group of 8 destination pixels: source base (-1 = the
   * taps span more than 16 source pixels: scalar), byte swizzle picking the
   * (x0, x1) pairs from 16 bytes at base, and the (w0, w1) pairs as i16. */
  int ngroups;
  i32 *gbase;
  u8 *gmask;
  i16 *gw;
  i16 *ring;   /* (maxny + 1) slots * nch * dw */
  int *tags;
  i32 *acc;
  u8 *srow[3];
} Resampler;
static Resampler RS;

static void hfilter(const u8 *src, i16 *dst) {
  int dw = RS.dw;
  if (RS.maxnx <= 2) {
    const i32 *x0 = RS.x0, *x1 = RS.x1, *w0 = RS.xw0, *w1 = RS.xw1;
    const v128_t rnd = g_vk[14];
    int ng = RS.ngroups;
    for (int g = 0; g < ng; g++) {
      i32 base = RS.gbase[g];
      int d0 = 8 * g;
      if (UNLIKELY(base < 0)) {
        for (int d = d0; d < d0 + 8; d++) dst[d] = (i16)((w0[d] * src[x0[d]] + w1[d] * src[x1[d]] + 64) >> 7);
        continue;
      }
      /* src has >= 64 bytes of slack past the row, so 16 bytes at base are readable */
      v128_t p = wasm_i8x16_swizzle(wasm_v128_load(src + base), wasm_v128_load(RS.gmask + 16 * g));
      v128_t a = wasm_i32x4_dot_i16x8(wasm_u16x8_extend_low_u8x16(p), wasm_v128_load(RS.gw + 16 * g));
      v128_t b = wasm_i32x4_dot_i16x8(wasm_u16x8_extend_high_u8x16(p), wasm_v128_load(RS.gw + 16 * g + 8));
      a = wasm_i32x4_shr(wasm_i32x4_add(a, rnd), 7);
      b = wasm_i32x4_shr(wasm_i32x4_add(b, rnd), 7);
      wasm_v128_store(dst + d0, wasm_i16x8_narrow_i32x4(a, b));
    }
    for (int d = 8 * ng; d < dw; d++) dst[d] = (i16)((w0[d] * src[x0[d]] + w1[d] * src[x1[d]] + 64) >> 7);
    return;
  }
  if (RS.maxnx <= 4) {
    const i32 *x0 = RS.x0, *w = RS.xw4;
    for (int d = 0; d < dw; d++, w += 4) {
      const u8 *s = src + x0[d];
      dst[d] = (i16)((w[0] * s[0] + w[1] * s[1] + w[2] * s[2] + w[3] * s[3] + 64) >> 7);
    }
    return;
  }
  const Tap *xt = RS.xt;
  const i16 *xw = RS.xw;
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
  i32 *acc = RS.acc;
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
  int slots = RS.maxny + 1, nch = RS.nch, dw = RS.dw;
  for (int s = 0; s < slots; s++) RS.tags[s] = -1;
  u32 plane = (u32)RS.outw * RS.outh;
  const i16 **rows = RS.rows;
  for (int dy = 0; dy < RS.dh; dy++) {
    const Tap t = RS.yt[dy];
    for (int j = 0; j < t.n; j++) {
      int sy = t.start + j, slot = sy % slots;
      if (RS.tags[slot] != sy) {
        produce_row(sy, RS.srow, nch);
        for (int c = 0; c < nch; c++) hfilter(RS.srow[c], RS.ring + ((u32)slot * nch + c) * dw);
        RS.tags[slot] = sy;
      }
    }
    u32 oy = (u32)(RS.dy0 + dy);
    for (int c = 0; c < nch; c++) {
      int n = t.n;
      for (int j = 0; j < n; j++) rows[j] = RS.ring + ((u32)((t.start + j) % slots) * nch + c) * dw;
      if (RS.layout == 0 || nch == 1) {
        vfilter(rows, RS.yw + t.w, n, out + c * plane + oy * RS.outw + RS.dx0, dw);
      } else {
        u8 *tmp = RS.srow[c];
        vfilter(rows, RS.yw + t.w, n, tmp, dw);
      }
    }
    if (RS.layout == 1 && nch == 3)
      interleave3(RS.srow[0], RS.srow[1], RS.srow[2], out + (oy * RS.outw + RS.dx0) * 3, dw);
  }
}

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
    if (!build_huff(tc ? &D.ac[th] : &D.dc[th], counts, p + i + 17, tc)) FAIL(E_BAD_DHT);
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
  __builtin_memcpy(zz, s == 1 ? zzp : zzn, sizeof zz);
  g_outw = (W + s - 1) / s;
  g_outh = (H + s - 1) / s;
  g_fancy = P[P_FANCY] != 0;
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
  int rowlen = (g_outw > maxw ? g_outw : maxw) * 2 + 64;
  g_colsum = arena_alloc((u64)(rowlen + 4) * 2);
  for (int i = 0; i < 3; i++) g_tmp[i] = arena_alloc((u64)rowlen);
  for (int i = 0; i < 3; i++) g_rgb[i] = arena_alloc((u64)rowlen);
  if (!g_colsum || !g_tmp[0] || !g_tmp[1] || !g_tmp[2] || !g_rgb[2]) FAIL(E_OOM);
  g_colsum[0] = 0;
  /* output */
  u64 outn = (u64)dstw * dsth * nch;
  u8 *out = arena_alloc(outn);
  if (!out) FAIL(E_OOM);
  RS.outw = dstw; RS.outh = dsth; RS.nch = nch;
  RS.layout = P[P_LAYOUT] == 1 ? 1 : 0;
  RS.dx0 = drx; RS.dy0 = dry; RS.dw = drw; RS.dh = drh;
  g_result[R_OUTPTR] = (i32)(unsigned long)out;
  g_result[R_OUTW] = dstw;
  g_result[R_OUTH] = dsth;
  g_result[R_CHANNELS] = nch;
  g_result[R_SCALE] = s;
  /* direct path when no resampling is needed */
  int direct = drw == g_outw && drh == g_outh && sx == 0 && sy == 0 && swd == W && shd == H;
  if (direct) { RS.xt = 0; }
  else {
    if (drw != dstw || drh != dsth) mem_zero(out, outn);
    RS.xt = arena_alloc((u64)drw * sizeof(Tap));
    RS.yt = arena_alloc((u64)drh * sizeof(Tap));
    double rx = swd / s / drw, ry = shd / s / drh;
    u64 nxw = (u64)drw * ((u64)rx + 3), nyw = (u64)drh * ((u64)ry + 3);
    RS.xw = arena_alloc(nxw * 2);
    RS.yw = arena_alloc(nyw * 2);
    if (!RS.xt || !RS.yt || !RS.xw || !RS.yw) FAIL(E_OOM);
    int method = P[P_RESIZE];
    RS.maxnx = build_taps(RS.xt, RS.xw, drw, sx / s, swd / s, g_outw, method);
    RS.maxny = build_taps(RS.yt, RS.yw, drh, sy / s, shd / s, g_outh, method);
    RS.rows = arena_alloc((u64)RS.maxny * sizeof(i16 *));
    RS.x0 = arena_alloc((u64)drw * 4);
    RS.x1 = arena_alloc((u64)drw * 4);
    RS.xw0 = arena_alloc((u64)drw * 4);
    RS.xw1 = arena_alloc((u64)drw * 4);
    if (!RS.rows || !RS.x0 || !RS.x1 || !RS.xw0 || !RS.xw1) FAIL(E_OOM);
    RS.xw4 = 0;
    if (RS.maxnx > 2 && RS.maxnx <= 4) {
      RS.xw4 = arena_alloc((u64)drw * 16);
      if (!RS.xw4) FAIL(E_OOM);
      for (int d = 0; d < drw; d++) {
        Tap t = RS.xt[d];
        RS.x0[d] = t.start; /* start + 3 stays inside the row slack (64 bytes) */
        for (int j = 0; j < 4; j++) RS.xw4[4 * d + j] = j < t.n ? RS.xw[t.w + j] : 0;
      }
    }
    if (RS.maxnx <= 2) {
      for (int d = 0; d < drw; d++) {
        Tap t = RS.xt[d];
        RS.x0[d] = t.start;
        RS.xw0[d] = RS.xw[t.w];
        RS.x1[d] = t.n == 2 ? t.start + 1 : t.start;
        RS.xw1[d] = t.n == 2 ? RS.xw[t.w + 1] : 0;
      }
      int ng = drw / 8;
      RS.ngroups = ng;
      RS.gbase = arena_alloc((u64)ng * 4 + 4);
      RS.gmask = arena_alloc((u64)ng * 16 + 16);
      RS.gw = arena_alloc((u64)ng * 32 + 32);
      if (!RS.gbase || !RS.gmask || !RS.gw) FAIL(E_OOM);
      for (int g = 0; g < ng; g++) {
        i32 base = RS.x0[8 * g];
        for (int d = 8 * g; d < 8 * g + 8; d++) {
          if (RS.x0[d] < base || RS.x0[d] - base > 15 || RS.x1[d] < base || RS.x1[d] - base > 15) base = -1;
          if (RS.xw0[d] > 32767 || RS.xw1[d] > 32767 || RS.xw0[d] < 0 || RS.xw1[d] < 0) base = -1;
        }
        RS.gbase[g] = base;
        if (base < 0) continue;
        for (int j = 0; j < 8; j++) {
          int d = 8 * g + j;
          RS.gmask[16 * g + 2 * j] = (u8)(RS.x0[d] - base);
          RS.gmask[16 * g + 2 * j + 1] = (u8)(RS.x1[d] - base);
          RS.gw[16 * g + 2 * j] = (i16)RS.xw0[d];
          RS.gw[16 * g + 2 * j + 1] = (i16)RS.xw1[d];
        }
      }
    }
    RS.ring = arena_alloc((u64)(RS.maxny + 1) * nch * drw * 2);
    RS.tags = arena_alloc((u64)(RS.maxny + 1) * 4);
    RS.acc = arena_alloc((u64)drw * 4 + 64);
    for (int c = 0; c < nch; c++) RS.srow[c] = arena_alloc((u64)g_outw + 64);
    if (!RS.ring || !RS.tags || !RS.acc || !RS.srow[nch - 1]) FAIL(E_OOM);
  }
  return ST_OK;
}

static int output_image(void) {
  u8 *out = (u8 *)(unsigned long)(u32)g_result[R_OUTPTR];
  int nch = RS.nch;
  if (RS.xt) { resample_run(out); return ST_OK; }
  u32 W = (u32)g_outw, plane = (u32)g_outw * g_outh;
  for (int y = 0; y < g_outh; y++) {
    if (nch == 1) {
      u8 *dst[1] = {out + (u32)y * W};
      produce_row(y, dst, 1);
    } else if (RS.layout == 0) {
      u8 *dst[3] = {out + (u32)y * W, out + plane + (u32)y * W, out + 2 * plane + (u32)y * W};
      produce_row(y, dst, 3);
    } else {
      produce_row_hwc(y, out + (u32)y * W * 3);
    }
  }
  return ST_OK;
}

/* ---- main entry ---------------------------------------------------------------- */
static int parse_sos(const u8 *p, u32 n) {
  if (!D.seen_sof) FAIL(E_SOS_BEFORE_SOF);
  if (n < 1) FAIL(E_BAD_SOS);
  int ns = p[0];
  if (ns < 1 || ns > 4 || n != 4u + 2u * ns) FAIL(E_BAD_SOS);
  D.ns = ns;
  for (int i = 0; i < ns; i++) {
    int id = p[1 + 2 * i], t = p[2 + 2 * i];
    Comp *c = 0;
    for (int j = 0; j < D.ncomp; j++)
      if (D.comp[j].id == id) c = &D.comp[j];
    if (!c) FAIL(E_BAD_SOS);
    for (int j = 0; j < i; j++)
      if (D.sc[j] == c) FAIL(E_BAD_SOS);
    c->td = t >> 4;
    c->ta = t & 15;
    if (c->td > 3 || c->ta > 3) FAIL(E_BAD_SOS);
    D.sc[i] = c;
  }
  const u8 *q = p + 1 + 2 * ns;
  D.ss = q[0];
  D.se = q[1];
  D.ah = q[2] >> 4;
  D.al = q[2] & 15;
  if (D.progressive) {
    if (D.ss > 63 || D.se > 63 || D.ss > D.se || D.ah > 13 || D.al > 13) FAIL(E_BAD_PROGRESSION);
    if (D.ss == 0 && D.se != 0) FAIL(E_BAD_PROGRESSION);
    if (D.ss > 0 && ns != 1) FAIL(E_BAD_PROGRESSION);
    if (D.ah && D.ah != D.al + 1) FAIL(E_BAD_PROGRESSION);
  } else {
    if (D.ss != 0 || D.se != 63 || D.ah || D.al) D.scan_parameters = 1; /* ignored, as libjpeg */
    D.ss = 0; D.se = 63; D.ah = D.al = 0;
  }
  if (ns > 1) {
    int blocks = 0;
    for (int i = 0; i < ns; i++) blocks += D.sc[i]->h * D.sc[i]->v;
    if (blocks > 10) FAIL(E_BAD_SOS);
  }
  for (int i = 0; i < ns; i++) {
    Comp *c = D.sc[i];
    if (!D.qdef[c->tq]) FAIL(E_UNDEF_QT);
    int need_dc = D.ss == 0 && D.ah == 0, need_ac = D.se > 0;
    if (need_dc && !D.dc[c->td].defined) FAIL(E_UNDEF_HT);
    if (need_ac && !D.ac[c->ta].defined) FAIL(E_UNDEF_HT);
  }
  for (int i = 0; i < ns; i++) {
    Comp *c = D.sc[i];
    if (!D.progressive) {
      /* libjpeg: "Didn't expect more than one scan" / a component coded twice */
      if (c->covered) FAIL(E_DUP_SCAN);
      continue;
    }
    signed char *cb = D.cbits[c - D.comp];
    if (D.ss > 0 && cb[0] < 0) FAIL(E_INCONSISTENT_PROGRESSION); /* AC before DC */
    for (int k = D.ss; k <= D.se; k++) {
      int prev = cb[k];
      if (D.ah == 0 ? prev >= 0 : prev != D.ah) FAIL(E_INCONSISTENT_PROGRESSION);
      cb[k] = (signed char)D.al;
    }
  }
  return ST_OK;
}

static int decode_main(void) {
  const u8 *d = D.data;
  u32 len = D.len;
  if (len == 0) FAIL(E_EMPTY);
  if (len < 2 || d[0] != 0xFF || d[1] != 0xD8) FAIL(E_NOT_JPEG);
  u32 pos = 2;
  int maxscans = g_params[P_MAXSCANS];
  int setup = 0;
  for (;;) {
    if (pos >= len) {
      if (D.nscans == 0) FAIL(E_NO_IMAGE);
      /* no EOI: a progressive file may be missing scans (refused, as the TypeScript decoder
       * does); a sequential one with every component decoded is complete (a warning) */
      if (D.progressive) FAIL(E_NO_EOI);
      D.no_eoi = 1;
      break;
    }
    if (d[pos] != 0xFF) FAIL(E_BAD_MARKER);
    while (pos < len && d[pos] == 0xFF) pos++;
    if (pos >= len) continue; /* fill bytes up to the end: the end-of-file rules above */
    int m = d[pos++];
    if (m == 0xD9) break;
    if (m == 0xD8 || m == 0x00) FAIL(E_BAD_MARKER);
    if ((m >= 0xD0 && m <= 0xD7) || m == 0x01) continue;
    if (len - pos < 2) FAIL(E_SEGMENT_TRUNCATED);
    u32 L = be16(d + pos);
    if (L < 2 || L > len - pos) FAIL(E_SEGMENT_TRUNCATED);
    const u8 *p = d + pos + 2;
    u32 n = L - 2;
    pos += L;
    int st = ST_OK;
    switch (m) {
    case 0xC0: case 0xC1: case 0xC2:
      st = parse_sof(p, n, m);
      if (st != ST_OK) return st;
      if ((double)D.width * D.height > g_pmax) { D.detail = E_PIXELS; return ST_TOO_LARGE; }
      break;
    case 0xC3: case 0xC7: case 0xCB: case 0xCF:
      D.detail = NH_LOSSLESS; return ST_NOT_HANDLED;
    case 0xC5: case 0xC6: case 0xCD: case 0xCE: case 0xDE: case 0xDF:
      D.detail = NH_HIERARCHICAL; return ST_NOT_HANDLED;
    case 0xC9: case 0xCA:
      D.detail = NH_ARITHMETIC; return ST_NOT_HANDLED;
    case 0xC4: st = parse_dht(p, n); break;
    case 0xCC: break; /* DAC: arithmetic only, SOF will report not-handled */
    case 0xDB: st = parse_dqt(p, n); break;
    case 0xDD:
      if (n < 2) FAIL(E_BAD_DRI);
      D.restart = (int)be16(p);
      break;
    case 0xDC: break; /* DNL: ignored (zero heights are refused at SOF) */
    case 0xE0:
      if (n >= 5 && p[0] == 'J' && p[1] == 'F' && p[2] == 'I' && p[3] == 'F' && p[4] == 0) D.jfif = 1;
      break;
    case 0xE1: parse_exif(p, n); break;
    case 0xEE:
      if (n >= 12 && p[0] == 'A' && p[1] == 'd' && p[2] == 'o' && p[3] == 'b' && p[4] == 'e') {
        D.adobe = 1;
        D.adobe_transform = p[11];
      }
      break;
    case 0xDA: {
      st = parse_sos(p, n);
      if (st != ST_OK) return st;
      if (g_params[P_ORIENT] && D.orientation != 1) { D.detail = NH_ORIENTATION; return ST_NOT_HANDLED; }
      if (++D.nscans > maxscans) { D.detail = E_SCANS; return ST_TOO_LARGE; }
      if (!setup) {
        st = setup_frame();
        if (st != ST_OK) return st;
        setup = 1;
      }
      g_br.p = d + pos;
      g_br.end = d + len;
      g_br.buf = 0;
      g_br.cnt = g_br.pad = g_br.marker = 0;
      for (int i = 0; i < D.ncomp; i++) D.comp[i].pred = 0;
      st = D.progressive ? scan_progressive() : scan_baseline();
      if (st != ST_OK) return st;
      pos = D.pos;
      break;
    }
    default:
      if (m >= 0xE0) break; /* APPn, JPGn, COM: skipped */
      FAIL(E_BAD_MARKER);
    }
    if (st != ST_OK) return st;
  }
  if (!D.seen_sof || D.nscans == 0) FAIL(E_NO_IMAGE);
  for (int i = 0; i < D.ncomp; i++)
    if (D.progressive ? D.cbits[i][0] < 0 : !D.comp[i].covered) FAIL(E_MISSING_SCAN);
  if (D.ncomp == 3) {
    if (D.adobe) D.rgb = D.adobe_transform == 0;
    else if (!D.jfif && D.comp[0].id == 'R' && D.comp[1].id == 'G' && D.comp[2].id == 'B') D.rgb = 1;
  }
  if (D.progressive) idct_all_progressive();
  if (g_params[P_PROFILE] & 1) return ST_OK; /* profiling: skip the output stage */
  return output_image();
}

EXPORT("fp_params") i32 *fp_params(void) { return g_params; }
EXPORT("fp_result") i32 *fp_result(void) { return g_result; }

EXPORT("fp_input") u32 fp_input(u32 size) {
  if (size > g_in_cap) {
    u64 cap = ((u64)size + (size >> 2) + 65535) & ~65535ull;
    if (!mem_ensure((u64)in_base() + cap + 128)) return 0;
    g_in_cap = (u32)cap;
  }
  return in_base();
}

/* Decode the g_params[P_LEN] input bytes. Returns the status (also in result[0]). */
EXPORT("fp_decode") i32 fp_decode(double max_pixels) {
  if (!g_inited) { init_tables(); init_idct_consts(); }
  if (!g_mats) init_mats();
  /* Every decode starts from clean state, however the previous one ended: an error exit
   * leaves g_blk half-written (it is cleared only after each successful block), and the
   * reader and resampler hold the previous file's pointers. */
  mem_zero(&D, sizeof D);
  mem_zero(g_blk, sizeof g_blk);
  mem_zero(&g_br, sizeof g_br);
  mem_zero(&RS, sizeof RS);
  for (int i = 0; i < R_COUNT; i++) g_result[i] = 0;
  g_pmax = max_pixels;
  g_skip_idct = (g_params[P_PROFILE] & 2) != 0; /* profiling: entropy decoding only */
  g_arena_ptr = arena_base();
  D.orientation = 1;
  D.data = (const u8 *)(unsigned long)in_base();
  D.len = (u32)g_params[P_LEN];
  if (D.len > g_in_cap) D.len = 0;
  /* standard tables (MJPEG streams omit DHT) */
  {
    u8 vals[256];
    u8 dcv[12];
    for (int i = 0; i < 12; i++) dcv[i] = (u8)i;
    build_huff(&D.dc[0], STD_DC_L_BITS, dcv, 0);
    build_huff(&D.dc[1], STD_DC_C_BITS, dcv, 0);
    std_ac_vals(vals, STD_AC_L_HEAD, (int)sizeof STD_AC_L_HEAD);
    build_huff(&D.ac[0], STD_AC_L_BITS, vals, 1);
    std_ac_vals(vals, STD_AC_C_HEAD, (int)sizeof STD_AC_C_HEAD);
    build_huff(&D.ac[1], STD_AC_C_BITS, vals, 1);
  }
  int st = decode_main();
  g_result[R_STATUS] = st;
  g_result[R_DETAIL] = D.detail;
  g_result[R_ORIENT] = D.orientation;
  g_result[R_W] = D.width;
  g_result[R_H] = D.height;
  g_result[R_NCOMP] = D.ncomp;
  g_result[R_PROGRESSIVE] = D.progressive;
  g_result[R_WARN_EXTRANEOUS] = D.extraneous;
  g_result[R_WARN_NO_EOI] = D.no_eoi;
  g_result[R_WARN_SCAN_PARAMETERS] = D.scan_parameters;
  return st;
}
