/**
 * The token handshake of framepipe's TCP transport (docs/FORMAT.md, "TCP handshake").
 *
 * ```text
 * hello   = "FPAUTH1" [" " token] "\n"     the side presenting the token
 * ok      = "FPOK1\n"                      the verifier accepts; the stream follows
 * refusal = "FPERR1 " reason "\n"          the verifier refuses and closes
 * ```
 *
 * With `--listen`, consumers present the token and framepipe verifies; with `--out tcp://`,
 * framepipe presents it and the consumer (a server) verifies.
 *
 * @module
 */
import { writeAll } from "../util/io.ts";
import { AuthError, NetworkError } from "./errors.ts";

/** Start of the hello line. */
export const HELLO = "FPAUTH1";
/** Reply accepting the token. */
export const OK_LINE = "FPOK1\n";
/** Start of a refusal line. */
export const ERR_PREFIX = "FPERR1 ";
/** Longest handshake line, LF included. */
export const MAX_LINE = 1024;
/** Longest token. */
export const MAX_TOKEN = 256;
/** How long a verifier waits for the hello, and a presenter for the reply (ms). */
export const HANDSHAKE_TIMEOUT_MS = 5000;
/** The environment variable holding the token. */
export const TOKEN_ENV = "FRAMEPIPE_TOKEN";

/** Why a verifier refused a peer (the text after `FPERR1 `). */
export type RefusalReason = "token required" | "bad token" | "bad handshake" | "handshake timeout";

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * Check a token's shape: 1 to 256 printable ASCII characters, no spaces.
 *
 * @param token The token.
 * @param from Where it came from, for the message (never the token itself).
 * @returns The token.
 * @throws {NetworkError} empty, too long or with other characters.
 */
export function validateToken(token: string, from: TokenSource): string {
  if (token.length < 1 || token.length > MAX_TOKEN || !/^[\x21-\x7e]+$/.test(token)) {
    throw new NetworkError(
      `the token ${
        from === "argument" ? "given" : `from ${from}`
      } must be 1 to ${MAX_TOKEN} printable ASCII characters without spaces`,
      { hints: from === "argument" ? [{ option: "token" }] : [] },
    );
  }
  return token;
}

/** Where a token came from: given by the caller (the CLI's `--token`) or the environment. */
export type TokenSource = "argument" | typeof TOKEN_ENV;

/** Where a token came from. */
export interface ResolvedToken {
  /** The token. */
  token: string;
  /** Given (`argument`) or `FRAMEPIPE_TOKEN`. */
  from: TokenSource;
}

/**
 * The token to use: `--token` if given, else `$FRAMEPIPE_TOKEN` when the process may read it
 * (checked with `Deno.permissions.querySync` first, so runs without a token need no
 * `--allow-env`).
 *
 * @param flag The `--token` value, if any.
 * @returns The token, or undefined when there is none.
 * @throws {NetworkError} a malformed token.
 */
export function resolveToken(flag?: string): ResolvedToken | undefined {
  if (flag !== undefined) return { token: validateToken(flag, "argument"), from: "argument" };
  let state: Deno.PermissionState = "denied";
  try {
    state = Deno.permissions.querySync({ name: "env", variable: TOKEN_ENV }).state;
  } catch {
    // no permissions API (e.g. a restricted embedder): treat as not granted
  }
  if (state !== "granted") return undefined;
  const v = Deno.env.get(TOKEN_ENV);
  if (v === undefined || v === "") return undefined;
  return { token: validateToken(v, TOKEN_ENV), from: TOKEN_ENV };
}

/**
 * Compare two tokens in constant time (SHA-256 of both, then a full XOR over the digests), so
 * neither the content nor the length of the expected token leaks through timing.
 *
 * @param presented What the peer sent.
 * @param expected Our token.
 * @returns Whether they are equal.
 */
export async function tokensEqual(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", enc.encode(presented)),
    crypto.subtle.digest("SHA-256", enc.encode(expected)),
  ]);
  const x = new Uint8Array(a), y = new Uint8Array(b);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

/** Something to read from and write to (a `Deno.Conn`). */
export interface Duplex {
  /** Read some bytes; null at EOF. */
  read(p: Uint8Array): Promise<number | null>;
  /** Write some bytes. */
  write(p: Uint8Array): Promise<number>;
  /** Close. */
  close(): void;
}

/** A line read from a peer and the bytes that followed it in the same reads. */
export interface LineRead {
  /** The line without its LF, or null at EOF / timeout / too long. */
  line: string | null;
  /** Why `line` is null. */
  failure?: "eof" | "timeout" | "too long";
  /** Bytes read after the LF (the start of the stream, for a presenter). */
  rest: Uint8Array;
}

/**
 * Read up to the first LF, at most {@linkcode MAX_LINE} bytes, within `timeoutMs`.
 *
 * @param conn The connection.
 * @param timeoutMs Deadline; the read is abandoned after it (the caller closes `conn`).
 * @param first Bytes already read from `conn`.
 * @returns The line and what followed it.
 */
export async function readLine(
  conn: Duplex,
  timeoutMs: number,
  first: Uint8Array = new Uint8Array(0),
): Promise<LineRead> {
  let buf = first;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), timeoutMs));
  try {
    while (true) {
      const lf = buf.indexOf(0x0a);
      if (lf >= 0) {
        return { line: dec.decode(buf.subarray(0, lf)), rest: buf.slice(lf + 1) };
      }
      if (buf.length >= MAX_LINE) return { line: null, failure: "too long", rest: buf };
      const chunk = new Uint8Array(MAX_LINE);
      const n = await Promise.race([conn.read(chunk).catch(() => null), timeout]);
      if (n === "timeout") return { line: null, failure: "timeout", rest: buf };
      if (n === null) return { line: null, failure: "eof", rest: buf };
      const next = new Uint8Array(buf.length + n);
      next.set(buf);
      next.set(chunk.subarray(0, n), buf.length);
      buf = next;
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Parse a hello line.
 *
 * @param line The line without LF.
 * @returns The token (`""` when the hello carries none), or null when it is not a hello.
 */
export function parseHello(line: string): string | null {
  const l = line.endsWith("\r") ? line.slice(0, -1) : line;
  if (l === HELLO) return "";
  if (l.startsWith(HELLO + " ")) return l.slice(HELLO.length + 1);
  return null;
}

/** Outcome of {@linkcode verifyPeer}. */
export type VerifyResult = { ok: true } | { ok: false; reason: RefusalReason };

/**
 * Verifier side: read the peer's hello, compare its token with ours in constant time, and
 * answer `FPOK1` or `FPERR1 <reason>`. On refusal the caller closes the connection.
 *
 * @param conn The connection (after any TLS handshake).
 * @param token Our token.
 * @param timeoutMs How long to wait for the hello.
 * @returns Whether the peer may have the stream.
 */
export async function verifyPeer(
  conn: Duplex,
  token: string,
  timeoutMs = HANDSHAKE_TIMEOUT_MS,
): Promise<VerifyResult> {
  const r = await readLine(conn, timeoutMs);
  let result: VerifyResult;
  if (r.line === null) {
    result = {
      ok: false,
      reason: r.failure === "timeout"
        ? "handshake timeout"
        : r.failure === "too long"
        ? "bad handshake"
        : "token required",
    };
  } else {
    const presented = parseHello(r.line);
    if (presented === null) result = { ok: false, reason: "bad handshake" };
    else if (presented === "") result = { ok: false, reason: "token required" };
    else if (!(await tokensEqual(presented, token))) result = { ok: false, reason: "bad token" };
    else result = { ok: true };
  }
  try {
    await writeAll(conn, enc.encode(result.ok ? OK_LINE : `${ERR_PREFIX}${result.reason}\n`));
  } catch {
    // the peer is gone already
  }
  return result;
}

/**
 * Presenter side (framepipe `--out tcp://` with a token): send the hello and wait for the
 * consumer's `FPOK1`.
 *
 * @param conn The connection.
 * @param token Our token.
 * @param peer Peer name for messages.
 * @param timeoutMs How long to wait for the answer.
 * @throws {AuthError} refused, or no answer.
 */
export async function presentToken(
  conn: Duplex,
  token: string,
  peer: string,
  timeoutMs = HANDSHAKE_TIMEOUT_MS,
): Promise<void> {
  await writeAll(conn, enc.encode(`${HELLO} ${token}\n`));
  const r = await readLine(conn, timeoutMs);
  if (r.line === OK_LINE.trimEnd()) return;
  if (r.line?.startsWith(ERR_PREFIX)) {
    throw new AuthError(
      `${peer} refused the token: ${
        r.line.slice(ERR_PREFIX.length)
      }; check ${TOKEN_ENV} or the token given`,
      { hints: [{ option: "token" }] },
    );
  }
  throw new AuthError(
    r.line === null
      ? `${peer} did not answer the token handshake (${
        r.failure === "eof" ? "it closed the connection" : r.failure
      }); does the consumer check tokens (framepipe.serve(token=...))?`
      : `${peer} answered the token handshake with something other than FPOK1/FPERR1`,
  );
}

/**
 * Consumer side (connecting to `framepipe --listen`): send the hello (with the token, or empty
 * so that a server requiring one refuses at once), then read until the stream starts.
 *
 * @param conn The connection.
 * @param token Our token, if any.
 * @param peer Peer name for messages.
 * @returns Stream bytes already read (to be read before the rest of `conn`).
 * @throws {AuthError} refused.
 */
export async function helloAsConsumer(
  conn: Duplex,
  token: string | undefined,
  peer: string,
): Promise<Uint8Array> {
  await writeAll(conn, enc.encode(token ? `${HELLO} ${token}\n` : `${HELLO}\n`));
  // The server answers FPOK1 / FPERR1 (token servers) or starts the stream ("FPIP...").
  // No timeout here: a pending read must not be abandoned (its bytes would be lost).
  let buf = new Uint8Array(0);
  while (buf.length < 4) {
    const chunk = new Uint8Array(65536);
    const n = await conn.read(chunk);
    if (n === null) return buf;
    const next = new Uint8Array(buf.length + n);
    next.set(buf);
    next.set(chunk.subarray(0, n), buf.length);
    buf = next;
  }
  const head = dec.decode(buf.subarray(0, 4));
  if (head === "FPOK" || head === "FPER") {
    const r = await readLine(conn, HANDSHAKE_TIMEOUT_MS, buf);
    if (r.line === OK_LINE.trimEnd()) return r.rest;
    const why = r.line?.startsWith(ERR_PREFIX) ? r.line.slice(ERR_PREFIX.length) : "no answer";
    throw new AuthError(
      `${peer} refused the connection: ${why}; check ${TOKEN_ENV} or the token given`,
      {
        hints: [{ option: "token" }],
      },
    );
  }
  return buf;
}
