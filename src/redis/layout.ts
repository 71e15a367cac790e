/**
 * How a frame stream is laid out in Redis (docs/SCALE_OUT.md, "Redis layout").
 *
 * - `STREAM` (a Redis stream): one entry per record. Fields: `h` the fixed record
 *   header of docs/FORMAT.md (kind `H`, `F` or `E`), `m` the metadata JSON, and for frames `p`
 *   the payload. All binary, no base64. Every producer session starts with an `H` entry and
 *   ends with an `E` entry (its id is also written to `STREAM:producers`).
 * - `STREAM:header` (string): the latest header metadata JSON (classes, size, layout), so
 *   consumers find it after the `H` entry was trimmed.
 * - `STREAM:producers` (hash): producer id → `running`, or the end-of-stream JSON with the `id`
 *   of its `E` entry. Consumers stop when every producer has ended and their group has been
 *   delivered every entry up to the last `E` and acknowledged them all.
 *
 * @module
 */
import { RECORD_HEADER_SIZE } from "../formats/frame.ts";

/** Field holding the fixed record header (`RECORD_HEADER_SIZE` bytes). */
export const FIELD_HEAD = "h";
/** Field holding the metadata JSON. */
export const FIELD_META = "m";
/** Field holding the payload (frames only). */
export const FIELD_PAYLOAD = "p";
/** Value of a running producer in the producers hash. */
export const PRODUCER_RUNNING = "running";

/**
 * The header key of a stream.
 *
 * @param stream The stream key.
 * @returns `STREAM:header`.
 */
export function headerKey(stream: string): string {
  return `${stream}:header`;
}

/**
 * The producers hash of a stream.
 *
 * @param stream The stream key.
 * @returns `STREAM:producers`.
 */
export function producersKey(stream: string): string {
  return `${stream}:producers`;
}

/**
 * The fields of a stream entry from the `frame` encoder's chunks of one record (head with its
 * metadata, then the payload for frames).
 *
 * @param chunks What `FrameFormatEncoder` returns for a header, frame or end record.
 * @returns `h`, `m` and, for frames, `p` with their values (views, no copies).
 */
export function entryFields(chunks: Uint8Array[]): (string | Uint8Array)[] {
  const [head, payload] = chunks;
  const fields: (string | Uint8Array)[] = [
    FIELD_HEAD,
    head.subarray(0, RECORD_HEADER_SIZE),
    FIELD_META,
    head.subarray(RECORD_HEADER_SIZE),
  ];
  if (payload !== undefined) fields.push(FIELD_PAYLOAD, payload);
  return fields;
}

/** A stream entry id as two numbers. */
export type StreamId = [ms: number, seq: number];

/**
 * Parse `MS-SEQ`.
 *
 * @param id The id (`0`, `0-0`, `1700000000000-3`).
 * @returns Its parts.
 */
export function parseId(id: string): StreamId {
  const [a, b] = id.split("-");
  return [Number(a) || 0, Number(b ?? 0) || 0];
}

/**
 * Compare two entry ids.
 *
 * @param a First id.
 * @param b Second id.
 * @returns Negative, 0 or positive.
 */
export function compareIds(a: string, b: string): number {
  const x = parseId(a), y = parseId(b);
  return x[0] !== y[0] ? x[0] - y[0] : x[1] - y[1];
}
