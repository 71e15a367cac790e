/*
 * Inverse DCTs: the accurate 8x8 integer IDCT (libjpeg islow, SIMD) and the reduced
 * 4x4 / 2x2 / 1x1 IDCTs for DCT-domain scaling.
 * Part of the fast-path decoder; compiled as one unit through jpeg.c.
 */
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
INLINE void idct_block(const i16 *blk, const i16 *q, u8 *out, int stride, int ac) {
  if (UNLIKELY(D.skip_idct)) return;
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
