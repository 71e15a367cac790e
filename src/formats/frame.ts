/**
 * The in-memory frame and the `frame` wire format (see docs/FORMAT.md).
 *
 * @module
 */

/** Pixel layout of a frame payload. */
export type Layout = "chw" | "hwc";

/** One decoded, resized frame with its metadata. */
export interface Frame {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** 3 for RGB, 1 for grey. */
  channels: 1 | 3;
  /** `chw`: index `c*H*W + y*W + x`; `hwc`: index `(y*W + x)*C + c`. */
  layout: Layout;
  /** `channels * width * height` bytes. */
  data: Uint8Array;
  /** 0-based write order in this stream (set by the writer when absent). */
  seq: number;
  /** Index of the item in the source listing (for resuming with `--start`); -1 if none. */
  position: number;
  /** Milliseconds since the Unix epoch when the frame was decoded or captured. */
  timestamp: number;
  /** Where the frame came from: a path relative to the source root, or a capture URL. */
  key: string;
  /** Labels for the frame (may be empty). */
  labels: number[];
  /** Extra metadata written into the record (e.g. `epoch`, `gap`, `reconnects`). */
  extra?: Record<string, unknown>;
}

/** Metadata of the stream header record. */
export interface StreamHeader {
  /** What the stream reads, e.g. `images ./frames`. */
  source: string;
  /** Class names: label `i` is `classes[i]`. */
  classes: string[];
  /** Layout of every frame. */
  layout: Layout;
  /** Fixed output size when known, else 0. */
  width: number;
  /** Fixed output size when known, else 0. */
  height: number;
  /** Channels of every frame. */
  channels: 1 | 3;
  /** Anything else worth telling the consumer. */
  extra?: Record<string, unknown>;
}

/** Counts carried by the end-of-stream record. */
export interface StreamSummary {
  /** Frames written. */
  frames: number;
  /** Inputs skipped (not a JPEG, or a decode error with `--on-error skip`). */
  skipped: number;
  /** Decode or read errors among the skipped. */
  errors: number;
  /** Frames dropped (live capture `--latest`, slow consumers). */
  dropped: number;
  /** Reconnects of a live source. */
  reconnects: number;
  /** Wall-clock seconds from start to end. */
  elapsed_s: number;
  /** Why the stream ended. */
  reason: "end" | "limit" | "signal" | "error" | "consumer-gone";
  /** Anything else (latency stats, per-consumer counts). */
  [key: string]: unknown;
}

/** Magic bytes at the start of every `frame` record. */
export const MAGIC = new Uint8Array([0x46, 0x50, 0x49, 0x50]); // "FPIP"
/** Current wire-format version. */
export const FORMAT_VERSION = 1;
/** Size of the fixed part of every record. */
export const RECORD_HEADER_SIZE = 56;
/** Record kinds. */
export const KIND_HEADER = 0x48; // 'H'
/** Frame record kind. */
export const KIND_FRAME = 0x46; // 'F'
/** End-of-stream record kind. */
export const KIND_END = 0x45; // 'E'

const encoder = new TextEncoder();

/** Fields of the fixed 56-byte record header. */
export interface RecordFields {
  /** `KIND_HEADER`, `KIND_FRAME` or `KIND_END`. */
  kind: number;
  /** Layout code. */
  layout: Layout;
  /** Channels. */
  channels: number;
  /** Width. */
  width: number;
  /** Height. */
  height: number;
  /** Metadata length in bytes. */
  metaLength: number;
  /** Sequence number. */
  seq: number;
  /** Position, -1 if none. */
  position: number;
  /** Timestamp (ms since epoch). */
  timestamp: number;
  /** Payload length in bytes. */
  payloadLength: number;
}

/**
 * Write the fixed 56-byte record header into `out` (at offset 0).
 *
 * @param out At least 56 bytes.
 * @param f The fields.
 */
export function writeRecordHeader(out: Uint8Array, f: RecordFields): void {
  const v = new DataView(out.buffer, out.byteOffset, RECORD_HEADER_SIZE);
  out.set(MAGIC, 0);
  v.setUint8(4, f.kind);
  v.setUint8(5, FORMAT_VERSION);
  v.setUint8(6, 0); // dtype uint8
  v.setUint8(7, f.layout === "chw" ? 0 : 1);
  v.setUint32(8, f.channels, true);
  v.setUint32(12, f.width, true);
  v.setUint32(16, f.height, true);
  v.setUint32(20, f.metaLength, true);
  v.setBigUint64(24, BigInt(f.seq), true);
  v.setBigInt64(32, BigInt(f.position), true);
  v.setFloat64(40, f.timestamp, true);
  v.setBigUint64(48, BigInt(f.payloadLength), true);
}

/**
 * Parse the fixed 56-byte record header.
 *
 * @param bytes At least 56 bytes starting at a record boundary.
 * @returns The fields.
 * @throws {RangeError} when the magic or version is wrong.
 */
export function readRecordHeader(bytes: Uint8Array): RecordFields {
  if (bytes.length < RECORD_HEADER_SIZE) {
    throw new RangeError(`record header needs ${RECORD_HEADER_SIZE} bytes, got ${bytes.length}`);
  }
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== MAGIC[i]) throw new RangeError("not a framepipe record (bad magic)");
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, RECORD_HEADER_SIZE);
  if (v.getUint8(5) !== FORMAT_VERSION) {
    throw new RangeError(`unsupported framepipe format version ${v.getUint8(5)}`);
  }
  return {
    kind: v.getUint8(4),
    layout: v.getUint8(7) === 0 ? "chw" : "hwc",
    channels: v.getUint32(8, true),
    width: v.getUint32(12, true),
    height: v.getUint32(16, true),
    metaLength: v.getUint32(20, true),
    seq: Number(v.getBigUint64(24, true)),
    position: Number(v.getBigInt64(32, true)),
    timestamp: v.getFloat64(40, true),
    payloadLength: Number(v.getBigUint64(48, true)),
  };
}

/**
 * Build one record (fixed header + metadata) as a single small buffer; the payload is
 * written separately so it is never copied.
 *
 * @param fields Fixed fields; `metaLength` is filled in.
 * @param meta JSON-serialisable metadata.
 * @returns The header and metadata bytes.
 */
export function encodeRecordHead(
  fields: Omit<RecordFields, "metaLength">,
  meta: unknown,
): Uint8Array {
  const json = encoder.encode(JSON.stringify(meta));
  const out = new Uint8Array(RECORD_HEADER_SIZE + json.length);
  writeRecordHeader(out, { ...fields, metaLength: json.length });
  out.set(json, RECORD_HEADER_SIZE);
  return out;
}
