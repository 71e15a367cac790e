/**
 * Network output options (`--listen`, `--slow`, `--buffer`, `--wait-consumers`, `--token`,
 * `--tls-cert`, `--tls-key`, `--ca`, `--reconnect`, `--connect-timeout`), shared by every
 * frame-producing command through `OUTPUT_OPTIONS`.
 *
 * @module
 */
import {
  type OptionSpec,
  parseChoice,
  parseIntOption,
  parsePositive,
  UsageError,
  type Values,
} from "../cli/args.ts";
import { DEFAULT_LISTEN_HOST, type HostPort, parseHostPort } from "./address.ts";
import { SLOW_POLICIES, type SlowPolicy } from "../sinks/tcp_server.ts";
import { NetworkError } from "./errors.ts";
import { resolveToken, TOKEN_ENV } from "./handshake.ts";

/** The option table (appended to `OUTPUT_OPTIONS`). */
export const NET_OPTIONS: OptionSpec[] = [
  {
    name: "listen",
    type: "string",
    arg: "HOST:PORT",
    help: "serve the stream to every consumer that connects (PORT alone binds 127.0.0.1)",
  },
  {
    name: "wait-consumers",
    type: "string",
    arg: "N",
    default: "1",
    help:
      "--listen: wait for N consumers before the first frame (0: start at once, unsent frames are lost)",
  },
  {
    name: "buffer",
    type: "string",
    arg: "N",
    default: "8",
    help: "--listen: frames queued per consumer before --slow applies",
  },
  {
    name: "slow",
    type: "string",
    arg: "MODE",
    default: "wait",
    help:
      "--listen, full queue: wait (lossless, source waits) | drop (oldest, counted) | disconnect",
  },
  {
    name: "token",
    type: "string",
    arg: "T",
    help:
      `shared secret for the TCP handshake (prefer env ${TOKEN_ENV} with --allow-env=${TOKEN_ENV})`,
  },
  {
    name: "tls-cert",
    type: "string",
    arg: "FILE",
    help: "--listen: serve TLS with this PEM chain",
  },
  {
    name: "tls-key",
    type: "string",
    arg: "FILE",
    help: "--listen: PEM private key for --tls-cert",
  },
  { name: "ca", type: "string", arg: "FILE", help: "--out tcps://: trust this PEM CA certificate" },
  {
    name: "reconnect",
    type: "boolean",
    help: "--out tcp://: reconnect when the consumer goes away (default: stop, exit 0)",
  },
  {
    name: "connect-timeout",
    type: "string",
    arg: "S",
    default: "30",
    help: "--out tcp://: keep retrying a consumer that is not up yet this long (0: forever)",
  },
];

/** Parsed network options. */
export interface NetOptions {
  /** `--listen` address. */
  listen?: HostPort;
  /** `--wait-consumers`. */
  waitConsumers: number;
  /** `--buffer`. */
  buffer: number;
  /** `--slow`. */
  slow: SlowPolicy;
  /** The token (from `--token` or `$FRAMEPIPE_TOKEN`). */
  token?: string;
  /** Where the token came from (for a warning about `--token`). */
  tokenFrom?: "--token" | typeof TOKEN_ENV;
  /** `--tls-cert` path. */
  tlsCert?: string;
  /** `--tls-key` path. */
  tlsKey?: string;
  /** `--ca` path. */
  ca?: string;
  /** `--reconnect`. */
  reconnect: boolean;
  /** `--connect-timeout` in ms (0 = forever). */
  connectTimeoutMs: number;
}

const LISTEN_ONLY = ["wait-consumers", "buffer", "slow", "tls-cert", "tls-key"];
const OUT_ONLY = ["reconnect", "connect-timeout"];

/**
 * Read the network options; checks they fit `--out`.
 *
 * @param v Parsed values.
 * @param out The `--out` value.
 * @returns The options.
 * @throws {UsageError} options that do not fit together, bad numbers.
 * @throws {NetworkError} a malformed address or token.
 */
export function parseNetOptions(v: Values, out = "-"): NetOptions {
  const isTcpOut = /^tcps?:\/\//i.test(out);
  const listen = typeof v.listen === "string"
    ? parseHostPort(v.listen, "--listen", DEFAULT_LISTEN_HOST)
    : undefined;
  if (listen && out !== "-" && out !== "stdout") {
    throw new UsageError(`--listen serves the stream itself: drop --out ${out}`);
  }
  for (const k of LISTEN_ONLY) {
    if (v[k] !== undefined && !listen) throw new UsageError(`--${k} needs --listen HOST:PORT`);
  }
  for (const k of OUT_ONLY) {
    if (v[k] !== undefined && !isTcpOut) {
      throw new UsageError(`--${k} needs --out tcp://HOST:PORT (or tcps://)`);
    }
  }
  if (v.ca !== undefined && !/^tcps:\/\//i.test(out)) {
    throw new UsageError("--ca needs --out tcps://HOST:PORT");
  }
  if ((v["tls-cert"] === undefined) !== (v["tls-key"] === undefined)) {
    throw new UsageError("--tls-cert and --tls-key go together");
  }
  if (v.token !== undefined && !listen && !isTcpOut) {
    throw new UsageError("--token needs --listen or --out tcp://HOST:PORT");
  }
  let token: ReturnType<typeof resolveToken>;
  try {
    token = listen || isTcpOut ? resolveToken(v.token as string | undefined) : undefined;
  } catch (err) {
    if (err instanceof NetworkError) throw new UsageError(err.message);
    throw err;
  }
  const timeout = (v["connect-timeout"] as string | undefined) ?? "30";
  return {
    listen,
    waitConsumers: parseIntOption("wait-consumers", (v["wait-consumers"] as string) ?? "1"),
    buffer: parseIntOption("buffer", (v.buffer as string) ?? "8", 1),
    slow: parseChoice("slow", (v.slow as string) ?? "wait", SLOW_POLICIES),
    token: token?.token,
    tokenFrom: token?.from,
    tlsCert: v["tls-cert"] as string | undefined,
    tlsKey: v["tls-key"] as string | undefined,
    ca: v.ca as string | undefined,
    reconnect: v.reconnect === true,
    connectTimeoutMs: timeout.trim() === "0" ? 0 : parsePositive("connect-timeout", timeout) * 1000,
  };
}
