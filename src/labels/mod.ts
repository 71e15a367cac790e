/**
 * Labels that travel with each frame: JSON key maps, CSV, class folders, Cholec80 phase and tool
 * files, CholecT50 JSON (detected by content), per-video label files, and labels for frames
 * decoded from a video.
 *
 * @example Phase labels of 1 fps frames from a Cholec80 phase file
 * ```ts
 * import { loadLabels } from "./mod.ts";
 * const labels = await loadLabels("fixtures/cholec80/phase_annotations/video01-phase.txt", {
 *   stride: 25,
 * });
 * labels.lookup("video01_000002.jpg", ""); // [1]: frame 50 is CalotTriangleDissection
 * ```
 *
 * @module
 */
export {
  candidateKeys,
  DirLabeler,
  type Labeler,
  loadLabelFile,
  MapLabeler,
  parseCsvLabels,
  parseJsonLabels,
} from "./labels.ts";
export { LabelError } from "./errors.ts";
export { type FrameLabels, FrameTable, type FrameTableOptions } from "./frame_table.ts";
export { CHOLEC80_PHASES, isCholec80Phase, parseCholec80Phase } from "./cholec80_phase.ts";
export { CHOLEC80_TOOLS, isCholec80Tool, parseCholec80Tool } from "./cholec80_tool.ts";
export { CHOLECT50_FIELDS, type CholecT50Field, isCholecT50, parseCholecT50 } from "./cholect50.ts";
export { FrameNumberLabeler } from "./frame_labeler.ts";
export {
  type LabelFile,
  type LabelOptions,
  loadFrameLabels,
  loadLabels,
  parseLabelText,
  videoOf,
} from "./load.ts";
export {
  isPerVideoTemplate,
  type MissingLabelMode,
  openPerVideoLabels,
  PerVideoLabeler,
  type PerVideoLabels,
  type PerVideoOptions,
} from "./per_video.ts";
export { DEFAULT_LABEL_FPS, VideoLabeler, type VideoLabelOptions } from "./video_labels.ts";
export { type ResolvedLabels, resolveLabels, type ResolveLabelsOptions } from "./resolve.ts";
