/**
 * Open a destination by name: `-` (stdout), a file path, `tcp://` / `tcps://` (a consumer that
 * listens), `redis://` / `rediss://` (a Redis stream), or serving consumers (`net.listen`).
 * One static table ({@linkcode SINK_SCHEMES}) that the library and the CLI share.
 *
 * @module
 */
import { openRedisSink } from "./redis.ts";
import { type OpenSinkOptions, SinkError } from "./options.ts";
import type { FrameSink } from "../formats/sink.ts";
import { openTcpClient, openTcpServer } from "./tcp.ts";
import { stdoutSink, WriterSink } from "./writer_sink.ts";

/** Opens the sink for a destination URL of its scheme. */
export type SinkFactory = (dest: string, options: OpenSinkOptions) => Promise<FrameSink>;

/** Destination URL schemes (with the colon) and what opens them. */
export const SINK_SCHEMES: Readonly<Record<string, SinkFactory>> = Object.freeze({
  "tcp:": openTcpClient,
  "tcps:": openTcpClient,
  "redis:": openRedisSink,
  "rediss:": openRedisSink,
});

/**
 * Open `-`/`stdout`, a file path or a URL of {@linkcode SINK_SCHEMES}; with `options.net.listen`,
 * serve the stream to every consumer that connects instead (`dest` must then be `-`).
 *
 * @param dest The destination.
 * @param options Format, network and Redis settings, log, signal.
 * @returns The sink (network sinks connect or listen on `start`).
 * @throws {SinkError} unknown scheme, unwritable file.
 * @example Stream to a consumer listening on TCP
 * ```ts ignore
 * import { openSink } from "./open_sink.ts";
 * const sink = await openSink("tcp://127.0.0.1:9000", { format: "frame" });
 * ```
 * @example Standard output
 * ```ts
 * import { openSink } from "./open_sink.ts";
 * const sink = await openSink("-", { format: "frame" });
 * await sink.close();
 * ```
 */
export async function openSink(dest: string, options: OpenSinkOptions): Promise<FrameSink> {
  if (options.net?.listen) {
    if (dest !== "-" && dest !== "stdout") {
      throw new SinkError(`${dest}: serving (listen) replaces the destination; use -`);
    }
    return await openTcpServer(options);
  }
  if (dest === "-" || dest === "stdout") return stdoutSink(options.format);
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(dest);
  if (m) {
    const scheme = m[1].toLowerCase() + ":";
    const open = Object.hasOwn(SINK_SCHEMES, scheme) ? SINK_SCHEMES[scheme] : undefined;
    if (!open) {
      throw new SinkError(
        `${dest}: unknown destination scheme "${m[1]}"; use -, a file path, or ${
          Object.keys(SINK_SCHEMES).map((k) => k + "//...").join(", ")
        }`,
      );
    }
    return await open(dest, options);
  }
  let file: Deno.FsFile;
  try {
    file = await Deno.open(dest, { write: true, create: true, truncate: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) {
      throw new SinkError(`cannot write "${dest}": run with --allow-write=${dest}`, { cause: err });
    }
    throw new SinkError(`cannot write "${dest}": ${(err as Error).message}`, { cause: err });
  }
  return new WriterSink(file, {
    format: options.format,
    description: dest,
    onClose: () => file.close(),
  });
}
