/**
 * The frame number of an image from its file name.
 *
 * @module
 */

/**
 * The trailing digits of a path's file stem: `169_6300.jpg` -> 6300, `VID01/000968.png` -> 968.
 *
 * @param key A path or key (`/`- or `\`-separated).
 * @returns The number, or `undefined` when the stem does not end in digits.
 * @example
 * ```ts
 * import { frameNumber } from "./frame_number.ts";
 * frameNumber("video01/169_6300.jpg"); // 6300
 * frameNumber("cover.jpg"); // undefined
 * ```
 */
export function frameNumber(key: string): number | undefined {
  const base = key.slice(Math.max(key.lastIndexOf("/"), key.lastIndexOf("\\")) + 1);
  const dot = base.lastIndexOf(".");
  const stem = dot > 0 ? base.slice(0, dot) : base;
  const m = /(\d+)$/.exec(stem);
  return m ? Number(m[1]) : undefined;
}
