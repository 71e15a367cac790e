/**
 * The picture in docs/ARCHITECTURE.md stays true: the import graphs of cli.ts and mod.ts break
 * none of its rules, and the checker (`deno task arch`) flags each kind of broken rule.
 */
import assert from "node:assert/strict";
import {
  checkGraph,
  cycles,
  type DenoInfo,
  denoInfo,
  exitCalls,
  localEdges,
} from "./tools/arch.ts";
import { ROOT } from "./helpers.ts";

for (const entry of ["cli.ts", "mod.ts"]) {
  Deno.test(`the import graph of ${entry} keeps every rule of docs/ARCHITECTURE.md`, async () => {
    const info = await denoInfo(ROOT, entry);
    const found = [
      ...checkGraph(info, ROOT),
      ...await exitCalls(ROOT, localEdges(info, ROOT).keys()),
    ];
    assert.deepEqual(found.map((v) => `${v.rule}: ${v.detail}`), []);
  });
}

/** A synthetic graph: each entry is `from -> [to...]`, repo-relative. */
function graph(edges: Record<string, string[]>): DenoInfo {
  const url = (p: string) => `file:///repo/${p}`;
  const all = new Set([...Object.keys(edges), ...Object.values(edges).flat()]);
  return {
    modules: [...all].map((p) => ({
      specifier: url(p),
      dependencies: (edges[p] ?? []).map((t) => ({ code: { specifier: url(t) } })),
    })),
  };
}

Deno.test("the checker flags a folder cycle and a file cycle (sinks <-> net)", () => {
  const found = checkGraph(
    graph({
      "src/sinks/open_sink.ts": ["src/net/handshake.ts"],
      "src/net/handshake.ts": ["src/sinks/open_sink.ts"],
    }),
    "/repo",
  );
  const rules = found.map((v) => v.rule);
  assert.ok(rules.includes("folder-cycle"), JSON.stringify(found));
  assert.ok(rules.includes("file-cycle"), JSON.stringify(found));
  assert.ok(
    found.some((v) => v.rule === "folder-cycle" && v.detail === "net <-> sinks"),
    JSON.stringify(found),
  );
});

Deno.test("the checker flags a file cycle inside one folder (images <-> worker_pool)", () => {
  const found = checkGraph(
    graph({
      "src/pipeline/images.ts": ["src/pipeline/worker_pool.ts"],
      "src/pipeline/worker_pool.ts": ["src/pipeline/images.ts"],
    }),
    "/repo",
  );
  assert.deepEqual(found.map((v) => v.rule), ["file-cycle"]);
});

Deno.test("the checker flags the library importing cli/ (net/options.ts -> cli/args.ts)", () => {
  const found = checkGraph(
    graph({
      "mod.ts": ["src/sinks/open_sink.ts"],
      "src/sinks/open_sink.ts": ["src/net/options.ts"],
      "src/net/options.ts": ["src/cli/args.ts"],
    }),
    "/repo",
  );
  const rules = found.map((v) => v.rule).sort();
  assert.deepEqual(rules, ["cli-import", "library-reaches-cli"], JSON.stringify(found));
});

Deno.test("the checker flags a leaf importing another part and an import with no arrow", () => {
  const found = checkGraph(
    graph({
      "src/decode/jpeg.ts": ["src/pipeline/render.ts"],
      "src/net/consumer.ts": ["src/capture/source.ts"],
    }),
    "/repo",
  );
  assert.deepEqual(found.map((v) => v.rule).sort(), ["arrow", "leaf"], JSON.stringify(found));
});

Deno.test("cycles() finds loops longer than two and self-imports, not chains", () => {
  const g = new Map<string, Set<string>>([
    ["a", new Set(["b"])],
    ["b", new Set(["c"])],
    ["c", new Set(["a"])],
    ["d", new Set(["d"])],
    ["e", new Set(["a"])],
  ]);
  assert.deepEqual(cycles(g).map((c) => c.join(",")).sort(), ["a,b,c", "d"]);
});

Deno.test("deno task arch runs the checker on cli.ts and mod.ts (exit 0)", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "arch"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  assert.match(text, /arch: ok \(cli\.ts, mod\.ts\)/);
});
