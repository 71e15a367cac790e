/**
 * The capture's supervisor: run ffmpeg again and again while the source drops, with backoff,
 * until it works, a setup error shows that retrying cannot help, or the retries run out. At the
 * first failure of an outage it says how long it will keep trying ({@linkcode retryBoundMs}),
 * and it gives up within that bound.
 *
 * @module
 */
import type { Log } from "../util/log.ts";
import { sleep } from "../util/sleep.ts";
import type { Attempt } from "./attempt.ts";
import { backoffDelay, retryBoundMs, type RetryPolicy } from "./backoff.ts";
import { CaptureError, CaptureSetupError } from "./errors.ts";
import type { Diagnosis } from "./stderr.ts";

/** What the supervisor needs. */
export interface SuperviseOptions {
  /** Retries, backoff and the longest attempt. */
  policy: RetryPolicy;
  /** Retry at all (network sources); otherwise a failed run ends the capture. */
  reconnect: boolean;
  /** Stops supervising. */
  signal: AbortSignal;
  /** Where retry messages go (with the option whose limit stopped the run, if one did). */
  log: Pick<Log, "warn">;
  /** Run ffmpeg once; `deadline` is the retry bound (a `performance.now()` time) during an outage. */
  attempt: (deadline: number | undefined) => Promise<Attempt>;
  /** What went wrong in a run. */
  diagnose: (a: Attempt) => Diagnosis | undefined;
  /** Called before each retry's wait (the source notes when the stream dropped). */
  onFailure?: () => void;
  /** Called after each retry's wait, before ffmpeg runs again. */
  onRestart?: () => void;
}

/**
 * Supervise (see the module doc). Resolves when the input ended (files, stdin) or on abort.
 *
 * @param o The runner, policy and callbacks.
 * @throws {CaptureSetupError} a setup error (retrying cannot help).
 * @throws {CaptureError} the retries ran out, or a source without reconnect failed.
 */
export async function supervise(o: SuperviseOptions): Promise<void> {
  const { policy, signal } = o;
  let failures = 0;
  let deadline: number | undefined;
  let statedMs = 0; // the bound stated at the outage's first failure
  while (!signal.aborted) {
    const a = await o.attempt(deadline);
    if (signal.aborted) return;
    if (a.frames > 0) {
      failures = 0;
      deadline = undefined;
    }
    const d = o.diagnose(a);
    const what = d?.message ?? a.killReason ?? `ffmpeg exited with code ${a.status?.code ?? "?"}`;
    const hints = !d && a.killHint ? [a.killHint] : [];
    if (d?.setup) throw new CaptureSetupError(d.message);
    if (!o.reconnect) {
      if (a.status?.success && !a.killReason) return; // end of the file / stream
      throw new CaptureError(what, { hints });
    }
    failures++;
    const now = performance.now();
    const bound = failures === 1 ? retryBoundMs(policy, 1) : 0;
    if (failures === 1) {
      deadline = now + bound;
      statedMs = bound;
    }
    const delay = backoffDelay(failures, policy);
    const outOfRetries = failures > policy.maxRetries;
    if (outOfRetries || (deadline !== undefined && now + delay >= deadline)) {
      // slow attempts can use up the stated bound before the count: say which ended it
      const at = outOfRetries ? "" : `, at the ${Math.ceil(statedMs / 1000)} s retry bound`;
      throw new CaptureError(`${what}; gave up after ${failures - 1} retries${at}`, {
        hints: [{ option: "maxRetries", value: policy.maxRetries }, ...hints],
      });
    }
    o.onFailure?.();
    const lost = a.frames > 0 || a.status?.success ? "stream ended" : "cannot connect";
    o.log.warn(
      `capture: ${lost} (${what}); reconnecting in ${
        delay / 1000
      } s (retry ${failures}/${policy.maxRetries}${
        failures === 1 ? `; giving up after at most ${Math.ceil(bound / 1000)} s` : ""
      })`,
      hints,
    );
    await sleep(delay, signal);
    if (!signal.aborted) o.onRestart?.();
  }
}
