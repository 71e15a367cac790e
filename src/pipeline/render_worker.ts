/**
 * Web Worker entry: renders JPEGs sent by {@linkcode WorkerPoolRenderer}. Input bytes arrive and
 * payloads leave as transferables, so nothing is copied across threads.
 *
 * @module
 */
import { JpegError } from "../decode/types.ts";
import { renderJpeg, type RenderOptions } from "./render.ts";

interface Request {
  id: number;
  bytes: Uint8Array;
  options: RenderOptions;
}

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<Request>) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
};

scope.onmessage = (e: MessageEvent<Request>) => {
  const { id, bytes, options } = e.data;
  try {
    const r = renderJpeg(bytes, options);
    scope.postMessage({ id, result: r }, [r.data.buffer as ArrayBuffer]);
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
