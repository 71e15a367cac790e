/**
 * A pool of Web Workers that decode and render JPEGs in parallel. Work goes to the least busy
 * worker; results come back as transferables. Order is restored by the caller, which awaits the
 * promises in submission order (see `ImageFrameSource`), and memory is bounded by how many
 * renders it keeps in flight (`prefetch`).
 *
 * @module
 */
import { ImageTooLargeError, JpegError, UnsupportedJpegError } from "../decode/types.ts";
import { PngError } from "../decode/png/errors.ts";
import type { Renderer } from "./renderer.ts";
import type { Rendered, RenderOptions } from "./render.ts";
import { RENDER_WORKER_SOURCE } from "./render_worker_bundle.ts";

interface Pending {
  resolve: (r: Rendered) => void;
  reject: (e: unknown) => void;
  worker: number;
}

interface WorkerReply {
  id: number;
  result?: Rendered;
  /** The input bytes, handed back after rendering. */
  input?: Uint8Array;
  error?: { name: string; message: string; stack?: string; jpeg: boolean };
}

function reviveError(e: NonNullable<WorkerReply["error"]>): Error {
  if (e.jpeg) {
    if (e.name === "UnsupportedJpegError") return new UnsupportedJpegError(e.message);
    if (e.name === "ImageTooLargeError") return new ImageTooLargeError(e.message);
    if (e.name === "PngError") return new PngError(e.message);
    return new JpegError(e.message);
  }
  const err = new Error(`render worker failed: ${e.message}`);
  if (e.stack) err.stack = e.stack;
  return err;
}

/** Whether `a` views all of a plain (transferable) ArrayBuffer. */
function spansBuffer(a: Uint8Array): boolean {
  return a.buffer instanceof ArrayBuffer && a.byteOffset === 0 &&
    a.byteLength === a.buffer.byteLength;
}

/** Default worker count: the machine's cores. */
export function defaultWorkerCount(): number {
  return Math.max(1, navigator.hardwareConcurrency ?? 1);
}

let workerUrl: string | undefined;

/**
 * The workers' module: the bundled worker (`src/pipeline/render_worker_bundle.ts`, built by
 * `deno task build:worker` from `render_worker.ts`) behind a blob URL. Loading a blob URL needs no
 * permission, so workers start under the narrowest flags whether framepipe runs from a clone,
 * over https/JSR or as a compiled binary. One URL per process, never revoked.
 */
function renderWorkerUrl(): string {
  return workerUrl ??= URL.createObjectURL(
    new Blob([RENDER_WORKER_SOURCE], { type: "text/javascript" }),
  );
}

/**
 * Whether workers can start here. They need no permissions (they load from a blob URL), only
 * Web Worker support.
 *
 * @returns `ok`, or the reason workers cannot start.
 */
export function workersAvailable(): { ok: true } | { ok: false; reason: string } {
  if (typeof Worker === "undefined") return { ok: false, reason: "no Web Workers here" };
  return { ok: true };
}

/** Renders on `n` Web Workers. */
export class WorkerPoolRenderer implements Renderer {
  #workers: Worker[] = [];
  #busy: number[] = [];
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;
  /**
   * Called with each input buffer a worker hands back after rendering it (its contents are
   * spent), so the caller can read the next file into it.
   */
  onInputReturned?: (bytes: Uint8Array) => void;

  /**
   * @param n Number of workers (at least 1).
   */
  constructor(n: number = defaultWorkerCount()) {
    for (let i = 0; i < Math.max(1, n); i++) {
      const w = new Worker(renderWorkerUrl(), { type: "module" });
      w.onmessage = (e: MessageEvent<WorkerReply>) => this.#reply(e.data);
      w.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        this.#failWorker(i, new Error(`render worker ${i} crashed: ${e.message}`));
      };
      this.#workers.push(w);
      this.#busy.push(0);
    }
  }

  /** Number of workers. */
  get size(): number {
    return this.#workers.length;
  }

  #reply(msg: WorkerReply): void {
    const p = this.#pending.get(msg.id);
    if (!p) return;
    this.#pending.delete(msg.id);
    this.#busy[p.worker]--;
    if (msg.input) this.onInputReturned?.(msg.input);
    if (msg.error) p.reject(reviveError(msg.error));
    else p.resolve(msg.result!);
  }

  #failWorker(i: number, err: Error): void {
    for (const [id, p] of this.#pending) {
      if (p.worker === i) {
        this.#pending.delete(id);
        p.reject(err);
      }
    }
  }

  /**
   * Render one JPEG on the least busy worker. `bytes` is transferred (left detached) when it
   * spans its whole buffer, else copied; `reuse` (a spent payload buffer that spans its whole
   * buffer) is transferred and rendered into when it has the right size.
   *
   * @param bytes JPEG bytes.
   * @param options Render options (structured-cloned).
   * @param reuse Optional spent payload buffer.
   * @returns The rendered payload.
   */
  render(bytes: Uint8Array, options: RenderOptions, reuse?: Uint8Array): Promise<Rendered> {
    if (this.#closed) return Promise.reject(new Error("worker pool is closed"));
    let w = 0;
    for (let i = 1; i < this.#busy.length; i++) if (this.#busy[i] < this.#busy[w]) w = i;
    const id = this.#nextId++;
    this.#busy[w]++;
    const opts = { ...options } as Record<string, unknown>;
    // functions and renderers cannot cross threads
    for (const k of Object.keys(opts)) if (typeof opts[k] === "function") delete opts[k];
    delete opts.renderer;
    delete opts.labels;
    delete opts.stdin;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, worker: w });
      const payload = spansBuffer(bytes) ? bytes : bytes.slice();
      const transfer = [payload.buffer as ArrayBuffer];
      const out = reuse && spansBuffer(reuse) && reuse.buffer !== payload.buffer
        ? reuse
        : undefined;
      if (out) transfer.push(out.buffer as ArrayBuffer);
      this.#workers[w].postMessage({ id, bytes: payload, options: opts, reuse: out }, transfer);
    });
  }

  /** Terminate the workers; pending renders reject. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#workers) w.terminate();
    for (const p of this.#pending.values()) p.reject(new Error("worker pool closed"));
    this.#pending.clear();
  }
}
