/*
 * The per-decode state: frame, components, tables, scan parameters, bit reader, warnings.
 * fp_decode (jpeg.c) zeroes all of it before every decode.
 * Part of the fast-path decoder; compiled as one unit through jpeg.c.
 */
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


/* resampling: taps of each destination column / row */
typedef struct { i32 start, n, w; } Tap;
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

static struct {
  const u8 *data;
  u32 len, pos;
  int width, height, ncomp, progressive, seen_sof, hmax, vmax, mcux, mcuy, restart;
  int adobe, adobe_transform, jfif, orientation, rgb;
  int scale, bs;
  i16 qt[4][64]; /* natural order */
  i16 qtp[4][64] __attribute__((aligned(16))); /* perm8 order, for idct8x8 */
  u8 qdef[4];
  const Huff *dc[4], *ac[4]; /* tables in the cache (jdhufftbl.c), 0 = not defined */
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
  /* the block being decoded (natural or perm8 order); cleared after each block */
  i16 blk[64 + 16] __attribute__((aligned(16)));
  BR br;                    /* bit reader of the current scan */
  u8 zz[80];                /* zigzag -> coefficient position of this decode (zzn or zzp) */
  double pmax;              /* pixel limit */
  int skip_idct;            /* profiling: entropy decoding only */
  int fancy;                /* triangle-filter chroma upsampling */
  int outw, outh;           /* decoded size at the DCT scale */
  u16 *colsum;              /* upsampling column sums, width + 2 */
  u8 *tmp[3];               /* upsampled component rows */
  u8 *rgbrow[3];            /* planar rows for the direct HWC path */
  Resampler rs;             /* resampling to the target */
} D;


#define FAIL(code) do { D.detail = (code); return ST_ERROR; } while (0)
