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
  let header: string[] | null = null;
  const rows: TableRow[] = [];
  let last = -1; // rows come in frame order: a repeat needs a look back only when they do not
  let seen: Set<number> | undefined;
  let line = 0;
  for (let at = 0; at <= text.length;) {
    let nl = text.indexOf("\n", at);
    if (nl < 0) nl = text.length;
    const raw = text.slice(at, nl);
    at = nl + 1;
    line++;
    const t = raw.trim();
    if (t === "") continue;
    const cells = SINGLE_SPACE.test(t) ? t.split(SPACE) : t.split(WHITESPACE);
    if (header === null && rows.length === 0 && /^frame$/i.test(cells[0])) {
      header = cells.slice(1);
      continue;
    }
    const frame = wholeNumber(cells[0]);
    if (frame < 0) {
      throw new LabelError(
        `${file}:${line}: "${cells[0]}" is not a frame number; expected "FRAME<TAB>LABEL..." rows`,
      );
    }
    if (frame <= last) {
      seen ??= new Set(rows.map((r) => r.frame));
      if (seen.has(frame)) throw new LabelError(`${file}:${line}: frame ${frame} is given twice`);
    }
    seen?.add(frame);
    if (frame > last) last = frame;
    cells.shift();
    rows.push({ line, frame, cells });
  }
  return { header, rows };
}

/** Tabs or spaces, one character each (the usual case: one split without backtracking). */
const SINGLE_SPACE = /^[^\t ]+(?:[\t ][^\t ]+)*$/;
const SPACE = /[\t ]/;

/** A string of decimal digits as a number, or -1. */
function wholeNumber(s: string): number {
  if (s.length === 0 || s.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}
