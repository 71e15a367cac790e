/**
 * JPEG marker segment parsing (ITU T.81 B.2, B.3, and the JFIF / Adobe APP
 * markers): frame header, scan header, DQT, DHT, DRI. Every read is
 * bounds-checked; malformed segments raise {@linkcode JpegError}.
 *
 * @module
 */

import { checkPixelLimit, JpegError, UnsupportedJpegError } from "./types.ts";
import { HuffTable, ZIGZAG } from "./huffman.ts";

/** A component as declared in the frame header. */
export interface FrameComponent {
  /** Component identifier (C_i). */
  id: number;
  /** Horizontal sampling factor 1..4. */
  h: number;
  /** Vertical sampling factor 1..4. */
  v: number;
  /** Quantisation table selector 0..3. */
  tq: number;
}

/** Parsed SOF segment. */
export interface FrameHeader {
  /** The SOF marker (0xC0..0xCF). */
  marker: number;
  /** Sample precision (8 or 12). */
  precision: number;
  /** Height in lines. */
  height: number;
  /** Width in samples. */
  width: number;
  /** True for SOF2/SOF6/SOF10. */
  progressive: boolean;
  /** True for SOF9..SOF15. */
  arithmetic: boolean;
  /** The components. */
  components: FrameComponent[];
}

/** One component of a scan header. */
export interface ScanComponent {
  /** Index into the frame's components. */
  index: number;
  /** DC table selector. */
  td: number;
  /** AC table selector. */
  ta: number;
}

/** Parsed SOS segment. */
export interface ScanHeader {
  /** Components in the scan. */
  components: ScanComponent[];
  /** Spectral selection start. */
  ss: number;
  /** Spectral selection end. */
  se: number;
  /** Successive approximation high bit. */
  ah: number;
  /** Successive approximation low bit. */
  al: number;
}

/**
 * Read a big-endian 16-bit value (the caller checks bounds).
 *
 * @param d Bytes.
 * @param p Offset.
 * @returns The value.
 * @throws Never.
 * @example
 * ```ts
 * u16(new Uint8Array([0x01, 0x02]), 0); // 258
 * ```
 */
export function u16(d: Uint8Array, p: number): number {
  return (d[p] << 8) | d[p + 1];
}

/**
 * Human name of a marker for messages.
 *
 * @param m The marker byte (after 0xFF).
 * @returns e.g. `"DHT (0xC4)"`, or the hex value for unknown markers.
 * @throws Never.
 * @example
 * ```ts
 * markerName(0xe1); // "APP1 (0xE1)"
 * ```
 */
export function markerName(m: number): string {
  const hex = "0x" + m.toString(16).toUpperCase().padStart(2, "0");
  const names: Record<number, string> = {
    0xc4: "DHT",
    0xcc: "DAC",
    0xd8: "SOI",
    0xd9: "EOI",
    0xda: "SOS",
    0xdb: "DQT",
    0xdc: "DNL",
    0xdd: "DRI",
    0xfe: "COM",
  };
  let n = names[m];
  if (!n && m >= 0xc0 && m <= 0xcf) n = `SOF${m - 0xc0}`;
  if (!n && m >= 0xe0 && m <= 0xef) n = `APP${m - 0xe0}`;
  if (!n && m >= 0xd0 && m <= 0xd7) n = `RST${m - 0xd0}`;
  return n ? `${n} (${hex})` : hex;
}

/**
 * Parse a SOFn segment and check the declared size against `maxPixels`.
 *
 * @param d File bytes.
 * @param p Offset of the segment payload (after the length field).
 * @param len Payload length.
 * @param marker The SOF marker.
 * @param maxPixels Pixel limit.
 * @param decoding When false (header inspection), 12-bit, lossless and hierarchical
 *   frames are described instead of refused.
 * @returns The frame header.
 * @throws {UnsupportedJpegError} lossless, hierarchical or 12-bit frames.
 * @throws {ImageTooLargeError} above `maxPixels`.
 * @throws {JpegError} malformed header.
 * @example
 * ```ts
 * const f = parseSof(bytes, p, len, 0xc0, 50e6);
 * ```
 */
export function parseSof(
  d: Uint8Array,
  p: number,
  len: number,
  marker: number,
  maxPixels: number,
  decoding = true,
): FrameHeader {
  const kind = marker & 0x0f;
  if (!decoding) {
    // Header inspection only: describe whatever the frame declares.
  } else if (kind === 3 || kind === 7 || kind === 11 || kind === 15) {
    throw new UnsupportedJpegError(
      `lossless JPEG (SOF${kind}) is not supported`,
    );
  }
  if (decoding && kind >= 5 && kind !== 9 && kind !== 10) {
    throw new UnsupportedJpegError(
      `hierarchical JPEG (SOF${kind}) is not supported`,
    );
  }
  if (len < 6) throw new JpegError(`frame header ${markerName(marker)} is too short`);
  const precision = d[p];
  const height = u16(d, p + 1);
  const width = u16(d, p + 3);
  const nc = d[p + 5];
  if (precision !== 8 && (decoding || precision < 2 || precision > 16)) {
    if (precision === 12 || precision === 16) {
      throw new UnsupportedJpegError(`${precision}-bit JPEG is not supported (only 8-bit samples)`);
    }
    throw new JpegError(`invalid sample precision ${precision} in the frame header`);
  }
  if (width === 0) throw new JpegError("image width is 0 in the frame header");
  if (height === 0) {
    throw new JpegError("image height is 0 in the frame header (DNL marker not supported)");
  }
  if (nc === 0) throw new JpegError("frame header declares 0 components");
  if (len < 6 + nc * 3) {
    throw new JpegError(`frame header is too short for its ${nc} components`);
  }
  if (decoding && nc !== 1 && nc !== 3 && nc !== 4) {
    throw new UnsupportedJpegError(`${nc}-component JPEG is not supported`);
  }
  checkPixelLimit(width, height, maxPixels);
  const components: FrameComponent[] = [];
  let blocks = 0;
  for (let i = 0; i < nc; i++) {
    const o = p + 6 + i * 3;
    const id = d[o];
    const h = d[o + 1] >> 4;
    const v = d[o + 1] & 15;
    const tq = d[o + 2];
    if (h < 1 || h > 4 || v < 1 || v > 4) {
      throw new JpegError(`bad sampling factors ${h}x${v} for component ${id} (must be 1..4)`);
    }
    if (tq > 3) throw new JpegError(`bad quantisation table selector ${tq} for component ${id}`);
    for (const c of components) {
      if (c.id === id) throw new JpegError(`duplicate component id ${id} in the frame header`);
    }
    blocks += h * v;
    components.push({ id, h, v, tq });
  }
  if (nc > 1 && blocks > 10) {
    throw new JpegError(`sampling factors need ${blocks} blocks per MCU (at most 10 allowed)`);
  }
  return {
    marker,
    precision,
    height,
    width,
    progressive: kind === 2 || kind === 10,
    arithmetic: kind >= 9,
    components,
  };
}

/**
 * Parse a DQT segment into `tables` (natural order, Int32).
 *
 * @param d File bytes.
 * @param p Payload offset.
 * @param len Payload length.
 * @param tables Destination, indexed by table id.
 * @returns Nothing; fills `tables`.
 * @throws {JpegError} malformed segment.
 * @example
 * ```ts
 * parseDqt(bytes, p, len, qtables);
 * ```
 */
export function parseDqt(
  d: Uint8Array,
  p: number,
  len: number,
  tables: (Int32Array | null)[],
): void {
  const end = p + len;
  while (p < end) {
    const pq = d[p] >> 4;
    const tq = d[p] & 15;
    p++;
    if (pq > 1) throw new JpegError(`bad DQT precision ${pq}`);
    if (tq > 3) throw new JpegError(`bad DQT table id ${tq}`);
    const size = pq ? 128 : 64;
    if (p + size > end) throw new JpegError("DQT segment is shorter than its tables");
    const t = new Int32Array(64);
    for (let k = 0; k < 64; k++) {
      t[ZIGZAG[k]] = pq ? u16(d, p + 2 * k) : d[p + k];
    }
    tables[tq] = t;
    p += size;
  }
}

/**
 * Parse a DHT segment into DC (class 0) and AC (class 1) tables.
 *
 * @param d File bytes.
 * @param p Payload offset.
 * @param len Payload length.
 * @param dc DC tables by id.
 * @param ac AC tables by id.
 * @returns Nothing; fills `dc` / `ac`.
 * @throws {JpegError} malformed or oversubscribed table.
 * @example
 * ```ts
 * parseDht(bytes, p, len, dcTables, acTables);
 * ```
 */
export function parseDht(
  d: Uint8Array,
  p: number,
  len: number,
  dc: (HuffTable | null)[],
  ac: (HuffTable | null)[],
): void {
  const end = p + len;
  while (p < end) {
    if (p + 17 > end) throw new JpegError("DHT segment is shorter than its table header");
    const tc = d[p] >> 4;
    const th = d[p] & 15;
    if (tc > 1 || th > 3) {
      throw new JpegError(`bad DHT table class/id 0x${d[p].toString(16).padStart(2, "0")}`);
    }
    const counts = d.subarray(p + 1, p + 17);
    let total = 0;
    for (let i = 0; i < 16; i++) total += counts[i];
    if (total > 256) {
      throw new JpegError(
        `bad Huffman table: the code-length counts sum to ${total} (at most 256 codes allowed)`,
      );
    }
    if (p + 17 + total > end) throw new JpegError("DHT segment is shorter than its symbols");
    const values = d.subarray(p + 17, p + 17 + total);
    if (tc === 0) {
      for (let i = 0; i < total; i++) {
        if (values[i] > 15) {
          throw new JpegError(`bad Huffman table: DC symbol ${values[i]} is above 15`);
        }
      }
    }
    const t = new HuffTable(counts, values);
    (tc === 0 ? dc : ac)[th] = t;
    p += 17 + total;
  }
}

/**
 * Parse an SOS header against the frame.
 *
 * @param d File bytes.
 * @param p Payload offset.
 * @param len Payload length.
 * @param frame The frame header.
 * @returns The scan header.
 * @throws {JpegError} unknown components or bad progressive parameters.
 * @example
 * ```ts
 * const scan = parseSos(bytes, p, len, frame);
 * ```
 */
export function parseSos(d: Uint8Array, p: number, len: number, frame: FrameHeader): ScanHeader {
  if (len < 1) throw new JpegError("SOS segment is empty");
  const ns = d[p];
  if (ns < 1 || ns > 4) throw new JpegError(`SOS declares ${ns} components (must be 1..4)`);
  if (len !== 4 + ns * 2) {
    throw new JpegError(`SOS segment length ${len + 2} does not match its ${ns} components`);
  }
  const comps: ScanComponent[] = [];
  for (let i = 0; i < ns; i++) {
    const id = d[p + 1 + i * 2];
    const index = frame.components.findIndex((c) => c.id === id);
    if (index < 0) {
      throw new JpegError(`SOS names component id ${id}, which the frame does not define`);
    }
    for (const c of comps) {
      if (c.index === index) throw new JpegError(`SOS names component id ${id} twice`);
    }
    const t = d[p + 2 + i * 2];
    comps.push({ index, td: t >> 4, ta: t & 15 });
  }
  const q = p + 1 + ns * 2;
  const ss = d[q];
  const se = d[q + 1];
  const ah = d[q + 2] >> 4;
  const al = d[q + 2] & 15;
  if (ns > 1) {
    let blocks = 0;
    for (const c of comps) blocks += frame.components[c.index].h * frame.components[c.index].v;
    if (blocks > 10) throw new JpegError(`scan MCU has ${blocks} blocks (at most 10 allowed)`);
  }
  if (frame.progressive) {
    const bad = ss > se || se > 63 || (ss === 0 && se !== 0) || (ss > 0 && ns !== 1) ||
      al > 13 || ah > 13 || (ah !== 0 && al !== ah - 1);
    if (bad) {
      throw new JpegError(
        `invalid progressive scan parameters Ss=${ss} Se=${se} Ah=${ah} Al=${al}`,
      );
    }
  }
  return { components: comps, ss, se, ah, al };
}
