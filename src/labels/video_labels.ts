/**
 * Labels for frames decoded from a video: each frame's source frame number comes from its
 * presentation timestamp and the annotation rate (25 fps for Cholec80).
 *
 * @module
 */
import type { Frame } from "../formats/frame.ts";
import type { FrameLabels } from "./frame_table.ts";

/** Cholec80's annotation rate (frames per second). */
export const DEFAULT_LABEL_FPS = 25;

/** Options for {@linkcode VideoLabeler}. */
export interface VideoLabelOptions {
  /** The rate frames come out at (`--fps`; ffmpeg's fps filter makes their timestamps exact). */
  fps: number;
  /** The annotation rate. Default {@linkcode DEFAULT_LABEL_FPS}. */
  labelFps?: number;
  /** Seconds into the video of the first frame (`--start-time`). Default 0. */
  startTime?: number;
}

/** Attaches labels to the frames of one video, in order, and counts the frames without one. */
export class VideoLabeler {
  /** The frame labels. */
  readonly table: FrameLabels;
  /** Frames labelled so far. */
  labelled = 0;
  /** Frames whose source frame had no annotation. */
  unlabelled = 0;
  #fps: number;
  #labelFps: number;
  #start: number;
  #index = 0;

  /**
   * Label the frames of one video.
   *
   * @param table The video's frame labels.
   * @param options Output rate, annotation rate, start time.
   */
  constructor(table: FrameLabels, options: VideoLabelOptions) {
    this.table = table;
    this.#fps = options.fps;
    this.#labelFps = options.labelFps ?? DEFAULT_LABEL_FPS;
    this.#start = options.startTime ?? 0;
  }

  /**
   * The source frame number of the `index`-th output frame: its presentation time
   * (`startTime + index / fps`) at the annotation rate, rounded to the nearest frame.
   *
   * @param index 0-based output frame index.
   * @returns The annotation frame number.
   * @example
   * ```ts
   * import { VideoLabeler } from "./video_labels.ts";
   * import { FrameTable } from "./frame_table.ts";
   * const t = new FrameTable(new Map([[0, [0]]]), { classes: ["a"], source: "x" });
   * new VideoLabeler(t, { fps: 1 }).sourceFrame(3); // 75
   * ```
   */
  sourceFrame(index: number): number {
    return Math.round((this.#start + index / this.#fps) * this.#labelFps);
  }

  /**
   * Set a frame's labels. Its output index is `extra.capture_seq` (the frames ffmpeg wrote,
   * counting any framepipe dropped later), else the count of frames labelled before it.
   *
   * @param frame The frame (its `labels` are replaced; `extra.source_frame` is set).
   * @returns The same frame.
   */
  label(frame: Frame): Frame {
    const seq = frame.extra?.capture_seq;
    const index = typeof seq === "number" ? seq : this.#index;
    this.#index = index + 1;
    const n = this.sourceFrame(index);
    const labels = this.table.at(n);
    if (labels === undefined) this.unlabelled++;
    else this.labelled++;
    frame.labels = labels ?? [];
    frame.extra = { ...frame.extra, source_frame: n };
    return frame;
  }

  /**
   * Label every frame of a stream.
   *
   * @param frames The video's frames, in order.
   * @returns The same frames with labels.
   */
  async *labelAll(frames: AsyncIterable<Frame>): AsyncGenerator<Frame> {
    for await (const f of frames) yield this.label(f);
  }
}
