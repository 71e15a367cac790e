/**
 * `--out tcp://HOST:PORT` / `tcps://`: framepipe connects to a waiting consumer (e.g. a Python
 * `socket.create_server`), retrying while it is not up yet; on disconnect it stops cleanly or,
 * with `--reconnect`, connects again and restarts with a stream header at a record boundary.
 *
 * @module
 */
import type { Frame, StreamHeader, StreamSummary } from "../formats/frame.ts";
import { createEncoder, type FormatEncoder, type WireFormat } from "../formats/writers.ts";
import { formatHostPort, type HostPort } from "../net/address.ts";
import { connectWithRetry } from "../net/connect.ts";
import { presentToken } from "../net/handshake.ts";
import { ConsumerGoneError, isConsumerGone, writeAll } from "../util/io.ts";
import type { FrameSink } from "../formats/sink.ts";
import { type Log, SILENT_LOG } from "../util/log.ts";

/** Options for {@linkcode TcpClientSink}. */
export interface TcpClientSinkOptions {
  /** The consumer's address. */
  address: HostPort;
  /** Wire format. */
  format: WireFormat;
  /** TLS (`tcps://`). */
  tls?: boolean;
  /** PEM CA certificates to trust (`--ca`). */
  caCerts?: string[];
  /** Token to present to the consumer (it verifies). */
  token?: string;
  /** Keep retrying the first connection (and each reconnection) this long; 0 = forever. */
  connectTimeoutMs?: number;
  /** Reconnect when the consumer goes away instead of stopping. */
  reconnect?: boolean;
  /** Messages. */
  log?: Log;
  /** Aborting stops connection attempts. */
  signal?: AbortSignal;
}

/** Drain what the peer sends after we close our side, for at most this long (ms). */
const LINGER_MS = 2000;

/**
 * Close a connection after flushing: shut down our side (FIN after the queued bytes), read
 * and discard until the peer closes (so unread bytes never turn the close into a reset), then
 * close.
 *
 * @param conn The connection.
 * @param lingerMs Longest wait for the peer.
 */
export async function closeGracefully(conn: Deno.Conn, lingerMs = LINGER_MS): Promise<void> {
  try {
    await conn.closeWrite();
  } catch {
    // already closed or reset
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((r) => timer = setTimeout(() => r(null), lingerMs));
  try {
    const buf = new Uint8Array(4096);
    while (true) {
      const n = await Promise.race([conn.read(buf).catch(() => null), timeout]);
      if (n === null) break;
    }
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}

/** Streams frames to one consumer that listens (`--out tcp://`). */
export class TcpClientSink implements FrameSink {
  /** `tcp://HOST:PORT` or `tcps://HOST:PORT`. */
  readonly description: string;
  /** Bytes written over all connections. */
  bytesWritten = 0;
  /** Frames written completely. */
  framesSent = 0;
  /** Reconnections after a disconnect. */
  reconnects = 0;
  #o: TcpClientSinkOptions;
  #enc: FormatEncoder;
  #log: Log;
  #conn: Deno.Conn | null = null;
  #header: Uint8Array[] = [];
  #closed = false;

  /**
   * Create the sink; nothing connects before {@linkcode TcpClientSink.start}.
   *
   * @param options Address, format, TLS, token and retry policy.
   */
  constructor(options: TcpClientSinkOptions) {
    this.#o = options;
    this.#enc = createEncoder(options.format);
    this.#log = options.log ?? SILENT_LOG;
    this.description = `${options.tls ? "tcps" : "tcp"}://${formatHostPort(options.address)}`;
  }

  async #connect(): Promise<Deno.Conn | null> {
    let told = false;
    const conn = await connectWithRetry({
      ...this.#o.address,
      tls: this.#o.tls,
      caCerts: this.#o.caCerts,
      timeoutMs: this.#o.connectTimeoutMs ?? 30_000,
      signal: this.#o.signal,
      what: `send to ${this.description}`,
      onRetry: () => {
        if (!told) {
          told = true;
          this.#log.info(`waiting for a consumer to listen on ${this.description}`);
        }
      },
    });
    if (!conn) return null;
    if (this.#o.token) {
      try {
        await presentToken(conn, this.#o.token, this.description);
      } catch (err) {
        conn.close();
        throw err;
      }
    }
    this.#log.info(`connected to ${this.description}${this.#o.token ? " (token accepted)" : ""}`);
    return conn;
  }

  async #send(chunks: Uint8Array[]): Promise<void> {
    const conn = this.#conn;
    if (!conn) throw new ConsumerGoneError(`not connected to ${this.description}`);
    for (const c of chunks) {
      await writeAll(conn, c);
      this.bytesWritten += c.length;
    }
  }

  /** Write a whole record; on disconnect reconnect (if allowed) and write it again. */
  async #record(chunks: Uint8Array[]): Promise<void> {
    while (true) {
      try {
        await this.#send(chunks);
        return;
      } catch (err) {
        if (!isConsumerGone(err) || !this.#o.reconnect || this.#closed) throw err;
        this.#log.warn(`${this.description} went away; reconnecting`);
        try {
          this.#conn?.close();
        } catch {
          // already closed
        }
        this.#conn = await this.#connect();
        if (!this.#conn) throw new ConsumerGoneError(`stopped reconnecting to ${this.description}`);
        this.reconnects++;
        await this.#send(this.#header); // every connection starts with a stream header
      }
    }
  }

  /** Open the stream (see {@linkcode FrameSink.start}). */
  async start(header: StreamHeader): Promise<void> {
    this.#header = this.#enc.header(header);
    this.#conn = await this.#connect();
    if (!this.#conn) return; // aborted while waiting: the pump sees the signal
    await this.#record(this.#header);
  }

  /** Write one frame (see {@linkcode FrameSink.write}). */
  async write(frame: Frame): Promise<void> {
    await this.#record(this.#enc.frame(frame));
    this.framesSent++;
  }

  /** Write the end-of-stream record and flush (see {@linkcode FrameSink.end}). */
  async end(summary: StreamSummary): Promise<void> {
    if (!this.#conn) return;
    await this.#send(this.#enc.end(summary));
  }

  /** Release the connections (see {@linkcode FrameSink.close}). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const conn = this.#conn;
    this.#conn = null;
    if (conn) await closeGracefully(conn);
  }

  /** Counts for the end-of-stream summary (see {@linkcode FrameSink.stats}). */
  stats(): Record<string, unknown> {
    return {
      bytes_written: this.bytesWritten,
      ...(this.#o.reconnect ? { tcp_reconnects: this.reconnects } : {}),
    };
  }
}
