/**
 * Cholec80 tool files (`tool_annotations/videoNN-tool.txt`): a `Frame Grasper Bipolar Hook
 * Scissors Clipper Irrigator SpecimenBag` header and one 0/1 row per second (frames 0, 25, 50...).
 *
 * @module
 */
import { FrameTable } from "./frame_table.ts";
import { LabelError } from "./errors.ts";
import { firstLineCells, parseTextTable } from "./text_table.ts";

/** Cholec80's tools in the files' column order. */
export const CHOLEC80_TOOLS: readonly string[] = [
  "Grasper",
  "Bipolar",
  "Hook",
  "Scissors",
  "Clipper",
  "Irrigator",
  "SpecimenBag",
];

/**
 * Whether a file's text looks like a tool file: a `Frame` header followed by two or more tool
 * columns.
 *
 * @param text File contents.
 * @returns True for a tool file.
 */
export function isCholec80Tool(text: string): boolean {
  const c = firstLineCells(text);
  return c.length >= 3 && /^frame$/i.test(c[0]) && !/^phase$/i.test(c[1]);
}

/**
 * Parse a tool file: each frame's labels are the columns set to 1 (multi-label); classes are the
 * header's tool names. A frame between rows takes the row at or before it.
 *
 * @param text File contents.
 * @param file File name for messages.
 * @returns The frame table.
 * @throws {LabelError} a cell that is not 0/1 or a row with the wrong number of cells.
 * @example
 * ```ts
 * import { parseCholec80Tool } from "./cholec80_tool.ts";
 * const t = parseCholec80Tool("Frame\tGrasper\tHook\n0\t1\t0\n25\t1\t1\n", "v-tool.txt");
 * t.at(30); // [0, 1]
 * ```
 */
export function parseCholec80Tool(text: string, file: string): FrameTable {
  const { header, rows } = parseTextTable(text, file);
  if (header === null || header.length === 0) {
    throw new LabelError(`${file}: a tool file needs a "Frame Tool1 Tool2 ..." header`);
  }
  const out = new Map<number, number[]>();
  for (const r of rows) {
    if (r.cells.length !== header.length || r.cells.some((c) => c !== "0" && c !== "1")) {
      throw new LabelError(
        `${file}:${r.line}: expected ${header.length} tool columns of 0 or 1 after the frame`,
      );
    }
    const labels: number[] = [];
    for (let i = 0; i < r.cells.length; i++) if (r.cells[i] === "1") labels.push(i);
    out.set(r.frame, labels);
  }
  if (out.size === 0) throw new LabelError(`${file}: a tool file without rows`);
  return new FrameTable(out, { classes: header, source: file });
}
