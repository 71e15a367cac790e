/**
 * Open a sink from a `--out` destination.
 *
 * @module
 */
import type { WireFormat } from "../formats/writers.ts";
import type { NetOptions } from "../net/options.ts";
import type { RedisOutOptions } from "../redis/options.ts";
import type { FrameSink } from "./sink.ts";
import { stdoutSink, WriterSink } from "./writer_sink.ts";

/** A `--out` destination that cannot be opened (CLI exit code 2). */
export class SinkError extends Error {
  /**
   * @param message What is wrong and what to do.
   * @param options Standard error options.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SinkError";
  }
}

/** Options for {@linkcode openSink}. */
export interface OpenSinkOptions {
  /** Wire format. */
  format: WireFormat;
  /** Network options (`--listen`, token, TLS, ...), read by the `tcp:`/`listen:` factories. */
  net?: NetOptions;
  /** `--out redis://` options (`--maxlen`, `--max-lag`, ...), read by the `redis:` factory. */
  redis?: RedisOutOptions;
  /** Where sinks that talk to peers report connections and drops. */
  log?: { info(msg: string): void; warn(msg: string): void };
  /** Aborted on SIGINT/SIGTERM: sinks stop waiting for peers. */
  signal?: AbortSignal;
}

/** A sink factory for a URL scheme (`tcp:`, `redis:`, ...), registered by the sink modules. */
export type SinkFactory = (url: URL, options: OpenSinkOptions) => Promise<FrameSink>;

const factories = new Map<string, SinkFactory>();

/**
 * Register a factory for a URL scheme.
 *
 * @param scheme Scheme with the colon, e.g. `tcp:`.
 * @param factory Opens the sink.
 */
export function registerSink(scheme: string, factory: SinkFactory): void {
  factories.set(scheme, factory);
}

/**
 * Open `-`/`stdout`, a file path, or a registered URL scheme.
 *
 * @param dest The destination.
 * @param options Format.
 * @returns The sink.
 * @throws {SinkError} unknown scheme, unwritable file.
 * @example
 * ```ts
 * import { openSink } from "./open_sink.ts";
 * const sink = await openSink("-", { format: "frame" });
 * ```
 */
export async function openSink(dest: string, options: OpenSinkOptions): Promise<FrameSink> {
  if (options.net?.listen) {
    // `--listen HOST:PORT` is served by the factory registered as "listen:" (src/sinks/tcp.ts)
    const f = factories.get("listen:");
    if (!f) throw new SinkError("--listen is not available (src/sinks/tcp.ts is not loaded)");
    const { hostname, port } = options.net.listen;
    const host = hostname.includes(":") ? `[${hostname}]` : hostname;
    return await f(new URL(`tcp://${host}:${port}`), options);
  }
  if (dest === "-" || dest === "stdout") return stdoutSink(options.format);
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(dest);
  if (m) {
    const scheme = m[1].toLowerCase() + ":";
    const f = scheme === "listen:" ? undefined : factories.get(scheme);
    if (!f) {
      throw new SinkError(
        `--out ${dest}: unknown destination scheme "${m[1]}"; use -, a file path${
          factories.size
            ? ", or " + [...factories.keys()].filter((k) => k !== "listen:").map((k) => k + "//...")
              .join(", ")
            : ""
        }`,
      );
    }
    return await f(new URL(dest), options);
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
