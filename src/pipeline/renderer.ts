/**
 * The renderer seam: what turns image bytes into a frame payload, on the calling thread
 * (`images.ts`' inline renderer) or on Web Workers (`worker_pool.ts`).
 *
 * @module
 */
import type { Rendered, RenderOptions } from "./render.ts";

/** Decodes and renders JPEG or PNG bytes, possibly on other threads (see the worker pool). */
export interface Renderer {
  /**
   * Render one JPEG or PNG.
   * @param bytes JPEG or PNG bytes (may be transferred away; do not reuse).
   * @param options Render options.
   * @param reuse A spent payload buffer the renderer may render into (and may transfer away).
   * @returns The payload.
   */
  render(bytes: Uint8Array, options: RenderOptions, reuse?: Uint8Array): Promise<Rendered>;
  /** Release threads. */
  close(): void;
}
