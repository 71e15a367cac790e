/**
 * Shared end-of-segment scan for the Huffman and arithmetic entropy decoders.
 *
 * @module
 */

/**
 * Walk entropy-coded bytes from `pos` to the next marker, counting the data bytes passed
 * (a stuffed `FF 00` counts as one byte).
 *
 * @param d The file.
 * @param pos Where to start.
 * @returns The offset of the marker's `0xFF` (or the end of the data) and the data bytes skipped.
 */
export function scanToMarker(d: Uint8Array, pos: number): { pos: number; extra: number } {
  let extra = 0;
  while (pos < d.length) {
    if (d[pos] === 0xff) {
      if (pos + 1 < d.length && d[pos + 1] === 0) {
        extra++;
        pos += 2;
        continue;
      }
      break;
    }
    extra++;
    pos++;
  }
  return { pos, extra };
}
