/*
 * framepipe fast-path JPEG decoder: the entry points (fp_params, fp_result, fp_input,
 * fp_decode) and the marker loop. The stages live in their own files, laid out like
 * libjpeg-turbo's, and are compiled as one translation unit (so the hot paths inline across
 * stages):
 *   jpeg.h        types, macros, codes (codes.h), memory arena, tables
 *   jdstate.h     per-decode state
 *   jdhufftbl.c   Huffman table construction and cache
 *   jdbits.c      bit reader, Huffman symbols
 *   jidct.c       inverse DCTs
 *   jdhuff.c      block decoders, restarts, scan walks
 *   jdsample.c    upsampling, colour conversion, row output
 *   jdresample.c  resampling to the target size
 *   jdmarker.c    marker parsing, frame setup, output pass
 */
#include "jpeg.h"
#include "jdstate.h"
#include "jdhufftbl.c"
#include "jdbits.c"
#include "jidct.c"
#include "jdhuff.c"
#include "jdsample.c"
#include "jdresample.c"
#include "jdmarker.c"

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
    /* a table selector is checked only when the scan uses it (libjpeg: at start_pass) */
    if (!need_dc) c->td = 0;
    if (!need_ac) c->ta = 0;
    if (need_dc && (c->td > 3 || !D.dc[c->td])) FAIL(E_UNDEF_HT);
    if (need_ac && (c->ta > 3 || !D.ac[c->ta])) FAIL(E_UNDEF_HT);
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
      if ((double)D.width * D.height > D.pmax) { D.detail = E_PIXELS; return ST_TOO_LARGE; }
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
      D.br.p = d + pos;
      D.br.end = d + len;
      D.br.buf = 0;
      D.br.cnt = D.br.pad = D.br.marker = 0;
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
  /* Every decode starts from clean state, however the previous one ended (an error exit
   * leaves the block half-written, the reader and resampler pointing into the previous file):
   * all per-decode state is in D, zeroed here. What stays across decodes is the constant
   * tables and the memory arena (its contents are rewritten or zeroed before use). */
  mem_zero(&D, sizeof D);
  for (int i = 0; i < R_COUNT; i++) g_result[i] = 0;
  D.pmax = max_pixels;
  D.skip_idct = (g_params[P_PROFILE] & 2) != 0; /* profiling: entropy decoding only */
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
    D.dc[0] = huff_table(STD_DC_L_BITS, dcv, 0);
    D.dc[1] = huff_table(STD_DC_C_BITS, dcv, 0);
    std_ac_vals(vals, STD_AC_L_HEAD, (int)sizeof STD_AC_L_HEAD);
    D.ac[0] = huff_table(STD_AC_L_BITS, vals, 1);
    std_ac_vals(vals, STD_AC_C_HEAD, (int)sizeof STD_AC_C_HEAD);
    D.ac[1] = huff_table(STD_AC_C_BITS, vals, 1);
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
