/**
 * Huffman entropy decoding (ITU T.81 Annex C, F.2.2, G.2): table building,
 * the bit reader over entropy-coded segments, and the per-block decoders for
 * sequential and progressive scans.
 *
 * @module
 */

import { JpegError } from "./types.ts";
import { scanToMarker } from "./segment.ts";
import { MAX_EXTRANEOUS_BYTES } from "./warnings.ts";
import type { DcPredictor, EntropyDecoder } from "./entropy.ts";

export type { DcPredictor } from "./entropy.ts";

/**
 * Zigzag index -> natural (row-major) index, with 16 spare entries so a
 * corrupt run length can never index past the table.
 */
export const ZIGZAG: Int32Array = new Int32Array([
  0,
  1,
  8,
  16,
  9,
  2,
  3,
  10,
  17,
  24,
  32,
  25,
  18,
  11,
  4,
  5,
  12,
  19,
  26,
  33,
  40,
  48,
  41,
  34,
  27,
  20,
  13,
  6,
  7,
  14,
  21,
  28,
  35,
  42,
  49,
  56,
  57,
  50,
  43,
  36,
  29,
  22,
  15,
  23,
  30,
  37,
  44,
  51,
  58,
  59,
  52,
  45,
  38,
  31,
  39,
  46,
  53,
  60,
  61,
  54,
  47,
  55,
  62,
  63,
  63,
  63,
  63,
  63,
  63,
  63,
  63,
  63,
  63,
  63,
  63,
  63,
  63,
  63,
  63,
  63,
]);

/** Bits of lookahead in the fast Huffman lookup table. */
const LOOKAHEAD = 9;

/**
 * A decoding table derived from a DHT segment (libjpeg's "derived table"):
 * a 9-bit lookahead table for short codes and maxcode/valoffset for long ones.
 */
export class HuffTable {
  /** `(length << 8) | symbol` for codes of up to 9 bits, indexed by the next 9 bits; 0 = longer. */
  readonly lookup: Uint16Array = new Uint16Array(1 << LOOKAHEAD);
  /** Largest code of each length (index 1..16), -1 when none. */
  readonly maxcode: Int32Array = new Int32Array(18).fill(-1);
  /** `values[valoff[l] + code]` is the symbol of an l-bit code. */
  readonly valoff: Int32Array = new Int32Array(18);
  /** Symbols in code order. */
  readonly values: Uint8Array;

  /**
   * Build a table from the 16 code-length counts and the symbols of a DHT.
   *
   * @param counts Number of codes of each length 1..16 (16 entries).
   * @param symbols The symbols, in order of increasing code length.
   * @throws {JpegError} when the counts exceed 256 or the code is oversubscribed.
   * @example
   * ```ts
   * const t = new HuffTable(STD_DC_LUMA_COUNTS, STD_DC_LUMA_VALUES);
   * ```
   */
  constructor(counts: ArrayLike<number>, symbols: ArrayLike<number>) {
    let total = 0;
    for (let i = 0; i < 16; i++) total += counts[i];
    if (total > 256 || total > symbols.length) {
      throw new JpegError(
        `bad Huffman table: the code-length counts sum to ${total} (at most 256 codes allowed)`,
      );
    }
    this.values = new Uint8Array(total);
    for (let i = 0; i < total; i++) this.values[i] = symbols[i];
    let code = 0;
    let p = 0;
    for (let l = 1; l <= 16; l++) {
      const n = counts[l - 1];
      this.valoff[l] = p - code;
      for (let i = 0; i < n; i++) {
        if (l <= LOOKAHEAD) {
          const shift = LOOKAHEAD - l;
          const base = code << shift;
          const entry = (l << 8) | this.values[p];
          for (let j = 0; j < 1 << shift; j++) this.lookup[base + j] = entry;
        }
        code++;
        p++;
      }
      if (n > 0) this.maxcode[l] = code - 1;
      // A code of all 1-bits is reserved (T.81 C.2); more codes than fit is oversubscription.
      if (code >= 1 << l) {
        throw new JpegError(
          `bad Huffman table: ${n} codes of length ${l} do not fit (oversubscribed code)`,
        );
      }
      code <<= 1;
    }
  }
}

/** Annex K.3 default tables, used when an MJPEG frame carries no DHT. */
export const STD_TABLES: { counts: number[]; values: number[] }[] = [
  // DC luminance
  {
    counts: [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
    values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
  },
  // DC chrominance
  {
    counts: [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
    values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
  },
  // AC luminance
  {
    counts: [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d],
    values: [
      0x01,
      0x02,
      0x03,
      0x00,
      0x04,
      0x11,
      0x05,
      0x12,
      0x21,
      0x31,
      0x41,
      0x06,
      0x13,
      0x51,
      0x61,
      0x07,
      0x22,
      0x71,
      0x14,
      0x32,
      0x81,
      0x91,
      0xa1,
      0x08,
      0x23,
      0x42,
      0xb1,
      0xc1,
      0x15,
      0x52,
      0xd1,
      0xf0,
      0x24,
      0x33,
      0x62,
      0x72,
      0x82,
      0x09,
      0x0a,
      0x16,
      0x17,
      0x18,
      0x19,
      0x1a,
      0x25,
      0x26,
      0x27,
      0x28,
      0x29,
      0x2a,
      0x34,
      0x35,
      0x36,
      0x37,
      0x38,
      0x39,
      0x3a,
      0x43,
      0x44,
      0x45,
      0x46,
      0x47,
      0x48,
      0x49,
      0x4a,
      0x53,
      0x54,
      0x55,
      0x56,
      0x57,
      0x58,
      0x59,
      0x5a,
      0x63,
      0x64,
      0x65,
      0x66,
      0x67,
      0x68,
      0x69,
      0x6a,
      0x73,
      0x74,
      0x75,
      0x76,
      0x77,
      0x78,
      0x79,
      0x7a,
      0x83,
      0x84,
      0x85,
      0x86,
      0x87,
      0x88,
      0x89,
      0x8a,
      0x92,
      0x93,
      0x94,
      0x95,
      0x96,
      0x97,
      0x98,
      0x99,
      0x9a,
      0xa2,
      0xa3,
      0xa4,
      0xa5,
      0xa6,
      0xa7,
      0xa8,
      0xa9,
      0xaa,
      0xb2,
      0xb3,
      0xb4,
      0xb5,
      0xb6,
      0xb7,
      0xb8,
      0xb9,
      0xba,
      0xc2,
      0xc3,
      0xc4,
      0xc5,
      0xc6,
      0xc7,
      0xc8,
      0xc9,
      0xca,
      0xd2,
      0xd3,
      0xd4,
      0xd5,
      0xd6,
      0xd7,
      0xd8,
      0xd9,
      0xda,
      0xe1,
      0xe2,
      0xe3,
      0xe4,
      0xe5,
      0xe6,
      0xe7,
      0xe8,
      0xe9,
      0xea,
      0xf1,
      0xf2,
      0xf3,
      0xf4,
      0xf5,
      0xf6,
      0xf7,
      0xf8,
      0xf9,
      0xfa,
    ],
  },
  // AC chrominance
  {
    counts: [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77],
    values: [
      0x00,
      0x01,
      0x02,
      0x03,
      0x11,
      0x04,
      0x05,
      0x21,
      0x31,
      0x06,
      0x12,
      0x41,
      0x51,
      0x07,
      0x61,
      0x71,
      0x13,
      0x22,
      0x32,
      0x81,
      0x08,
      0x14,
      0x42,
      0x91,
      0xa1,
      0xb1,
      0xc1,
      0x09,
      0x23,
      0x33,
      0x52,
      0xf0,
      0x15,
      0x62,
      0x72,
      0xd1,
      0x0a,
      0x16,
      0x24,
      0x34,
      0xe1,
      0x25,
      0xf1,
      0x17,
      0x18,
      0x19,
      0x1a,
      0x26,
      0x27,
      0x28,
      0x29,
      0x2a,
      0x35,
      0x36,
      0x37,
      0x38,
      0x39,
      0x3a,
      0x43,
      0x44,
      0x45,
      0x46,
      0x47,
      0x48,
      0x49,
      0x4a,
      0x53,
      0x54,
      0x55,
      0x56,
      0x57,
      0x58,
      0x59,
      0x5a,
      0x63,
      0x64,
      0x65,
      0x66,
      0x67,
      0x68,
      0x69,
      0x6a,
      0x73,
      0x74,
      0x75,
      0x76,
      0x77,
      0x78,
      0x79,
      0x7a,
      0x82,
      0x83,
      0x84,
      0x85,
      0x86,
      0x87,
      0x88,
      0x89,
      0x8a,
      0x92,
      0x93,
      0x94,
      0x95,
      0x96,
      0x97,
      0x98,
      0x99,
      0x9a,
      0xa2,
      0xa3,
      0xa4,
      0xa5,
      0xa6,
      0xa7,
      0xa8,
      0xa9,
      0xaa,
      0xb2,
      0xb3,
      0xb4,
      0xb5,
      0xb6,
      0xb7,
      0xb8,
      0xb9,
      0xba,
      0xc2,
      0xc3,
      0xc4,
      0xc5,
      0xc6,
      0xc7,
      0xc8,
      0xc9,
      0xca,
      0xd2,
      0xd3,
      0xd4,
      0xd5,
      0xd6,
      0xd7,
      0xd8,
      0xd9,
      0xda,
      0xe2,
      0xe3,
      0xe4,
      0xe5,
      0xe6,
      0xe7,
      0xe8,
      0xe9,
      0xea,
      0xf2,
      0xf3,
      0xf4,
      0xf5,
      0xf6,
      0xf7,
      0xf8,
      0xf9,
      0xfa,
    ],
  },
];

/**
 * Reads bits from one entropy-coded segment, removing byte stuffing (FF 00)
 * and stopping at the next marker. Past the marker (or the end of the data)
 * it feeds zero bytes and counts them, so consuming any of them is detected
 * as "premature end of data" instead of silently decoding grey.
 *
 * @example
 * ```ts
 * const r = new HuffmanReader(bytes, scanStart, [dcTable], [acTable]);
 * const last = r.decodeBlock(blk, 0, qtable, component);
 * const next = r.finishSegment(); // offset of the marker after the scan
 * ```
 */
export class HuffmanReader implements EntropyDecoder {
  /** The whole file. */
  readonly data: Uint8Array;
  /** Next byte to load. When `hitMarker`, the offset of the marker's 0xFF. */
  pos: number;
  /** Bit buffer; the low `cnt` bits are valid. */
  buf = 0;
  /** Number of valid bits in `buf`. */
  cnt = 0;
  /** Zero bytes fed after the marker / end of data. */
  fake = 0;
  /** True once a marker (or the end of the data) was reached. */
  hitMarker = false;
  /** Remaining length of the current end-of-band run (progressive AC). */
  eobrun = 0;
  /** Data bytes skipped before markers so far (each time at most `MAX_EXTRANEOUS_BYTES`). */
  extraneous = 0;

  /** DC table of each scan component. */
  readonly dcTables: readonly HuffTable[];
  /** AC table of each scan component. */
  readonly acTables: readonly HuffTable[];

  /**
   * @param data The whole JPEG file.
   * @param pos Offset of the first entropy-coded byte (just after the SOS header).
   * @param dcTables DC table of each scan component (by index in the scan).
   * @param acTables AC table of each scan component.
   */
  constructor(
    data: Uint8Array,
    pos: number,
    dcTables: readonly HuffTable[],
    acTables: readonly HuffTable[],
  ) {
    this.data = data;
    this.pos = pos;
    this.dcTables = dcTables;
    this.acTables = acTables;
  }

  /** Refill the bit buffer to at least 25 bits. */
  fill(): void {
    const d = this.data;
    const n = d.length;
    let pos = this.pos;
    let buf = this.buf;
    let cnt = this.cnt;
    while (cnt <= 24) {
      let b = 0;
      if (this.hitMarker) {
        this.fake++;
      } else if (pos >= n) {
        this.hitMarker = true;
        this.fake++;
      } else {
        b = d[pos];
        if (b === 0xff) {
          // FF (FF fill bytes)* 00 is a stuffed FF data byte, as in libjpeg's fill_bit_buffer;
          // FF followed by anything else is a marker.
          let q = pos + 1;
          while (q < n && d[q] === 0xff) q++;
          if (q < n && d[q] === 0) {
            pos = q + 1;
          } else {
            this.hitMarker = true;
            this.fake++;
            b = 0;
          }
        } else {
          pos++;
        }
      }
      buf = (buf << 8) | b;
      cnt += 8;
    }
    this.pos = pos;
    this.buf = buf;
    this.cnt = cnt;
  }

  /** True when more bits were consumed than the segment holds. */
  overrun(): boolean {
    return this.cnt < this.fake * 8;
  }

  /**
   * Decode one Huffman symbol.
   * @param t The table.
   * @returns The symbol (0..255).
   * @throws {JpegError} on a code that is not in the table.
   */
  huff(t: HuffTable): number {
    if (this.cnt < 16) this.fill();
    const cnt = this.cnt;
    const v = t.lookup[(this.buf >>> (cnt - LOOKAHEAD)) & ((1 << LOOKAHEAD) - 1)];
    if (v !== 0) {
      this.cnt = cnt - (v >> 8);
      return v & 255;
    }
    return this.huffSlow(t);
  }

  /** Codes longer than the lookahead. */
  private huffSlow(t: HuffTable): number {
    const cnt = this.cnt;
    const buf = this.buf;
    for (let l = LOOKAHEAD + 1; l <= 16; l++) {
      const code = (buf >>> (cnt - l)) & ((1 << l) - 1);
      if (code <= t.maxcode[l]) {
        this.cnt = cnt - l;
        return t.values[(t.valoff[l] + code) & 255];
      }
    }
    if (this.cnt < this.fake * 8 + 16) {
      throw new JpegError("premature end of data: the entropy-coded segment ends mid-code");
    }
    throw new JpegError("corrupt entropy-coded data: invalid Huffman code");
  }

  /**
   * Read `n` raw bits (0..16).
   * @param n Bit count.
   * @returns The bits as an unsigned number.
   */
  bits(n: number): number {
    if (this.cnt < n) this.fill();
    this.cnt -= n;
    return (this.buf >>> this.cnt) & ((1 << n) - 1);
  }

  /**
   * Read `s` bits and sign-extend them per T.81 F.2.2.1 (EXTEND).
   * @param s Magnitude category 1..16.
   * @returns The signed value.
   */
  receiveExtend(s: number): number {
    if (this.cnt < s) this.fill();
    this.cnt -= s;
    const v = (this.buf >>> this.cnt) & ((1 << s) - 1);
    return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
  }

  /**
   * Decode one sequential block, dequantised, into `blk` (natural order; must be zero).
   * @param blk 64-entry output, all zero on entry.
   * @param ci Component index in the scan (its tables).
   * @param q Quantisation table (natural order).
   * @param c DC predictor of the component.
   * @returns The zigzag index of the last non-zero AC coefficient (0 = DC only).
   * @throws {JpegError} on corrupt data.
   */
  decodeBlock(blk: Int32Array, ci: number, q: Int32Array, c: DcPredictor): number {
    const ac = this.acTables[ci];
    let s = this.huff(this.dcTables[ci]);
    let pred = c.pred;
    if (s !== 0) {
      if (s > 16) throw new JpegError(`corrupt entropy-coded data: DC magnitude category ${s}`);
      pred += this.receiveExtend(s);
      c.pred = pred;
    }
    // Coefficients are 16-bit (libjpeg JCOEF): wrap like it does on garbage input.
    blk[0] = ((pred << 16) >> 16) * q[0];
    let last = 0;
    for (let k = 1; k < 64;) {
      const rs = this.huff(ac);
      s = rs & 15;
      const r = rs >> 4;
      if (s !== 0) {
        k += r;
        if (k > 63) {
          throw new JpegError("corrupt entropy-coded data: AC coefficient index past 63");
        }
        const z = ZIGZAG[k];
        blk[z] = this.receiveExtend(s) * q[z];
        last = k;
        k++;
      } else if (r === 15) {
        k += 16;
      } else {
        break;
      }
    }
    return last;
  }

  /**
   * Skip one sequential block (entropy decode only, for components not needed).
   * @param _blk Unused (nothing is written).
   * @param ci Component index in the scan.
   * @param _q Unused.
   * @param c DC predictor.
   */
  skipBlock(_blk: Int32Array, ci: number, _q: Int32Array, c: DcPredictor): void {
    const ac = this.acTables[ci];
    let s = this.huff(this.dcTables[ci]);
    if (s !== 0) {
      if (s > 16) throw new JpegError(`corrupt entropy-coded data: DC magnitude category ${s}`);
      c.pred += this.receiveExtend(s);
    }
    for (let k = 1; k < 64;) {
      const rs = this.huff(ac);
      s = rs & 15;
      const r = rs >> 4;
      if (s !== 0) {
        k += r;
        if (k > 63) {
          throw new JpegError("corrupt entropy-coded data: AC coefficient index past 63");
        }
        this.bits(s);
        k++;
      } else if (r === 15) {
        k += 16;
      } else {
        break;
      }
    }
  }

  /**
   * Progressive DC first scan for one block (G.1.2.1).
   * @param co Coefficient store.
   * @param off Offset of the block.
   * @param ci Component index in the scan.
   * @param c DC predictor.
   * @param al Point transform.
   */
  dcFirst(co: Int16Array, off: number, ci: number, c: DcPredictor, al: number): void {
    const s = this.huff(this.dcTables[ci]);
    if (s !== 0) {
      if (s > 16) throw new JpegError(`corrupt entropy-coded data: DC magnitude category ${s}`);
      c.pred += this.receiveExtend(s);
    }
    co[off] = c.pred * (1 << al);
  }

  /**
   * Progressive DC refinement for one block.
   * @param co Coefficient store.
   * @param off Offset of the block.
   * @param al Point transform.
   */
  dcRefine(co: Int16Array, off: number, al: number): void {
    if (this.bits(1)) co[off] |= 1 << al;
  }

  /**
   * Progressive AC first scan for one block.
   * @param co Coefficient store.
   * @param off Offset of the block.
   * @param ci Component index in the scan.
   * @param ss Spectral start.
   * @param se Spectral end.
   * @param al Point transform.
   */
  acFirst(co: Int16Array, off: number, ci: number, ss: number, se: number, al: number): void {
    const ac = this.acTables[ci];
    if (this.eobrun > 0) {
      this.eobrun--;
      return;
    }
    for (let k = ss; k <= se;) {
      const rs = this.huff(ac);
      const s = rs & 15;
      const r = rs >> 4;
      if (s !== 0) {
        k += r;
        if (k > se) {
          throw new JpegError("corrupt entropy-coded data: AC coefficient index past the band");
        }
        co[off + ZIGZAG[k]] = this.receiveExtend(s) * (1 << al);
        k++;
      } else if (r < 15) {
        let run = 1 << r;
        if (r !== 0) run += this.bits(r);
        this.eobrun = run - 1;
        break;
      } else {
        k += 16;
      }
    }
  }

  /**
   * Progressive AC refinement for one block (G.1.2.3).
   * @param co Coefficient store.
   * @param off Offset of the block.
   * @param ci Component index in the scan.
   * @param ss Spectral start.
   * @param se Spectral end.
   * @param al Point transform.
   */
  acRefine(co: Int16Array, off: number, ci: number, ss: number, se: number, al: number): void {
    const ac = this.acTables[ci];
    const p1 = 1 << al;
    const m1 = -1 << al;
    let k = ss;
    if (this.eobrun === 0) {
      for (; k <= se; k++) {
        const rs = this.huff(ac);
        let s = rs & 15;
        let r = rs >> 4;
        if (s !== 0) {
          if (s !== 1) {
            throw new JpegError(
              "corrupt entropy-coded data: refinement coefficient with magnitude above 1",
            );
          }
          s = this.bits(1) ? p1 : m1;
        } else if (r !== 15) {
          let run = 1 << r;
          if (r !== 0) run += this.bits(r);
          this.eobrun = run;
          break;
        }
        do {
          const z = off + ZIGZAG[k];
          const v = co[z];
          if (v !== 0) {
            if (this.bits(1) && (v & p1) === 0) co[z] = v >= 0 ? v + p1 : v + m1;
          } else {
            if (--r < 0) break;
          }
          k++;
        } while (k <= se);
        if (s !== 0) {
          if (k > se) {
            throw new JpegError("corrupt entropy-coded data: AC coefficient index past the band");
          }
          co[off + ZIGZAG[k]] = s;
        }
      }
    }
    if (this.eobrun > 0) {
      for (; k <= se; k++) {
        const z = off + ZIGZAG[k];
        const v = co[z];
        if (v !== 0 && this.bits(1) && (v & p1) === 0) co[z] = v >= 0 ? v + p1 : v + m1;
      }
      this.eobrun--;
    }
  }

  /**
   * Finish the current segment: skip to the marker, counting the whole data bytes left unread
   * (up to `MAX_EXTRANEOUS_BYTES` are added to `extraneous`, a warning; more are an error).
   * @returns Offset of the marker (after skipping fill bytes, pointing at the last 0xFF).
   * @throws {JpegError} when more than `MAX_EXTRANEOUS_BYTES` data bytes remain before the marker.
   */
  finishSegment(): number {
    const realBits = this.cnt - this.fake * 8;
    if (realBits < 0) {
      throw new JpegError("premature end of data: the entropy-coded segment is truncated");
    }
    let extra = realBits >> 3;
    let pos = this.pos;
    if (!this.hitMarker) {
      const d = this.data;
      // Count the data bytes left before the next marker.
      const scan = scanToMarker(d, pos);
      pos = scan.pos;
      extra += scan.extra;
    }
    if (extra > MAX_EXTRANEOUS_BYTES) {
      throw new JpegError(
        `corrupt entropy-coded data: ${extra} extraneous bytes before the next marker`,
      );
    }
    this.extraneous += extra;
    return pos;
  }

  /**
   * Reset the bit state to start a new segment at `pos`.
   * @param pos Offset of the first byte of the new segment.
   */
  reset(pos: number): void {
    this.pos = pos;
    this.buf = 0;
    this.cnt = 0;
    this.fake = 0;
    this.hitMarker = false;
    this.eobrun = 0;
  }
}
