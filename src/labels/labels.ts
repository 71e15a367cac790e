/**
 * Labels that travel with each frame: JSON maps, CSV files, or class folders.
 *
 * @module
 */
import path from "node:path";
import { naturalCompare } from "../sources/natural_sort.ts";
import { describeFsError, SourceError } from "../sources/errors.ts";
import { LabelError } from "./errors.ts";

export { LabelError } from "./errors.ts";

/** Resolves the labels of an input by its key. */
export interface Labeler {
  /** Class names (label `i` is `classes[i]`); may be empty when labels are plain integers. */
  readonly classes: string[];
  /**
   * Labels for an input.
   * @param key The input's key (path relative to its root).
   * @param dir The input's parent folder relative to its root.
   * @param path The path the input was opened by (per-video labels use its parent folder).
   * @returns The labels, or `undefined` when the input has none.
   */
  lookup(key: string, dir: string, path?: string): number[] | undefined;
}

/**
 * Candidate lookup keys for a path, most specific first: the relative path, the basename, the
 * stem, and the trailing frame number of the stem (`169_6300.jpg` -> `6300`, `000968` -> `968`).
 *
 * @param key A relative path.
 * @returns The candidates.
 * @example
 * ```ts
 * import { candidateKeys } from "./labels.ts";
 * candidateKeys("video01/169_0968.jpg"); // ["video01/169_0968.jpg", "169_0968.jpg", "169_0968", "0968", "968"]
 * ```
 */
export function candidateKeys(key: string): string[] {
  const norm = normaliseKey(key);
  const base = norm.slice(norm.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  const stem = dot > 0 ? base.slice(0, dot) : base;
  const out = [norm, base, stem];
  const m = /(\d+)$/.exec(stem);
  if (m) {
    out.push(m[1]);
    out.push(String(Number(m[1])));
  }
  return [...new Set(out)];
}

function normaliseKey(key: string): string {
  return key.replace(/\\/g, "/").replace(/^\.\//, "");
}

/** Labels from a key -> label map (JSON or CSV). */
export class MapLabeler implements Labeler {
  /** Class names. */
  readonly classes: string[];
  #map: Map<string, number[]>;
  /** Basename/stem/frame-number of each label key, when unambiguous (null marks a clash). */
  #derived = new Map<string, number[] | null>();

  /**
   * Make a labeler from a parsed label file.
   *
   * @param map Normalised key -> labels.
   * @param classes Class names.
   */
  constructor(map: Map<string, number[]>, classes: string[]) {
    this.#map = map;
    this.classes = classes;
    for (const [k, v] of map) {
      for (const c of candidateKeys(k).slice(1)) {
        if (map.has(c)) continue;
        const prev = this.#derived.get(c);
        this.#derived.set(c, prev === undefined || prev === v ? v : null);
      }
    }
  }

  /** Labels for a key (see {@linkcode Labeler.lookup}). */
  lookup(key: string, _dir: string): number[] | undefined {
    const cands = candidateKeys(key);
    for (const k of cands) {
      const v = this.#map.get(k);
      if (v !== undefined) return v;
    }
    // The label file may name longer paths (frames/169_25.jpg) than the input keys (169_25.jpg).
    for (const k of cands) {
      const v = this.#derived.get(k);
      if (v) return v;
    }
    return undefined;
  }

  /** True when every key is a bare frame number (`{"968": [2]}`): it fits one video only. */
  get byFrameNumber(): boolean {
    if (this.#map.size === 0) return false;
    for (const k of this.#map.keys()) if (!/^\d+$/.test(k)) return false;
    return true;
  }

  /** Number of entries. */
  get size(): number {
    return this.#map.size;
  }
}

/** Labels from the parent folder (torchvision ImageFolder): classes are the folder names, sorted. */
export class DirLabeler implements Labeler {
  /** Class names. */
  readonly classes: string[];
  #index: Map<string, number>;

  /**
   * @param dirs The parent folders of all inputs (`""` for files at the root, which get no label).
   */
  constructor(dirs: Iterable<string>) {
    const names = [...new Set([...dirs].filter((d) => d !== ""))].sort(naturalCompare);
    this.classes = names;
    this.#index = new Map(names.map((n, i) => [n, i]));
  }

  /** @inheritdoc */
  lookup(_key: string, dir: string): number[] | undefined {
    const i = this.#index.get(dir);
    return i === undefined ? undefined : [i];
  }
}

type RawLabel = number | number[] | string | string[];

function buildMap(
  entries: Iterable<[string, RawLabel]>,
  file: string,
  givenClasses?: string[],
): MapLabeler {
  const raw = [...entries];
  const names = new Set<string>();
  for (const [, v] of raw) {
    for (const x of Array.isArray(v) ? v : [v]) if (typeof x === "string") names.add(x);
  }
  const classes = givenClasses ?? [...names].sort(naturalCompare);
  const index = new Map(classes.map((n, i) => [n, i]));
  const map = new Map<string, number[]>();
  for (const [k, v] of raw) {
    const labels: number[] = [];
    for (const x of Array.isArray(v) ? v : [v]) {
      if (typeof x === "number" && Number.isInteger(x) && x >= 0) labels.push(x);
      else if (typeof x === "string" && index.has(x)) labels.push(index.get(x)!);
      else {
        throw new LabelError(
          `${file}: label ${
            JSON.stringify(x)
          } for "${k}" is neither a non-negative integer nor a class name; use ints, ` +
            `int lists or names`,
        );
      }
    }
    map.set(normaliseKey(k), labels);
  }
  return new MapLabeler(map, classes);
}

/**
 * Parse a JSON label file: `{key: int | int[] | name}`, or
 * `{"classes": [names], "labels": {key: ...}}`. Keys match inputs by relative path, basename,
 * stem or trailing frame number.
 *
 * @param text File contents.
 * @param file File name for messages.
 * @returns A labeler.
 * @throws {LabelError} malformed JSON or values.
 */
export function parseJsonLabels(text: string, file = "labels.json"): MapLabeler {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new LabelError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  return jsonMapLabels(data, file);
}

/**
 * Labels from parsed JSON of the forms {@linkcode parseJsonLabels} reads.
 *
 * @param data Parsed JSON.
 * @param file File name for messages.
 * @returns A labeler.
 * @throws {LabelError} not an object, or malformed values.
 */
export function jsonMapLabels(data: unknown, file = "labels.json"): MapLabeler {
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new LabelError(`${file}: expected a JSON object mapping keys to labels`);
  }
  let obj = data as Record<string, unknown>;
  let classes: string[] | undefined;
  if (Array.isArray(obj.classes) && typeof obj.labels === "object" && obj.labels !== null) {
    classes = obj.classes.map(String);
    obj = obj.labels as Record<string, unknown>;
  }
  return buildMap(Object.entries(obj) as [string, RawLabel][], file, classes);
}

/**
 * Parse a CSV label file: `path,label` per line (a header line starting with `path`, `file`,
 * `filename` or `key` is skipped). A label is an integer, several integers separated by `;`, or a
 * class name.
 *
 * @param text File contents.
 * @param file File name for messages.
 * @returns A labeler.
 * @throws {LabelError} a line without a label.
 */
export function parseCsvLabels(text: string, file = "labels.csv"): MapLabeler {
  const entries: [string, RawLabel][] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === "" || line.startsWith("#")) return;
    const comma = line.lastIndexOf(",");
    if (comma < 0) throw new LabelError(`${file}:${i + 1}: expected "path,label"`);
    const key = line.slice(0, comma).trim().replace(/^"|"$/g, "");
    const value = line.slice(comma + 1).trim().replace(/^"|"$/g, "");
    if (i === 0 && /^(path|file|filename|key)$/i.test(key)) return;
    const parts = value.split(";").map((s) => s.trim()).filter((s) => s !== "");
    if (parts.length === 0) throw new LabelError(`${file}:${i + 1}: "${key}" has no label`);
    const vals = parts.map((p) => /^\d+$/.test(p) ? Number(p) : p);
    entries.push([key, vals.length === 1 ? vals[0] : vals as RawLabel]);
  });
  return buildMap(entries, file);
}

/**
 * Load labels from a `.json` or `.csv` file.
 *
 * @param file Path to the label file.
 * @returns A labeler.
 * @throws {LabelError} malformed content.
 * @throws {SourceError} missing file or permission.
 * @example
 * ```ts
 * import { loadLabelFile } from "./labels.ts";
 * const labels = await loadLabelFile("fixtures/phases.json");
 * labels.lookup("169_968.jpg", ""); // [2]
 * ```
 */
export async function loadLabelFile(file: string): Promise<MapLabeler> {
  const text = await readLabelText(file);
  const ext = path.extname(file).toLowerCase();
  if (ext === ".csv" || ext === ".tsv") return parseCsvLabels(text, file);
  if (ext === ".json") return parseJsonLabels(text, file);
  const t = text.trimStart();
  if (t.startsWith("{")) return parseJsonLabels(text, file);
  if (t.length > 0) return parseCsvLabels(text, file);
  throw new SourceError(`${file}: empty label file`);
}

/**
 * Read a label file's text.
 *
 * @param file Path to the label file.
 * @returns Its contents.
 * @throws {SourceError} missing file or permission.
 */
export async function readLabelText(file: string): Promise<string> {
  try {
    return await Deno.readTextFile(file);
  } catch (err) {
    throw describeFsError(err, file, "read label file");
  }
}
