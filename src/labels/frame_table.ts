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

/**
 * Rows of (frame number, labels), kept as runs: consecutive rows one `step` apart with the same
 * labels are one run (a Cholec80 phase file's ~50,000 rows are about 7 runs).
 */
export class FrameTable implements FrameLabels {
  /** Class names. */
  readonly classes: string[];
  /** The label file. */
  readonly source: string;
  /** Rows' spacing in frames (the smallest gap between rows; 1 for a single row). */
  readonly step: number;
  /** Number of rows. */
  readonly size: number;
  #start: Float64Array;
  #end: Float64Array;
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
    this.size = frames.length;
    let step = Infinity;
    for (let i = 1; i < frames.length; i++) step = Math.min(step, frames[i] - frames[i - 1]);
    this.step = Number.isFinite(step) ? step : 1;
    const starts: number[] = [], ends: number[] = [], labels: number[][] = [];
    for (const f of frames) {
      const v = rows.get(f)!, last = labels.length - 1;
      if (last >= 0 && f === ends[last] + this.step && sameLabels(v, labels[last])) ends[last] = f;
      else {
        starts.push(f);
        ends.push(f);
        labels.push(v);
      }
    }
    this.#start = Float64Array.from(starts);
    this.#end = Float64Array.from(ends);
    this.#labels = labels;
  }

  /** Number of runs (rows merged while their labels stay the same). */
  get runs(): number {
    return this.#labels.length;
  }

  /**
   * The labels of an annotation frame (see {@linkcode FrameTableOptions.lookup}).
   *
   * @param frame The frame number at the annotation's rate.
   * @returns The labels, or `undefined` when no row covers the frame.
   */
  at(frame: number): number[] | undefined {
    const s = this.#start;
    let lo = 0, hi = s.length - 1, found = -1;
    while (lo <= hi) { // the last run starting at or before `frame`
      const mid = (lo + hi) >> 1;
      if (s[mid] <= frame) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return undefined;
    const end = this.#end[found];
    if (this.#exact) {
      if (frame > end || (frame - s[found]) % this.step !== 0) return undefined;
    } else if (frame - end >= this.step) return undefined;
    return this.#labels[found];
  }
}

function sameLabels(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
