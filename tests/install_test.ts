/**
 * The `framepipe` command: `deno task install` from a clone puts it on PATH (here: into a temp
 * install root via DENO_INSTALL_ROOT), with the permissions the README documents, and the README's
 * one-liners then run as written.
 */
import assert from "node:assert/strict";

import { installFramepipe, ROOT } from "./helpers.ts";

const tasks: Record<string, string> = JSON.parse(
  await Deno.readTextFile(`${ROOT}/deno.json`),
).tasks;
const readme = await Deno.readTextFile(`${ROOT}/README.md`);

/** The `--allow-*` flags of a command line. */
function allowFlags(cmd: string): string[] {
  return cmd.split(/\s+/).filter((a) => a.startsWith("--allow-"));
}

async function sh(script: string, env: Record<string, string>) {
  const out = await new Deno.Command("bash", {
    args: ["-eo", "pipefail", "-c", script],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("`deno task install` puts a framepipe command on PATH that streams into the Python reader", async () => {
  const inst = await installFramepipe();
  try {
    const shim = await Deno.readTextFile(`${inst.bin}/framepipe`);
    assert.deepEqual(allowFlags(shim).sort(), allowFlags(tasks.install).sort(), shim);
    const r = await sh(
      `"${inst.bin}/framepipe" images fixtures/frames --size 64x48 | python3 python/framepipe.py --summary`,
      inst.env,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /frames:\s+12\b.*3x48x64/);
    assert.match(r.stdout, /skipped=0/);
    // on PATH, by name, exactly as the README writes it
    const byName = await sh(
      "framepipe images fixtures/frames --size 64x48 --format raw | wc -c",
      inst.env,
    );
    assert.equal(byName.code, 0, byName.stderr);
    assert.equal(Number(byName.stdout.trim()), 12 * 3 * 48 * 64);
  } finally {
    await inst.remove();
  }
});

Deno.test('a torch DataLoader over FrameStream(["framepipe", ...]) runs with the installed command', async () => {
  const inst = await installFramepipe();
  try {
    const py = [
      "import torch, framepipe",
      "ds = framepipe.FrameStream(['framepipe', 'images', 'fixtures/frames', '--size', '64x48',",
      "                            '--labels', 'fixtures/phases.json', '--even-shards'])",
      "n = 0",
      "for x, y in torch.utils.data.DataLoader(ds, batch_size=4, num_workers=2):",
      "    assert tuple(x.shape[1:]) == (3, 48, 64), x.shape",
      "    n += len(x)",
      "print(n)",
    ].join("\n");
    const r = await sh(`python3 -c "$PY"`, { ...inst.env, PY: py });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), "12");
  } finally {
    await inst.remove();
  }
});

Deno.test("the README documents the install task's flags and the JSR install with the same flags", () => {
  const flags = allowFlags(tasks.install);
  assert.ok(flags.length > 0);
  const jsr = readme.match(/deno install -g -n framepipe ([^\n]*?)jsr:@framepipe\/framepipe\/cli/);
  assert.ok(
    jsr,
    "README shows `deno install -g -n framepipe <flags> jsr:@framepipe/framepipe/cli`",
  );
  assert.deepEqual(allowFlags(jsr[1]).sort(), [...flags].sort());
  assert.match(readme, /deno task install/);
  for (const f of flags) assert.ok(readme.includes(f), `README mentions ${f}`);
});
