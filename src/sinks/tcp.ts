/**
 * Registers the network destinations with {@linkcode registerSink}: `tcp://` and `tcps://`
 * (connect to a consumer) and `--listen` (serve consumers). Importing this module is enough.
 *
 * @module
 */
import { DEFAULT_LISTEN_HOST, formatHostPort, parseHostPort } from "../net/address.ts";
import { readPem } from "../net/connect.ts";
import { NetworkError } from "../net/errors.ts";
import { TOKEN_ENV } from "../net/handshake.ts";
import { type OpenSinkOptions, registerSink, SinkError } from "./open_sink.ts";
import { type NetLog, TcpClientSink } from "./tcp_client.ts";
import { TcpServerSink } from "./tcp_server.ts";

const quiet: NetLog = { info() {}, warn() {} };

function warnFlagToken(o: OpenSinkOptions): void {
  if (o.net?.tokenFrom === "--token") {
    (o.log ?? quiet).warn(
      `--token is visible to other users in the process list; prefer ${TOKEN_ENV} ` +
        `(with --allow-env=${TOKEN_ENV})`,
    );
  }
}

async function openClient(url: URL, o: OpenSinkOptions): Promise<TcpClientSink> {
  const tls = url.protocol === "tcps:";
  if ((url.pathname && url.pathname !== "/") || url.search || url.hash) {
    throw new SinkError(`--out ${url.href}: expected ${url.protocol}//HOST:PORT, nothing after`);
  }
  const host = url.host;
  if (!url.port) throw new SinkError(`--out ${url.href}: needs a port, e.g. tcp://127.0.0.1:9000`);
  const address = parseHostPort(host.replace(/^\[(.*)\](:\d+)$/, "[$1]$2"), "--out");
  warnFlagToken(o);
  const net = o.net;
  return new TcpClientSink({
    address,
    format: o.format,
    tls,
    caCerts: net?.ca ? [await readPem(net.ca, "--ca")] : undefined,
    token: net?.token,
    connectTimeoutMs: net?.connectTimeoutMs ?? 30_000,
    reconnect: net?.reconnect ?? false,
    log: o.log,
    signal: o.signal,
  });
}

async function openServer(_url: URL, o: OpenSinkOptions): Promise<TcpServerSink> {
  const net = o.net;
  if (!net?.listen) throw new NetworkError("--listen needs HOST:PORT");
  warnFlagToken(o);
  const tls = net.tlsCert && net.tlsKey
    ? {
      cert: await readPem(net.tlsCert, "--tls-cert"),
      key: await readPem(net.tlsKey, "--tls-key"),
    }
    : undefined;
  if (!net.token && net.listen.hostname !== DEFAULT_LISTEN_HOST && net.listen.hostname !== "::1") {
    (o.log ?? quiet).warn(
      `--listen ${formatHostPort(net.listen)} accepts consumers from other machines without a ` +
        `token; set ${TOKEN_ENV} (and TLS) unless the network is trusted`,
    );
  }
  return new TcpServerSink({
    address: net.listen,
    format: o.format,
    tls,
    token: net.token,
    buffer: net.buffer,
    slow: net.slow,
    waitConsumers: net.waitConsumers,
    log: o.log,
    signal: o.signal,
  });
}

registerSink("tcp:", openClient);
registerSink("tcps:", openClient);
/** `--listen` is looked up under this pseudo-scheme by `openSink`. */
registerSink("listen:", openServer);
