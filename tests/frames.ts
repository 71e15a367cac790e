/**
 * One hand-built frame for the tests of seams that take frames (encoders, sinks, the TCP
 * consumer queue, the contact sheet), and one record splitter for tests that edit a stream,
 * instead of a copy in each test file.
 *
 * @module
 */
import { type Frame, readRecordHeader, RECORD_HEADER_SIZE } from "../src/formats/frame.ts";

/**
 * A CHW frame numbered `seq`: by default 2x1 RGB with data `[seq, 1, 2, 3, 4, 5]`, timestamp
 * `1000 + seq`, key `f<seq>` and label `[seq % 2]`; a size gives a zero payload of that size.
 *
 * @param seq Its sequence number (also its position).
 * @param size Width and height of a zero-filled RGB payload instead of the 2x1 default.
 * @returns The frame.
 */
export function testFrame(seq: number, size?: { width: number; height: number }): Frame {
  const width = size?.width ?? 2, height = size?.height ?? 1;
  return {
    width,
    height,
    channels: 3,
    layout: "chw",
    data: size ? new Uint8Array(width * height * 3) : new Uint8Array([seq, 1, 2, 3, 4, 5]),
    seq,
    position: seq,
    timestamp: 1000 + seq,
    key: `f${seq}`,
    labels: [seq % 2],
  };
}

/**
 * Split a frame stream into its records (views into `bytes`), by the lengths in each header.
 *
 * @param bytes A whole stream.
 * @returns One view per record (header, frames, end), in order.
 */
export function recordSpans(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off < bytes.length;) {
    const f = readRecordHeader(bytes.subarray(off));
    const len = RECORD_HEADER_SIZE + f.metaLength + f.payloadLength;
    out.push(bytes.subarray(off, off + len));
    off += len;
  }
  return out;
}
