/**
 * `HOST:PORT` parsing for `--listen`, `--out tcp://` and `inspect tcp://`.
 *
 * @module
 */
import { NetworkError } from "./errors.ts";

/** A host and port. */
export interface HostPort {
  /** Host name or IP address (IPv6 without brackets). */
  hostname: string;
  /** TCP port, 0..65535 (0: let the OS pick, listening only). */
  port: number;
}

/** Host used when only a port is given: loopback, so nothing is exposed by accident. */
export const DEFAULT_LISTEN_HOST = "127.0.0.1";

/**
 * Parse `HOST:PORT`, `[IPv6]:PORT` or (when `defaultHost` is given) a bare `PORT`.
 *
 * @param text The address.
 * @param flag Option name for messages, e.g. `--listen`.
 * @param defaultHost Host for a bare port; without it a host is required.
 * @returns The address.
 * @throws {NetworkError} malformed address or port.
 * @example
 * ```ts
 * import { parseHostPort } from "./address.ts";
 * parseHostPort("9000", "--listen", "127.0.0.1"); // { hostname: "127.0.0.1", port: 9000 }
 * ```
 */
export function parseHostPort(text: string, flag: string, defaultHost?: string): HostPort {
  const t = text.trim();
  let host: string | undefined, port: string;
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(t);
  if (v6) {
    host = v6[1];
    port = v6[2];
  } else if (/^\d+$/.test(t)) {
    port = t;
  } else {
    const i = t.lastIndexOf(":");
    if (i <= 0 || t.indexOf(":") !== i) {
      throw new NetworkError(
        `${flag} "${text}" is not HOST:PORT; e.g. ${flag} 127.0.0.1:9000${
          defaultHost ? ` or ${flag} 9000` : ""
        }`,
      );
    }
    host = t.slice(0, i);
    port = t.slice(i + 1);
  }
  if (host === undefined) {
    if (defaultHost === undefined) {
      throw new NetworkError(`${flag} "${text}" needs a host: e.g. 127.0.0.1:${t}`);
    }
    host = defaultHost;
  }
  const n = /^\d+$/.test(port) ? Number(port) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new NetworkError(`${flag} "${text}": port must be 0..65535`);
  }
  return { hostname: host, port: n };
}

/**
 * `HOST:PORT` as written in `--allow-net` (IPv6 in brackets).
 *
 * @param a The address.
 * @returns The text.
 */
export function formatHostPort(a: HostPort): string {
  return a.hostname.includes(":") ? `[${a.hostname}]:${a.port}` : `${a.hostname}:${a.port}`;
}

/**
 * Describe a peer address for logs.
 *
 * @param addr A connection's `remoteAddr`.
 * @returns `HOST:PORT`.
 */
export function peerName(addr: Deno.Addr): string {
  return addr.transport === "tcp" || addr.transport === "udp"
    ? formatHostPort({ hostname: addr.hostname, port: addr.port })
    : addr.transport;
}
