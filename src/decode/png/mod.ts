/**
 * framepipe PNG decoding: every colour type and bit depth, Adam7, every filter, to 8-bit
 * pixels as Pillow's `convert("RGB")` gives them (alpha dropped, 16-bit as `v >> 8`).
 *
 * @example
 * ```ts
 * import { decodePng, isPng } from "./mod.ts";
 * const bytes = await Deno.readFile("../shared/png-corpus/good/basn2c08.png");
 * if (isPng(bytes)) console.log(decodePng(bytes).width); // 32
 * ```
 *
 * @module
 */

export { isPng, PNG_SIGNATURE, type PngInfo, readPngInfo } from "./chunks.ts";
export { crc32 } from "./crc.ts";
export { decodePng, type PngDecodeOptions } from "./decode.ts";
export { PngError } from "./errors.ts";
