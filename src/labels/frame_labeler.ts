/**
 * Labels of images by the frame number in their file names, from a frame-indexed label file.
 *
 * @module
 */
import { frameNumber } from "../sources/frame_number.ts";
import type { FrameLabels } from "./frame_table.ts";
import type { Labeler } from "./labels.ts";

/**
 * Looks an image up by its frame number (`169_6300.jpg` -> 6300, `000005.png` -> 5) times
 * `stride`: frames extracted at 1 fps and numbered 0, 1, 2... from 25 fps annotations need
 * stride 25.
 */
export class FrameNumberLabeler implements Labeler {
  /** The frame labels. */
  readonly table: FrameLabels;
  /** Annotation frames per image number. */
  readonly stride: number;

  /**
   * Make the labeler.
   *
   * @param table Frame labels (a phase, tool or CholecT50 file).
   * @param stride Image number N -> annotation frame N * stride. Default 1.
   */
  constructor(table: FrameLabels, stride = 1) {
    this.table = table;
    this.stride = stride;
  }

  /** Class names. */
  get classes(): string[] {
    return this.table.classes;
  }

  /**
   * The labels of an image by the frame number of its name.
   *
   * @param key The image's key.
   * @returns The labels, or `undefined` when the name has no number or the frame no annotation.
   */
  lookup(key: string): number[] | undefined {
    const n = frameNumber(key);
    return n === undefined ? undefined : this.table.at(n * this.stride);
  }
}
