/**
 * One connection to Redis (node-redis v4 through `npm:redis`) with framepipe's policies:
 * retry with backoff (50 ms doubling to 1 s) while the server is not up, for at most
 * `--connect-timeout` per outage; reconnect after a drop; map `WRONGPASS`/`NOAUTH`/`NOPERM` and
 * missing permissions to one actionable {@linkcode RedisSetupError} line.
 *
 * Permissions: only `--allow-net=HOST:PORT` (plus `--allow-env=FRAMEPIPE_REDIS_PASSWORD` for a
 * password and `--allow-read=FILE` for `--ca`, which framepipe reads itself).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type * as NodeRedis from "redis";

/** node-redis, loaded on first use so that runs without Redis never load it. */
let nodeRedis: typeof NodeRedis | undefined;
import { RedisAuthError, RedisSetupError } from "./errors.ts";
import { type Log, SILENT_LOG } from "../util/log.ts";
import type { RedisTarget } from "./url.ts";

/** Options for {@linkcode RedisConnection.open}. */
export interface RedisConnectOptions {
  /** Server and stream. */
  target: RedisTarget;
  /** Password (from the environment). */
  password?: string;
  /** The variable the password came from, for messages. */
  passwordFrom?: string;
  /** PEM CA certificate to trust for `rediss://` (`--ca`). */
  caPem?: string;
  /** Give up after this many ms without a connection (per outage); 0 = never. */
  connectTimeoutMs: number;
  /** What is being done, for messages, e.g. `--out redis://127.0.0.1:6379/s`. */
  what: string;
  /** Messages. */
  log?: Log;
  /** Aborting stops waiting for the server. */
  signal?: AbortSignal;
}

/** First retry delay (ms); it doubles up to {@linkcode MAX_RETRY_MS}. */
export const FIRST_RETRY_MS = 50;
/** Longest wait between attempts (ms). */
export const MAX_RETRY_MS = 1000;

/** A command argument: text or binary. */
export type RedisArg = string | Uint8Array;

type Client = ReturnType<typeof NodeRedis.createClient>;

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** True for replies that retrying cannot fix (credentials, ACL). */
function isAuthReply(err: unknown): boolean {
  return /^(WRONGPASS|NOAUTH|NOPERM)\b|called without any password configured/.test(errText(err));
}

function isTlsFailure(err: unknown): boolean {
  return /certificate|self[- ]signed|CERT_|SSL|TLS|servername|handshake|UnknownIssuer|InvalidCertificate/i
    .test(errText(err));
}

function isPermission(err: unknown): boolean {
  return err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied ||
    /Requires net access|NotCapable/i.test(errText(err));
}

/**
 * Turn a Redis or socket error into one actionable line (or return it unchanged).
 *
 * @param err The error (an `ErrorReply`, a socket error, ...).
 * @param o Target and where the password came from.
 * @param what What was being done.
 * @returns A {@linkcode RedisSetupError} for setup problems, else `err`.
 */
export function describeRedisError(
  err: unknown,
  o: { target: RedisTarget; passwordFrom?: string },
  what: string,
): unknown {
  const msg = errText(err);
  const user = o.target.username ?? "default";
  if (/^WRONGPASS\b/.test(msg)) {
    return new RedisAuthError(
      `${what}: Redis refused the password for user "${user}" (WRONGPASS); check ${
        o.passwordFrom ?? "FRAMEPIPE_REDIS_PASSWORD"
      } and the user in the URL`,
      { cause: err },
    );
  }
  if (/^NOAUTH\b/.test(msg)) {
    return new RedisAuthError(
      `${what}: the server needs a password (NOAUTH); set FRAMEPIPE_REDIS_PASSWORD (or ` +
        `REDIS_PASSWORD) and run with --allow-env=FRAMEPIPE_REDIS_PASSWORD`,
      { cause: err },
    );
  }
  if (/called without any password configured/.test(msg)) {
    return new RedisAuthError(
      `${what}: the server has no password for user "${user}" but ${
        o.passwordFrom ?? "the environment"
      } gives one; unset it or configure requirepass/ACL users`,
      { cause: err },
    );
  }
  if (/^NOPERM\b/.test(msg)) {
    return new RedisAuthError(
      `${what}: the ACL of user "${user}" refuses this (${msg.split("\n")[0]}); grant it the ` +
        `stream commands on its keys, e.g. ACL SETUSER ${user} ~${o.target.stream}* ` +
        `+xadd +xtrim +xlen +xinfo +xpending +xgroup +xreadgroup +xack +xautoclaim +set +get ` +
        `+hset +hgetall +ping +info`,
      { cause: err },
    );
  }
  if (isPermission(err)) {
    return new RedisSetupError(
      `${what} needs network access: run with --allow-net=${o.target.hostPort}`,
      { cause: err },
    );
  }
  return err;
}

/** A Redis connection that reconnects by itself and maps errors (see the module doc). */
export class RedisConnection {
  /** Reconnections after a drop (not counting the first connection). */
  reconnects = 0;
  #o: RedisConnectOptions;
  #client: Client;
  #lib: typeof NodeRedis;
  #log: Log;
  #outageStart: number | undefined;
  #everReady = false;
  #closing = false;
  #fatal: Error | undefined;
  #lastError: unknown;
  #readyWaiters: (() => void)[] = [];
  #onReconnect: (() => void)[] = [];
  #told = false;

  private constructor(o: RedisConnectOptions, lib: typeof NodeRedis) {
    this.#o = o;
    this.#lib = lib;
    this.#log = o.log ?? SILENT_LOG;
    const t = o.target;
    this.#client = lib.createClient({
      username: t.username,
      password: o.password,
      disableOfflineQueue: true,
      socket: {
        host: t.hostname,
        port: t.port,
        ...(t.tls
          ? {
            tls: true as const,
            ca: o.caPem ? [o.caPem] : undefined,
            // SNI takes names only; an IP address is still checked against the certificate
            servername: /^[\d.]+$|:/.test(t.hostname) ? undefined : t.hostname,
          }
          : {}),
        connectTimeout: 5000,
        reconnectStrategy: (retries: number, cause: Error) => this.#strategy(retries, cause),
      },
    });
    this.#client.on("error", (err: unknown) => {
      this.#lastError = err;
    });
    this.#client.on("ready", () => {
      this.#outageStart = undefined;
      if (this.#everReady) {
        this.reconnects++;
        this.#log.warn(`${t.display}: reconnected`);
        for (const f of this.#onReconnect) f();
      }
      this.#everReady = true;
      this.#told = false;
      for (const w of this.#readyWaiters.splice(0)) w();
    });
  }

  #strategy(_retries: number, cause: Error): number | Error {
    if (this.#closing) return new RedisSetupError("closed");
    if (isTlsFailure(cause)) {
      this.#fatal = new RedisSetupError(
        `${this.#o.what}: TLS handshake failed: ${errText(cause)}${
          this.#o.caPem ? "" : " (a server with a private CA needs its CA certificate trusted)"
        }`,
        { cause, hints: this.#o.caPem ? [] : [{ option: "ca", value: "FILE" }] },
      );
      this.#wake();
      return this.#fatal;
    }
    if (isAuthReply(cause) || isPermission(cause)) {
      const d = describeRedisError(cause, this.#o, this.#o.what);
      this.#fatal = d instanceof Error ? d : cause;
      this.#wake();
      return this.#fatal;
    }
    const now = performance.now();
    this.#outageStart ??= now;
    const waited = now - this.#outageStart;
    if (!this.#told) {
      this.#told = true;
      this.#log.info(
        `${this.#o.target.display}: ${this.#everReady ? "connection lost" : "not up yet"} (${
          errText(cause).replace(/\s*\(os error \d+\)/, "")
        }); retrying`,
      );
    }
    if (this.#o.signal?.aborted) {
      this.#fatal = new RedisSetupError(`${this.#o.what}: stopped waiting for Redis (signal)`);
      this.#wake();
      return this.#fatal;
    }
    if (this.#o.connectTimeoutMs > 0 && waited >= this.#o.connectTimeoutMs) {
      this.#fatal = new RedisSetupError(
        `${this.#o.what}: no Redis server answered at ${this.#o.target.hostPort} (${
          errText(cause).replace(/\s*\(os error \d+\)/, "")
        }) within ${
          (this.#o.connectTimeoutMs / 1000).toFixed(1)
        } s; start redis-server or raise the connect timeout`,
        { cause, hints: [{ option: "connectTimeout" }] },
      );
      this.#wake();
      return this.#fatal;
    }
    const delay = Math.min(FIRST_RETRY_MS * 2 ** Math.min(_retries, 10), MAX_RETRY_MS);
    return Math.max(
      1,
      Math.min(
        delay,
        this.#o.connectTimeoutMs > 0 ? 1 + (this.#o.connectTimeoutMs - waited) : delay,
      ),
    );
  }

  #wake(): void {
    for (const w of this.#readyWaiters.splice(0)) w();
  }

  /**
   * Connect, retrying while the server is not up (see {@linkcode RedisConnectOptions}).
   *
   * @param o Target, credentials, TLS and retry policy.
   * @returns The ready connection.
   * @throws {RedisSetupError} no server in time, missing permission, refused credentials.
   */
  static async open(o: RedisConnectOptions): Promise<RedisConnection> {
    nodeRedis ??= await import("redis");
    const c = new RedisConnection(o, nodeRedis);
    const onAbort = () => c.#wake();
    o.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await c.#client.connect();
    } catch (err) {
      await c.close();
      if (c.#fatal) throw c.#fatal;
      const cause = (err as { originalError?: unknown }).originalError ?? c.#lastError ?? err;
      const d = describeRedisError(cause, o, o.what);
      if (d instanceof RedisSetupError) throw d;
      throw new RedisSetupError(`${o.what}: ${errText(cause)}`, { cause: err });
    } finally {
      o.signal?.removeEventListener("abort", onAbort);
    }
    return c;
  }

  /** Whether commands can be sent now. */
  get ready(): boolean {
    return this.#client.isReady;
  }

  /** The error that ended reconnecting (credentials, timeout), if any. */
  get fatal(): Error | undefined {
    return this.#fatal;
  }

  /**
   * Call `f` after every reconnection (before waiters of {@linkcode waitReady} resume).
   *
   * @param f The callback.
   */
  onReconnect(f: () => void): void {
    this.#onReconnect.push(f);
  }

  /**
   * Resolve when the connection is ready again.
   *
   * @throws {RedisSetupError} reconnecting gave up (timeout, credentials) or the signal fired.
   */
  async waitReady(): Promise<void> {
    while (!this.#client.isReady) {
      if (this.#fatal) throw this.#fatal;
      if (this.#o.signal?.aborted) {
        throw new RedisSetupError(`${this.#o.what}: stopped waiting for Redis (signal)`);
      }
      if (!this.#client.isOpen) {
        throw new RedisSetupError(`${this.#o.what}: the connection to Redis is closed`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, 250);
        const w = () => done();
        function done() {
          clearTimeout(t);
          resolve();
        }
        this.#readyWaiters.push(w);
      });
    }
  }

  /**
   * Send one command.
   *
   * @param args The command and its arguments (binary-safe).
   * @param buffers Return bulk strings as `Uint8Array` instead of text.
   * @returns The reply.
   * @throws {RedisAuthError} `NOPERM` and friends; other replies and socket errors as is.
   */
  async send<T = unknown>(args: RedisArg[], buffers = false): Promise<T> {
    try {
      // node-redis takes strings and Buffers (a view, no copy), not plain Uint8Arrays
      const a = args.map((x) =>
        typeof x === "string" ? x : Buffer.from(x.buffer, x.byteOffset, x.byteLength)
      ) as unknown as string[];
      return (buffers
        ? await this.#client.sendCommand(a, this.#lib.commandOptions({ returnBuffers: true }))
        : await this.#client.sendCommand(a)) as T;
    } catch (err) {
      const d = describeRedisError(err, this.#o, this.#o.what);
      throw d;
    }
  }

  /** Close (idempotent). */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#wake();
    try {
      if (this.#client.isReady) await this.#client.quit();
      else if (this.#client.isOpen) await this.#client.disconnect();
    } catch {
      try {
        await this.#client.disconnect();
      } catch {
        // already closed
      }
    }
  }
}

/**
 * True for errors that mean the connection dropped (retry the command after
 * {@linkcode RedisConnection.waitReady}), as opposed to a reply from the server.
 *
 * @param err Any error.
 * @returns Whether it is a connection problem.
 */
export function isConnectionLoss(err: unknown): boolean {
  // framepipe's own errors (they carry an exit-code kind) are never a dropped connection
  if (err instanceof RedisSetupError || (err as { kind?: unknown })?.kind !== undefined) {
    return false;
  }
  const name = (err as { name?: string })?.name ?? "";
  if (name === "ErrorReply") return false;
  // words, not substrings: a stream named "framepipe:..." is no EPIPE
  return /ClientOfflineError|ClientClosedError|SocketClosedUnexpectedly|Disconnects|ConnectionTimeout/
    .test(name) ||
    /\b(?:ECONNRESET|ECONNREFUSED|EPIPE|socket|offline|closed)\b/i.test(errText(err));
}
