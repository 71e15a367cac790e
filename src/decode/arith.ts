/**
 * Arithmetic entropy decoding (ITU T.81 Annex D, F.1.4.4, F.2.4, G.1.3):
 * the QM-coder DECODE procedure with its probability estimation state
 * machine (Table D.2) and the DC/AC statistics-bin models for sequential and
 * progressive scans.
 *
 * Arithmetic-coded data carries no redundancy a decoder could check, so
 * corruption is only detected where it breaks the model (magnitude overflow,
 * index past the band) or truncates the file (end of data before the next
 * marker).
 *
 * @module
 */

import { ZIGZAG } from "./huffman.ts";
import type { DcPredictor, EntropyDecoder } from "./entropy.ts";
import { JpegError } from "./types.ts";
import { scanToMarker } from "./segment.ts";

// Table D.2: Qe, next state after LPS, next state after MPS, MPS switch.
// deno-fmt-ignore
const TABLE_D2 = [
  0x5a1d, 1, 1, 1, 0x2586, 14, 2, 0, 0x1114, 16, 3, 0, 0x080b, 18, 4, 0,
  0x03d8, 20, 5, 0, 0x01da, 23, 6, 0, 0x00e5, 25, 7, 0, 0x006f, 28, 8, 0,
  0x0036, 30, 9, 0, 0x001a, 33, 10, 0, 0x000d, 35, 11, 0, 0x0006, 9, 12, 0,
  0x0003, 10, 13, 0, 0x0001, 12, 13, 0, 0x5a7f, 15, 15, 1, 0x3f25, 36, 16, 0,
  0x2cf2, 38, 17, 0, 0x207c, 39, 18, 0, 0x17b9, 40, 19, 0, 0x1182, 42, 20, 0,
  0x0cef, 43, 21, 0, 0x09a1, 45, 22, 0, 0x072f, 46, 23, 0, 0x055c, 48, 24, 0,
  0x0406, 49, 25, 0, 0x0303, 51, 26, 0, 0x0240, 52, 27, 0, 0x01b1, 54, 28, 0,
  0x0144, 56, 29, 0, 0x00f5, 57, 30, 0, 0x00b7, 59, 31, 0, 0x008a, 60, 32, 0,
  0x0068, 62, 33, 0, 0x004e, 63, 34, 0, 0x003b, 32, 35, 0, 0x002c, 33, 9, 0,
  0x5ae1, 37, 37, 1, 0x484c, 64, 38, 0, 0x3a0d, 65, 39, 0, 0x2ef1, 67, 40, 0,
  0x261f, 68, 41, 0, 0x1f33, 69, 42, 0, 0x19a8, 70, 43, 0, 0x1518, 72, 44, 0,
  0x1177, 73, 45, 0, 0x0e74, 74, 46, 0, 0x0bfb, 75, 47, 0, 0x09f8, 77, 48, 0,
  0x0861, 78, 49, 0, 0x0706, 79, 50, 0, 0x05cd, 48, 51, 0, 0x04de, 50, 52, 0,
  0x040f, 50, 53, 0, 0x0363, 51, 54, 0, 0x02d4, 52, 55, 0, 0x025c, 53, 56, 0,
  0x01f8, 54, 57, 0, 0x01a4, 55, 58, 0, 0x0160, 56, 59, 0, 0x0125, 57, 60, 0,
  0x00f6, 58, 61, 0, 0x00cb, 59, 62, 0, 0x00ab, 61, 63, 0, 0x008f, 61, 32, 0,
  0x5b12, 65, 65, 1, 0x4d04, 80, 66, 0, 0x412c, 81, 67, 0, 0x37d8, 82, 68, 0,
  0x2fe8, 83, 69, 0, 0x293c, 84, 70, 0, 0x2379, 86, 71, 0, 0x1edf, 87, 72, 0,
  0x1aa9, 87, 73, 0, 0x174e, 72, 74, 0, 0x1424, 72, 75, 0, 0x119c, 74, 76, 0,
  0x0f6b, 74, 77, 0, 0x0d51, 75, 78, 0, 0x0bb6, 77, 79, 0, 0x0a40, 77, 48, 0,
  0x5832, 80, 81, 1, 0x4d1c, 88, 82, 0, 0x438e, 89, 83, 0, 0x3bdd, 90, 84, 0,
  0x34ee, 91, 85, 0, 0x2eae, 92, 86, 0, 0x299a, 93, 87, 0, 0x2516, 86, 71, 0,
  0x5570, 88, 89, 1, 0x4ca9, 95, 90, 0, 0x44d9, 96, 91, 0, 0x3e22, 97, 92, 0,
  0x3824, 99, 93, 0, 0x32b4, 99, 94, 0, 0x2e17, 93, 86, 0, 0x56a8, 95, 96, 1,
  0x4f46, 101, 97, 0, 0x47e5, 102, 98, 0, 0x41cf, 103, 99, 0, 0x3c3d, 104, 100, 0,
  0x375e, 99, 93, 0, 0x5231, 105, 102, 0, 0x4c0f, 106, 103, 0, 0x4639, 107, 104, 0,
  0x415e, 103, 99, 0, 0x5627, 105, 106, 1, 0x50e7, 108, 107, 0, 0x4b85, 109, 103, 0,
  0x5597, 110, 109, 0, 0x504f, 111, 107, 0, 0x5a10, 110, 111, 1, 0x5522, 112, 109, 0,
  0x59eb, 112, 111, 1,
];
const QE = new Int32Array(113);
const NLPS = new Uint8Array(113);
const NMPS = new Uint8Array(113);
const SWITCH = new Uint8Array(113);
for (let i = 0; i < 113; i++) {
  QE[i] = TABLE_D2[i * 4];
  NLPS[i] = TABLE_D2[i * 4 + 1];
  NMPS[i] = TABLE_D2[i * 4 + 2];
  SWITCH[i] = TABLE_D2[i * 4 + 3];
}

/** Bins per DC conditioning table: 5 contexts x 4 + X1..X15 + M2..M15. */
const DC_BINS = 64;
/** Bins per AC conditioning table: 63 x 3 + two X/M banks of 28. */
const AC_BINS = 256;

/**
 * Arithmetic decoder for one scan. Statistics bins hold the state index in
 * bits 0-6 and the MPS value in bit 7.
 *
 * @example
 * ```ts
 * const a = new ArithDecoder(bytes, scanStart);
 * a.startScan(3, [0, 1, 1], [0, 1, 1], dacDc, dacAc);
 * const last = a.decodeBlock(blk, 0, qtable, component);
 * ```
 */
export class ArithDecoder implements EntropyDecoder {
  /** Arithmetic segments end with flush bytes, never counted as extraneous (see finishSegment). */
  readonly extraneous = 0;
  /** The whole file. */
  readonly data: Uint8Array;
  /** Next byte to read; when `hitMarker`, the offset of the marker's 0xFF. */
  pos: number;
  /** Code register: Cx in bits 16..31, pending input bits below. */
  private c = 0;
  /** Interval size. */
  private a = 0;
  /** Bits of pending input left in the low part of C. */
  private ct = 0;
  /** True once the segment's terminating marker was reached. */
  hitMarker = false;
  private readonly dcStats = new Uint8Array(4 * DC_BINS);
  private readonly acStats = new Uint8Array(4 * AC_BINS);
  private dcTbl: number[] = [];
  private acTbl: number[] = [];
  private dcL: number[] = [];
  private dcU: number[] = [];
  private acK: number[] = [];
  /** DC conditioning context per scan component. */
  private readonly dcCtx = new Int32Array(4);

  /**
   * @param data The whole JPEG file.
   * @param pos Offset of the first entropy-coded byte.
   */
  constructor(data: Uint8Array, pos: number) {
    this.data = data;
    this.pos = pos;
  }

  /**
   * Set up the scan: conditioning tables per component and DAC parameters.
   * @param n Components in the scan.
   * @param dc DC conditioning table per scan component.
   * @param ac AC conditioning table per scan component.
   * @param dacDc DAC DC values (U << 4 | L) per table.
   * @param dacAc DAC AC Kx per table.
   */
  startScan(n: number, dc: number[], ac: number[], dacDc: number[], dacAc: number[]): void {
    this.dcTbl = dc.slice(0, n);
    this.acTbl = ac.slice(0, n);
    this.dcL = dc.map((t) => dacDc[t] & 15);
    this.dcU = dc.map((t) => dacDc[t] >> 4);
    this.acK = ac.map((t) => dacAc[t]);
    this.resetStats();
    this.init();
  }

  /** Zero the statistics and DC contexts (scan start and restart). */
  resetStats(): void {
    this.dcStats.fill(0);
    this.acStats.fill(0);
    this.dcCtx.fill(0);
  }

  /** INITDEC (D.2.7): load two bytes into Cx. */
  private init(): void {
    this.c = 0;
    this.a = 0x10000;
    this.ct = 0;
    this.byteIn();
    this.c = this.c * 256;
    this.byteIn();
    this.c = this.c * 256;
    this.ct = 0;
  }

  /** BYTEIN: add the next byte at bits 8..15 of C (zeros once at a marker). */
  private byteIn(): void {
    if (this.hitMarker) return;
    const d = this.data;
    const p = this.pos;
    if (p >= d.length) {
      throw new JpegError("premature end of data: the file ends inside an arithmetic-coded scan");
    }
    const b = d[p];
    if (b === 0xff) {
      // FF (FF fill bytes)* 00 is a stuffed FF (libjpeg's get_byte); anything else a marker
      let q = p + 1;
      while (q < d.length && d[q] === 0xff) q++;
      if (q >= d.length) {
        throw new JpegError(
          "premature end of data: the file ends inside an arithmetic-coded scan",
        );
      }
      if (d[q] === 0) {
        this.c += 0xff00;
        this.pos = q + 1;
      } else {
        this.hitMarker = true;
      }
      return;
    }
    this.c += b << 8;
    this.pos = p + 1;
  }

  /**
   * DECODE(S) (D.2.4-D.2.6) on bin `i` of `st`.
   * @returns The decoded binary decision.
   */
  private decode(st: Uint8Array, i: number): number {
    const sv = st[i];
    const s = sv & 127;
    let mps = sv >> 7;
    const qe = QE[s];
    let a = this.a - qe;
    let d: number;
    if (this.c >>> 16 < a) {
      if (a >= 0x8000) {
        this.a = a;
        return mps;
      }
      // Conditional MPS exchange.
      if (a < qe) {
        d = 1 - mps;
        if (SWITCH[s]) mps = 1 - mps;
        st[i] = NLPS[s] | (mps << 7);
      } else {
        d = mps;
        st[i] = NMPS[s] | (mps << 7);
      }
    } else {
      // Conditional LPS exchange.
      this.c -= a * 65536;
      if (a < qe) {
        d = mps;
        st[i] = NMPS[s] | (mps << 7);
      } else {
        d = 1 - mps;
        if (SWITCH[s]) mps = 1 - mps;
        st[i] = NLPS[s] | (mps << 7);
      }
      a = qe;
    }
    // RENORM_D
    let c = this.c;
    let ct = this.ct;
    do {
      if (ct === 0) {
        this.c = c;
        this.byteIn();
        c = this.c;
        ct = 8;
      }
      a *= 2;
      c = (c * 2) % 4294967296;
      ct--;
    } while (a < 0x8000);
    this.a = a;
    this.c = c;
    this.ct = ct;
    return d;
  }

  /** Decision with the fixed probability estimate Qe = 0x5A1D, MPS = 0 (no adaptation). */
  private decodeFixed(): number {
    FIXED[0] = 0;
    return this.decode(FIXED, 0);
  }

  /** Decode a DC difference with the component's context (F.2.4.1). */
  private dcDiff(ci: number): number {
    const st = this.dcStats;
    const base = this.dcTbl[ci] * DC_BINS;
    let b = base + this.dcCtx[ci];
    if (this.decode(st, b) === 0) {
      this.dcCtx[ci] = 0;
      return 0;
    }
    const sign = this.decode(st, b + 1);
    b += 2 + sign;
    let m = this.decode(st, b);
    if (m !== 0) {
      b = base + 20;
      while (this.decode(st, b)) {
        m <<= 1;
        if (m === 0x8000) {
          throw new JpegError("corrupt arithmetic-coded data: DC magnitude overflow");
        }
        b++;
      }
    }
    if (m < (1 << this.dcL[ci]) >> 1) this.dcCtx[ci] = 0;
    else if (m > (1 << this.dcU[ci]) >> 1) this.dcCtx[ci] = 12 + sign * 4;
    else this.dcCtx[ci] = 4 + sign * 4;
    let v = m;
    b += 14;
    while ((m >>= 1) !== 0) if (this.decode(st, b)) v |= m;
    v += 1;
    return sign ? -v : v;
  }

  /**
   * Decode AC coefficients ss..se into `out` (F.2.4.2), calling back per value.
   * Returns the last k written, or ss-1 when the band is empty.
   */
  private acBand(
    ci: number,
    ss: number,
    se: number,
    out: Int32Array | Int16Array,
    off: number,
    mul: Int32Array | null,
    shift: number,
  ): number {
    const st = this.acStats;
    const base = this.acTbl[ci] * AC_BINS;
    const kx = this.acK[ci];
    let last = 0;
    for (let k = ss; k <= se; k++) {
      let b = base + 3 * (k - 1);
      if (this.decode(st, b)) break; // EOB
      while (this.decode(st, b + 1) === 0) {
        b += 3;
        k++;
        if (k > se) {
          throw new JpegError("corrupt arithmetic-coded data: AC coefficient index past the band");
        }
      }
      const sign = this.decodeFixed();
      b += 2;
      let m = this.decode(st, b);
      if (m !== 0 && this.decode(st, b)) {
        m <<= 1;
        b = base + (k <= kx ? 189 : 217);
        while (this.decode(st, b)) {
          m <<= 1;
          if (m === 0x8000) {
            throw new JpegError("corrupt arithmetic-coded data: AC magnitude overflow");
          }
          b++;
        }
      }
      let v = m;
      b += 14;
      while ((m >>= 1) !== 0) if (this.decode(st, b)) v |= m;
      v += 1;
      if (sign) v = -v;
      const z = ZIGZAG[k];
      out[off + z] = mul ? ((v << 16) >> 16) * mul[z] : v * (1 << shift);
      last = k;
    }
    return last;
  }

  /** Sequential block, dequantised into `blk` (zeroed); returns the last non-zero k. */
  decodeBlock(blk: Int32Array, ci: number, q: Int32Array, c: DcPredictor): number {
    c.pred += this.dcDiff(ci);
    blk[0] = ((c.pred << 16) >> 16) * q[0];
    return this.acBand(ci, 1, 63, blk, 0, q, 0);
  }

  /** Sequential block of a component the output does not need: decoded, then `blk` zeroed. */
  skipBlock(blk: Int32Array, ci: number, q: Int32Array, c: DcPredictor): void {
    this.decodeBlock(blk, ci, q, c);
    blk.fill(0);
  }

  /** Progressive DC first scan. */
  dcFirst(co: Int16Array, off: number, ci: number, c: DcPredictor, al: number): void {
    c.pred += this.dcDiff(ci);
    co[off] = c.pred * (1 << al);
  }

  /** Progressive DC refinement (one fixed-probability bit). */
  dcRefine(co: Int16Array, off: number, al: number): void {
    if (this.decodeFixed()) co[off] |= 1 << al;
  }

  /** Progressive AC first scan. */
  acFirst(co: Int16Array, off: number, ci: number, ss: number, se: number, al: number): void {
    this.acBand(ci, ss, se, co, off, null, al);
  }

  /** Progressive AC refinement (G.1.3.3). */
  acRefine(co: Int16Array, off: number, ci: number, ss: number, se: number, al: number): void {
    const st = this.acStats;
    const base = this.acTbl[ci] * AC_BINS;
    const p1 = 1 << al;
    const m1 = -1 << al;
    // End of band of the previous stage.
    let kex = se;
    for (; kex > 0; kex--) if (co[off + ZIGZAG[kex]] !== 0) break;
    for (let k = ss; k <= se; k++) {
      let b = base + 3 * (k - 1);
      if (k > kex && this.decode(st, b)) break; // EOB
      for (;;) {
        const z = off + ZIGZAG[k];
        const v = co[z];
        if (v !== 0) {
          if (this.decode(st, b + 2)) co[z] = v < 0 ? v + m1 : v + p1;
          break;
        }
        if (this.decode(st, b + 1)) {
          co[z] = this.decodeFixed() ? m1 : p1;
          break;
        }
        b += 3;
        k++;
        if (k > se) {
          throw new JpegError("corrupt arithmetic-coded data: AC coefficient index past the band");
        }
      }
    }
  }

  /** Arithmetic data can legitimately run into the marker; truncation is caught in byteIn. */
  overrun(): boolean {
    return false;
  }

  /**
   * End of segment: locate the terminating marker.
   * @returns Offset of the marker's 0xFF.
   * @throws {JpegError} when data (beyond the coder's final flush bytes) precedes the marker.
   */
  finishSegment(): number {
    const d = this.data;
    let pos = this.pos;
    let extra = 0;
    if (!this.hitMarker) {
      const scan = scanToMarker(d, pos);
      pos = scan.pos;
      extra += scan.extra;
    }
    // The encoder's flush may leave a couple of bytes the decoder never needs.
    if (extra > 4) {
      throw new JpegError(
        `corrupt arithmetic-coded data: ${extra} extraneous bytes before the next marker`,
      );
    }
    return pos;
  }

  /**
   * Start a new interval after RSTn at `pos`.
   * @param pos Offset just after the RST marker.
   */
  reset(pos: number): void {
    this.pos = pos;
    this.hitMarker = false;
    this.init();
    this.resetStats(); // each restart interval starts with fresh statistics (F.1.4.4.1)
  }
}

const FIXED = new Uint8Array(1);
