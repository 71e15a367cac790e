/**
 * Labels for a list of input files: a label file (format detected by content), a per-video
 * template (`labels/{video}.json`), `dirs`, or a ready labeler — one place for `images`, the
 * decode helper and anything else that labels files.
 *
 * @module
 */
import type { OptionHint } from "../util/hint.ts";
import path from "node:path";
import type { InputFile } from "../sources/list.ts";
import type { CholecT50Field } from "./cholect50.ts";
import { LabelError } from "./errors.ts";
import { FrameNumberLabeler } from "./frame_labeler.ts";
import { DirLabeler, type Labeler, MapLabeler } from "./labels.ts";
import { loadLabels, videoOf } from "./load.ts";
import { isPerVideoTemplate, type MissingLabelMode, openPerVideoLabels } from "./per_video.ts";

/** Options for {@linkcode resolveLabels}. */
export interface ResolveLabelsOptions {
  /** Image number N -> annotation frame N * stride (Cholec80/CholecT50 files). Default 1. */
  stride?: number;
  /** CholecT50 field (default `phase`). */
  field?: CholecT50Field;
  /** With a per-video template, an image whose video has no label file. Default `error`. */
  onMissing?: MissingLabelMode;
  /**
   * Told of a likely mistake that does not stop the run: one frame-numbered label file over
   * several video folders (every video gets the same labels). `hints`: the options it points at.
   */
  onWarning?: (message: string, hints?: readonly OptionHint[]) => void;
}

/** The labeler and the files left to read. */
export interface ResolvedLabels {
  /** The labeler (`undefined` without labels). */
  labeler?: Labeler;
  /** The files, without those left out by `onMissing: "skip"`. */
  files: InputFile[];
  /** Images whose video had no label file (left out or unlabelled, per `onMissing`). */
  noLabelFile: number;
}

/**
 * Resolve `--labels` for a list of files.
 *
 * @param spec A label file, a `{video}` template, `dirs`, a labeler, or `undefined`.
 * @param files The input files.
 * @param options Stride, field, missing-file mode, warnings.
 * @returns The labeler and the files to read.
 * @throws {LabelError} malformed label files, a video without its file (`onMissing: "error"`),
 *   or a stride/field with `dirs`.
 * @throws {import("../sources/errors.ts").SourceError} a missing label file or permission.
 * @example
 * ```ts
 * import { resolveLabels } from "./resolve.ts";
 * import { listInputs } from "../sources/list.ts";
 * const files = await listInputs(["fixtures/cholec80/frames"]);
 * const { labeler } = await resolveLabels(
 *   "fixtures/cholec80/phase_annotations/{video}-phase.txt",
 *   files,
 *   { stride: 25 },
 * );
 * ```
 */
export async function resolveLabels(
  spec: string | Labeler | undefined,
  files: InputFile[],
  options: ResolveLabelsOptions = {},
): Promise<ResolvedLabels> {
  const fileOptions = { stride: options.stride, field: options.field };
  if (spec === undefined || typeof spec !== "string") {
    return { labeler: spec, files, noLabelFile: 0 };
  }
  if (spec === "dirs") {
    if (options.stride !== undefined || options.field !== undefined) {
      throw new LabelError(
        "a label stride or field applies to label files; labels from folders (dirs) take the " +
          "class from each file's folder",
        { hints: [{ option: "labelStride" }, { option: "labelField" }] },
      );
    }
    return { labeler: new DirLabeler(files.map((f) => f.dir)), files, noLabelFile: 0 };
  }
  if (isPerVideoTemplate(spec)) {
    const per = await openPerVideoLabels(spec, files.map((f) => f.path), {
      ...fileOptions,
      onMissing: options.onMissing,
    });
    let noLabelFile = 0;
    for (const n of per.missing.values()) noLabelFile += n;
    const kept = options.onMissing === "skip" && per.missing.size > 0
      ? files.filter((f) => !per.missing.has(videoOf(f.path)))
      : files;
    return { labeler: per.labeler, files: kept, noLabelFile };
  }
  const labeler = await loadLabels(spec, fileOptions);
  warnSharedFrameLabels(spec, labeler, files, options);
  return { labeler, files, noLabelFile: 0 };
}

/** One frame-numbered label file over several video folders gives every video the same labels. */
function warnSharedFrameLabels(
  file: string,
  labeler: Labeler,
  files: InputFile[],
  options: ResolveLabelsOptions,
): void {
  const byFrame = labeler instanceof FrameNumberLabeler ||
    (labeler instanceof MapLabeler && labeler.byFrameNumber);
  if (!byFrame || !options.onWarning) return;
  const videos = new Set(files.map((f) => videoOf(f.path)));
  if (videos.size < 2) return;
  const names = [...videos].slice(0, 2).join(", ") + (videos.size > 2 ? ", ..." : "");
  options.onWarning(
    `${file} labels frames by number and the inputs span ${videos.size} folders (${names}): ` +
      `every video gets the same labels; for one label file per video name it with {video}`,
    [{ option: "labels", value: `'labels/{video}${path.extname(file)}'` }],
  );
}
