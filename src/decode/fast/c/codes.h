/*
 * Status, "not handled" and error codes, and the parameter / result slots shared with
 * TypeScript. build.sh generates ../codes.ts from this file: one entry per line,
 * `NAME = value,` or `NAME,` (the previous value + 1), and for NH_ and E_ codes the
 * message TypeScript shows in a trailing comment.
 */
#ifndef FP_CODES_H
#define FP_CODES_H

/* status of fp_decode */
enum {
  ST_OK = 0,
  ST_NOT_HANDLED = 1,
  ST_ERROR = 2,
  ST_TOO_LARGE = 3,
  ST_BAD_REQUEST = 4,
};

/* why a file is not handled (the caller falls back to the TypeScript decoder) */
enum {
  NH_ARITHMETIC = 1, /* arithmetic coding */
  NH_LOSSLESS,       /* lossless process */
  NH_PRECISION,      /* sample precision other than 8 bits */
  NH_COMPONENTS,     /* component count other than 1 or 3 (CMYK/YCCK) */
  NH_SAMPLING,       /* non-integer sampling ratios */
  NH_ORIENTATION,    /* EXIF orientation other than 1 */
  NH_HIERARCHICAL,   /* hierarchical process */
};

/* errors (ST_ERROR, ST_TOO_LARGE) */
enum {
  E_EMPTY = 1,                /* empty input */
  E_NOT_JPEG,                 /* not a JPEG file (no SOI marker) */
  E_SEGMENT_TRUNCATED,        /* segment runs past the end of the data (truncated file) */
  E_BAD_MARKER,               /* invalid or unsupported marker */
  E_BAD_SOF,                  /* bad SOF (frame header) */
  E_DUP_SOF,                  /* two SOF markers */
  E_ZERO_SIZE,                /* zero image width or height (DNL not supported) */
  E_BAD_SAMPLING,             /* bogus sampling factors */
  E_BAD_DQT,                  /* bad DQT (quantisation table) */
  E_UNDEF_QT,                 /* scan uses an undefined quantisation table */
  E_BAD_DHT,                  /* bogus Huffman table definition */
  E_UNDEF_HT,                 /* scan uses an undefined Huffman table */
  E_BAD_SOS,                  /* bad SOS (scan header or unknown component) */
  E_BAD_PROGRESSION,          /* invalid progressive scan parameters */
  E_SCAN_TRUNCATED,           /* entropy-coded data ends prematurely (truncated file) */
  E_BAD_HUFFMAN,              /* corrupt entropy-coded data (bad Huffman code) */
  E_COEF_OVERFLOW,            /* corrupt entropy-coded data (coefficient overflow) */
  E_MISSING_RST,              /* corrupt entropy-coded data (missing restart marker) */
  E_EXTRANEOUS,               /* corrupt entropy-coded data (more than 2 extraneous bytes before a marker) */
  E_NO_IMAGE,                 /* no image (missing SOF or SOS) */
  E_MISSING_SCAN,             /* a component was never coded by any scan */
  E_OOM,                      /* out of memory */
  E_BAD_DRI,                  /* bad DRI segment */
  E_SOS_BEFORE_SOF,           /* SOS before SOF */
  E_PIXELS,                   /* too many pixels */
  E_SCANS,                    /* too many scans */
  E_NO_EOI,                   /* missing EOI marker after a progressive scan (later scans may be missing) */
  E_DUP_SCAN,                 /* a component appears in two sequential scans */
  E_BAD_DC_SYMBOL,            /* bogus Huffman table definition (DC symbol above 15) */
  E_INCONSISTENT_PROGRESSION, /* inconsistent progression (a coefficient coded out of order, or AC before DC) */
};

/* bad requests (ST_BAD_REQUEST) */
enum {
  BR_SCALE = 0,
  BR_SRC_RECT = 1,
  BR_DST_RECT = 2,
};

/* parameter slots (fp_params) */
enum {
  P_LEN,
  P_MODE,
  P_SCALE,
  P_DSTW,
  P_DSTH,
  P_LAYOUT,
  P_CHANNELS,
  P_RESIZE,
  P_SRCX,
  P_SRCY,
  P_SRCW,
  P_SRCH,
  P_DRX,
  P_DRY,
  P_DRW,
  P_DRH,
  P_MAXSCANS,
  P_ORIENT,
  P_FANCY,
  P_PROFILE,
  P_COUNT,
};

/* result slots (fp_result) */
enum {
  R_STATUS,
  R_DETAIL,
  R_OUTPTR,
  R_OUTW,
  R_OUTH,
  R_CHANNELS,
  R_ORIENT,
  R_W,
  R_H,
  R_NCOMP,
  R_SCALE,
  R_PROGRESSIVE,
  R_WARN_EXTRANEOUS,
  R_WARN_NO_EOI,
  R_WARN_SCAN_PARAMETERS,
  R_COUNT,
};

/* At most this many data bytes may stand between the end of a scan (or restart interval) and
 * the next marker: reported as a warning (libjpeg: "extraneous bytes before marker"); more is
 * refused as corrupt data. The TypeScript decoder uses the same number (MAX_EXTRANEOUS_BYTES). */
#define MAX_EXTRANEOUS 2

#endif
