/**
 * Waiting that an abort signal cuts short.
 *
 * @module
 */

/**
 * Resolve after `ms` milliseconds, or at once when `signal` aborts (never rejects).
 *
 * @param ms Milliseconds.
 * @param signal Optional abort signal.
 * @returns A promise that resolves when the time is up or the signal aborts.
 * @example
 * ```ts
 * import { sleep } from "./sleep.ts";
 * await sleep(100, AbortSignal.timeout(50)); // resolves after ~50 ms
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
