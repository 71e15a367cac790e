/**
 * Open the network destinations: `tcp://` and `tcps://` (connect to a consumer that listens) and
 * serving (`listen`: every consumer that connects). Used by the table in `open_sink.ts`.
 *
 * @module
 */
import { DEFAULT_LISTEN_HOST, formatHostPort } from "../net/address.ts";
import { readPem } from "../net/connect.ts";
import { parseTcpUrl } from "../net/consumer.ts";
import { TOKEN_ENV } from "../net/handshake.ts";
import { SILENT_LOG } from "../util/log.ts";
import { NET_DEFAULTS, type OpenSinkOptions, SinkError } from "./options.ts";
import { TcpClientSink } from "./tcp_client.ts";
import { TcpServerSink } from "./tcp_server.ts";

function warnFlagToken(o: OpenSinkOptions): void {
  if (o.net?.tokenFrom === "argument") {
    (o.log ?? SILENT_LOG).warn(
      `a token given as an argument is visible to other users in the process list; prefer ` +
        `${TOKEN_ENV} (with --allow-env=${TOKEN_ENV})`,
      [{ option: "token" }],
    );
  }
}

/**
 * A sink connecting to a consumer that listens.
 *
 * @param dest `tcp://HOST:PORT` or `tcps://HOST:PORT`.
 * @param o Format, network settings, log and signal.
 * @returns The sink (it connects on `start`).
 * @throws {import("../net/errors.ts").NetworkError} not `tcp://HOST:PORT`.
 */
export async function openTcpClient(dest: string, o: OpenSinkOptions): Promise<TcpClientSink> {
  const { tls, ...address } = parseTcpUrl(dest);
  warnFlagToken(o);
  const net = o.net ?? {};
  return new TcpClientSink({
    address,
    format: o.format,
    tls,
    caCerts: net.ca ? [await readPem(net.ca, "ca")] : undefined,
    token: net.token,
    connectTimeoutMs: net.connectTimeoutMs ?? NET_DEFAULTS.connectTimeoutMs,
    reconnect: net.reconnect ?? NET_DEFAULTS.reconnect,
    log: o.log,
    signal: o.signal,
  });
}

/**
 * A sink serving the stream to every consumer that connects to `o.net.listen`.
 *
 * @param o Format, network settings (with `listen`), log and signal.
 * @returns The sink (it listens on `start`).
 * @throws {SinkError} no `listen` address.
 */
export async function openTcpServer(o: OpenSinkOptions): Promise<TcpServerSink> {
  const net = o.net;
  if (!net?.listen) throw new SinkError("serving needs an address (net.listen: HOST:PORT)");
  warnFlagToken(o);
  const tls = net.tlsCert && net.tlsKey
    ? {
      cert: await readPem(net.tlsCert, "tlsCert"),
      key: await readPem(net.tlsKey, "tlsKey"),
    }
    : undefined;
  if (!net.token && net.listen.hostname !== DEFAULT_LISTEN_HOST && net.listen.hostname !== "::1") {
    (o.log ?? SILENT_LOG).warn(
      `serving on ${formatHostPort(net.listen)} accepts consumers from other machines ` +
        `without a token; set ${TOKEN_ENV} (and TLS) unless the network is trusted`,
    );
  }
  return new TcpServerSink({
    address: net.listen,
    format: o.format,
    tls,
    token: net.token,
    buffer: net.buffer ?? NET_DEFAULTS.buffer,
    slow: net.slow ?? NET_DEFAULTS.slow,
    waitConsumers: net.waitConsumers ?? NET_DEFAULTS.waitConsumers,
    log: o.log,
    signal: o.signal,
  });
}
