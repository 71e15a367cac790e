/**
 * CholecT50 label files (`labels/VIDxx.json`): `{"video", "fps", "num_frames", "categories",
 * "annotations": {"<frameID>": [[15 values], ...]}}`, one instance vector per triplet instance.
 *
 * @module
 */
import { LabelError } from "./errors.ts";
import { FrameTable } from "./frame_table.ts";

/** The fields `--label-field` can pick from a CholecT50 instance vector. */
export const CHOLECT50_FIELDS = ["phase", "triplet", "instrument", "verb", "target"] as const;

/** One of {@linkcode CHOLECT50_FIELDS}. */
export type CholecT50Field = typeof CHOLECT50_FIELDS[number];

/** Where each field's id sits in an instance vector: [0] triplet, [1:7] instrument id/score/box, [7] verb, [8:14] target id/box, [14] phase. */
const FIELD_INDEX: Record<CholecT50Field, number> = {
  triplet: 0,
  instrument: 1,
  verb: 7,
  target: 8,
  phase: 14,
};

/**
 * Whether parsed JSON is a CholecT50 label file (an `annotations` object and `categories`).
 *
 * @param data Parsed JSON.
 * @returns True for CholecT50.
 */
export function isCholecT50(data: unknown): boolean {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return false;
  const d = data as Record<string, unknown>;
  return isObject(d.annotations) && isObject(d.categories);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Turn a CholecT50 file into frame labels: a frame's labels are the distinct ids of `field` over
 * its instances (-1 dropped, ascending); a frame with no instance list has no label. Class names
 * come from `categories[field]` (`{"0": "grasper", ...}` or a list).
 *
 * @param data Parsed JSON.
 * @param meta The file name for messages and the field (default `phase`).
 * @returns A table with exact frame lookups (frame ids are the image numbers).
 * @throws {LabelError} a missing category or a malformed instance.
 * @example
 * ```ts
 * import { parseCholecT50 } from "./cholect50.ts";
 * const data = {
 *   categories: { phase: { "0": "preparation", "1": "calot-triangle-dissection" } },
 *   annotations: { "0": [[-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 1]] },
 * };
 * parseCholecT50(data, { file: "VID01.json" }).at(0); // [1]
 * ```
 */
export function parseCholecT50(
  data: unknown,
  meta: { file: string; field?: CholecT50Field },
): FrameTable {
  const { file } = meta;
  const field = meta.field ?? "phase";
  if (!isCholecT50(data)) {
    throw new LabelError(`${file}: not a CholecT50 label file (no "annotations"/"categories")`);
  }
  const d = data as { annotations: Record<string, unknown>; categories: Record<string, unknown> };
  const classes = categoryNames(d.categories[field], file, field);
  const at = FIELD_INDEX[field];
  const rows = new Map<number, number[]>();
  for (const [key, instances] of Object.entries(d.annotations)) {
    if (!/^\d+$/.test(key)) {
      throw new LabelError(`${file}: annotation key "${key}" is not a frame id`);
    }
    if (!Array.isArray(instances)) {
      throw new LabelError(`${file}: annotations["${key}"] is not a list of instance vectors`);
    }
    if (instances.length === 0) continue; // no annotation: no label
    const ids = new Set<number>();
    for (const v of instances) {
      const id = Array.isArray(v) ? v[at] : undefined;
      if (!Array.isArray(v) || v.length < 15 || typeof id !== "number" || !Number.isInteger(id)) {
        throw new LabelError(
          `${file}: annotations["${key}"] holds an instance that is not a 15-value vector with an integer ${field} id at [${at}]`,
        );
      }
      if (id >= 0) ids.add(id);
    }
    rows.set(Number(key), [...ids].sort((a, b) => a - b));
  }
  return new FrameTable(rows, { classes, source: file, lookup: "exact" });
}

function categoryNames(cat: unknown, file: string, field: string): string[] {
  if (Array.isArray(cat)) return cat.map(String);
  if (!isObject(cat)) {
    throw new LabelError(
      `${file}: no categories["${field}"]; the label field must name a category`,
      {
        hints: [{ option: "labelField" }],
      },
    );
  }
  const names: string[] = [];
  for (const [k, v] of Object.entries(cat)) {
    if (!/^\d+$/.test(k)) {
      throw new LabelError(`${file}: categories["${field}"] key "${k}" is not an id`);
    }
    names[Number(k)] = String(v);
  }
  for (let i = 0; i < names.length; i++) names[i] ??= String(i);
  return names;
}
