/**
 * Cholec80 phase files (`phase_annotations/videoNN-phase.txt`): `Frame<TAB>Phase`, one row per
 * 25 fps frame from 0.
 *
 * @module
 */
import { FrameTable } from "./frame_table.ts";
import { LabelError } from "./errors.ts";
import { firstLineCells, parseTextTable } from "./text_table.ts";

/** Cholec80's seven phases in their canonical order (label `i` is `CHOLEC80_PHASES[i]`). */
export const CHOLEC80_PHASES: readonly string[] = [
  "Preparation",
  "CalotTriangleDissection",
  "ClippingCutting",
  "GallbladderDissection",
  "GallbladderPackaging",
  "CleaningCoagulation",
  "GallbladderRetraction",
];

/**
 * Whether a file's text looks like a Cholec80 phase file (a `Frame Phase` header, or a first row
 * of a frame number and a phase name).
 *
 * @param text File contents.
 * @returns True for a phase file.
 */
export function isCholec80Phase(text: string): boolean {
  const c = firstLineCells(text);
  if (c.length !== 2) return false;
  if (/^frame$/i.test(c[0])) return /^phase$/i.test(c[1]);
  return /^\d+$/.test(c[0]) && CHOLEC80_PHASES.includes(c[1]);
}

/**
 * Parse a Cholec80 phase file. Phases are names (or ids 0-6); classes are
 * {@linkcode CHOLEC80_PHASES}. A frame takes its row (rows are every frame).
 *
 * @param text File contents.
 * @param file File name for messages.
 * @returns The frame table.
 * @throws {LabelError} an unknown phase or a malformed row.
 * @example
 * ```ts
 * import { parseCholec80Phase } from "./cholec80_phase.ts";
 * const t = parseCholec80Phase("Frame\tPhase\n0\tPreparation\n1\tPreparation\n", "v-phase.txt");
 * t.at(1); // [0]
 * ```
 */
export function parseCholec80Phase(text: string, file: string): FrameTable {
  const { rows } = parseTextTable(text, file);
  const index = new Map(CHOLEC80_PHASES.map((n, i) => [n.toLowerCase(), i]));
  const out = new Map<number, number[]>();
  let lastName = "", lastLabels: number[] = [];
  for (const r of rows) {
    const v = r.cells[0];
    if (v === lastName && r.cells.length === 1) { // most rows repeat the phase before them
      out.set(r.frame, lastLabels);
      continue;
    }
    const id = v === undefined
      ? undefined
      : /^\d+$/.test(v) && Number(v) < CHOLEC80_PHASES.length
      ? Number(v)
      : index.get(v.toLowerCase());
    if (id === undefined || r.cells.length !== 1) {
      throw new LabelError(
        `${file}:${r.line}: "${r.cells.join(" ")}" is not one Cholec80 phase; expected one of ${
          CHOLEC80_PHASES.join(", ")
        }`,
      );
    }
    lastName = v;
    lastLabels = [id];
    out.set(r.frame, lastLabels);
  }
  if (out.size === 0) throw new LabelError(`${file}: a phase file without rows`);
  return new FrameTable(out, { classes: [...CHOLEC80_PHASES], source: file });
}
