/**
 * Errors of the network sinks and clients.
 *
 * @module
 */
import { HintedError, type HintedErrorOptions } from "../util/hint.ts";

/**
 * A network setup problem the user must fix (CLI exit code 2): a bad address, a missing
 * `--allow-net`, no consumer within `--connect-timeout`, a certificate that cannot be read.
 */
export class NetworkError extends HintedError {
  /** Exit-code kind: the user's to fix (exit 2). */
  readonly kind = "setup";
  /**
   * Make the error.
   *
   * @param message What is wrong and what to do.
   * @param options Standard error options and the options it points at (`cause`).
   */
  constructor(message: string, options?: HintedErrorOptions) {
    super(message, options);
    this.name = "NetworkError";
  }
}

/** The peer refused our token, or presented a wrong or missing one (exit code 2). */
export class AuthError extends NetworkError {
  /**
   * Create the error.
   *
   * @param message Who refused and why (never the token itself).
   * @param options Standard error options and the options it points at.
   */
  constructor(message: string, options?: HintedErrorOptions) {
    super(message, options);
    this.name = "AuthError";
  }
}

/**
 * Describe a `Deno.connect`/`Deno.listen` failure with the flag or action that fixes it.
 *
 * @param err The caught error.
 * @param what What was being done, e.g. `--listen 127.0.0.1:9000`.
 * @param hostPort `HOST:PORT` for the `--allow-net` hint.
 * @returns A {@linkcode NetworkError} (or `err` itself when it is not a network error).
 */
export function describeNetError(err: unknown, what: string, hostPort: string): unknown {
  if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
    if (err instanceof Deno.errors.PermissionDenied && !/net access/i.test(err.message)) {
      return new NetworkError(`${what}: ${err.message} (ports below 1024 need privileges)`, {
        cause: err,
      });
    }
    return new NetworkError(`${what} needs network access: run with --allow-net=${hostPort}`, {
      cause: err,
    });
  }
  if (err instanceof Deno.errors.AddrInUse) {
    return new NetworkError(
      `${what}: address ${hostPort} is already in use; pick another port or stop the other server`,
      { cause: err },
    );
  }
  if (err instanceof Deno.errors.AddrNotAvailable) {
    return new NetworkError(`${what}: ${hostPort} is not an address of this machine`, {
      cause: err,
    });
  }
  return err;
}
