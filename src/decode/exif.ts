/**
 * EXIF orientation: reading tag 0x0112 from an APP1 "Exif" segment (TIFF
 * IFD0, either byte order, every offset bounds-checked) and applying it to
 * decoded pixels.
 *
 * @module
 */

/**
 * Read the orientation tag from an APP1 payload.
 *
 * @param seg The APP1 segment payload (after the length field), starting with `Exif\0\0`.
 * @returns The orientation 1..8, or 1 when absent, invalid or unreadable.
 * @throws Never: malformed Exif data yields 1.
 * @example
 * ```ts
 * const o = readExifOrientation(app1Payload); // 1..8
 * ```
 */
export function readExifOrientation(seg: Uint8Array): number {
  if (
    seg.length < 14 || seg[0] !== 0x45 || seg[1] !== 0x78 || seg[2] !== 0x69 || seg[3] !== 0x66 ||
    seg[4] !== 0 || seg[5] !== 0
  ) return 1;
  const t = 6;
  const n = seg.length - t;
  let le: boolean;
  if (seg[t] === 0x49 && seg[t + 1] === 0x49) le = true;
  else if (seg[t] === 0x4d && seg[t + 1] === 0x4d) le = false;
  else return 1;
  const u16 = (o: number) =>
    le ? seg[t + o] | (seg[t + o + 1] << 8) : (seg[t + o] << 8) | seg[t + o + 1];
  const u32 = (o: number) =>
    le
      ? (seg[t + o] | (seg[t + o + 1] << 8) | (seg[t + o + 2] << 16)) + seg[t + o + 3] * 16777216
      : ((seg[t + o + 1] << 16) | (seg[t + o + 2] << 8) | seg[t + o + 3]) + seg[t + o] * 16777216;
  if (u16(2) !== 42) return 1;
  const ifd = u32(4);
  if (ifd < 8 || ifd + 2 > n) return 1;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const e = ifd + 2 + i * 12;
    if (e + 12 > n) break;
    if (u16(e) === 0x0112) {
      const type = u16(e + 2);
      let v: number;
      if (type === 3) v = u16(e + 8);
      else if (type === 4 || type === 9) v = u32(e + 8);
      else if (type === 1 || type === 7) v = seg[t + e + 8];
      else return 1;
      return v >= 1 && v <= 8 ? v : 1;
    }
  }
  return 1;
}

/**
 * Rotate/flip interleaved pixels from stored to display orientation.
 *
 * @param data Interleaved pixels, `h * w * ch` bytes.
 * @param w Stored width.
 * @param h Stored height.
 * @param ch Channels per pixel.
 * @param o EXIF orientation 1..8.
 * @returns The transformed pixels and their dimensions (the input itself for 1).
 * @example
 * ```ts
 * const r = applyOrientation(rgb, 160, 120, 3, 6); // r.width === 120
 * ```
 */
export function applyOrientation(
  data: Uint8Array,
  w: number,
  h: number,
  ch: number,
  o: number,
): { data: Uint8Array; width: number; height: number } {
  if (o < 2 || o > 8) return { data, width: w, height: h };
  const swap = o >= 5;
  const W = swap ? h : w;
  const H = swap ? w : h;
  const out = new Uint8Array(data.length);
  // For each destination (X, Y), the source (x, y):
  // 2: (W-1-X, Y)  3: (W-1-X, H-1-Y)  4: (X, H-1-Y)
  // 5: (Y, X)      6: (Y, h-1-X)      7: (w-1-Y, h-1-X)   8: (w-1-Y, X)
  let di = 0;
  for (let Y = 0; Y < H; Y++) {
    for (let X = 0; X < W; X++) {
      let x: number, y: number;
      switch (o) {
        case 2:
          x = W - 1 - X;
          y = Y;
          break;
        case 3:
          x = W - 1 - X;
          y = H - 1 - Y;
          break;
        case 4:
          x = X;
          y = H - 1 - Y;
          break;
        case 5:
          x = Y;
          y = X;
          break;
        case 6:
          x = Y;
          y = h - 1 - X;
          break;
        case 7:
          x = w - 1 - Y;
          y = h - 1 - X;
          break;
        default:
          x = w - 1 - Y;
          y = X;
      }
      let si = (y * w + x) * ch;
      for (let c = 0; c < ch; c++) out[di++] = data[si++];
    }
  }
  return { data: out, width: W, height: H };
}
