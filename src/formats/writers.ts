/**
 * Encoders for the three wire formats: `frame`, `raw`, `seed`. An encoder turns a
 * frame into a list of chunks to write in order; the payload is passed through
 * untouched wherever the format allows, so no frame is ever concatenated.
 *
 * @module
 */
import {
  encodeRecordHead,
  FORMAT_VERSION,
  type Frame,
  KIND_END,
  KIND_FRAME,
  KIND_HEADER,
  type StreamHeader,
  type StreamSummary,
} from "./frame.ts";

/** The wire formats framepipe writes. */
export type WireFormat = "frame" | "raw" | "seed";

/** Every supported wire format, for CLI validation. */
export const WIRE_FORMATS: readonly WireFormat[] = ["frame", "raw", "seed"];

/** Producer name written into stream headers. */
export const PRODUCER = "framepipe 0.1.0";

/** Turns stream events into byte chunks of one wire format. */
export interface FormatEncoder {
  /** The format's name. */
  readonly format: WireFormat;
  /** Chunks that open the stream (may be empty). */
  header(h: StreamHeader): Uint8Array[];
  /** Chunks for one frame; the last chunk may be `frame.data` itself. */
  frame(f: Frame): Uint8Array[];
  /** Chunks that close the stream (may be empty). */
  end(s: StreamSummary): Uint8Array[];
}

/** Metadata JSON for a frame record. */
function frameMeta(f: Frame): Record<string, unknown> {
  return { key: f.key, labels: f.labels, ...f.extra };
}

/** Metadata JSON for a header record. */
function headerMeta(h: StreamHeader): Record<string, unknown> {
  return {
    format: "framepipe",
    version: FORMAT_VERSION,
    producer: PRODUCER,
    source: h.source,
    classes: h.classes,
    layout: h.layout,
    dtype: "uint8",
    width: h.width,
    height: h.height,
    channels: h.channels,
    ...h.extra,
  };
}

/** The self-describing `frame` format (docs/FORMAT.md). */
export class FrameFormatEncoder implements FormatEncoder {
  /** Always `frame`. */
  readonly format = "frame" as const;

  /** @inheritdoc */
  header(h: StreamHeader): Uint8Array[] {
    return [
      encodeRecordHead({
        kind: KIND_HEADER,
        layout: h.layout,
        channels: h.channels,
        width: h.width,
        height: h.height,
        seq: 0,
        position: -1,
        timestamp: Date.now(),
        payloadLength: 0,
      }, headerMeta(h)),
    ];
  }

  /** @inheritdoc */
  frame(f: Frame): Uint8Array[] {
    const head = encodeRecordHead({
      kind: KIND_FRAME,
      layout: f.layout,
      channels: f.channels,
      width: f.width,
      height: f.height,
      seq: f.seq,
      position: f.position,
      timestamp: f.timestamp,
      payloadLength: f.data.length,
    }, frameMeta(f));
    return [head, f.data];
  }

  /** @inheritdoc */
  end(s: StreamSummary): Uint8Array[] {
    return [
      encodeRecordHead({
        kind: KIND_END,
        layout: "chw",
        channels: 0,
        width: 0,
        height: 0,
        seq: s.frames,
        position: -1,
        timestamp: Date.now(),
        payloadLength: 0,
      }, s),
    ];
  }
}

/** `raw`: payload bytes only. */
export class RawFormatEncoder implements FormatEncoder {
  /** Always `raw`. */
  readonly format = "raw" as const;
  /** @inheritdoc */
  header(_h: StreamHeader): Uint8Array[] {
    return [];
  }
  /** @inheritdoc */
  frame(f: Frame): Uint8Array[] {
    return [f.data];
  }
  /** @inheritdoc */
  end(_s: StreamSummary): Uint8Array[] {
    return [];
  }
}

/** Tag written by `seed` for a frame without labels. */
export const SEED_NO_LABEL = 0xffff;

/**
 * The original project's format: u16 tag, u32 count, then each byte as u16 LE.
 * Each frame gets its own buffer, since queueing sinks (TCP fan-out) may still hold
 * the previous one.
 */
export class SeedFormatEncoder implements FormatEncoder {
  /** Always `seed`. */
  readonly format = "seed" as const;

  /** @inheritdoc */
  header(_h: StreamHeader): Uint8Array[] {
    return [];
  }

  /** @inheritdoc */
  frame(f: Frame): Uint8Array[] {
    const n = f.data.length;
    if (n > 0xffffffff) throw new RangeError(`frame too large for the seed format (${n} values)`);
    const out = new Uint8Array(6 + 2 * n);
    const tag = f.labels.length > 0 ? f.labels[0] : SEED_NO_LABEL;
    if (!Number.isInteger(tag) || tag < 0 || tag > 0xffff) {
      throw new RangeError(`label ${tag} of ${f.key} does not fit the seed format's u16 tag`);
    }
    out[0] = tag & 0xff;
    out[1] = tag >>> 8;
    out[2] = n & 0xff;
    out[3] = (n >>> 8) & 0xff;
    out[4] = (n >>> 16) & 0xff;
    out[5] = (n >>> 24) & 0xff;
    const src = f.data;
    for (let i = 0, o = 6; i < n; i++, o += 2) out[o] = src[i]; // high bytes stay 0
    return [out];
  }

  /** @inheritdoc */
  end(_s: StreamSummary): Uint8Array[] {
    return [];
  }
}

/**
 * Make an encoder for a wire format.
 *
 * @param format `frame`, `raw` or `seed`.
 * @returns A fresh encoder.
 * @example
 * ```ts
 * import { createEncoder } from "./writers.ts";
 * const enc = createEncoder("raw");
 * ```
 */
export function createEncoder(format: WireFormat): FormatEncoder {
  switch (format) {
    case "frame":
      return new FrameFormatEncoder();
    case "raw":
      return new RawFormatEncoder();
    case "seed":
      return new SeedFormatEncoder();
  }
}
