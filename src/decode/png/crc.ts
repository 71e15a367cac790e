/**
 * CRC-32 as PNG chunks use it (ISO 3309 / ITU-T V.42, polynomial 0xEDB88320), computed by the
 * runtime's zlib (`node:zlib` `crc32`, native code, loaded on first use).
 *
 * @module
 */
import { nodeZlib } from "./zlib.ts";

/**
 * CRC-32 of bytes, as PNG chunks use it.
 *
 * @param bytes The data.
 * @param crc A running CRC to continue (default: start fresh).
 * @returns The CRC as an unsigned 32-bit integer.
 * @example
 * ```ts
 * import { crc32 } from "./crc.ts";
 * crc32(new TextEncoder().encode("IEND")); // 0xae426082
 * ```
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  return nodeZlib().crc32(bytes, crc) >>> 0;
}
