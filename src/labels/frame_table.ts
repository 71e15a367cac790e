/**
 * Labels indexed by annotation frame number (Cholec80 phase and tool files, CholecT50 JSON).
 *
 * @module
 */

/** Labels of annotation frames, e.g. one row per 25 fps frame or one row per second. */
export interface FrameLabels {
  /** Class names (label `i` is `classes[i]`). */
  readonly classes: string[];
  /** The file the labels came from, for messages. */
  readonly source: string;
  /**
   * The labels of an annotation frame.
   * @param frame The frame number at the annotation's rate.
   * @returns The labels, or `undefined` when the frame has no annotation.
   */
  at(frame: number): number[] | undefined;
}

/** Options for {@linkcode FrameTable}. */
export interface FrameTableOptions {
  /**
   * `hold` (default): a frame between rows takes the row at or before it, up to the rows' spacing
   * past the last row (tool rows every 25 frames). `exact`: only frames with a row are labelled.
   */
  lookup?: "hold" | "exact";
}

/** Rows of (frame number, labels), sorted by frame. */
export class FrameTable implements FrameLabels {
  /** Class names. */
  readonly classes: string[];
  /** The label file. */
  readonly source: string;
  /** Rows' spacing in frames (the smallest gap between rows; 1 for a single row). */
  readonly step: number;
  #frames: Float64Array;
  #labels: number[][];
  #exact: boolean;

  /**
   * Make a table.
   *
   * @param rows Frame number -> labels (any order; frame numbers unique).
   * @param meta Class names, the file's name and the lookup rule.
   */
  constructor(
    rows: Map<number, number[]>,
    meta: { classes: string[]; source: string } & FrameTableOptions,
  ) {
    this.classes = meta.classes;
    this.source = meta.source;
    this.#exact = meta.lookup === "exact";
    const frames = Float64Array.from(rows.keys());
    let sorted = true;
    for (let i = 1; i < frames.length && sorted; i++) sorted = frames[i - 1] < frames[i];
    if (!sorted) frames.sort();
    this.#frames = frames;
    // Rows share their label arrays (a phase file has 7 distinct ones over ~50,000 rows, mostly
    // the same as the row before).
    const shared = new Map<string, number[]>();
    let prev: number[] = [];
    this.#labels = Array.from(frames, (f) => {
      const v = rows.get(f)!;
      if (v.length === prev.length && v.every((x, i) => x === prev[i])) return prev;
      const k = v.join(",");
      prev = shared.get(k) ?? v;
      shared.set(k, prev);
      return prev;
    });
    let step = Infinity;
    for (let i = 1; i < frames.length; i++) step = Math.min(step, frames[i] - frames[i - 1]);
    this.step = Number.isFinite(step) ? step : 1;
  }

  /** Number of rows. */
  get size(): number {
    return this.#frames.length;
  }

  /**
   * The labels of an annotation frame (see {@linkcode FrameTableOptions.lookup}).
   *
   * @param frame The frame number at the annotation's rate.
   * @returns The labels, or `undefined` when no row covers the frame.
   */
  at(frame: number): number[] | undefined {
    const f = this.#frames;
    let lo = 0, hi = f.length - 1, found = -1;
    while (lo <= hi) { // the last row at or before `frame`
      const mid = (lo + hi) >> 1;
      if (f[mid] <= frame) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return undefined;
    const gap = frame - f[found];
    if (this.#exact ? gap !== 0 : gap >= this.step) return undefined;
    return this.#labels[found];
  }
}
