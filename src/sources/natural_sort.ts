/**
 * Natural ordering of paths, so `frame_10` follows `frame_9`.
 *
 * @module
 */

const CHUNK = /(\d+)|(\D+)/g;

/**
 * Compare two strings naturally: digit runs compare by numeric value, other runs
 * by code unit. Ties (e.g. `01` vs `1`) fall back to a plain comparison, so the order is total.
 *
 * @param a First string.
 * @param b Second string.
 * @returns Negative, zero or positive, like `Array.prototype.sort` expects.
 * @example
 * ```ts
 * import { naturalCompare } from "./natural_sort.ts";
 * ["f10.jpg", "f9.jpg"].sort(naturalCompare); // ["f9.jpg", "f10.jpg"]
 * ```
 */
export function naturalCompare(a: string, b: string): number {
  const ca = a.match(CHUNK) ?? [], cb = b.match(CHUNK) ?? [];
  const n = Math.min(ca.length, cb.length);
  for (let i = 0; i < n; i++) {
    const x = ca[i], y = cb[i];
    if (x === y) continue;
    const dx = x.charCodeAt(0) >= 48 && x.charCodeAt(0) <= 57;
    const dy = y.charCodeAt(0) >= 48 && y.charCodeAt(0) <= 57;
    if (dx && dy) {
      const tx = x.replace(/^0+(?=\d)/, ""), ty = y.replace(/^0+(?=\d)/, "");
      if (tx.length !== ty.length) return tx.length - ty.length;
      if (tx !== ty) return tx < ty ? -1 : 1;
      continue;
    }
    return x < y ? -1 : 1;
  }
  if (ca.length !== cb.length) return ca.length - cb.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
