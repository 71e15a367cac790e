/**
 * The zlib stream of a PNG's IDAT chunks, inflated by the runtime's zlib (`node:zlib`
 * `inflateSync`: native code, synchronous). Chosen by measurement over fast-png's pure-JS
 * inflate (fflate) and the asynchronous `DecompressionStream`: see `bench/png_bench.ts`.
 *
 * @module
 */
import { nodeZlib } from "./zlib.ts";
import { PngError } from "./errors.ts";

/**
 * Inflate a zlib stream into at most `expected` bytes (bounded memory: a stream that would
 * inflate to more is refused, not buffered).
 *
 * @param data The zlib stream (2-byte header, deflate data, Adler-32).
 * @param expected The exact inflated size the image needs.
 * @returns The inflated bytes, exactly `expected` long, in a buffer of their own.
 * @throws {PngError} corrupt, truncated, short or oversized data.
 * @example
 * ```ts
 * import { deflateSync } from "node:zlib";
 * import { inflateExact } from "./inflate.ts";
 * inflateExact(new Uint8Array(deflateSync(new Uint8Array(10))), 10).length; // 10
 * ```
 */
export function inflateExact(data: Uint8Array, expected: number): Uint8Array {
  let out: Uint8Array;
  try {
    // One byte of slack tells "more data than the image needs" from "exactly right".
    out = nodeZlib().inflateSync(data, { maxOutputLength: expected + 1 });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === "ERR_BUFFER_TOO_LARGE") {
      throw new PngError(
        `invalid PNG: the image data inflates to more than the ${expected} bytes the header needs (corrupt file: copy or export it again)`,
      );
    }
    const truncated = e.code === "Z_BUF_ERROR";
    throw new PngError(
      `invalid PNG: corrupt image data (zlib: ${e.message ?? String(err)}${
        truncated ? "; truncated file" : ""
      })`,
    );
  }
  if (out.length < expected) {
    throw new PngError(
      `invalid PNG: the image data inflates to ${out.length} bytes, the header needs ${expected} (truncated or corrupt file: copy or export it again)`,
    );
  }
  // A plain Uint8Array view of zlib's Buffer (no copy): hot loops downstream (unfilter,
  // resize) then see one array type, not a Buffer subclass too (polymorphic, slower access).
  return new Uint8Array(out.buffer, out.byteOffset, expected);
}
