/**
 * The consumer side in TypeScript: connect to `framepipe --listen` (token handshake, TLS) and
 * get the frame stream's bytes, or its records with sequence checking (`records()`: a hole in
 * `seq` sets the frame's `gap` metadata, is counted in `seq` and warned about).
 *
 * @module
 */
import { readRecords, type StreamRecord } from "../formats/read_stream.ts";
import { formatHostPort, type HostPort, parseHostPort } from "./address.ts";
import { connectWithRetry, readPem } from "./connect.ts";
import { NetworkError } from "./errors.ts";
import { helloAsConsumer } from "./handshake.ts";
import { SeqCheck, type SeqCounts } from "./seq.ts";

/** Options for {@linkcode connectStream}. */
export interface ConnectStreamOptions {
  /** Token to present (the server verifies). */
  token?: string;
  /** Path of a PEM CA certificate to trust for `tcps://`. */
  ca?: string;
  /** PEM CA certificates (instead of `ca`). */
  caCerts?: string[];
  /** Keep retrying while the server is not up yet (ms; 0 = forever; default 10 000). */
  connectTimeoutMs?: number;
  /** Stop connecting. */
  signal?: AbortSignal;
  /** Where `records()` reports holes in the sequence numbers. */
  log?: { warn(msg: string): void };
}

/** An open consumer connection. */
export interface ConsumerConnection {
  /** The stream bytes (from the stream header on). */
  readable: ReadableStream<Uint8Array>;
  /** `tcp://HOST:PORT`. */
  url: string;
  /**
   * The records of `readable` (use one or the other). A frame after a hole in `seq` gets the
   * missing count as its `gap` metadata (when the producer did not announce a larger one).
   */
  records(): AsyncGenerator<StreamRecord>;
  /** What `records()` saw of the sequence numbers so far. */
  readonly seq: SeqCounts;
  /** Close the connection (the server counts the consumer as gone). */
  close(): void;
}

/**
 * Parse `tcp://HOST:PORT` / `tcps://HOST:PORT`.
 *
 * @param url The URL.
 * @returns Address and whether it is TLS.
 * @throws {NetworkError} not a tcp(s) URL with a port.
 */
export function parseTcpUrl(url: string): HostPort & { tls: boolean } {
  const m = /^(tcps?):\/\/(.+)$/i.exec(url.trim());
  if (!m) throw new NetworkError(`"${url}" is not tcp://HOST:PORT or tcps://HOST:PORT`);
  const hp = parseHostPort(m[2].replace(/\/$/, ""), m[1].toLowerCase() + "://");
  return { ...hp, tls: m[1].toLowerCase() === "tcps" };
}

function prefixed(
  prefix: Uint8Array,
  rest: ReadableStream<Uint8Array>,
): ReadableStream<Uint8Array> {
  const reader = rest.getReader();
  let first = prefix.length > 0;
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      if (first) {
        first = false;
        ctrl.enqueue(prefix);
        return;
      }
      try {
        const { value, done } = await reader.read();
        if (done) ctrl.close();
        else ctrl.enqueue(value);
      } catch (err) {
        ctrl.error(err);
      }
    },
    cancel(reason) {
      return reader.cancel(reason).catch(() => {});
    },
  });
}

/**
 * Connect to a `framepipe --listen` server as a consumer.
 *
 * @param url `tcp://HOST:PORT` or `tcps://HOST:PORT`.
 * @param options Token, CA, retry deadline.
 * @returns The connection; read `readable` from the stream header on.
 * @throws {NetworkError} no server, TLS failure, missing `--allow-net`.
 * @throws {import("./errors.ts").AuthError} the server refused the token.
 * @example
 * ```ts
 * import { connectStream } from "./consumer.ts";
 * import { readRecords } from "../formats/read_stream.ts";
 * const c = await connectStream("tcp://127.0.0.1:9000", { token: Deno.env.get("FRAMEPIPE_TOKEN") });
 * for await (const r of readRecords(c.readable)) console.log(r.kind, r.meta);
 * ```
 */
export async function connectStream(
  url: string,
  options: ConnectStreamOptions = {},
): Promise<ConsumerConnection> {
  const target = parseTcpUrl(url);
  const name = `${target.tls ? "tcps" : "tcp"}://${formatHostPort(target)}`;
  const caCerts = options.caCerts ?? (options.ca ? [await readPem(options.ca, "ca")] : undefined);
  const conn = await connectWithRetry({
    hostname: target.hostname,
    port: target.port,
    tls: target.tls,
    caCerts,
    timeoutMs: options.connectTimeoutMs ?? 10_000,
    signal: options.signal,
    what: `connect to ${name}`,
  });
  if (!conn) throw new NetworkError(`connecting to ${name} was cancelled`);
  let rest: Uint8Array;
  try {
    rest = await helloAsConsumer(conn, options.token, name);
  } catch (err) {
    conn.close();
    throw err;
  }
  let closed = false;
  const readable = prefixed(rest, conn.readable);
  const check = new SeqCheck();
  return {
    readable,
    url: name,
    seq: check.counts,
    async *records() {
      for await (const r of readRecords(readable)) {
        if (r.kind === "header") check.header();
        else if (r.kind === "frame") {
          const hole = check.frame(r.fields.seq, r.meta.gap);
          if (hole > 0) {
            options.log?.warn(`${name}: ${hole} frame(s) missing before seq ${r.fields.seq}`);
            if (!(Number(r.meta.gap ?? 0) >= hole)) r.meta.gap = hole;
          }
        }
        yield r;
      }
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        conn.close();
      } catch {
        // already closed (the readable closes it at EOF)
      }
    },
  };
}
