/**
 * Split a byte stream of concatenated JPEGs (MJPEG, `ffmpeg -f image2pipe -c:v mjpeg -`) into
 * one buffer per image, walking the marker structure so `FF D9` inside an embedded Exif
 * thumbnail or the entropy-coded data never cuts an image short.
 *
 * @module
 */

/** Options for {@linkcode splitJpegStream}. */
export interface SplitOptions {
  /** Refuse an image longer than this many bytes (the stream is corrupt). Default 256 MiB. */
  maxBytes?: number;
  /** Called with the number of bytes skipped while looking for the next SOI. */
  onGarbage?: (bytes: number) => void;
}

/** The MJPEG stream could not be split (an image longer than `maxBytes`). */
export class StreamSplitError extends Error {
  /** Exit-code kind: bad data (exit 1). */
  readonly kind = "data";
  /**
   * @param message What went wrong.
   */
  constructor(message: string) {
    super(message);
    this.name = "StreamSplitError";
  }
}

/**
 * Yield each JPEG of a stream of concatenated JPEGs. A trailing partial image (the stream ended
 * mid-image) is yielded too, so the decoder reports it as truncated rather than losing it silently.
 *
 * @param stream The byte stream (e.g. `Deno.stdin.readable`).
 * @param options Limits and a garbage counter.
 * @returns An async generator of JPEG byte buffers (each its own copy).
 * @throws {StreamSplitError} an image longer than `maxBytes`.
 * @example
 * ```ts
 * import { splitJpegStream } from "./mjpeg_split.ts";
 * for await (const jpeg of splitJpegStream(Deno.stdin.readable)) console.log(jpeg.length);
 * ```
 */
export async function* splitJpegStream(
  stream: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  options: SplitOptions = {},
): AsyncGenerator<Uint8Array> {
  const maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  let buf = new Uint8Array(1 << 20);
  let len = 0; // bytes in buf
  let pos = 0; // parse position within the current image
  let inImage = false;
  let inEntropy = false;

  const it = (Symbol.asyncIterator in stream)
    ? (stream as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
    : (stream as ReadableStream<Uint8Array>).values();
  let done = false;

  const append = (chunk: Uint8Array) => {
    if (len + chunk.length > buf.length) {
      const grown = new Uint8Array(Math.max(buf.length * 2, len + chunk.length));
      grown.set(buf.subarray(0, len));
      buf = grown;
    }
    buf.set(chunk, len);
    len += chunk.length;
  };
  const shift = (n: number) => {
    buf.copyWithin(0, n, len);
    len -= n;
    pos -= n;
  };

  while (true) {
    // Parse as far as the buffered bytes allow.
    let emitted: Uint8Array | null = null;
    if (!inImage) {
      // find SOI FF D8
      let i = 0;
      while (i + 1 < len && !(buf[i] === 0xff && buf[i + 1] === 0xd8)) i++;
      const garbage = i + 1 < len ? i : Math.max(0, len - 1);
      if (garbage > 0) {
        options.onGarbage?.(garbage);
        pos = garbage;
        shift(garbage);
        pos = 0;
      }
      if (len >= 2 && buf[0] === 0xff && buf[1] === 0xd8) {
        inImage = true;
        inEntropy = false;
        pos = 2;
      }
    }
    if (inImage) {
      while (pos < len) {
        if (inEntropy) {
          // scan for a marker that ends entropy data: FF followed by not 00, not RSTn, not FF
          const ff = buf.indexOf(0xff, pos);
          if (ff < 0 || ff >= len) {
            pos = len;
            break;
          }
          if (ff + 1 >= len) {
            pos = ff;
            break;
          }
          const m = buf[ff + 1];
          if (m === 0x00 || (m >= 0xd0 && m <= 0xd7) || m === 0xff) {
            pos = m === 0xff ? ff + 1 : ff + 2;
            continue;
          }
          inEntropy = false;
          pos = ff;
          continue;
        }
        // marker parsing
        if (buf[pos] !== 0xff) {
          // not at a marker: be lenient, treat as entropy data
          inEntropy = true;
          continue;
        }
        if (pos + 1 >= len) break;
        const m = buf[pos + 1];
        if (m === 0xff) {
          pos++;
          continue;
        } // fill byte
        if (m === 0xd9) {
          emitted = buf.slice(0, pos + 2);
          shift(pos + 2);
          pos = 0;
          inImage = false;
          break;
        }
        if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
          pos += 2;
          continue;
        }
        if (pos + 3 >= len) break;
        const segLen = (buf[pos + 2] << 8) | buf[pos + 3];
        if (pos + 2 + segLen > len) break; // need more bytes
        pos += 2 + segLen;
        if (m === 0xda) inEntropy = true;
      }
      if (!emitted && inImage && len > maxBytes) {
        throw new StreamSplitError(
          `an image in the MJPEG stream is longer than ${maxBytes} bytes without an end marker; the stream is corrupt`,
        );
      }
    }
    if (emitted) {
      yield emitted;
      continue;
    }
    if (done) {
      if (inImage && len > 0) yield buf.slice(0, len); // truncated last image
      else if (len > 0) options.onGarbage?.(len);
      return;
    }
    const r = await it.next();
    if (r.done) done = true;
    else append(r.value);
  }
}
