/*
 * framepipe fast-path JPEG decoder: C -> wasm32 + simd128, no libc.
 *
 * Common to every stage: integer types, macros, the shared codes, the parameter / result
 * slots, the input buffer and per-decode arena, the zigzag tables and the Huffman table type.
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
static u8 zzn[80], zzp[80];
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
  /* AC, one or two symbols per lookup (0 = use fast_ac / the slow path): the total bits of
   * both (codes + magnitudes) in bits 0-3, the first coefficient's run in 4-7, the distance
   * from the first coefficient to the second in 8-12 (0: no second), EOB after them in bit 13,
   * "has a coefficient" in bit 14, the first value (9-bit signed) in 15-23 and the second
   * (8-bit signed) in 24-31. An entry for a lone EOB has no coefficient and value 0. */
  u32 multi[1 << FB];
  i32 maxcode[18];
  i32 valoff[18];
  u8 vals[256];
} Huff;
