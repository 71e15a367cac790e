/**
 * One hand-built frame for the tests of seams that take frames (encoders, sinks, the TCP
 * consumer queue, the contact sheet), instead of a copy of the literal in each test file.
 *
 * @module
 */
import type { Frame } from "../src/formats/frame.ts";

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
