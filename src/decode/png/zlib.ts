/**
 * The runtime's `node:zlib`, loaded on first use: a static import of it starts Deno's Node
 * compatibility layer and zlib in every thread that loads the decoders (about 45 ms of CPU per
 * worker), while most runs decode no PNG at all. `process.getBuiltinModule` loads it
 * synchronously, so the PNG decoder stays synchronous; it needs no permission.
 *
 * @module
 */
import type * as Zlib from "node:zlib";

/** What the PNG decoder uses of `node:zlib` (`crc32` is missing from older type definitions). */
export type NodeZlib = typeof Zlib & { crc32(data: Uint8Array, value?: number): number };

let zlib: NodeZlib | undefined;

/**
 * `node:zlib`, loaded the first time it is asked for.
 *
 * @returns The module.
 * @example
 * ```ts
 * import { nodeZlib } from "./zlib.ts";
 * nodeZlib().crc32(new TextEncoder().encode("IEND")); // 0xae426082
 * ```
 */
export function nodeZlib(): NodeZlib {
  return zlib ??= (globalThis as unknown as {
    process: { getBuiltinModule(id: string): unknown };
  }).process.getBuiltinModule("node:zlib") as NodeZlib;
}
