/**
 * Open a frame stream to read (`inspect`, `preview`): stdin (`-`), a file, or a `--listen`
 * server as a consumer (`tcp://`, `tcps://`, with `--token`, `--ca`, `--connect-timeout`).
 *
 * @module
 */
import { FrameStreamError, readRecords, type StreamRecord } from "../formats/read_stream.ts";
import { connectStream } from "../net/consumer.ts";
import { resolveToken } from "../net/handshake.ts";
import { describeFsError, SourceError } from "../sources/errors.ts";
import { isConsumerGone } from "../util/io.ts";
import { type OptionValues, text, timeout, UsageError } from "./options.ts";

/** The options of a stream source. */
export const STREAM_INPUT_OPTIONS = {
  token: text("T", "tcp://: token for a --listen server (prefer env FRAMEPIPE_TOKEN)"),
  ca: text("FILE", "tcps://: trust this PEM CA certificate"),
  "connect-timeout": timeout("tcp://: retry a server that is not up yet this long", {
    default: 10,
  }),
};

/** An open frame stream. */
export interface FrameStreamInput {
  /** The bytes. */
  readable: ReadableStream<Uint8Array>;
  /** Release the file or connection. */
  close: () => void;
  /** For messages: `stdin`, the path, or the URL. */
  name: string;
}

/**
 * True for a `tcp://` / `tcps://` source.
 *
 * @param src The source.
 * @returns Whether it is a server to connect to.
 */
export function isTcpSource(src: string): boolean {
  return /^tcps?:\/\//i.test(src);
}

/**
 * Open `-`, a file or `tcp://HOST:PORT` for reading records.
 *
 * @param src The source.
 * @param v `--token`, `--ca`, `--connect-timeout`.
 * @param given Options the user gave.
 * @returns The stream.
 * @throws {UsageError} `--token`/`--ca` without a tcp source.
 * @throws {SourceError} a missing, unreadable or directory path.
 */
export async function openFrameStream(
  src: string,
  v: OptionValues<typeof STREAM_INPUT_OPTIONS>,
  given: Set<string>,
): Promise<FrameStreamInput> {
  if (isTcpSource(src)) {
    const token = resolveToken(v.token);
    const c = await connectStream(src, {
      token: token?.token,
      ca: v.ca,
      connectTimeoutMs: v["connect-timeout"],
    });
    return { readable: c.readable, close: () => c.close(), name: c.url };
  }
  if (given.has("token") || given.has("ca")) {
    throw new UsageError("--token and --ca apply to tcp:// and tcps:// sources");
  }
  if (src === "-") return { readable: Deno.stdin.readable, close: () => {}, name: "stdin" };
  let file: Deno.FsFile;
  try {
    file = await Deno.open(src);
  } catch (err) {
    throw describeFsError(err, src);
  }
  const close = () => {
    try {
      file.close();
    } catch {
      // the readable closed it
    }
  };
  let isDir = false;
  try {
    isDir = (await file.stat()).isDirectory;
  } catch {
    // unknown: reading will tell
  }
  if (isDir) {
    close();
    throw new SourceError(
      `"${src}" is a directory, not a frame stream; give a file written with --out FILE, ` +
        `or - for a pipe`,
    );
  }
  return { readable: file.readable, close, name: src };
}

/**
 * The records of an open stream; errors name the input (malformed data, a reset connection).
 *
 * @param input The stream.
 * @returns The records.
 * @throws {FrameStreamError} malformed or truncated data, or a reset connection.
 */
export async function* streamRecords(input: FrameStreamInput): AsyncGenerator<StreamRecord> {
  try {
    yield* readRecords(input.readable);
  } catch (err) {
    if (err instanceof FrameStreamError) {
      throw new FrameStreamError(`${input.name}: ${err.message}`);
    }
    if (isConsumerGone(err)) throw new FrameStreamError(`${input.name}: the connection was reset`);
    if (err instanceof Deno.errors.IsADirectory) throw describeFsError(err, input.name);
    throw err;
  }
}
