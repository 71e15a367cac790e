/**
 * Read any label file, detected by content: Cholec80 phase and tool files, CholecT50 JSON, and
 * the JSON key maps and CSV files of before.
 *
 * @module
 */
import path from "node:path";
import { SourceError } from "../sources/errors.ts";
import { isCholec80Phase, parseCholec80Phase } from "./cholec80_phase.ts";
import { isCholec80Tool, parseCholec80Tool } from "./cholec80_tool.ts";
import { type CholecT50Field, isCholecT50, parseCholecT50 } from "./cholect50.ts";
import { LabelError } from "./errors.ts";
import { FrameNumberLabeler } from "./frame_labeler.ts";
import type { FrameLabels } from "./frame_table.ts";
import { jsonMapLabels, type Labeler, parseCsvLabels, readLabelText } from "./labels.ts";

/** Options for reading label files. */
export interface LabelOptions {
  /**
   * Image number N -> annotation frame N * stride, for frame-numbered files (Cholec80 phase/tool,
   * CholecT50). Default 1: the image's number is the annotation frame.
   */
  stride?: number;
  /** The CholecT50 field: `phase` (default), `triplet`, `instrument`, `verb` or `target`. */
  field?: CholecT50Field;
}

/** A parsed label file: frame-indexed labels, or labels by key. */
export type LabelFile = { kind: "frames"; table: FrameLabels } | { kind: "keys"; labeler: Labeler };

/**
 * Parse label text, detecting the format by content.
 *
 * @param text The file's contents.
 * @param file The file name (for messages, and `.csv`/`.tsv`).
 * @param options The CholecT50 field.
 * @returns Frame labels or a key labeler.
 * @throws {LabelError} malformed content, or `field` given for a file that is not CholecT50.
 * @example
 * ```ts
 * import { parseLabelText } from "./load.ts";
 * const f = parseLabelText("Frame\tPhase\n0\tPreparation\n", "video01-phase.txt");
 * f.kind; // "frames"
 * ```
 */
export function parseLabelText(
  text: string,
  file: string,
  options: Pick<LabelOptions, "field"> = {},
): LabelFile {
  const t = text.trimStart();
  let parsed: LabelFile;
  if (t.startsWith("{") || t.startsWith("[")) {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw new LabelError(`${file}: not valid JSON (${(e as Error).message})`);
    }
    if (isCholecT50(data)) {
      return { kind: "frames", table: parseCholecT50(data, { file, field: options.field }) };
    }
    parsed = { kind: "keys", labeler: jsonMapLabels(data, file) };
  } else if (isCholec80Phase(text)) {
    parsed = { kind: "frames", table: parseCholec80Phase(text, file) };
  } else if (isCholec80Tool(text)) {
    parsed = { kind: "frames", table: parseCholec80Tool(text, file) };
  } else if (t.length > 0) parsed = { kind: "keys", labeler: parseCsvLabels(text, file) };
  else throw new SourceError(`${file}: empty label file`);
  if (options.field !== undefined) {
    throw new LabelError(
      `${file}: a label field picks a field of CholecT50 JSON labels; this file is not one`,
      { hints: [{ option: "labelField" }] },
    );
  }
  return parsed;
}

/**
 * Read a label file (format detected by content) as a labeler for images.
 *
 * @param file Path to the label file.
 * @param options Stride and CholecT50 field.
 * @returns The labeler.
 * @throws {LabelError} malformed content, or a stride for labels that are not frame-numbered.
 * @throws {SourceError} missing file or permission.
 * @example
 * ```ts
 * import { loadLabels } from "./load.ts";
 * const l = await loadLabels("fixtures/cholec80/phase_annotations/video01-phase.txt", { stride: 25 });
 * l.lookup("video01_000002.jpg", ""); // the phase of frame 50
 * ```
 */
export async function loadLabels(file: string, options: LabelOptions = {}): Promise<Labeler> {
  const parsed = parseLabelText(await readLabelText(file), file, options);
  if (parsed.kind === "frames") return new FrameNumberLabeler(parsed.table, options.stride ?? 1);
  if (options.stride !== undefined && options.stride !== 1) {
    throw new LabelError(
      `${file}: a label stride maps image numbers to annotation frames of Cholec80/CholecT50 ` +
        `files; this file's labels are by key (name the frames' keys instead)`,
      { hints: [{ option: "labelStride" }] },
    );
  }
  return parsed.labeler;
}

/**
 * Read a frame-indexed label file (Cholec80 phase/tool, CholecT50), e.g. for a video's frames.
 *
 * @param file Path to the label file.
 * @param options The CholecT50 field.
 * @returns The frame labels.
 * @throws {LabelError} a file whose labels are by key, not by frame number.
 * @throws {SourceError} missing file or permission.
 */
export async function loadFrameLabels(
  file: string,
  options: Pick<LabelOptions, "field"> = {},
): Promise<FrameLabels> {
  const parsed = parseLabelText(await readLabelText(file), file, options);
  if (parsed.kind !== "frames") {
    throw new LabelError(
      `${file}: labels by frame number are needed here (a Cholec80 phase/tool file or CholecT50 ` +
        `JSON); this file's labels are by key`,
    );
  }
  return parsed.table;
}

/** The placeholder for the video name in a per-video label path. */
export const VIDEO_PLACEHOLDER = "{video}";

/**
 * The video an image belongs to: its parent folder's name (`videos/VID01/000000.png` -> `VID01`).
 *
 * @param file The image's path.
 * @returns The folder name (`""` for a file in the working folder).
 */
export function videoOf(file: string): string {
  const name = path.basename(path.dirname(path.normalize(file)));
  return name === "." || name === ".." ? "" : name;
}
