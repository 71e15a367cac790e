/**
 * Outgoing TCP/TLS connections that retry with backoff while the peer is not up yet, and
 * reading PEM files for TLS with permission-aware messages.
 *
 * @module
 */
import { formatHostPort, type HostPort } from "./address.ts";
import { describeNetError, NetworkError } from "./errors.ts";
import { sleep } from "../util/sleep.ts";

/** Options for {@linkcode connectWithRetry}. */
export interface ConnectOptions extends HostPort {
  /** Use TLS (`tcps://`). */
  tls?: boolean;
  /** PEM CA certificates to trust instead of the system roots (`--ca`). */
  caCerts?: string[];
  /** Give up after this many ms; 0 = keep trying. */
  timeoutMs: number;
  /** Stop trying (resolves null). */
  signal?: AbortSignal;
  /** Called before each wait, e.g. to log "not up yet" once. */
  onRetry?: (attempt: number, err: Error) => void;
  /** What is being done, for messages (default `connect to tcp://HOST:PORT`). */
  what?: string;
}

/** First retry delay (ms); it doubles up to {@linkcode MAX_BACKOFF_MS}. */
export const FIRST_BACKOFF_MS = 50;
/** Longest wait between attempts (ms). */
export const MAX_BACKOFF_MS = 1000;

function retryable(err: unknown): boolean {
  return err instanceof Deno.errors.ConnectionRefused ||
    err instanceof Deno.errors.ConnectionReset ||
    err instanceof Deno.errors.ConnectionAborted ||
    err instanceof Deno.errors.TimedOut ||
    err instanceof Deno.errors.NotConnected ||
    err instanceof Deno.errors.UnexpectedEof ||
    // ECONNREFUSED surfaces as a plain Error on some platforms
    (err instanceof Error && /refused|ECONNREFUSED|os error 111/i.test(err.message));
}

function tlsHint(err: Error, o: ConnectOptions): string {
  const m = err.message;
  if (/CaUsedAsEndEntity/.test(m)) {
    return `${m}: the server's certificate is marked as a CA (openssl req -x509 does that by ` +
      "default) and is used as its own certificate; regenerate it with " +
      "-addext basicConstraints=critical,CA:FALSE, or sign a server certificate with your CA";
  }
  if (/UnknownIssuer|self.signed/i.test(m) && !o.caCerts) {
    return `${m} (a self-signed server needs its certificate trusted as a CA)`;
  }
  if (/NotValidForName/i.test(m)) {
    return `${m} (the certificate's subjectAltName must list ${o.hostname})`;
  }
  return m;
}

/**
 * Connect, retrying refused connections with exponential backoff (50 ms doubling to 1 s).
 *
 * @param o Address, TLS, deadline and signal.
 * @returns The connection (TLS handshake done), or null when `signal` aborted first.
 * @throws {NetworkError} missing `--allow-net`, TLS failure, or no peer within the deadline.
 * @example
 * ```ts
 * import { connectWithRetry } from "./connect.ts";
 * const conn = await connectWithRetry({ hostname: "127.0.0.1", port: 9000, timeoutMs: 10_000 });
 * ```
 */
export async function connectWithRetry(o: ConnectOptions): Promise<Deno.Conn | null> {
  const hp = formatHostPort(o);
  const what = o.what ?? `connect to ${o.tls ? "tcps" : "tcp"}://${hp}`;
  const deadline = o.timeoutMs > 0 ? performance.now() + o.timeoutMs : Infinity;
  let delay = FIRST_BACKOFF_MS;
  for (let attempt = 1;; attempt++) {
    if (o.signal?.aborted) return null;
    try {
      if (o.tls) {
        const conn = await Deno.connectTls({
          hostname: o.hostname,
          port: o.port,
          caCerts: o.caCerts,
        });
        try {
          await conn.handshake();
        } catch (err) {
          conn.close();
          if (retryable(err)) throw err;
          const unknownIssuer = /UnknownIssuer|self.signed/i.test((err as Error).message);
          throw new NetworkError(`${what}: TLS handshake failed: ${tlsHint(err as Error, o)}`, {
            cause: err,
            hints: unknownIssuer && !o.caCerts ? [{ option: "ca", value: "FILE" }] : [],
          });
        }
        return conn;
      }
      const conn = await Deno.connect({ hostname: o.hostname, port: o.port });
      conn.setNoDelay(true);
      return conn;
    } catch (err) {
      if (err instanceof NetworkError) throw err;
      if (!retryable(err)) {
        const d = describeNetError(err, what, hp);
        if (d instanceof NetworkError) throw d;
        throw new NetworkError(`${what}: ${(err as Error).message}`, { cause: err });
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new NetworkError(
          `${what}: nobody is listening (${
            (err as Error).message.replace(/\s*\(os error \d+\)/, "")
          }) after ${attempt} attempts in ${
            (o.timeoutMs / 1000).toFixed(1)
          } s; start the consumer first or raise the connect timeout`,
          { cause: err, hints: [{ option: "connectTimeout" }] },
        );
      }
      o.onRetry?.(attempt, err as Error);
      await sleep(Math.min(delay, left), o.signal);
      delay = Math.min(delay * 2, MAX_BACKOFF_MS);
    }
  }
}

/** What each PEM file is, for messages. */
const PEM_FILES = { ca: "CA certificate", tlsCert: "TLS certificate", tlsKey: "TLS key" } as const;

/**
 * Read a PEM file: a CA certificate to trust, or a server's certificate or key.
 *
 * @param path The file.
 * @param option Which file it is (the CLI names the option's flag).
 * @returns The PEM text.
 * @throws {NetworkError} missing permission, missing file, or not PEM.
 */
export async function readPem(path: string, option: keyof typeof PEM_FILES): Promise<string> {
  const flag = PEM_FILES[option];
  const hints = [{ option }];
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) {
      throw new NetworkError(`${flag} ${path}: run with --allow-read=${path}`, {
        cause: err,
        hints,
      });
    }
    if (err instanceof Deno.errors.NotFound) {
      throw new NetworkError(`${flag} ${path}: no such file`, { cause: err, hints });
    }
    throw new NetworkError(`${flag} ${path}: ${(err as Error).message}`, { cause: err, hints });
  }
  if (!text.includes("-----BEGIN ")) {
    throw new NetworkError(`${flag} ${path} is not a PEM file (no "-----BEGIN" line)`, { hints });
  }
  return text;
}
