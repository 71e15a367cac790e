/**
 * PNG file structure: the signature, the chunk sequence with its CRCs, IHDR validation, the
 * palette and the IDAT data (PNG spec, ISO/IEC 15948, sections 5 and 11). No pixel work here.
 *
 * @module
 */
import { checkPixelLimit, DEFAULT_MAX_PIXELS } from "../types.ts";
import { crc32 } from "./crc.ts";
import { PngError } from "./errors.ts";

/** The 8-byte PNG signature (section 5.2). */
export const PNG_SIGNATURE: Uint8Array = new Uint8Array([
  0x89,
  0x50,
  0x4e,
  0x47,
  0x0d,
  0x0a,
  0x1a,
  0x0a,
]);

/** PNG colour types (section 11.2.2). */
export const ColorType = {
  /** Greyscale. */
  GREY: 0,
  /** Truecolour (RGB). */
  RGB: 2,
  /** Indexed colour (palette). */
  PALETTE: 3,
  /** Greyscale with alpha. */
  GREY_ALPHA: 4,
  /** Truecolour with alpha (RGBA). */
  RGBA: 6,
} as const;

/** Samples per pixel of each colour type. */
const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Allowed bit depths of each colour type (section 11.2.2, Table 11.1). */
const DEPTHS: Record<number, readonly number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

/** What the IHDR chunk says. */
export interface PngInfo {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Bits per sample (1, 2, 4, 8 or 16). */
  bitDepth: number;
  /** Colour type: 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA. */
  colorType: number;
  /** True for Adam7 interlacing. */
  interlaced: boolean;
}

/** A parsed file: its header, its palette and its compressed image data. */
export interface PngFile extends PngInfo {
  /** Samples per pixel (1 to 4). */
  samples: number;
  /** 256 RGB entries (missing entries black, as Pillow expands them), for colour type 3. */
  palette?: Uint8Array;
  /** The IDAT chunks' data, concatenated (a zlib stream). */
  idat: Uint8Array;
}

/**
 * True when the bytes start with the PNG signature.
 *
 * @param bytes File contents.
 * @returns Whether it looks like a PNG.
 * @example
 * ```ts
 * import { isPng } from "./chunks.ts";
 * isPng(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])); // true
 * ```
 */
export function isPng(bytes: Uint8Array): boolean {
  if (bytes.length < 8) return false;
  for (let i = 0; i < 8; i++) if (bytes[i] !== PNG_SIGNATURE[i]) return false;
  return true;
}

function hex(b: number): string {
  return b.toString(16).padStart(2, "0").toUpperCase();
}

function typeName(bytes: Uint8Array, o: number): string {
  let s = "";
  for (let i = 0; i < 4; i++) {
    const c = bytes[o + i];
    s += c >= 0x41 && c <= 0x7a ? String.fromCharCode(c) : `\\x${hex(c)}`;
  }
  return s;
}

function checkSignature(bytes: Uint8Array): void {
  if (bytes.length === 0) throw new PngError("empty input (0 bytes): not a PNG file");
  if (isPng(bytes)) return;
  const head = bytes.subarray(0, 8);
  // The signature exists to catch these transfer errors (section 12.12).
  const sig = Array.from(head, hex).join(" ");
  const hint = head.length === 8 && bytes[0] === 0x89 && bytes[1] === 0x50
    ? " (a damaged signature: the file was probably transferred in text mode: copy it again in binary mode)"
    : "";
  throw new PngError(`not a PNG file: the signature is ${sig}${hint}`);
}

function readIhdr(bytes: Uint8Array, o: number, len: number, maxPixels: number): PngInfo {
  if (len !== 13) throw new PngError(`invalid PNG: the IHDR chunk has length ${len}, not 13`);
  const v = new DataView(bytes.buffer, bytes.byteOffset + o, 13);
  const width = v.getUint32(0), height = v.getUint32(4);
  const bitDepth = bytes[o + 8], colorType = bytes[o + 9];
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) {
    throw new PngError(`invalid PNG: the IHDR chunk declares a size of ${width}x${height}`);
  }
  const depths = DEPTHS[colorType];
  if (!depths) throw new PngError(`invalid PNG: the IHDR chunk has colour type ${colorType}`);
  if (!depths.includes(bitDepth)) {
    throw new PngError(
      `invalid PNG: the IHDR chunk has bit depth ${bitDepth}, not allowed for colour type ${colorType} (allowed: ${
        depths.join(", ")
      })`,
    );
  }
  if (bytes[o + 10] !== 0) {
    throw new PngError(`invalid PNG: unknown compression method ${bytes[o + 10]} in IHDR`);
  }
  if (bytes[o + 11] !== 0) {
    throw new PngError(`invalid PNG: unknown filter method ${bytes[o + 11]} in IHDR`);
  }
  if (bytes[o + 12] > 1) {
    throw new PngError(`invalid PNG: unknown interlace method ${bytes[o + 12]} in IHDR`);
  }
  checkPixelLimit(width, height, maxPixels);
  return { width, height, bitDepth, colorType, interlaced: bytes[o + 12] === 1 };
}

/**
 * Read the IHDR chunk (checking the signature and its CRC) without touching the image data.
 *
 * @param bytes The PNG file.
 * @param maxPixels Refuse larger images (default 50 megapixels).
 * @returns The header.
 * @throws {PngError} not a PNG, or a bad IHDR.
 * @throws {ImageTooLargeError} above `maxPixels`.
 * @example
 * ```ts
 * import { readPngInfo } from "./chunks.ts";
 * const info = readPngInfo(await Deno.readFile("../shared/png-corpus/good/basn2c08.png"));
 * // info.width === 32, info.colorType === 2
 * ```
 */
export function readPngInfo(bytes: Uint8Array, maxPixels = DEFAULT_MAX_PIXELS): PngInfo {
  checkSignature(bytes);
  const c = nextChunk(bytes, 8);
  if (c.type !== "IHDR") {
    throw new PngError(`invalid PNG: the first chunk is ${c.type}, not IHDR`);
  }
  return readIhdr(bytes, c.data, c.length, maxPixels);
}

interface Chunk {
  type: string;
  /** Offset of the chunk data. */
  data: number;
  length: number;
  /** Offset of the next chunk. */
  next: number;
}

function nextChunk(bytes: Uint8Array, o: number): Chunk {
  if (o + 8 > bytes.length) {
    throw new PngError(
      `invalid PNG: premature end of file after ${o} bytes, inside a chunk header (truncated file: copy or export it again)`,
    );
  }
  const length = ((bytes[o] << 24) | (bytes[o + 1] << 16) | (bytes[o + 2] << 8) | bytes[o + 3]) >>>
    0;
  const type = typeName(bytes, o + 4);
  if (length > 0x7fffffff) {
    throw new PngError(`invalid PNG: the ${type} chunk has a bad length ${length}`);
  }
  const end = o + 8 + length;
  if (end + 4 > bytes.length) {
    throw new PngError(
      `invalid PNG: premature end of file in the ${type} chunk (${bytes.length - o} of its ${
        length + 12
      } bytes; truncated file: copy or export it again)`,
    );
  }
  const stored = ((bytes[end] << 24) | (bytes[end + 1] << 16) | (bytes[end + 2] << 8) |
    bytes[end + 3]) >>> 0;
  if (crc32(bytes.subarray(o + 4, end)) !== stored) {
    throw new PngError(
      `invalid PNG: CRC mismatch in the ${type} chunk (corrupt file: copy or export it again)`,
    );
  }
  return { type, data: o + 8, length, next: end + 4 };
}

/**
 * Walk the chunks of a PNG: signature, IHDR first, PLTE, IDAT, IEND, every CRC checked.
 * Ancillary chunks are skipped (gamma and colour chunks are not applied, as Pillow does not);
 * tRNS is ignored because alpha is dropped.
 *
 * @param bytes The PNG file.
 * @param maxPixels Refuse larger images, before any allocation (default 50 megapixels).
 * @returns The header, palette and compressed data.
 * @throws {PngError} anything corrupt, truncated or not a PNG.
 * @throws {ImageTooLargeError} above `maxPixels`.
 * @example
 * ```ts
 * import { parsePng } from "./chunks.ts";
 * const png = parsePng(await Deno.readFile("../shared/png-corpus/good/basn3p08.png"));
 * // png.palette holds 256 RGB entries
 * ```
 */
export function parsePng(bytes: Uint8Array, maxPixels = DEFAULT_MAX_PIXELS): PngFile {
  const info = readPngInfo(bytes, maxPixels);
  let o = nextChunk(bytes, 8).next;
  let palette: Uint8Array | undefined;
  const parts: Uint8Array[] = [];
  let total = 0;
  let ended = false;
  while (o < bytes.length) {
    const c = nextChunk(bytes, o);
    o = c.next;
    const data = bytes.subarray(c.data, c.data + c.length);
    if (c.type === "IEND") {
      ended = true;
      break;
    } else if (c.type === "IDAT") {
      parts.push(data);
      total += data.length;
    } else if (c.type === "PLTE") {
      if (parts.length > 0) throw new PngError("invalid PNG: the PLTE chunk comes after IDAT");
      if (palette) throw new PngError("invalid PNG: two PLTE chunks");
      if (c.length === 0 || c.length % 3 !== 0 || c.length > 768) {
        throw new PngError(`invalid PNG: the PLTE chunk has a bad length ${c.length}`);
      }
      palette = new Uint8Array(768);
      palette.set(data);
    } else if (c.type === "IHDR") {
      throw new PngError("invalid PNG: a second IHDR chunk");
    } else if ((bytes[c.data - 4] & 0x20) === 0) {
      // An unknown critical chunk (uppercase first letter) must not be ignored (section 5.4).
      throw new PngError(`unsupported PNG: unknown critical chunk ${c.type}`);
    }
  }
  if (parts.length === 0) {
    throw new PngError(
      ended
        ? "invalid PNG: no IDAT chunk (the file has no image data)"
        : "invalid PNG: premature end of file before any IDAT chunk (truncated file: copy or export it again)",
    );
  }
  if (!ended) {
    throw new PngError(
      "invalid PNG: premature end of file, no IEND chunk (truncated file: copy or export it again)",
    );
  }
  if (info.colorType === ColorType.PALETTE && !palette) {
    throw new PngError("invalid PNG: a palette image without a PLTE chunk");
  }
  let idat = parts[0];
  if (parts.length > 1) {
    idat = new Uint8Array(total);
    let k = 0;
    for (const p of parts) {
      idat.set(p, k);
      k += p.length;
    }
  }
  return {
    ...info,
    samples: SAMPLES[info.colorType],
    palette: info.colorType === ColorType.PALETTE ? palette : undefined,
    idat,
  };
}
