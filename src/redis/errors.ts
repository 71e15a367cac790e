/**
 * Errors of the Redis Streams transport: setup problems the user must fix (CLI exit code 2), each
 * naming the flag, variable or server setting that fixes it, and frames lost in Redis (exit 1).
 *
 * @module
 */
import { HintedError, type HintedErrorOptions, type OptionHint } from "../util/hint.ts";
import { NetworkError } from "../net/errors.ts";

/**
 * A Redis destination or source that cannot be used: a malformed `redis://` URL, a password in
 * the URL, a missing `--allow-net`, no server within `--connect-timeout`.
 */
export class RedisSetupError extends NetworkError {
  /**
   * Make the error.
   *
   * @param message What is wrong and what to do (never a password).
   * @param options Standard error options (`cause`) and the options it points at.
   */
  constructor(message: string, options?: HintedErrorOptions) {
    super(message, options);
    this.name = "RedisSetupError";
  }
}

/** The server refused our credentials (`WRONGPASS`, `NOAUTH`) or an ACL refused a command (`NOPERM`). */
export class RedisAuthError extends RedisSetupError {
  /**
   * Make the error.
   *
   * @param message Who refused what, and how to fix it.
   * @param options Standard error options.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RedisAuthError";
  }
}

/** A frame does not fit one Redis bulk string (`proto-max-bulk-len`): refused before sending. */
export class RedisFrameTooLargeError extends RedisSetupError {
  /**
   * Make the error.
   *
   * @param message The sizes and the fixes.
   * @param options The options it points at.
   */
  constructor(message: string, options?: HintedErrorOptions) {
    super(message, options);
    this.name = "RedisFrameTooLargeError";
  }
}

/**
 * Frames not yet acknowledged by every consumer group vanished with the stream (Redis restarted
 * without persistence) and the producer no longer held them to republish: data lost (CLI exit
 * code 1).
 */
export class RedisStreamLostError extends HintedError {
  /** Exit-code kind: frames were lost (exit 1). */
  readonly kind = "data";
  /** Frames lost. */
  readonly lost: number;
  /**
   * Make the error.
   *
   * @param message How many frames were lost and how to avoid it.
   * @param lost Frames lost.
   * @param hints The options that avoid it.
   */
  constructor(message: string, lost: number, hints: readonly OptionHint[] = []) {
    super(message, { hints });
    this.name = "RedisStreamLostError";
    this.lost = lost;
  }
}

/**
 * With `--max-lag`, the stream's last consumer group was destroyed (`XGROUP DESTROY`) while the
 * stream survived and no group came back within the connect timeout: nobody can acknowledge the
 * frames, so the lossless producer stops (CLI exit code 1).
 */
export class RedisGroupsGoneError extends HintedError {
  /** Exit-code kind: frames cannot be delivered (exit 1). */
  readonly kind = "data";
  /**
   * Make the error.
   *
   * @param message Which group vanished and what to do.
   * @param hints The options involved.
   */
  constructor(message: string, hints: readonly OptionHint[] = []) {
    super(message, { hints });
    this.name = "RedisGroupsGoneError";
  }
}
