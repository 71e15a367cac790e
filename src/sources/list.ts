/**
 * Expand files, directories and globs into an ordered list of input files, each real file once.
 *
 * @module
 */
import path from "node:path";
import { naturalCompare } from "./natural_sort.ts";
import { describeFsError, SourceError } from "./errors.ts";
import { compileGlob } from "./glob.ts";

/** One input file found by {@linkcode listInputs}. */
export interface InputFile {
  /** Path to open. */
  path: string;
  /** Stable key: path relative to the directory or glob root it was found under, `/`-separated. */
  key: string;
  /** Parent folder of the file relative to its root (`""` at the root), for `--labels dirs`. */
  dir: string;
}

/** A path left out because its real file or folder was already listed. */
export interface RepeatedPath {
  /** The path as found (a symlink, or an input given again). */
  path: string;
  /** The real path it resolves to. */
  realPath: string;
  /** True when it is a symlink to one of its own parent folders (a loop). */
  loop: boolean;
}

/** Options for {@linkcode listInputs}. */
export interface ListOptions {
  /**
   * Told of every path left out because its real file or folder was already listed: symlink
   * loops, a link to a folder already walked, the same file or folder given twice.
   */
  onRepeated?: (event: RepeatedPath) => void;
  /**
   * List symlinks that lead nowhere readable (dangling, or out of the readable folders) as files,
   * so that reading them fails visibly. Default false: they are left out.
   */
  includeDangling?: boolean;
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
 * Expand inputs to files. Directories are walked recursively (following symlinks, each real
 * folder and file once); each directory's or glob's files are sorted naturally (`frame_9` before
 * `frame_10`), and the inputs keep the order they were given in. Globs walk only their static
 * prefix, so `--allow-read=DIR` is enough.
 *
 * @param inputs Files, directories or globs (`frames/**\/*.jpg`).
 * @param options Where to report repeated paths.
 * @returns The files.
 * @throws {SourceError} a missing path, a glob that matches nothing, or a missing permission.
 * @example
 * ```ts
 * import { listInputs } from "./list.ts";
 * const files = await listInputs(["fixtures/frames"]);
 * ```
 */
export async function listInputs(
  inputs: string[],
  options: ListOptions = {},
): Promise<InputFile[]> {
  const walker = new Walker(options);
  const out: InputFile[] = [];
  for (const input of inputs) {
    if (isGlob(input)) {
      const found = await walker.glob(input);
      if (found.length === 0 && !walker.repeatedSince(input)) {
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
    if (info.isDirectory) out.push(...await walker.tree(input, () => true, Infinity));
    else if (await walker.claimFile(input, await realPath(input))) {
      out.push({ path: input, key: input.replace(/\\/g, "/"), dir: "" });
    }
  }
  return out;
}

async function realPath(p: string): Promise<string> {
  try {
    return await Deno.realPath(p);
  } catch (err) {
    throw describeFsError(err, p, "open");
  }
}

interface PendingLink {
  rel: string;
  depth: number;
  parentReal: string;
}

/** Walks trees, remembering every real folder and file it has listed. */
class Walker {
  #files = new Set<string>();
  #dirs = new Set<string>();
  #options: ListOptions;
  #repeatedInputs = new Set<string>();

  constructor(options: ListOptions) {
    this.#options = options;
  }

  repeatedSince(input: string): boolean {
    return this.#repeatedInputs.has(input);
  }

  #repeated(p: string, real: string, loop: boolean, input?: string) {
    if (input !== undefined) this.#repeatedInputs.add(input);
    this.#options.onRepeated?.({ path: p, realPath: real, loop });
  }

  claimFile(p: string, real: string, input?: string): boolean {
    if (this.#files.has(real)) {
      this.#repeated(p, real, false, input);
      return false;
    }
    this.#files.add(real);
    return true;
  }

  async glob(pattern: string): Promise<InputFile[]> {
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
    const matcher = compileGlob(parts.slice(staticParts.length).join("/"));
    try {
      const st = await Deno.stat(root);
      if (!st.isDirectory) return [];
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return [];
      throw describeFsError(err, root, "list");
    }
    return await this.tree(root, (rel) => matcher.test(rel), matcher.maxDepth, pattern);
  }

  /** All accepted files under `root` (at most `maxDepth` segments deep), naturally sorted. */
  async tree(
    root: string,
    accept: (rel: string) => boolean,
    maxDepth: number,
    input = root,
  ): Promise<InputFile[]> {
    const found: InputFile[] = [];
    const real = await realPath(root);
    if (this.#dirs.has(real)) {
      this.#repeated(root, real, false, input);
      return found;
    }
    this.#dirs.add(real);
    // Real folders first, then symlinks, so a file reached both ways keeps its real path's key.
    const links: PendingLink[] = [];
    const ctx = { root, accept, maxDepth, found, links, input };
    await this.#walk(ctx, "", real, 1);
    for (let i = 0; i < links.length; i++) await this.#follow(ctx, links[i]);
    found.sort((a, b) => naturalCompare(a.key, b.key));
    return found;
  }

  async #walk(ctx: WalkContext, rel: string, realDir: string, depth: number): Promise<void> {
    const dir = rel === "" ? ctx.root : path.join(ctx.root, rel);
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch (err) {
      throw describeFsError(err, dir, "list");
    }
    entries.sort((a, b) => naturalCompare(a.name, b.name));
    for (const e of entries) {
      const childRel = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isSymlink) ctx.links.push({ rel: childRel, depth, parentReal: realDir });
      else if (e.isDirectory) {
        if (depth >= ctx.maxDepth) continue;
        const real = path.join(realDir, e.name);
        if (this.#dirs.has(real)) {
          this.#repeated(path.join(ctx.root, childRel), real, false, ctx.input);
          continue;
        }
        this.#dirs.add(real);
        await this.#walk(ctx, childRel, real, depth + 1);
      } else if (e.isFile) this.#accept(ctx, childRel, path.join(realDir, e.name), rel);
    }
  }

  #accept(ctx: WalkContext, rel: string, real: string, dirRel: string) {
    if (!ctx.accept(rel)) return;
    const p = path.join(ctx.root, rel);
    if (this.claimFile(p, real, ctx.input)) ctx.found.push({ path: p, key: rel, dir: dirRel });
  }

  async #follow(ctx: WalkContext, link: PendingLink): Promise<void> {
    const p = path.join(ctx.root, link.rel);
    const dirRel = link.rel.includes("/") ? link.rel.slice(0, link.rel.lastIndexOf("/")) : "";
    let real: string, st: Deno.FileInfo;
    try {
      real = await Deno.realPath(p);
      st = await Deno.stat(real);
    } catch {
      // A dangling link, or one leaving the readable folders: listed on request, so that reading
      // it fails visibly (skipped and counted, with the reason) instead of vanishing.
      if (this.#options.includeDangling && ctx.accept(link.rel)) {
        ctx.found.push({ path: p, key: link.rel, dir: dirRel });
      }
      return;
    }
    if (st.isFile) {
      this.#accept(ctx, link.rel, real, dirRel);
      return;
    }
    if (!st.isDirectory || link.depth >= ctx.maxDepth) return;
    if (this.#dirs.has(real)) {
      const loop = link.parentReal === real || link.parentReal.startsWith(`${real}/`);
      this.#repeated(p, real, loop, ctx.input);
      return;
    }
    this.#dirs.add(real);
    await this.#walk(ctx, link.rel, real, link.depth + 1);
  }
}

interface WalkContext {
  root: string;
  accept: (rel: string) => boolean;
  maxDepth: number;
  found: InputFile[];
  links: PendingLink[];
  input: string;
}
