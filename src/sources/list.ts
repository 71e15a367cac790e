/**
 * Expand files, directories and globs into an ordered list of input files.
 *
 * @module
 */
import path from "node:path";
import { naturalCompare } from "./natural_sort.ts";
import { describeFsError, SourceError } from "./errors.ts";

/** One input file found by {@linkcode listInputs}. */
export interface InputFile {
  /** Path to open. */
  path: string;
  /** Stable key: path relative to the directory or glob root it was found under, `/`-separated. */
  key: string;
  /** Parent folder of the file relative to its root (`""` at the root), for `--labels dirs`. */
  dir: string;
}

const GLOB_CHARS = /[*?[\]{}]/;

/**
 * True when the input contains glob characters.
 *
 * @param input A path or pattern.
 * @returns Whether it is a glob.
 */
export function isGlob(input: string): boolean {
  return GLOB_CHARS.test(input);
}

/**
 * Expand inputs to files. Directories are walked recursively; each directory's or glob's files are
 * sorted naturally (`frame_9` before `frame_10`), and the inputs keep the order they were given in.
 * Globs walk only their static prefix, so `--allow-read=DIR` is enough.
 *
 * @param inputs Files, directories or globs (`frames/**\/*.jpg`).
 * @returns The files.
 * @throws {SourceError} a missing path, a glob that matches nothing, or a missing permission.
 * @example
 * ```ts
 * import { listInputs } from "./list.ts";
 * const files = await listInputs(["fixtures/frames"]);
 * ```
 */
export async function listInputs(inputs: string[]): Promise<InputFile[]> {
  const out: InputFile[] = [];
  for (const input of inputs) {
    if (isGlob(input)) {
      const found = await expandGlob(input);
      if (found.length === 0) {
        throw new SourceError(
          `"${input}" matches no files; check the pattern (quote it in the shell)`,
        );
      }
      out.push(...found);
      continue;
    }
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(input);
    } catch (err) {
      throw describeFsError(err, input, "open");
    }
    if (info.isDirectory) {
      const found: InputFile[] = [];
      await walk(input, "", found, () => true);
      found.sort((a, b) => naturalCompare(a.key, b.key));
      out.push(...found);
    } else {
      out.push({ path: input, key: input.replace(/\\/g, "/"), dir: "" });
    }
  }
  return out;
}

async function walk(
  root: string,
  rel: string,
  out: InputFile[],
  accept: (rel: string) => boolean,
): Promise<void> {
  const dir = rel === "" ? root : path.join(root, rel);
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (err) {
    throw describeFsError(err, dir, "list");
  }
  for (const e of entries) {
    const childRel = rel === "" ? e.name : `${rel}/${e.name}`;
    let isDir = e.isDirectory, isFile = e.isFile;
    if (e.isSymlink) {
      try {
        const st = await Deno.stat(path.join(root, childRel));
        isDir = st.isDirectory;
        isFile = st.isFile;
      } catch {
        continue; // dangling link
      }
    }
    if (isDir) await walk(root, childRel, out, accept);
    else if (isFile && accept(childRel)) {
      out.push({ path: path.join(root, childRel), key: childRel, dir: rel });
    }
  }
}

async function expandGlob(pattern: string): Promise<InputFile[]> {
  const norm = pattern.replace(/\\/g, "/");
  const parts = norm.split("/");
  const staticParts: string[] = [];
  for (const p of parts) {
    if (isGlob(p)) break;
    staticParts.push(p);
  }
  const root = staticParts.length === 0
    ? "."
    : staticParts.join("/") === ""
    ? "/"
    : staticParts.join("/");
  const rest = parts.slice(staticParts.length).join("/");
  try {
    const st = await Deno.stat(root);
    if (!st.isDirectory) return [];
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw describeFsError(err, root, "list");
  }
  const found: InputFile[] = [];
  await walk(root, "", found, (rel) => path.matchesGlob(rel, rest));
  found.sort((a, b) => naturalCompare(a.key, b.key));
  return found;
}
