/**
 * SIGINT/SIGTERM for the commands: the first asks for a clean stop, a second exits at once.
 *
 * @module
 */
import type { Log } from "../util/log.ts";

const STOP_SIGNALS: Deno.Signal[] = Deno.build.os === "windows"
  ? ["SIGINT"]
  : ["SIGINT", "SIGTERM"];

/**
 * Call `handler` on SIGINT (and SIGTERM where it exists).
 *
 * @param handler Called on each signal.
 * @returns A function removing the listeners.
 */
export function onStopSignals(handler: () => void): () => void {
  for (const s of STOP_SIGNALS) Deno.addSignalListener(s, handler);
  return () => {
    for (const s of STOP_SIGNALS) Deno.removeSignalListener(s, handler);
  };
}

/**
 * The first signal aborts `controller` (a clean stop after the current frame), a second one
 * exits at once with code 130.
 *
 * @param controller Aborted on the first signal.
 * @param log For the messages.
 * @param stopping What the first signal does, for the message.
 * @returns A function removing the listeners.
 */
export function handleSignals(
  controller: AbortController,
  log: Log,
  stopping = "stopping after the current frame",
): () => void {
  return onStopSignals(() => {
    if (controller.signal.aborted) {
      log.warn("second signal: exiting now");
      Deno.exit(130);
    }
    log.info(`signal received: ${stopping}`);
    controller.abort(new DOMException("signal", "AbortError"));
  });
}
