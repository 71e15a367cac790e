/**
 * `redis://[USER@]HOST:PORT/STREAM` and `rediss://` (TLS) URLs.
 *
 * @module
 */
import { RedisSetupError } from "./errors.ts";

/** Default Redis port when the URL has none. */
export const DEFAULT_REDIS_PORT = 6379;

/** A parsed Redis stream URL. */
export interface RedisTarget {
  /** `rediss://`: TLS. */
  tls: boolean;
  /** Host name or IP (IPv6 without brackets). */
  hostname: string;
  /** TCP port. */
  port: number;
  /** ACL user from the URL, if any (`default` otherwise). */
  username?: string;
  /** The stream key. */
  stream: string;
  /** `redis://[USER@]HOST:PORT/STREAM` for messages (never has a password). */
  display: string;
  /** `HOST:PORT` as written in `--allow-net`. */
  hostPort: string;
}

/**
 * Parse a Redis stream URL. A password in the URL is refused: it would be visible to every
 * user in the process list; pass it in `$FRAMEPIPE_REDIS_PASSWORD` or `$REDIS_PASSWORD`.
 *
 * @param text The URL.
 * @param flag The option or argument, for messages (e.g. `--out`).
 * @returns The target.
 * @throws {RedisSetupError} malformed URL, password in the URL, no stream name.
 * @example
 * ```ts
 * import { parseRedisUrl } from "./url.ts";
 * parseRedisUrl("redis://trainer@127.0.0.1:6379/framepipe:cam:door", "--out").stream;
 * // "framepipe:cam:door"
 * ```
 */
export function parseRedisUrl(text: string, flag: string): RedisTarget {
  const m = /^(rediss?):\/\/([^/?#]*)(\/[^?#]*)?(\?[^#]*)?(#.*)?$/i.exec(text.trim());
  if (!m) {
    throw new RedisSetupError(
      `${flag} ${text}: expected redis://[USER@]HOST:PORT/STREAM (or rediss:// for TLS)`,
    );
  }
  const tls = m[1].toLowerCase() === "rediss";
  const authority = m[2];
  const at = authority.lastIndexOf("@");
  const userinfo = at >= 0 ? authority.slice(0, at) : undefined;
  if (userinfo !== undefined && userinfo.includes(":")) {
    throw new RedisSetupError(
      `${flag}: a password in the URL would be visible to other users (ps); remove it and set ` +
        `FRAMEPIPE_REDIS_PASSWORD (or REDIS_PASSWORD) with --allow-env=FRAMEPIPE_REDIS_PASSWORD`,
    );
  }
  if (m[4] || m[5]) {
    throw new RedisSetupError(`${flag} ${text}: nothing may follow the stream name (no ?query)`);
  }
  let url: URL;
  try {
    url = new URL(`${m[1].toLowerCase()}://${authority}/`);
  } catch {
    throw new RedisSetupError(`${flag} ${text}: malformed host or port`);
  }
  const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (!hostname) throw new RedisSetupError(`${flag} ${text}: needs a host, e.g. 127.0.0.1:6379`);
  const port = url.port ? Number(url.port) : DEFAULT_REDIS_PORT;
  let stream = "";
  try {
    stream = decodeURIComponent((m[3] ?? "").replace(/^\//, ""));
  } catch {
    throw new RedisSetupError(`${flag} ${text}: the stream name is not valid percent-encoding`);
  }
  if (!stream) {
    throw new RedisSetupError(
      `${flag} ${text}: needs a stream name, e.g. ${m[1]}://${authority}/framepipe:mydata`,
    );
  }
  const username = userinfo ? decodeURIComponent(userinfo) : undefined;
  const hostPort = hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
  return {
    tls,
    hostname,
    port,
    username,
    stream,
    hostPort,
    display: `${tls ? "rediss" : "redis"}://${username ? `${username}@` : ""}${hostPort}/${stream}`,
  };
}
