/**
 * Sequence checking for readers of a frame stream: holes in `seq` (frames that never arrived),
 * repeats (a frame sent again, e.g. republished after a Redis reset), and the `gap` counts the
 * producer announced itself (`--slow drop`, a camera's lost frames).
 *
 * @module
 */

/** What a reader saw of the sequence numbers. */
export interface SeqCounts {
  /** Frames seen. */
  frames: number;
  /** Places where `seq` jumped forward by more than one. */
  holes: number;
  /** Frames missing in those holes. */
  missing: number;
  /** Frames whose `seq` was not above the previous one (sent again). */
  repeated: number;
  /** Sum of the `gap` metadata (frames the producer said were lost before a frame). */
  announced: number;
}

/**
 * Tracks `seq` over a stream; `header()` starts a new producer session (seq restarts).
 *
 * @example
 * ```ts
 * import { SeqCheck } from "./seq.ts";
 * const s = new SeqCheck();
 * for (const seq of [0, 1, 4, 5]) s.frame(seq);
 * s.counts; // { frames: 4, holes: 1, missing: 2, repeated: 0, announced: 0 }
 * ```
 */
export class SeqCheck {
  /** The counts so far. */
  readonly counts: SeqCounts = { frames: 0, holes: 0, missing: 0, repeated: 0, announced: 0 };
  #last = -1;

  /** A stream header: the next frame may start a new sequence. */
  header(): void {
    this.#last = -1;
  }

  /**
   * Count one frame.
   *
   * @param seq Its sequence number.
   * @param gap Its `gap` metadata, if any.
   * @returns Frames missing right before it (0 when it follows the previous one).
   */
  frame(seq: number, gap?: unknown): number {
    const c = this.counts;
    c.frames++;
    const g = Number(gap ?? 0);
    if (Number.isFinite(g) && g > 0) c.announced += g;
    const last = this.#last;
    let hole = 0;
    if (last >= 0 && seq > last + 1) {
      hole = seq - last - 1;
      c.holes++;
      c.missing += hole;
    } else if (last >= 0 && seq <= last) {
      c.repeated++;
    }
    this.#last = Math.max(last, seq);
    return hole;
  }
}
