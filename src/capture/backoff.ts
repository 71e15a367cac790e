/**
 * The reconnect policy's arithmetic: the wait before each retry (doubling up to a cap) and the
 * longest time a capture keeps trying once its source has failed, so that it can say so at the
 * first failure and give up within that bound.
 *
 * @module
 */

/** How a capture retries (all times in ms). */
export interface RetryPolicy {
  /** Restarts without a frame in between before giving up. */
  maxRetries: number;
  /** First wait; it doubles per failure. */
  backoffMs: number;
  /** Longest wait. */
  backoffMaxMs: number;
  /** Longest one attempt may take without a frame (connect timeout plus slack). */
  attemptMs: number;
}

/**
 * The wait before retry `failure` (1-based).
 *
 * @param failure Failures so far (>= 1).
 * @param policy The policy.
 * @returns Milliseconds.
 * @example
 * ```ts
 * import { backoffDelay } from "./backoff.ts";
 * backoffDelay(3, { maxRetries: 10, backoffMs: 500, backoffMaxMs: 8000, attemptMs: 12_000 }); // 2000
 * ```
 */
export function backoffDelay(failure: number, policy: RetryPolicy): number {
  return Math.min(policy.backoffMaxMs, policy.backoffMs * 2 ** Math.max(0, failure - 1));
}

/**
 * The longest a capture keeps trying after a failure with `failures` failures so far: the
 * remaining waits plus one attempt after each.
 *
 * @param policy The policy.
 * @param failures Failures so far (1 at the first failure).
 * @returns Milliseconds.
 * @example
 * ```ts
 * import { retryBoundMs } from "./backoff.ts";
 * // --max-retries 2, --connect-timeout 1 (+2 s slack): 0.5 + 3 + 1 + 3 s
 * retryBoundMs({ maxRetries: 2, backoffMs: 500, backoffMaxMs: 8000, attemptMs: 3000 }, 1); // 7500
 * ```
 */
export function retryBoundMs(policy: RetryPolicy, failures = 1): number {
  let ms = 0;
  for (let f = failures; f <= policy.maxRetries; f++) {
    ms += backoffDelay(f, policy) + policy.attemptMs;
  }
  return ms;
}
