/**
 * The one seeded random source: shuffles (`src/sources/sampling.ts`) and the fuzz harness's
 * mutations (`scripts/fuzz/mutate.ts`) reproduce from a seed alone, across runs and machines.
 *
 * @module
 */

/**
 * mulberry32: a small, fast, seeded 32-bit generator.
 *
 * @param seed Any integer (taken as 32 bits).
 * @returns A function returning the next number in [0, 1).
 * @example
 * ```ts
 * import { mulberry32 } from "./random.ts";
 * const rand = mulberry32(42);
 * rand(); // the same number on every run
 * ```
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
