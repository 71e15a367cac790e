/**
 * Per-video label files: `labels/{video}.json` names one file per video folder, so each video's
 * frame numbers look up its own file and never another video's.
 *
 * @module
 */
import { SourceError } from "../sources/errors.ts";
import { LabelError } from "./errors.ts";
import type { Labeler } from "./labels.ts";
import { type LabelOptions, loadLabels, VIDEO_PLACEHOLDER, videoOf } from "./load.ts";

/** What to do with an image whose video has no label file. */
export type MissingLabelMode = "error" | "skip" | "none";

/** Options for {@linkcode openPerVideoLabels}. */
export interface PerVideoOptions extends LabelOptions {
  /**
   * `error` (default): refuse to start. `skip`: leave those images out. `none`: stream them
   * without labels.
   */
  onMissing?: MissingLabelMode;
}

/** Per-video labels and the videos that had no label file. */
export interface PerVideoLabels {
  /** The labeler (looks up each image in its own video's file). */
  labeler: PerVideoLabeler;
  /** Videos without a label file -> how many images they hold. */
  missing: Map<string, number>;
}

/**
 * Whether a `--labels` value is a per-video template.
 *
 * @param spec The value.
 * @returns True when it contains `{video}`.
 */
export function isPerVideoTemplate(spec: string): boolean {
  return spec.includes(VIDEO_PLACEHOLDER);
}

/** Labels each image from its own video's label file. */
export class PerVideoLabeler implements Labeler {
  /** Class names (the same in every video's file). */
  readonly classes: string[];
  #byVideo: Map<string, Labeler>;

  /**
   * Make the labeler (use {@linkcode openPerVideoLabels}).
   *
   * @param byVideo Video name -> that video's labeler.
   * @param classes Shared class names.
   */
  constructor(byVideo: Map<string, Labeler>, classes: string[]) {
    this.#byVideo = byVideo;
    this.classes = classes;
  }

  /**
   * Labels of an image in its own video's file.
   *
   * @param key The image's key.
   * @param dir Its folder relative to its root.
   * @param path The path it was opened by (its parent folder names the video).
   * @returns The labels, or `undefined` when its video has no file or the frame no label.
   */
  lookup(key: string, dir: string, path?: string): number[] | undefined {
    return this.#byVideo.get(videoOf(path ?? key))?.lookup(key, dir, path);
  }
}

/**
 * Load the label file of every video the images belong to (`{video}` = the image's parent
 * folder name).
 *
 * @param template A path containing `{video}`, e.g. `labels/{video}.json`.
 * @param images The images' paths.
 * @param options Stride, CholecT50 field, and what to do for videos without a file.
 * @returns The labeler and the videos without a file.
 * @throws {LabelError} a video without a label file (with `onMissing: "error"`), label files
 *   with different classes, or malformed content.
 * @example
 * ```ts
 * import { openPerVideoLabels } from "./per_video.ts";
 * const { labeler } = await openPerVideoLabels("fixtures/cholect50/labels/{video}.json", [
 *   "fixtures/cholect50/videos/VID01/000000.png",
 * ]);
 * ```
 */
export async function openPerVideoLabels(
  template: string,
  images: Iterable<string>,
  options: PerVideoOptions = {},
): Promise<PerVideoLabels> {
  const counts = new Map<string, number>();
  for (const p of images) {
    const v = videoOf(p);
    if (v === "") {
      throw new LabelError(
        `"${p}" is in no video folder; ${template} needs each image inside its video's folder`,
      );
    }
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const byVideo = new Map<string, Labeler>();
  const missing = new Map<string, number>();
  let classes: string[] | undefined, classesFrom = "";
  for (const [video, n] of counts) {
    const file = template.replaceAll(VIDEO_PLACEHOLDER, video);
    let labeler: Labeler;
    try {
      labeler = await loadLabels(file, options);
    } catch (err) {
      if (!(err instanceof SourceError && err.cause instanceof Deno.errors.NotFound)) throw err;
      if ((options.onMissing ?? "error") === "error") {
        throw new LabelError(
          `no label file "${file}" for video ${video} (${n} image${n === 1 ? "" : "s"}); ` +
            `add it, or skip such videos' images or pass them without labels`,
          { hints: [{ option: "onMissingLabel", value: "skip|none" }] },
        );
      }
      missing.set(video, n);
      continue;
    }
    if (classes === undefined) {
      classes = labeler.classes;
      classesFrom = file;
    } else if (classes.join("\n") !== labeler.classes.join("\n")) {
      throw new LabelError(
        `${file}: its classes differ from ${classesFrom}'s; every video's label file must name ` +
          `the same classes in the same order`,
      );
    }
    byVideo.set(video, labeler);
  }
  return { labeler: new PerVideoLabeler(byVideo, classes ?? []), missing };
}
