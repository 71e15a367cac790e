/**
 * Docs are tests: every ```sh / ```bash, ```python and ```ts block in README.md and docs/*.md runs
 * as written, from the repo root, each as its own test named after its file and line.
 *
 * - The environment is the README's after its set-up: `framepipe` on PATH (`deno task install`
 *   into a temp root, see `installFramepipe`), `python3` = `$PYTHON` (Debian's, numpy/torch/
 *   opencv), the Python package importable.
 * - sh/bash blocks run with `bash -e -o pipefail` in their own process group; they must end by
 *   themselves (servers they start included) within the time limit and leave no process behind.
 * - python blocks run with `python3 BLOCK.py`, stdin fed by
 *   `framepipe images fixtures/frames --size 853x480` (blocks that read a stream from stdin get
 *   one; others ignore it). A block whose first line is `# PATH.py` must also equal that file.
 * - ts blocks run with `deno test --doc FILE` (the same check the `test` task runs).
 * - A block is skipped only when the paragraph right before its opening fence is the visible note
 *   `_Not run by the tests: <reason>._` (or with `*`; deno fmt puts a blank line between and may
 *   wrap it): a real camera, two hosts, JSR.
 *
 * Files a block writes into the repo's top level (named in the block) are removed afterwards.
 */
import assert from "node:assert/strict";
import { installFramepipe, ROOT } from "./helpers.ts";

/** One fenced block. */
export interface DocBlock {
  /** Path relative to the repo root. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** `sh`, `python` or `ts` (bash is sh, typescript is ts). */
  lang: "sh" | "python" | "ts";
  /** The block's text. */
  code: string;
  /** Why it is not run, when the note is there. */
  skip?: string;
}

const LANGS: Record<string, DocBlock["lang"]> = {
  sh: "sh",
  bash: "sh",
  shell: "sh",
  python: "python",
  py: "python",
  ts: "ts",
  typescript: "ts",
};
const NOTE = /^[_*]Not run by the tests: (.+?)\.?[_*]$/;

/**
 * The runnable-language blocks of one markdown file, with their skip notes.
 *
 * @param file Path relative to the repo root.
 * @param text Its contents.
 */
export function extractBlocks(file: string, text: string): DocBlock[] {
  const lines = text.split("\n");
  const out: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, info] = open;
    let j = i + 1;
    while (j < lines.length && !lines[j].startsWith(indent + fence)) j++;
    const lang = LANGS[info.toLowerCase()];
    if (lang) {
      // the paragraph right before the fence (deno fmt keeps a blank line and wraps long notes)
      let k = i - 1;
      while (k >= 0 && lines[k].trim() === "") k--;
      const para: string[] = [];
      while (k >= 0 && lines[k].trim() !== "" && !/^\s*(`{3,}|~{3,})/.test(lines[k])) {
        para.unshift(lines[k--].trim());
      }
      const note = NOTE.exec(para.join(" "));
      const code = lines.slice(i + 1, j).map((l) =>
        l.startsWith(indent) ? l.slice(indent.length) : l
      )
        .join("\n");
      out.push({ file, line: i + 1, lang, code, skip: note?.[1] });
    }
    i = j;
  }
  return out;
}

/** README.md and docs/*.md, in a stable order. */
async function docFiles(): Promise<string[]> {
  const files = ["README.md"];
  const docs: string[] = [];
  for await (const e of Deno.readDir(`${ROOT}/docs`)) {
    if (e.isFile && e.name.endsWith(".md")) docs.push(`docs/${e.name}`);
  }
  return files.concat(docs.sort());
}

const TIMEOUT_MS = 120_000;
const dec = new TextDecoder();

interface Ran {
  code: number | null;
  out: string;
  leftovers: string;
  timedOut: boolean;
}

/** Run `argv` in a new session (its own process group); kill the group on timeout or leftovers. */
async function runGrouped(argv: string[], env: Record<string, string>): Promise<Ran> {
  const child = new Deno.Command("setsid", {
    args: argv,
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroupOf(child.pid);
  }, TIMEOUT_MS);
  const done = await child.output();
  clearTimeout(timer);
  const leftovers = await groupMembers(child.pid);
  if (leftovers) killGroupOf(child.pid);
  return {
    code: timedOut ? null : done.code,
    out: `--- stdout\n${dec.decode(done.stdout)}\n--- stderr\n${dec.decode(done.stderr)}`,
    leftovers,
    timedOut,
  };
}

// A child Deno spawns is no process group leader, so `setsid` makes it a session (and group)
// leader in place: its group id is its pid.
function killGroupOf(pid: number): void {
  try {
    Deno.kill(-pid, "SIGKILL");
  } catch { /* gone */ }
}

/** Processes still in the block's process group ("" when none). */
async function groupMembers(pid: number): Promise<string> {
  const out = await new Deno.Command("ps", {
    args: ["-o", "pid=,stat=,args=", "-g", String(pid)],
    stdout: "piped",
    stderr: "null",
  }).output();
  // zombies (stat Z) have exited; only their reaping is pending
  return dec.decode(out.stdout).split("\n").filter((l) => l.trim() && !/^\s*\d+\s+Z/.test(l))
    .join("\n");
}

const blocks: DocBlock[] = [];
for (const f of await docFiles()) {
  blocks.push(...extractBlocks(f, await Deno.readTextFile(`${ROOT}/${f}`)));
}

const inst = blocks.some((b) => !b.skip && b.lang !== "ts") ? await installFramepipe() : undefined;
const scratch = await Deno.makeTempDir({ prefix: "framepipe-docs-" });
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(scratch, { recursive: true });
    if (inst) Deno.removeSync(inst.root, { recursive: true });
  } catch { /* best effort */ }
});
const env: Record<string, string> = {
  ...(inst?.env ?? {}),
  ...(inst ? { DENO_INSTALL_ROOT: inst.root } : {}),
};

/** Top-level repo entries, to remove what a block wrote there. */
function topLevel(): Set<string> {
  return new Set([...Deno.readDirSync(ROOT)].map((e) => e.name));
}

async function runShellish(b: DocBlock, script: string): Promise<void> {
  const before = topLevel();
  const path = `${scratch}/${b.file.replace(/\W/g, "_")}_${b.line}.sh`;
  await Deno.writeTextFile(path, script);
  const r = await runGrouped(["bash", "-e", "-o", "pipefail", path], env);
  for (const name of topLevel()) {
    if (!before.has(name) && b.code.includes(name)) {
      await Deno.remove(`${ROOT}/${name}`, { recursive: true }).catch(() => {});
    }
  }
  const where = `${b.file}:${b.line}`;
  assert.ok(!r.timedOut, `${where}: did not end within ${TIMEOUT_MS / 1000} s\n${r.out}`);
  assert.equal(r.code, 0, `${where}: exit ${r.code}\n${r.out}`);
  assert.equal(r.leftovers, "", `${where}: left processes running:\n${r.leftovers}`);
}

let docTests: Map<string, Promise<string>> | undefined;

/** `deno test --doc FILE` once per file; its output. */
function docTestOutput(file: string): Promise<string> {
  docTests ??= new Map();
  let p = docTests.get(file);
  if (!p) {
    p = new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", "--doc", file],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output().then((o) => dec.decode(o.stdout) + dec.decode(o.stderr));
    docTests.set(file, p);
  }
  return p;
}

for (const b of blocks) {
  const first = b.code.split("\n").find((l) => l.trim() !== "") ?? "";
  Deno.test({
    name: `${b.file}:${b.line} ${b.lang}: ${first.trim().slice(0, 70)}`,
    ignore: b.skip !== undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      if (b.lang === "sh") return await runShellish(b, b.code + "\n");
      if (b.lang === "python") {
        const file = /^#\s*(\S+\.py)\s*$/.exec(first.trim())?.[1];
        if (file) {
          const text = await Deno.readTextFile(`${ROOT}/${file}`).catch(() => undefined);
          assert.ok(text !== undefined, `${b.file}:${b.line}: names ${file}, which does not exist`);
          assert.equal(
            text.trimEnd(),
            b.code.trimEnd(),
            `${b.file}:${b.line} differs from ${file}`,
          );
        }
        const py = `${scratch}/${b.file.replace(/\W/g, "_")}_${b.line}.py`;
        await Deno.writeTextFile(py, b.code + "\n");
        return await runShellish(
          b,
          `framepipe images fixtures/frames --size 853x480 2>/dev/null | python3 '${py}'\n`,
        );
      }
      // ts: deno test --doc names each block FILE#START-END.ts (lines of the fence)
      const out = await docTestOutput(b.file);
      const id = new RegExp(`${b.file.replace(/[.]/g, "\\.")}#${b.line}-\\d+\\.ts`);
      const ok = new RegExp(`${id.source} \\.\\.\\. ok`);
      assert.match(out, id, `${b.file}:${b.line}: deno test --doc did not run this block\n${out}`);
      assert.match(out, ok, `${b.file}:${b.line}: failed under deno test --doc\n${out}`);
    },
  });
}

Deno.test("extractBlocks finds languages, lines and skip notes", () => {
  const md = [
    "# t",
    "```sh",
    "echo a",
    "```",
    "",
    "_Not run by the tests: a real",
    "camera._",
    "",
    "```python",
    "print(1)",
    "```",
    "text before, no note",
    "```json",
    "{}",
    "```",
    "  ```bash",
    "  echo b",
    "  ```",
  ].join("\n");
  const got = extractBlocks("x.md", md);
  assert.deepEqual(got.map((b) => [b.line, b.lang, b.code, b.skip]), [
    [2, "sh", "echo a", undefined],
    [9, "python", "print(1)", "a real camera"],
    [16, "sh", "echo b", undefined],
  ]);
});

Deno.test("(docs_test clean-up: the temp install root and scratch files)", async () => {
  await Deno.remove(scratch, { recursive: true }).catch(() => {});
  await inst?.remove();
});
