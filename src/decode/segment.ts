/**
 * Shared end-of-segment scan for the Huffman and arithmetic entropy decoders.
 *
 * @module
 */

/**
 * Walk entropy-coded bytes from `pos` to the next marker, counting the data bytes passed
 * (a stuffed `FF 00`, with any `FF` fill bytes before the `00`, counts as one byte).
 *
 * @param d The file.
 * @param pos Where to start.
 * @returns The offset of the marker's `0xFF` (or the end of the data) and the data bytes skipped.
 */
export function scanToMarker(d: Uint8Array, pos: number): { pos: number; extra: number } {
  let extra = 0;
  while (pos < d.length) {
    if (d[pos] === 0xff) {
      // FF (FF fill bytes)* 00 is one stuffed data byte (libjpeg); anything else is a marker
      let q = pos + 1;
      while (q < d.length && d[q] === 0xff) q++;
      if (q < d.length && d[q] === 0) {
        extra++;
        pos = q + 1;
        continue;
      }
      break;
    }
    extra++;
    pos++;
  }
  return { pos, extra };
}
