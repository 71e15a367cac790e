/**
 * Seeded JPEG mutations for the fuzz harness (`deno task fuzz`) and its CI subset
 * (tests/fuzz_test.ts): bit flips, byte runs set to 00/FF, truncation, inserted and duplicated
 * markers (SOI, SOS, DHT, DRI), changed segment lengths, huge SOF dimensions and repeated SOS.
 * Every mutation is a pure function of the input bytes and the random source, so a case is
 * reproduced from its seed alone.
 *
 * @module
 */

import { mulberry32 } from "../../src/util/random.ts";

/** A deterministic random source in [0, 1). */
export type Rand = () => number;

/**
 * The seeded generator (mulberry32, shared with the shuffles: src/util/random.ts).
 *
 * @param seed Any integer.
 * @returns A function returning the next number in [0, 1).
 */
export const seededRandom: (seed: number) => Rand = mulberry32;

/** An integer in [0, n). */
function below(rand: Rand, n: number): number {
  return Math.floor(rand() * n);
}

/** One marker segment of a JPEG file (as found by a lenient walk). */
export interface Segment {
  /** The marker byte (after 0xFF). */
  marker: number;
  /** Offset of the 0xFF. */
  start: number;
  /** Offset just past the segment (for SOS: past the entropy-coded data). */
  end: number;
  /** Offset of the 2-byte length field, -1 for markers without one. */
  lengthAt: number;
}

/**
 * List the marker segments of a JPEG (SOS segments include their entropy-coded data).
 * Stops quietly at anything it cannot follow.
 *
 * @param d The file.
 * @returns The segments in file order.
 */
export function segments(d: Uint8Array): Segment[] {
  const out: Segment[] = [];
  let pos = 2;
  while (pos + 1 < d.length) {
    if (d[pos] !== 0xff) break;
    const start = pos;
    while (pos < d.length && d[pos] === 0xff) pos++;
    if (pos >= d.length) break;
    const m = d[pos++];
    if (m === 0xd9 || m === 0xd8 || (m >= 0xd0 && m <= 0xd7) || m === 0x01) {
      out.push({ marker: m, start, end: pos, lengthAt: -1 });
      if (m === 0xd9) break;
      continue;
    }
    if (pos + 2 > d.length) break;
    const len = (d[pos] << 8) | d[pos + 1];
    const lengthAt = pos;
    pos += len;
    if (len < 2 || pos > d.length) break;
    if (m === 0xda) {
      // entropy-coded data: up to the next marker that is not a stuffed zero or RSTn
      while (pos < d.length) {
        if (d[pos] === 0xff && pos + 1 < d.length) {
          const n = d[pos + 1];
          if (n !== 0 && !(n >= 0xd0 && n <= 0xd7) && n !== 0xff) break;
        }
        pos++;
      }
    }
    out.push({ marker: m, start, end: pos, lengthAt });
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const o = new Uint8Array(n);
  let i = 0;
  for (const p of parts) {
    o.set(p, i);
    i += p.length;
  }
  return o;
}

/** A small plausible segment for `marker` (or a bare SOI), random where it does not matter. */
function fakeSegment(marker: number, rand: Rand): Uint8Array {
  switch (marker) {
    case 0xd8:
      return new Uint8Array([0xff, 0xd8]);
    case 0xdd: // DRI with a random interval
      return new Uint8Array([0xff, 0xdd, 0, 4, below(rand, 4), below(rand, 256)]);
    case 0xc4: { // DHT: one table with random counts (often bogus, sometimes valid)
      const tc = below(rand, 2), th = below(rand, 4);
      const counts = Array.from({ length: 16 }, () => (rand() < 0.6 ? 0 : below(rand, 8)));
      const total = counts.reduce((a, b) => a + b, 0);
      const vals = Array.from({ length: total }, () => below(rand, 256));
      const len = 2 + 1 + 16 + total;
      return new Uint8Array([0xff, 0xc4, len >> 8, len & 255, (tc << 4) | th, ...counts, ...vals]);
    }
    default: { // SOS for component 1..3 with random tables and spectral parameters
      const ns = 1 + below(rand, 3);
      const comps: number[] = [];
      for (let i = 0; i < ns; i++) comps.push(1 + i, below(rand, 2) * 17);
      const len = 2 + 1 + 2 * ns + 3;
      const ss = rand() < 0.5 ? 0 : below(rand, 64);
      return new Uint8Array([
        0xff,
        0xda,
        len >> 8,
        len & 255,
        ns,
        ...comps,
        ss,
        rand() < 0.5 ? 63 : below(rand, 64),
        below(rand, 256) & 0x33,
      ]);
    }
  }
}

/** The mutation kinds, in the order {@linkcode mutate} picks from. */
export const MUTATIONS = [
  "bitflip",
  "run00",
  "runFF",
  "truncate",
  "insert-marker",
  "duplicate-segment",
  "segment-length",
  "huge-sof",
  "repeat-sos",
] as const;
/** One of {@linkcode MUTATIONS}. */
export type MutationKind = typeof MUTATIONS[number];

/**
 * Apply one random mutation (of a random or the given kind) to a copy of `src`.
 *
 * @param src A JPEG file (not modified).
 * @param rand The random source.
 * @param kind Force a mutation kind.
 * @returns The mutation kind and the mutated bytes.
 */
export function mutate(
  src: Uint8Array,
  rand: Rand,
  kind: MutationKind = MUTATIONS[below(rand, MUTATIONS.length)],
): { kind: MutationKind; data: Uint8Array } {
  const d = src.slice();
  const segs = segments(src);
  const pick = (pred: (s: Segment) => boolean) => {
    const c = segs.filter(pred);
    return c.length ? c[below(rand, c.length)] : undefined;
  };
  switch (kind) {
    case "bitflip": {
      const n = 1 + below(rand, 4);
      for (let i = 0; i < n; i++) d[below(rand, d.length)] ^= 1 << below(rand, 8);
      return { kind, data: d };
    }
    case "run00":
    case "runFF": {
      const at = below(rand, d.length);
      const n = 1 + below(rand, 32);
      d.fill(kind === "run00" ? 0 : 0xff, at, Math.min(d.length, at + n));
      return { kind, data: d };
    }
    case "truncate":
      return { kind, data: d.slice(0, below(rand, d.length)) };
    case "insert-marker": {
      const m = [0xd8, 0xda, 0xc4, 0xdd][below(rand, 4)];
      // at a segment boundary half the time, anywhere otherwise
      const at = rand() < 0.5 && segs.length
        ? segs[below(rand, segs.length)].start
        : below(rand, d.length);
      return { kind, data: concat(d.subarray(0, at), fakeSegment(m, rand), d.subarray(at)) };
    }
    case "duplicate-segment": {
      const s = pick((s) => [0xd8, 0xda, 0xc4, 0xdd, 0xdb, 0xc0, 0xc2].includes(s.marker)) ??
        pick(() => true);
      if (!s) return mutate(src, rand, "bitflip");
      const at = rand() < 0.5 ? s.end : segs[below(rand, segs.length)].start;
      return {
        kind,
        data: concat(d.subarray(0, at), src.subarray(s.start, s.end), d.subarray(at)),
      };
    }
    case "segment-length": {
      const s = pick((s) => s.lengthAt >= 0);
      if (!s) return mutate(src, rand, "bitflip");
      const len = (d[s.lengthAt] << 8) | d[s.lengthAt + 1];
      const r = rand();
      const v = r < 0.3
        ? len + 1 + below(rand, 8)
        : r < 0.6
        ? Math.max(0, len - 1 - below(rand, 8))
        : r < 0.8
        ? below(rand, 4)
        : below(rand, 65536);
      d[s.lengthAt] = (v >> 8) & 255;
      d[s.lengthAt + 1] = v & 255;
      return { kind, data: d };
    }
    case "huge-sof": {
      const s = pick((s) =>
        s.marker >= 0xc0 && s.marker <= 0xcf && s.marker !== 0xc4 && s.marker !== 0xcc
      );
      if (!s) return mutate(src, rand, "bitflip");
      const p = s.lengthAt + 3; // height at p, width at p + 2
      const r = rand();
      const [h, w] = r < 0.3
        ? [65535, 65535]
        : r < 0.6
        ? [1 + below(rand, 65535), 1 + below(rand, 65535)]
        : r < 0.8
        ? [3968 + below(rand, 32), 3968 + below(rand, 32)] // just under the fuzz's 16 MP limit
        : [src[p] << 8 | src[p + 1], 16384 + below(rand, 49152)];
      d[p] = h >> 8;
      d[p + 1] = h & 255;
      d[p + 2] = w >> 8;
      d[p + 3] = w & 255;
      return { kind, data: d };
    }
    case "repeat-sos": {
      const s = pick((s) => s.marker === 0xda);
      if (!s) return mutate(src, rand, "bitflip");
      const times = 1 + below(rand, rand() < 0.9 ? 3 : 40);
      const copies = Array.from({ length: times }, () => src.subarray(s.start, s.end));
      return { kind, data: concat(d.subarray(0, s.end), ...copies, d.subarray(s.end)) };
    }
  }
}
