/**
 * Web Worker entry: renders JPEGs and PNGs sent by {@linkcode WorkerPoolRenderer}. Input bytes
 * arrive and payloads leave as transferables, so nothing is copied across threads; the spent input
 * buffer is transferred back with the payload (the caller may recycle it), and the caller may send
 * a spent payload buffer to render into, so this isolate holds no garbage between frames.
 *
 * @module
 */
import { JpegError } from "../decode/types.ts";
import { renderImage, type RenderOptions } from "./render.ts";

interface Request {
  id: number;
  bytes: Uint8Array;
  options: RenderOptions;
  /** A spent payload buffer to render into (recycled by the caller), when it fits. */
  reuse?: Uint8Array;
}

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<Request>) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
};

scope.onmessage = (e: MessageEvent<Request>) => {
  const { id, bytes, options, reuse } = e.data;
  try {
    const r = renderImage(bytes, options, reuse);
    // The input goes back too: left here, spent inputs would pile up in this isolate until
    // its external-memory GC trigger (~64 MB per worker).
    const transfer = [r.data.buffer as ArrayBuffer];
    if (bytes.buffer !== r.data.buffer) transfer.push(bytes.buffer as ArrayBuffer);
    scope.postMessage({ id, result: r, input: bytes }, transfer);
  } catch (err) {
    const known = err instanceof JpegError;
    scope.postMessage({
      id,
      error: {
        name: (err as Error)?.name ?? "Error",
        message: (err as Error)?.message ?? String(err),
        stack: known ? undefined : (err as Error)?.stack,
        jpeg: known,
      },
    });
  }
};
