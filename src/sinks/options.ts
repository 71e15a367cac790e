/**
 * What {@linkcode import("./open_sink.ts").openSink} takes: the wire format, the network and
 * Redis settings of the destination, a log and an abort signal; and the error it throws.
 *
 * @module
 */
import type { WireFormat } from "../formats/writers.ts";
import type { HostPort } from "../net/address.ts";
import type { TokenSource } from "../net/handshake.ts";
import type { Log } from "../util/log.ts";
import type { SlowPolicy } from "./tcp_server.ts";

/** A destination that cannot be opened (the CLI exits 2). */
export class SinkError extends Error {
  /** Exit-code kind: the user's to fix. */
  readonly kind = "setup";
  /**
   * Make the error.
   *
   * @param message What is wrong and what to do.
   * @param options Standard error options.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SinkError";
  }
}

/** Network settings: serving consumers (`listen`) or connecting to one (`tcp://`, `tcps://`). */
export interface NetOptions {
  /** Serve the stream on this address instead of writing to the destination. */
  listen?: HostPort;
  /** Serving: consumers to wait for before the first frame. */
  waitConsumers: number;
  /** Serving: frames queued per consumer before `slow` applies. */
  buffer: number;
  /** Serving: what to do with a consumer whose queue is full. */
  slow: SlowPolicy;
  /** Shared secret for the handshake. */
  token?: string;
  /** Where the token came from (a token on the command line draws a warning). */
  tokenFrom?: TokenSource;
  /** Serving: PEM certificate chain file for TLS. */
  tlsCert?: string;
  /** Serving: PEM private key file for `tlsCert`. */
  tlsKey?: string;
  /** `tcps://`: PEM CA certificate file to trust. */
  ca?: string;
  /** `tcp://`: reconnect when the consumer goes away. */
  reconnect: boolean;
  /** `tcp://`: how long to retry a consumer that is not up yet, in ms (0 = forever). */
  connectTimeoutMs: number;
}

/** Defaults of {@linkcode NetOptions} (the CLI's defaults too). */
export const NET_DEFAULTS: Readonly<
  Pick<NetOptions, "waitConsumers" | "buffer" | "slow" | "reconnect" | "connectTimeoutMs">
> = Object.freeze({
  waitConsumers: 1,
  buffer: 8,
  slow: "wait",
  reconnect: false,
  connectTimeoutMs: 30_000,
});

/** Settings of a `redis://` / `rediss://` destination. */
export interface RedisOutOptions {
  /** Keep about this many entries (`XADD MAXLEN ~ N`), dropping the oldest. */
  maxlen?: number;
  /** Lossless: wait while the slowest consumer group has this many entries undelivered. */
  maxLag?: number;
  /** Wait until this many consumer groups exist before the first frame. */
  waitGroups?: number;
  /** Lossless mode: payload bytes of unacknowledged frames kept to republish after a reset. */
  retainBytes?: number;
  /** How long to retry the server per outage, in ms (0 = forever). */
  connectTimeoutMs: number;
  /** `rediss://`: PEM CA certificate file to trust. */
  ca?: string;
}

/** Defaults of {@linkcode RedisOutOptions} (the CLI's defaults too). */
export const REDIS_DEFAULTS: Readonly<Pick<RedisOutOptions, "connectTimeoutMs">> = Object.freeze({
  connectTimeoutMs: 30_000,
});

/** Options for {@linkcode import("./open_sink.ts").openSink}. */
export interface OpenSinkOptions {
  /** Wire format. */
  format: WireFormat;
  /** Network settings (`listen`, token, TLS, ...) for `tcp://`, `tcps://` and serving. */
  net?: Partial<NetOptions>;
  /** Settings for `redis://` and `rediss://`. */
  redis?: Partial<RedisOutOptions>;
  /** Where sinks that talk to peers report connections and drops. */
  log?: Log;
  /** Aborting it makes sinks stop waiting for peers. */
  signal?: AbortSignal;
}
