/**
 * framepipe's generic JPEG decoder in pure TypeScript (ITU T.81): baseline,
 * extended and progressive Huffman, arithmetic coding, any sampling
 * factors, restart intervals, grey / YCbCr / RGB / CMYK / YCCK, DCT-domain
 * downscaling and EXIF orientation.
 *
 * The pipeline follows libjpeg: entropy decode -> IDCT into component
 * planes -> per-row upsampling -> colour conversion.
 *
 * @module
 */

import {
  type DecodedImage,
  type DecodeOptions,
  DEFAULT_MAX_PIXELS,
  DEFAULT_MAX_SCANS,
  ImageTooLargeError,
  type JpegDecoder,
  JpegError,
  type JpegInfo,
  UnsupportedJpegError,
} from "./types.ts";
import { HuffmanReader, HuffTable, STD_TABLES } from "./huffman.ts";
import { idct8x8, idctDcOnly, idctReduced } from "./idct.ts";
import { cmykToRgbRow, grayToRgbRow, interleaveRow, rgbToGrayRow, yccToRgbRow } from "./color.ts";
import { RowUpsampler } from "./upsample.ts";
import { applyOrientation, readExifOrientation } from "./exif.ts";
import {
  type FrameHeader,
  markerName,
  parseDht,
  parseDqt,
  parseSof,
  parseSos,
  type ScanHeader,
  u16,
} from "./markers.ts";
import { ArithDecoder } from "./arith.ts";
import {
  type EntropyDecoder,
  SCAN_AC_FIRST,
  SCAN_DC_FIRST,
  SCAN_DC_REFINE,
  SCAN_SEQUENTIAL,
  scanKind,
} from "./entropy.ts";
import { JpegWarningError, jpegWarnings } from "./warnings.ts";

/** Runtime state of one frame component. */
interface Comp {
  id: number;
  h: number;
  v: number;
  tq: number;
  /** Blocks per row / column in the coefficient grid (MCU-padded for multi-component frames). */
  bw: number;
  bh: number;
  /** Blocks actually covering the component (non-interleaved scans). */
  rbw: number;
  rbh: number;
  /** Downsampled size at the output scale. */
  pw: number;
  ph: number;
  /** Latched quantisation table (natural order). */
  q: Int32Array | null;
  /** Coefficients (progressive / arithmetic-progressive). */
  coefs: Int16Array | null;
  /** Samples at the output scale; row stride `bw * bs`. */
  plane: Uint8Array | null;
  stride: number;
  /** DC predictor. */
  pred: number;
  /** Sequential: the component's scan has been decoded. */
  seqDone: boolean;
  /** Whether the output needs this component's samples. */
  needed: boolean;
}

const enum Cs {
  Gray,
  YCbCr,
  Rgb,
  Cmyk,
  Ycck,
}

let stdTables: HuffTable[] | null = null;
function stdTable(ac: boolean, id: number): HuffTable {
  if (!stdTables) stdTables = STD_TABLES.map((t) => new HuffTable(t.counts, t.values));
  return stdTables[(ac ? 2 : 0) + id];
}

function hex2(b: number): string {
  return "0x" + b.toString(16).padStart(2, "0");
}

/** Parser/decoder state for one file. */
class Decoder {
  readonly d: Uint8Array;
  readonly maxPixels: number;
  readonly maxScans: number;
  readonly scale: number;
  readonly bs: number;
  readonly grayOut: boolean;
  qt: (Int32Array | null)[] = [null, null, null, null];
  dcT: (HuffTable | null)[] = [null, null, null, null];
  acT: (HuffTable | null)[] = [null, null, null, null];
  /** DAC conditioning: [Lx, Ux] for DC tables, Kx for AC tables. */
  dacDc: number[] = [0x10, 0x10, 0x10, 0x10];
  dacAc: number[] = [5, 5, 5, 5];
  restartInterval = 0;
  frame: FrameHeader | null = null;
  comps: Comp[] = [];
  jfif = false;
  adobe = -1;
  orientation = 1;
  scans = 0;
  eoi = false;
  /** Progressive: per component, per coefficient, the current Al (-1 = not yet coded). */
  coefBits: Int8Array = new Int8Array(0);
  mcusX = 0;
  mcusY = 0;
  hmax = 1;
  vmax = 1;
  /**
   * The block being decoded. Owned by this decode (never shared between decodes) so that a
   * block left half-written by a corrupt file cannot reach the next file's pixels.
   */
  readonly blk: Int32Array = new Int32Array(64);
  /** Warning: data bytes skipped before markers (Huffman scans). */
  extraneous = 0;
  /** Warning: a sequential scan with Ss/Se/Ah/Al other than 0/63/0/0. */
  scanParameters = false;

  constructor(d: Uint8Array, opts: DecodeOptions) {
    this.d = d;
    this.maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
    this.maxScans = opts.maxScans ?? DEFAULT_MAX_SCANS;
    const s = opts.scale ?? 1;
    if (s !== 1 && s !== 2 && s !== 4 && s !== 8) {
      throw new RangeError(`scale must be 1, 2, 4 or 8 (got ${s})`);
    }
    this.scale = s;
    this.bs = 8 / s;
    this.grayOut = opts.gray ?? false;
  }

  /**
   * Walk the markers. With `headerOnly`, stop at the first SOS.
   */
  run(headerOnly: boolean): void {
    const d = this.d;
    const n = d.length;
    if (n === 0) throw new JpegError("empty input (0 bytes): not a JPEG file");
    if (n < 2 || d[0] !== 0xff || d[1] !== 0xd8) {
      throw new JpegError(
        `not a JPEG file: starts with ${hex2(d[0])}${n > 1 ? " " + hex2(d[1]) : ""}`,
      );
    }
    let pos = 2;
    for (;;) {
      if (pos >= n) break;
      if (d[pos] !== 0xff) {
        throw new JpegError(
          `corrupt JPEG structure: expected a marker at offset ${pos}, found ${hex2(d[pos])}`,
        );
      }
      while (pos < n && d[pos] === 0xff) pos++;
      if (pos >= n) break;
      const m = d[pos++];
      if (m === 0xd9) {
        this.eoi = true;
        break;
      }
      if (m === 0xd8) throw new JpegError("corrupt JPEG structure: a second SOI marker");
      // RSTn outside a scan (e.g. after the last MCU) and TEM carry no length: skip, as libjpeg does.
      if ((m >= 0xd0 && m <= 0xd7) || m === 0x01) continue;
      if (m === 0x00 || m < 0xc0) {
        throw new JpegError(`corrupt JPEG structure: unknown marker ${hex2(m)}`);
      }
      if (pos + 2 > n) {
        throw new JpegError(`premature end of file in the ${markerName(m)} segment header`);
      }
      const len = u16(d, pos);
      if (len < 2) throw new JpegError(`${markerName(m)} segment has a bad length ${len}`);
      if (pos + len > n) {
        throw new JpegError(
          `premature end of file: the ${
            markerName(m)
          } segment (length ${len}) runs past the end of the file`,
        );
      }
      const p = pos + 2;
      const plen = len - 2;
      pos += len;
      if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
        if (this.frame) throw new JpegError("corrupt JPEG structure: two SOF markers");
        this.startFrame(parseSof(d, p, plen, m, this.maxPixels, !headerOnly), headerOnly);
        continue;
      }
      switch (m) {
        case 0xc4:
          parseDht(d, p, plen, this.dcT, this.acT);
          break;
        case 0xc8:
          throw new UnsupportedJpegError("JPG extension marker (0xC8) is not supported");
        case 0xcc:
          this.parseDac(p, plen);
          break;
        case 0xdb:
          parseDqt(d, p, plen, this.qt);
          break;
        case 0xdd:
          if (plen < 2) throw new JpegError("DRI segment is too short");
          this.restartInterval = u16(d, p);
          break;
        case 0xdc:
          // DNL after the first scan: the height was declared non-zero, nothing to do.
          break;
        case 0xda: {
          if (!this.frame) throw new JpegError("corrupt JPEG structure: SOS before any SOF");
          if (headerOnly) return;
          this.scans++;
          if (this.scans > this.maxScans) {
            throw new ImageTooLargeError(
              `the file has more than ${this.maxScans} scans (limit maxScans); refusing to decode`,
            );
          }
          const sh = parseSos(d, p, plen, this.frame);
          if (!this.frame.progressive && (sh.ss !== 0 || sh.se !== 63 || sh.ah || sh.al)) {
            this.scanParameters = true; // libjpeg: JWRN_NOT_SEQUENTIAL, the values are ignored
          }
          pos = this.decodeScan(sh, pos);
          break;
        }
        case 0xe0:
          if (
            plen >= 5 && d[p] === 0x4a && d[p + 1] === 0x46 && d[p + 2] === 0x49 &&
            d[p + 3] === 0x46 && d[p + 4] === 0
          ) this.jfif = true;
          break;
        case 0xe1:
          if (this.orientation === 1) {
            this.orientation = readExifOrientation(d.subarray(p, p + plen));
          }
          break;
        case 0xee:
          if (
            plen >= 12 && d[p] === 0x41 && d[p + 1] === 0x64 && d[p + 2] === 0x6f &&
            d[p + 3] === 0x62 && d[p + 4] === 0x65
          ) this.adobe = d[p + 11];
          break;
        default:
          break; // APPn, COM, JPGn: skipped
      }
    }
    if (headerOnly) {
      if (!this.frame) {
        throw new JpegError(
          this.eoi
            ? "the file contains no image (no frame header before EOI)"
            : "premature end of file before the frame header",
        );
      }
      return;
    }
    if (!this.frame) {
      throw new JpegError(
        this.eoi
          ? "the file contains no image (no frame header before EOI)"
          : "premature end of file: no frame header",
      );
    }
    if (this.scans === 0) {
      throw new JpegError("corrupt JPEG structure: missing SOS marker (no scan data)");
    }
    for (const c of this.comps) {
      if (this.frame.progressive ? this.coefBits[this.comps.indexOf(c) * 64] < 0 : !c.seqDone) {
        throw new JpegError(
          `premature end of file: component ${c.id} has no scan data${
            this.eoi ? "" : " (the file ends without EOI)"
          }`,
        );
      }
    }
    if (!this.eoi && this.frame.progressive) {
      throw new JpegError(
        `premature end of file after scan ${this.scans}: no EOI marker (later scans may be missing)`,
      );
    }
  }

  parseDac(p: number, len: number): void {
    const d = this.d;
    for (let i = 0; i + 1 < len; i += 2) {
      const tc = d[p + i] >> 4;
      const tb = d[p + i] & 15;
      const v = d[p + i + 1];
      if (tb > 3 || tc > 1) throw new JpegError(`bad DAC table ${hex2(d[p + i])}`);
      if (tc === 0) {
        if ((v & 15) > v >> 4) throw new JpegError(`bad DAC DC conditioning ${hex2(v)}`);
        this.dacDc[tb] = v;
      } else {
        if (v < 1 || v > 63) throw new JpegError(`bad DAC AC conditioning ${v}`);
        this.dacAc[tb] = v;
      }
    }
  }

  startFrame(f: FrameHeader, headerOnly: boolean): void {
    this.frame = f;
    if (headerOnly) return;
    let hmax = 1, vmax = 1;
    for (const c of f.components) {
      hmax = Math.max(hmax, c.h);
      vmax = Math.max(vmax, c.v);
    }
    this.hmax = hmax;
    this.vmax = vmax;
    this.mcusX = Math.ceil(f.width / (8 * hmax));
    this.mcusY = Math.ceil(f.height / (8 * vmax));
    const nc = f.components.length;
    const s = this.scale;
    const bs = this.bs;
    for (const fc of f.components) {
      const cw = Math.ceil((f.width * fc.h) / hmax);
      const chh = Math.ceil((f.height * fc.v) / vmax);
      const rbw = Math.ceil(cw / 8);
      const rbh = Math.ceil(chh / 8);
      const bw = nc === 1 ? rbw : this.mcusX * fc.h;
      const bh = nc === 1 ? rbh : this.mcusY * fc.v;
      this.comps.push({
        id: fc.id,
        h: fc.h,
        v: fc.v,
        tq: fc.tq,
        bw,
        bh,
        rbw,
        rbh,
        pw: Math.ceil((f.width * fc.h) / (hmax * s)),
        ph: Math.ceil((f.height * fc.v) / (vmax * s)),
        q: null,
        coefs: null,
        plane: null,
        stride: bw * bs,
        pred: 0,
        seqDone: false,
        needed: true,
      });
    }
    const cs = this.colorSpace();
    if (this.grayOut && (cs === Cs.Gray || cs === Cs.YCbCr)) {
      for (let i = 1; i < nc; i++) this.comps[i].needed = false;
    }
    if (f.progressive) {
      this.coefBits = new Int8Array(nc * 64).fill(-1);
      for (const c of this.comps) c.coefs = new Int16Array(c.bw * c.bh * 64);
    } else {
      for (const c of this.comps) {
        if (c.needed) c.plane = new Uint8Array(c.stride * c.bh * bs);
      }
    }
  }

  colorSpace(): Cs {
    const f = this.frame!;
    const nc = f.components.length;
    if (nc === 1) return Cs.Gray;
    if (nc === 3) {
      if (this.jfif) return Cs.YCbCr;
      if (this.adobe >= 0) return this.adobe === 0 ? Cs.Rgb : Cs.YCbCr;
      const ids = f.components.map((c) => c.id);
      if (ids[0] === 0x52 && ids[1] === 0x47 && ids[2] === 0x42) return Cs.Rgb;
      return Cs.YCbCr;
    }
    if (this.adobe >= 0) return this.adobe === 0 ? Cs.Cmyk : Cs.Ycck;
    return Cs.Cmyk;
  }

  /** Latch quantisation tables and check the progression for a scan. */
  prepareScan(sh: ScanHeader): Comp[] {
    const f = this.frame!;
    const comps: Comp[] = [];
    for (const sc of sh.components) {
      const c = this.comps[sc.index];
      if (!c.q) {
        const q = this.qt[c.tq];
        if (!q) throw new JpegError(`quantisation table ${c.tq} was not defined`);
        c.q = q;
      }
      c.pred = 0;
      comps.push(c);
    }
    if (f.progressive) {
      for (const sc of sh.components) {
        const c = this.comps[sc.index];
        const cb = sc.index * 64;
        if (sh.ss > 0 && this.coefBits[cb] < 0) {
          throw new JpegError(
            `inconsistent progression: AC scan for component ${c.id} before its DC scan`,
          );
        }
        for (let k = sh.ss; k <= sh.se; k++) {
          const prev = this.coefBits[cb + k];
          if (sh.ah === 0 ? prev >= 0 : prev !== sh.ah) {
            throw new JpegError(
              `inconsistent progression for component ${c.id} coefficient ${k}: scan Ah=${sh.ah}, previous Al=${prev}`,
            );
          }
          this.coefBits[cb + k] = sh.al;
        }
      }
    } else {
      for (const c of comps) {
        if (c.seqDone) {
          throw new JpegError(`component ${c.id} appears in two sequential scans`);
        }
        c.seqDone = true;
      }
    }
    return comps;
  }

  huffTable(ac: boolean, id: number): HuffTable {
    const t = (ac ? this.acT : this.dcT)[id];
    if (t) return t;
    if (id <= 1) return stdTable(ac, id);
    throw new JpegError(`${ac ? "AC" : "DC"} Huffman table ${id} was not defined`);
  }

  /** The Huffman reader of a scan at `pos`, with each scan component's tables. */
  huffmanDecoder(sh: ScanHeader, pos: number): EntropyDecoder {
    const prog = this.frame!.progressive;
    const needDc = !prog || (sh.ss === 0 && sh.ah === 0);
    const needAc = !prog || sh.ss > 0;
    const dcs: HuffTable[] = [];
    const acs: HuffTable[] = [];
    for (const sc of sh.components) {
      dcs.push(needDc ? this.huffTable(false, sc.td) : stdTable(false, 0));
      acs.push(needAc ? this.huffTable(true, sc.ta) : stdTable(true, 0));
    }
    return new HuffmanReader(this.d, pos, dcs, acs);
  }

  /** The arithmetic decoder of a scan at `pos`, with each scan component's conditioning. */
  arithDecoder(sh: ScanHeader, pos: number): EntropyDecoder {
    const a = new ArithDecoder(this.d, pos);
    const dcCond: number[] = [];
    const acCond: number[] = [];
    for (const sc of sh.components) {
      if (sc.td > 3 || sc.ta > 3) throw new JpegError("bad arithmetic conditioning table selector");
      dcCond.push(sc.td);
      acCond.push(sc.ta);
    }
    a.startScan(sh.components.length, dcCond, acCond, this.dacDc, this.dacAc);
    return a;
  }

  /**
   * Decode one scan starting at `pos` (Huffman or arithmetic, any scan kind): the one MCU walk.
   * Returns the offset of the next marker.
   */
  decodeScan(sh: ScanHeader, pos: number): number {
    const comps = this.prepareScan(sh);
    const r = this.frame!.arithmetic ? this.arithDecoder(sh, pos) : this.huffmanDecoder(sh, pos);
    const blk = this.blk;
    const ns = comps.length;
    const single = ns === 1;
    const c0 = comps[0];
    const mcusX = single ? c0.rbw : this.mcusX;
    const mcusY = single ? c0.rbh : this.mcusY;
    const ri = this.restartInterval;
    let todo = ri;
    let rst = 0;
    const bs = this.bs;
    const kind = scanKind(this.frame!.progressive, sh.ss, sh.ah);
    const { ss, se, al } = sh;
    const scan = this.scans;
    let my = 0;
    try {
      for (my = 0; my < mcusY; my++) {
        for (let mx = 0; mx < mcusX; mx++) {
          if (ri !== 0) {
            if (todo === 0) {
              this.restart(r, rst);
              rst = (rst + 1) & 7;
              todo = ri;
              for (const c of comps) c.pred = 0;
            }
            todo--;
          }
          for (let i = 0; i < ns; i++) {
            const c = comps[i];
            const h = single ? 1 : c.h;
            const v = single ? 1 : c.v;
            for (let by = 0; by < v; by++) {
              const gy = my * v + by;
              for (let bx = 0; bx < h; bx++) {
                const gx = mx * h + bx;
                if (kind === SCAN_SEQUENTIAL) {
                  if (c.needed) {
                    const last = r.decodeBlock(blk, i, c.q!, c);
                    const plane = c.plane!;
                    const off = gy * bs * c.stride + gx * bs;
                    if (bs === 8) {
                      if (last === 0) idctDcOnly(blk[0], 8, plane, off, c.stride);
                      else idct8x8(blk, plane, off, c.stride);
                    } else {
                      idctReduced(blk, bs, plane, off, c.stride);
                    }
                    if (last === 0) blk[0] = 0;
                    else blk.fill(0);
                  } else {
                    r.skipBlock(blk, i, c.q!, c);
                  }
                } else {
                  const co = c.coefs!;
                  const off = (gy * c.bw + gx) * 64;
                  if (kind === SCAN_DC_FIRST) r.dcFirst(co, off, i, c, al);
                  else if (kind === SCAN_DC_REFINE) r.dcRefine(co, off, al);
                  else if (kind === SCAN_AC_FIRST) r.acFirst(co, off, i, ss, se, al);
                  else r.acRefine(co, off, i, ss, se, al);
                }
              }
            }
          }
          if (r.overrun()) {
            throw new JpegError(`premature end of data in scan ${scan} at MCU row ${my}`, {
              scan,
              mcuRow: my,
            });
          }
        }
      }
      const next = r.finishSegment();
      this.extraneous += r.extraneous;
      return next;
    } catch (e) {
      if (e instanceof JpegError && e.scan === undefined) {
        throw new JpegError(`${e.message} in scan ${scan} at MCU row ${my}`, {
          cause: e,
          scan,
          mcuRow: my,
        });
      }
      throw e;
    }
  }

  /** Check the reader is at the expected RSTn marker and start the next interval. */
  restart(r: EntropyDecoder, idx: number): void {
    const d = this.d;
    let q = r.finishSegment();
    while (q < d.length && d[q] === 0xff) q++;
    if (q >= d.length) {
      throw new JpegError(`premature end of data: missing RST${idx} marker`);
    }
    if (d[q] !== 0xd0 + idx) {
      throw new JpegError(
        `corrupt entropy-coded data: expected RST${idx}, found marker ${markerName(d[q])}`,
      );
    }
    r.reset(q + 1);
  }

  /** Progressive: dequantise and IDCT every block into the planes. */
  finishCoefficients(): void {
    const bs = this.bs;
    const blk = this.blk;
    for (const c of this.comps) {
      if (!c.needed || !c.coefs) continue;
      const q = c.q!;
      const plane = new Uint8Array(c.stride * c.bh * bs);
      c.plane = plane;
      const co = c.coefs;
      for (let by = 0; by < c.bh; by++) {
        for (let bx = 0; bx < c.bw; bx++) {
          const o = (by * c.bw + bx) * 64;
          let ac = 0;
          for (let k = 0; k < 64; k++) {
            const v = co[o + k];
            blk[k] = v * q[k];
            if (k !== 0) ac |= v;
          }
          const off = by * bs * c.stride + bx * bs;
          if (bs !== 8) idctReduced(blk, bs, plane, off, c.stride);
          else if (ac === 0) idctDcOnly(blk[0], 8, plane, off, c.stride);
          else idct8x8(blk, plane, off, c.stride);
        }
      }
      c.coefs = null;
    }
    blk.fill(0);
  }

  /** Upsample and colour-convert the planes into interleaved output. */
  output(): { data: Uint8Array; width: number; height: number; channels: 1 | 3 } {
    const f = this.frame!;
    if (f.progressive) this.finishCoefficients();
    const s = this.scale;
    const W = Math.ceil(f.width / s);
    const H = Math.ceil(f.height / s);
    const cs = this.colorSpace();
    const ups: RowUpsampler[] = this.comps.map((c) =>
      c.needed
        ? new RowUpsampler(
          c.plane!,
          c.stride,
          c.pw,
          c.ph,
          c.h,
          c.v,
          this.hmax,
          this.vmax,
          W,
          true,
        )
        : (null as unknown as RowUpsampler)
    );
    const nc = this.comps.length;
    if (this.grayOut) {
      const out = new Uint8Array(W * H);
      const tmp = cs === Cs.Gray || cs === Cs.YCbCr ? null : new Uint8Array(W * 3);
      for (let y = 0; y < H; y++) {
        for (let i = 0; i < nc; i++) if (ups[i]) ups[i].row(y);
        if (!tmp) {
          const u = ups[0];
          out.set(u.arr.subarray(u.off, u.off + W), y * W);
        } else {
          this.colorRow(cs, ups, tmp, 0, W);
          rgbToGrayRow(tmp, 0, out, y * W, W);
        }
      }
      return { data: out, width: W, height: H, channels: 1 };
    }
    const out = new Uint8Array(W * H * 3);
    for (let y = 0; y < H; y++) {
      for (let i = 0; i < nc; i++) ups[i].row(y);
      this.colorRow(cs, ups, out, y * W * 3, W);
    }
    return { data: out, width: W, height: H, channels: 3 };
  }

  colorRow(cs: Cs, u: RowUpsampler[], out: Uint8Array, oo: number, W: number): void {
    switch (cs) {
      case Cs.Gray:
        grayToRgbRow(u[0].arr, u[0].off, out, oo, W);
        break;
      case Cs.YCbCr:
        yccToRgbRow(u[0].arr, u[0].off, u[1].arr, u[1].off, u[2].arr, u[2].off, out, oo, W);
        break;
      case Cs.Rgb:
        interleaveRow(u[0].arr, u[0].off, u[1].arr, u[1].off, u[2].arr, u[2].off, out, oo, W);
        break;
      case Cs.Cmyk:
        interleaveRow(u[0].arr, u[0].off, u[1].arr, u[1].off, u[2].arr, u[2].off, out, oo, W);
        cmykToRgbRow(out, oo, u[3].arr, u[3].off, W, false);
        break;
      default:
        yccToRgbRow(u[0].arr, u[0].off, u[1].arr, u[1].off, u[2].arr, u[2].off, out, oo, W);
        cmykToRgbRow(out, oo, u[3].arr, u[3].off, W, true);
    }
  }
}

function wrapUnexpected(e: unknown): never {
  if (e instanceof JpegError) throw e;
  throw new JpegError(
    `corrupt JPEG data: the decoder hit an internal error (${
      e instanceof Error ? e.message : String(e)
    })`,
    { cause: e },
  );
}

/**
 * Decode a whole JPEG into interleaved 8-bit pixels.
 *
 * @param bytes The JPEG file contents.
 * @param options Limits, downscaling, grey output and orientation handling.
 * @returns The decoded image (RGB or grey, after scaling and orientation) and the warnings of
 *   the decode (see {@linkcode JpegWarning}).
 * @throws {ImageTooLargeError} when the declared size exceeds `maxPixels` or the scan count `maxScans`.
 * @throws {UnsupportedJpegError} for 12-bit, lossless or hierarchical files.
 * @throws {JpegError} for anything corrupt, truncated or not a JPEG.
 * @throws {JpegWarningError} with `options.strict`, when the decode had warnings.
 * @throws {RangeError} when `options.scale` is not 1, 2, 4 or 8.
 * @example
 * ```ts
 * const img = decodeJpeg(await Deno.readFile("photo.jpg"), { scale: 2 });
 * console.log(img.width, img.height, img.channels); // e.g. 960 540 3
 * ```
 */
export function decodeJpeg(bytes: Uint8Array, options: DecodeOptions = {}): DecodedImage {
  const dec = new Decoder(bytes, options);
  let img: { data: Uint8Array; width: number; height: number; channels: 1 | 3 };
  try {
    dec.run(false);
    img = dec.output();
  } catch (e) {
    wrapUnexpected(e);
  }
  const warnings = jpegWarnings({
    extraneous: dec.extraneous,
    noEoi: !dec.eoi,
    scanParameters: dec.scanParameters,
  });
  if (options.strict && warnings.length) throw new JpegWarningError(warnings);
  const o = dec.orientation;
  if ((options.orientation ?? true) && o !== 1) {
    const r = applyOrientation(img.data, img.width, img.height, img.channels, o);
    return {
      data: r.data,
      width: r.width,
      height: r.height,
      channels: img.channels,
      orientation: o,
      warnings,
    };
  }
  return { ...img, orientation: o, warnings };
}

/**
 * Read the frame header and EXIF orientation without decoding any scan.
 *
 * @param bytes The JPEG file contents (only the header part is needed).
 * @returns Size, components, precision, process and orientation.
 * @throws {JpegError} when the header is missing, truncated or malformed.
 * @throws {UnsupportedJpegError} for lossless/hierarchical frames.
 * @throws {ImageTooLargeError} never (no limit is applied here).
 * @example
 * ```ts
 * const info = readJpegInfo(bytes);
 * console.log(info.width, info.height, info.progressive);
 * ```
 */
export function readJpegInfo(bytes: Uint8Array): JpegInfo {
  const dec = new Decoder(bytes, { maxPixels: Infinity });
  try {
    dec.run(true);
  } catch (e) {
    wrapUnexpected(e);
  }
  const f = dec.frame!;
  return {
    width: f.width,
    height: f.height,
    components: f.components.length,
    precision: f.precision,
    progressive: f.progressive,
    arithmetic: f.arithmetic,
    orientation: dec.orientation,
  };
}

/**
 * Content sniff: does this look like a JPEG (starts with FF D8 FF)?
 *
 * @param bytes File contents (the first 3 bytes are enough).
 * @returns True when the bytes start with SOI followed by a marker.
 * @throws Never.
 * @example
 * ```ts
 * isJpeg(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])); // true
 * ```
 */
export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/**
 * The pure-TypeScript decoder behind the {@linkcode JpegDecoder} interface.
 *
 * @example
 * ```ts
 * const img = tsDecoder.decode(bytes, { gray: true });
 * ```
 */
export const tsDecoder: JpegDecoder = {
  name: "ts",
  /**
   * @param bytes The JPEG file contents.
   * @param options Decode options.
   * @returns The decoded image.
   * @throws {JpegError} see {@linkcode decodeJpeg}.
   */
  decode(bytes: Uint8Array, options?: DecodeOptions): DecodedImage {
    return decodeJpeg(bytes, options);
  },
};
