/**
 * A small glob matcher (`*`, `?`, `[abc]`, `[!a-z]`, `{a,b}`, `**`) that needs no permission:
 * node's `path.matchesGlob` loads minimatch, which reads an environment variable and so fails
 * under `--allow-read` alone.
 *
 * @module
 */

/** A compiled glob pattern. */
export interface GlobMatcher {
  /**
   * Whether a `/`-separated relative path matches.
   * @param path The path, relative to the pattern's root.
   * @returns True on a match.
   */
  test(path: string): boolean;
  /** Deepest path (in segments) that can match; `Infinity` when the pattern has `**`. */
  readonly maxDepth: number;
}

/**
 * Expand `{a,b}` alternatives (nested braces allowed; a brace without a comma is literal).
 *
 * @param pattern A glob.
 * @returns The patterns without braces.
 * @example
 * ```ts
 * import { expandBraces } from "./glob.ts";
 * expandBraces("v{1,2}/*.{jpg,png}"); // ["v1/*.jpg", "v1/*.png", "v2/*.jpg", "v2/*.png"]
 * ```
 */
export function expandBraces(pattern: string): string[] {
  let depth = 0, open = -1;
  const commas: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (c === "{") {
      if (depth++ === 0) {
        open = i;
        commas.length = 0;
      }
    } else if (c === "}" && depth > 0) {
      if (--depth === 0) {
        if (commas.length === 0) continue; // `{x}` is literal: look for a later group
        const head = pattern.slice(0, open), tail = pattern.slice(i + 1);
        const bounds = [open, ...commas, i];
        const out: string[] = [];
        for (let k = 0; k + 1 < bounds.length; k++) {
          const alt = pattern.slice(bounds[k] + 1, bounds[k + 1]);
          for (const rest of expandBraces(alt + tail)) out.push(...expandBraces(head + rest));
        }
        return [...new Set(out)];
      }
    } else if (c === "," && depth === 1) commas.push(i);
  }
  return [pattern];
}

const SPECIAL = /[.+^${}()|\\/]/;

function segmentSource(seg: string): string {
  // A leading `*`, `?` or class never matches a leading dot (minimatch's default).
  let src = seg.startsWith(".") ? "" : "(?!\\.)";
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === "\\" && i + 1 < seg.length) src += escapeChar(seg[++i]);
    else if (c === "*") src += "[^/]*";
    else if (c === "?") src += "[^/]";
    else if (c === "[") {
      const end = seg.indexOf("]", i + 2);
      if (end < 0) {
        src += "\\[";
        continue;
      }
      let body = seg.slice(i + 1, end);
      const negate = body.startsWith("!") || body.startsWith("^");
      if (negate) body = body.slice(1);
      body = body.replace(/[\\\]^]/g, (m) => `\\${m}`);
      src += negate ? `[^/${body}]` : `[${body}]`;
      i = end;
    } else src += escapeChar(c);
  }
  return src;
}

function escapeChar(c: string): string {
  return SPECIAL.test(c) || c === "*" || c === "?" || c === "[" || c === "]" ? `\\${c}` : c;
}

function alternativeSource(pattern: string): { src: string; depth: number } {
  const segs = pattern.split("/").filter((s, i, all) => s !== "" || i === all.length - 1);
  let src = "", depth = 0;
  for (let i = 0; i < segs.length; i++) {
    const last = i === segs.length - 1;
    if (segs[i] === "**") {
      depth = Infinity;
      // zero or more folders (not dot folders); as the last segment, one or more entries
      src += last ? "(?!\\.)[^/]+(?:/(?!\\.)[^/]+)*" : "(?:(?!\\.)[^/]+/)*";
      continue;
    }
    depth++;
    src += segmentSource(segs[i]) + (last ? "" : "/");
  }
  return { src, depth };
}

/**
 * Compile a glob to a matcher for `/`-separated relative paths.
 *
 * @param pattern The glob (relative to its root, e.g. `*\/*.jpg`).
 * @returns The matcher.
 * @example
 * ```ts
 * import { compileGlob } from "./glob.ts";
 * const m = compileGlob("**\/*.jpg");
 * m.test("video01/169_0.jpg"); // true
 * m.test("video01/.hidden.jpg"); // false
 * ```
 */
export function compileGlob(pattern: string): GlobMatcher {
  const alts = expandBraces(pattern).map(alternativeSource);
  const re = new RegExp(`^(?:${alts.map((a) => a.src).join("|")})$`);
  const maxDepth = Math.max(...alts.map((a) => a.depth));
  return { test: (p) => re.test(p), maxDepth };
}
