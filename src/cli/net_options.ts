/**
 * Network output options (`--listen`, `--slow`, `--buffer`, `--wait-consumers`, `--token`,
 * `--tls-cert`, `--tls-key`, `--ca`, `--reconnect`, `--connect-timeout`), shared by every
 * frame-producing command through `OUTPUT_OPTIONS`. Defaults are the library's
 * ({@linkcode NET_DEFAULTS}).
 *
 * @module
 */
import { DEFAULT_LISTEN_HOST, parseHostPort } from "../net/address.ts";
import { NetworkError } from "../net/errors.ts";
import { resolveToken, TOKEN_ENV } from "../net/handshake.ts";
import { NET_DEFAULTS, type NetOptions } from "../sinks/options.ts";
import { withFlags } from "./flags.ts";
import { SLOW_POLICIES } from "../sinks/tcp_server.ts";
import {
  choice,
  custom,
  flag,
  int,
  type OptionValues,
  text,
  timeout,
  UsageError,
} from "./options.ts";

/** The option table (part of `OUTPUT_OPTIONS`). */
export const NET_OPTIONS = {
  listen: custom(
    "HOST:PORT",
    "serve the stream to every consumer that connects (PORT alone binds 127.0.0.1)",
    (v, f) => (v === undefined ? undefined : parseHostPort(v, f, DEFAULT_LISTEN_HOST)),
  ),
  "wait-consumers": int(
    "N",
    "--listen: wait for N consumers before the first frame (0: start at once, unsent frames are lost)",
    { default: NET_DEFAULTS.waitConsumers },
  ),
  buffer: int("N", "--listen: frames queued per consumer before --slow applies", {
    default: NET_DEFAULTS.buffer,
    min: 1,
  }),
  slow: choice(
    "MODE",
    "--listen, full queue: wait (lossless, source waits) | drop (oldest, counted) | disconnect",
    SLOW_POLICIES,
    { default: NET_DEFAULTS.slow },
  ),
  token: text(
    "T",
    `shared secret for the TCP handshake (prefer env ${TOKEN_ENV} with --allow-env=${TOKEN_ENV})`,
  ),
  "tls-cert": text("FILE", "--listen: serve TLS with this PEM chain"),
  "tls-key": text("FILE", "--listen: PEM private key for --tls-cert"),
  ca: text("FILE", "--out tcps://: trust this PEM CA certificate"),
  reconnect: flag("--out tcp://: reconnect when the consumer goes away (default: stop, exit 0)"),
  "connect-timeout": timeout(
    "--out tcp://: keep retrying a consumer that is not up yet this long; redis://: wait this " +
      "long for the server, and for a group after the last one was destroyed (--max-lag)",
    { default: NET_DEFAULTS.connectTimeoutMs / 1000 },
  ),
};

/** Values of {@linkcode NET_OPTIONS}. */
export type NetValues = OptionValues<typeof NET_OPTIONS>;

const LISTEN_ONLY = ["wait-consumers", "buffer", "slow", "tls-cert", "tls-key"];
const OUT_ONLY = ["reconnect", "connect-timeout"];

/**
 * Check the network options against `--out` and resolve the token.
 *
 * @param v Parsed values.
 * @param given Options the user gave.
 * @param out The `--out` value.
 * @returns The options.
 * @throws {UsageError} options that do not fit together.
 */
export function parseNetOptions(v: NetValues, given: Set<string>, out = "-"): NetOptions {
  const isTcpOut = /^tcps?:\/\//i.test(out);
  if (isTcpOut) {
    // a malformed address is one line naming --out, before anything runs
    const m = /^(tcps?):\/\/(.*)$/i.exec(out.trim())!;
    parseHostPort(m[2].replace(/\/$/, ""), `--out ${m[1].toLowerCase()}://`);
  }
  const listen = v.listen;
  if (listen && out !== "-" && out !== "stdout") {
    throw new UsageError(`--listen serves the stream itself: drop --out ${out}`);
  }
  for (const k of LISTEN_ONLY) {
    if (given.has(k) && !listen) throw new UsageError(`--${k} needs --listen HOST:PORT`);
  }
  for (const k of OUT_ONLY) {
    if (given.has(k) && !isTcpOut) {
      throw new UsageError(`--${k} needs --out tcp://HOST:PORT (or tcps://)`);
    }
  }
  if (given.has("ca") && !/^tcps:\/\//i.test(out)) {
    throw new UsageError("--ca needs --out tcps://HOST:PORT");
  }
  if (given.has("tls-cert") !== given.has("tls-key")) {
    throw new UsageError("--tls-cert and --tls-key go together");
  }
  if (given.has("token") && !listen && !isTcpOut) {
    throw new UsageError("--token needs --listen or --out tcp://HOST:PORT");
  }
  let token: ReturnType<typeof resolveToken>;
  try {
    token = listen || isTcpOut ? resolveToken(v.token) : undefined;
  } catch (err) {
    if (err instanceof NetworkError) throw new UsageError(withFlags(err.message, err.hints));
    throw err;
  }
  return {
    listen,
    waitConsumers: v["wait-consumers"],
    buffer: v.buffer,
    slow: v.slow,
    token: token?.token,
    tokenFrom: token?.from,
    tlsCert: v["tls-cert"],
    tlsKey: v["tls-key"],
    ca: v.ca,
    reconnect: v.reconnect,
    connectTimeoutMs: given.has("connect-timeout")
      ? v["connect-timeout"]
      : NET_DEFAULTS.connectTimeoutMs,
  };
}
