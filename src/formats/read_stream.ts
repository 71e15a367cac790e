/**
 * Read a `frame`-format stream back into records (for `inspect`, tests and TypeScript consumers).
 *
 * @module
 */
import {
  KIND_END,
  KIND_FRAME,
  KIND_HEADER,
  readRecordHeader,
  RECORD_HEADER_SIZE,
  type RecordFields,
} from "./frame.ts";

/** One record read from a stream. */
export interface StreamRecord {
  /** `header`, `frame` or `end`. */
  kind: "header" | "frame" | "end";
  /** The fixed fields. */
  fields: RecordFields;
  /** The metadata object. */
  meta: Record<string, unknown>;
  /** The payload (empty for header and end records). */
  payload: Uint8Array;
}

/** A malformed or truncated stream. */
export class FrameStreamError extends Error {
  /** Exit-code kind: bad data. */
  readonly kind = "data";
  /**
   * Make the error.
   *
   * @param message What is wrong and at which byte.
   */
  constructor(message: string) {
    super(message);
    this.name = "FrameStreamError";
  }
}

const decoder = new TextDecoder();

/**
 * Read records from a byte stream, reading exactly what each record needs.
 *
 * @param stream The bytes (stdin, a socket's readable, a file's readable).
 * @returns An async generator of records; it ends after the end record or at a clean EOF.
 * @throws {FrameStreamError} bad magic, or EOF inside a record.
 * @example
 * ```ts
 * import { readRecords } from "./read_stream.ts";
 * for await (const r of readRecords(Deno.stdin.readable)) console.log(r.kind, r.meta);
 * ```
 */
export async function* readRecords(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<StreamRecord> {
  const reader = stream.getReader();
  let offset = 0;
  let pending: Uint8Array = new Uint8Array(0); // bytes read but not yet consumed
  const readExactly = async (n: number, what: string): Promise<Uint8Array | null> => {
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      if (pending.length === 0) {
        const { value, done } = await reader.read();
        if (done) {
          if (got === 0 && what === "record header") return null;
          throw new FrameStreamError(
            `stream ended inside a ${what} at byte ${offset + got} (got ${got} of ${n} bytes)`,
          );
        }
        pending = value;
        continue;
      }
      const take = Math.min(n - got, pending.length);
      out.set(pending.subarray(0, take), got);
      pending = pending.subarray(take);
      got += take;
    }
    offset += n;
    return out;
  };
  try {
    while (true) {
      const at = offset;
      const head = await readExactly(RECORD_HEADER_SIZE, "record header");
      if (!head) return;
      let fields: RecordFields;
      try {
        fields = readRecordHeader(head);
      } catch (e) {
        throw new FrameStreamError(`${(e as Error).message} at byte ${at}`);
      }
      const metaBytes = fields.metaLength
        ? (await readExactly(fields.metaLength, "metadata block"))!
        : new Uint8Array(0);
      const payload = fields.payloadLength
        ? (await readExactly(fields.payloadLength, "payload"))!
        : new Uint8Array(0);
      let meta: Record<string, unknown> = {};
      try {
        if (metaBytes.length) meta = JSON.parse(decoder.decode(metaBytes));
      } catch {
        throw new FrameStreamError(`record at byte ${at} has metadata that is not JSON`);
      }
      const kind = fields.kind === KIND_HEADER
        ? "header"
        : fields.kind === KIND_FRAME
        ? "frame"
        : fields.kind === KIND_END
        ? "end"
        : null;
      if (!kind) {
        throw new FrameStreamError(
          `unknown record kind 0x${fields.kind.toString(16)} at byte ${at}`,
        );
      }
      yield { kind, fields, meta, payload };
      if (kind === "end") return;
    }
  } finally {
    reader.releaseLock();
  }
}
