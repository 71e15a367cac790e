/**
 * The architecture checker: reads the import graph (`deno info --json`) of the entry points and
 * reports every broken rule of docs/ARCHITECTURE.md:
 *
 * 1. nothing under `src/` but `src/cli/` imports `src/cli/`, and the library entry (`mod.ts`)
 *    reaches no `src/cli/` module;
 * 2. the leaves (`decode`, `formats`, `util`) import no other part of `src/`;
 * 3. every import between parts is an arrow of the picture ({@linkcode ALLOWED});
 * 4. no folder cycles (parts importing each other, directly or around a loop);
 * 5. no file cycles;
 * 6. only `cli/` decides exit codes: no `Deno.exit(` elsewhere under `src/`.
 *
 * ```sh
 * deno task arch               # checks cli.ts and mod.ts; exit 1 and one line per broken rule
 * deno info --json cli.ts | deno run tests/tools/arch.ts -   # a graph from stdin
 * ```
 *
 * @module
 */

/** The slice of `deno info --json` this checker reads. */
export interface DenoInfo {
  /** Every module of the graph. */
  modules: {
    specifier: string;
    dependencies?: {
      code?: { specifier?: string };
      type?: { specifier?: string };
    }[];
  }[];
}

/** The parts of `src/` (folders) and what each may import, as docs/ARCHITECTURE.md draws it. */
export const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  entry: ["cli", "*"],
  cli: ["*"],
  util: [],
  decode: [],
  formats: [],
  transform: ["decode", "formats"],
  sources: ["util"],
  labels: ["sources", "formats", "util"],
  pipeline: ["decode", "transform", "formats", "sources", "labels", "util"],
  preview: ["formats", "transform", "decode"],
  net: ["util", "formats"],
  redis: ["net", "formats", "util"],
  sinks: ["formats", "net", "redis", "util"],
  capture: ["decode", "transform", "pipeline", "formats", "sources", "util"],
};

/** Parts that import no other part. */
export const LEAVES: readonly string[] = ["decode", "formats", "util"];

/** One broken rule. */
export interface Violation {
  /** Which rule. */
  rule: "cli-import" | "library-reaches-cli" | "leaf" | "arrow" | "folder-cycle" | "file-cycle";
  /** What breaks it. */
  detail: string;
}

/** The part a repo-relative path belongs to: `entry` for top-level files, else its `src/` folder. */
export function partOf(path: string): string {
  const m = /^src\/([^/]+)\//.exec(path);
  return m ? m[1] : "entry";
}

/** Import edges between the repository's own modules (repo-relative paths). */
export function localEdges(info: DenoInfo, root: string): Map<string, Set<string>> {
  const prefix = new URL(root.endsWith("/") ? root : root + "/", "file:///").href;
  const rel = (s: string | undefined) =>
    s && s.startsWith(prefix) && !s.includes("/node_modules/") ? s.slice(prefix.length) : undefined;
  const edges = new Map<string, Set<string>>();
  for (const m of info.modules) {
    const from = rel(m.specifier);
    if (!from) continue;
    const out = edges.get(from) ?? new Set<string>();
    edges.set(from, out);
    for (const d of m.dependencies ?? []) {
      for (const to of [rel(d.code?.specifier), rel(d.type?.specifier)]) {
        if (to && to !== from) out.add(to);
        if (to === from) out.add(to);
      }
    }
  }
  return edges;
}

/** Strongly connected components with more than one node, or with a self-loop (Tarjan). */
export function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], on = new Set<string>(), out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || graph.get(v)?.has(v)) out.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

/**
 * Check one import graph against the rules.
 *
 * @param info `deno info --json` output.
 * @param root The repository root (a path).
 * @param libraryEntries Entry files that must not reach `src/cli/` (default `mod.ts`).
 * @returns The broken rules (empty when the picture holds).
 */
export function checkGraph(
  info: DenoInfo,
  root: string,
  libraryEntries: readonly string[] = ["mod.ts"],
): Violation[] {
  const edges = localEdges(info, root);
  const v: Violation[] = [];
  const folders = new Map<string, Set<string>>();
  for (const [from, tos] of edges) {
    const a = partOf(from);
    for (const to of tos) {
      const b = partOf(to);
      if (a === b) continue;
      if (!folders.has(a)) folders.set(a, new Set());
      folders.get(a)!.add(b);
      if (b === "cli" && a !== "entry") {
        v.push({ rule: "cli-import", detail: `${from} imports ${to}` });
      } else if (LEAVES.includes(a)) {
        v.push({ rule: "leaf", detail: `${from} (a leaf: ${a}) imports ${to}` });
      } else if (!(ALLOWED[a] ?? []).some((x) => x === "*" || x === b)) {
        v.push({ rule: "arrow", detail: `${from} imports ${to}: no arrow ${a} -> ${b}` });
      }
    }
  }
  for (const entry of libraryEntries) {
    if (!edges.has(entry)) continue;
    const seen = new Set<string>([entry]);
    const todo = [entry];
    const via = new Map<string, string>();
    while (todo.length) {
      const f = todo.pop()!;
      for (const t of edges.get(f) ?? []) {
        if (seen.has(t)) continue;
        seen.add(t);
        via.set(t, f);
        if (partOf(t) === "cli") {
          v.push({ rule: "library-reaches-cli", detail: `${entry} reaches ${t} via ${f}` });
        } else todo.push(t);
      }
    }
  }
  for (const c of cycles(folders)) {
    v.push({ rule: "folder-cycle", detail: c.join(" <-> ") });
  }
  for (const c of cycles(edges)) v.push({ rule: "file-cycle", detail: c.join(" <-> ") });
  return v;
}

/**
 * Files under `src/` outside `cli/` that call `Deno.exit(` (only the CLI picks exit codes).
 *
 * @param root The repository root.
 * @param files Repo-relative paths to look at.
 * @returns One violation per file.
 */
export async function exitCalls(root: string, files: Iterable<string>): Promise<Violation[]> {
  const v: Violation[] = [];
  for (const f of files) {
    if (!f.startsWith("src/") || partOf(f) === "cli" || f.endsWith("_bundle.ts")) continue;
    const text = await Deno.readTextFile(`${root}/${f}`);
    if (/\bDeno\.exit\(/.test(text)) {
      v.push({
        rule: "cli-import",
        detail: `${f} calls Deno.exit (only src/cli/ picks exit codes)`,
      });
    }
  }
  return v;
}

/**
 * The graph of an entry point, from `deno info --json`.
 *
 * @param root Repository root.
 * @param entry Entry file, relative to the root.
 * @returns The parsed graph.
 */
export async function denoInfo(root: string, entry: string): Promise<DenoInfo> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`deno info ${entry}: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/**
 * Check entry points (or a graph on stdin with `-`); print one line per broken rule.
 *
 * @param args Entry files relative to the repository root, or `-`.
 * @returns 0 when every rule holds, 1 otherwise.
 */
export async function main(args: string[]): Promise<number> {
  const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
  const entries = args.length ? args : ["cli.ts", "mod.ts"];
  const found: Violation[] = [];
  for (const entry of entries) {
    const info = entry === "-"
      ? JSON.parse(await new Response(Deno.stdin.readable).text()) as DenoInfo
      : await denoInfo(root, entry);
    found.push(...checkGraph(info, root));
    found.push(...await exitCalls(root, localEdges(info, root).keys()));
  }
  const lines = [...new Set(found.map((x) => `${x.rule}: ${x.detail}`))];
  for (const l of lines) console.log(l);
  console.error(
    lines.length
      ? `arch: ${lines.length} broken rule(s); see docs/ARCHITECTURE.md`
      : `arch: ok (${entries.join(", ")})`,
  );
  return lines.length ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
