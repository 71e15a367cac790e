/**
 * framepipe JPEG decoding: the pure-TypeScript decoder and the shared decoder
 * interface, options and errors.
 *
 * @example
 * ```ts
 * import { decodeJpeg } from "./mod.ts";
 * const img = decodeJpeg(await Deno.readFile("frame.jpg"));
 * ```
 *
 * @module
 */

export * from "./types.ts";
export { decodeJpeg, isJpeg, readJpegInfo, tsDecoder } from "./jpeg.ts";
export { JpegWarningError, MAX_EXTRANEOUS_BYTES } from "./warnings.ts";
export * from "./png/mod.ts";
