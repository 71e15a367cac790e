/**
 * Whitespace-separated annotation tables (Cholec80's `Frame<TAB>Phase` and tool files).
 *
 * @module
 */
import { LabelError } from "./errors.ts";

const WHITESPACE = /\s+/;

/** One data row. */
export interface TableRow {
  /** 1-based line number, for messages. */
  line: number;
  /** The row's frame number (first column). */
  frame: number;
  /** The other columns. */
  cells: string[];
}

/** A parsed table. */
export interface TextTable {
  /** Header cells after `Frame`, or `null` when the first line is data. */
  header: string[] | null;
  /** Data rows in file order. */
  rows: TableRow[];
}

/**
 * The cells of the first non-empty line, split on tabs or spaces.
 *
 * @param text File contents.
 * @returns The cells (empty for an empty file).
 */
export function firstLineCells(text: string): string[] {
  const m = /^\s*([^\r\n]*)/.exec(text);
  return m && m[1].trim() !== "" ? m[1].trim().split(/\s+/) : [];
}

/**
 * Split a table whose first column is a frame number; a first line starting with `Frame` is the
 * header.
 *
 * @param text File contents.
 * @param file File name for messages.
 * @returns Header and rows.
 * @throws {LabelError} a row whose frame is not a whole number, or a frame given twice.
 */
export function parseTextTable(text: string, file: string): TextTable {
  const lines = text.split(/\r?\n/);
  let header: string[] | null = null;
  const rows: TableRow[] = [];
  let last = -1; // rows come in frame order: a repeat needs a look back only when they do not
  let seen: Set<number> | undefined;
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i].trim();
    if (t === "") continue;
    const cells = t.split(WHITESPACE);
    if (header === null && rows.length === 0 && /^frame$/i.test(cells[0])) {
      header = cells.slice(1);
      continue;
    }
    if (!/^\d+$/.test(cells[0])) {
      throw new LabelError(
        `${file}:${i + 1}: "${cells[0]}" is not a frame number; expected "FRAME<TAB>LABEL..." rows`,
      );
    }
    const frame = Number(cells[0]);
    if (frame <= last) {
      seen ??= new Set(rows.map((r) => r.frame));
      if (seen.has(frame)) throw new LabelError(`${file}:${i + 1}: frame ${frame} is given twice`);
    }
    seen?.add(frame);
    last = Math.max(last, frame);
    rows.push({ line: i + 1, frame, cells: cells.slice(1) });
  }
  return { header, rows };
}
