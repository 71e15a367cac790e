/**
 * Admission for `--listen`: bind the address, accept connections, run each one's TLS handshake
 * and token check within a time limit, and hand over those that pass. Refusals are logged, never
 * thrown: one bad client does not stop the server.
 *
 * @module
 */
import { formatHostPort, type HostPort, peerName } from "../net/address.ts";
import { describeNetError, NetworkError } from "../net/errors.ts";
import { HANDSHAKE_TIMEOUT_MS, verifyPeer } from "../net/handshake.ts";
import type { Log } from "../util/log.ts";
import { closeGracefully } from "./tcp_client.ts";

/** What admission needs. */
export interface AdmissionOptions {
  /** Address to bind. */
  address: HostPort;
  /** PEM certificate chain and key: serve TLS. */
  tls?: { cert: string; key: string };
  /** Token consumers must present. */
  token?: string;
  /** Longest wait for a consumer's TLS and token handshakes (ms, default 5000). */
  handshakeTimeoutMs?: number;
  /** Messages (refusals, failed handshakes). */
  log: Log;
  /** Gets each connection that passed, with its peer name. */
  onAdmit: (conn: Deno.Conn, peer: string) => void;
}

/** Accepts and checks consumers on one listening socket (see the module doc). */
export class Admission {
  #o: AdmissionOptions;
  #listener: Deno.Listener | null = null;
  #pending = new Set<Deno.Conn>();
  #loop: Promise<void> | null = null;
  #closed = false;

  /**
   * @param options Address, TLS, token, where admitted connections go.
   */
  constructor(options: AdmissionOptions) {
    this.#o = options;
  }

  /** The bound address (after {@linkcode listen}). */
  get address(): HostPort | undefined {
    const a = this.#listener?.addr as Deno.NetAddr | undefined;
    return a ? { hostname: a.hostname, port: a.port } : undefined;
  }

  /** Whether {@linkcode listen} ran. */
  get started(): boolean {
    return this.#loop !== null;
  }

  /**
   * Bind and start accepting.
   *
   * @returns The bound address (the port the OS picked for port 0).
   * @throws {NetworkError} the address is in use or not of this machine, no `--allow-net`.
   */
  listen(): HostPort {
    const { hostname, port } = this.#o.address;
    const hp = formatHostPort(this.#o.address);
    try {
      this.#listener = this.#o.tls
        ? Deno.listenTls({ hostname, port, cert: this.#o.tls.cert, key: this.#o.tls.key })
        : Deno.listen({ hostname, port });
    } catch (err) {
      const d = describeNetError(err, `listen on ${hp}`, hp);
      if (d instanceof NetworkError) throw d;
      throw new NetworkError(`listen on ${hp}: ${(err as Error).message}`, { cause: err });
    }
    this.#loop = this.#accept(this.#listener);
    return this.address!;
  }

  async #accept(listener: Deno.Listener): Promise<void> {
    while (true) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (err) {
        if (this.#closed || err instanceof Deno.errors.BadResource) return;
        this.#o.log.warn(
          `accept on ${formatHostPort(this.#o.address)} failed: ${(err as Error).message}`,
        );
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      this.#admit(conn).catch((err) =>
        this.#o.log.warn(`consumer connection failed: ${(err as Error).message}`)
      );
    }
  }

  async #admit(conn: Deno.Conn): Promise<void> {
    const peer = peerName(conn.remoteAddr);
    if (this.#closed) {
      conn.close();
      return;
    }
    this.#pending.add(conn);
    const limit = this.#o.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
    try {
      if (conn.remoteAddr.transport === "tcp") {
        try {
          (conn as Deno.TcpConn).setNoDelay?.(true);
        } catch {
          // not a plain TCP connection
        }
      }
      if (this.#o.tls) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        try {
          const ok = await Promise.race([
            (conn as Deno.TlsConn).handshake().then(() => true),
            new Promise<false>((r) => timer = setTimeout(() => r(false), limit)),
          ]);
          if (!ok) throw new Error("timed out");
        } catch (err) {
          this.#o.log.warn(`TLS handshake with ${peer} failed: ${(err as Error).message}`);
          conn.close();
          return;
        } finally {
          clearTimeout(timer);
        }
      }
      if (this.#o.token) {
        const r = await verifyPeer(conn, this.#o.token, limit);
        if (!r.ok) {
          this.#o.log.warn(`refused consumer ${peer}: ${r.reason}`);
          await closeGracefully(conn, 500);
          return;
        }
      }
    } finally {
      this.#pending.delete(conn);
    }
    if (this.#closed) {
      conn.close();
      return;
    }
    this.#o.onAdmit(conn, peer);
  }

  /** Stop accepting (connections still in their handshake are closed). Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const l = this.#listener;
    this.#listener = null;
    try {
      l?.close();
    } catch {
      // already closed
    }
    for (const conn of this.#pending) {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
    await this.#loop?.catch(() => {});
  }
}
