/**
 * JSR readiness: documentation lint of the public entry points and a publish dry run.
 *
 * The dry run uses `--allow-dirty` because several people work in this checkout at once
 * (uncommitted files would otherwise abort it). It needs no network: it was checked with
 * `unshare -n` (no network namespace); it does not contact jsr.io, so name/scope availability
 * and the upload itself are not verified here.
 */
import assert from "node:assert/strict";
import { ROOT } from "./helpers.ts";

async function deno(args: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

Deno.test("deno doc --lint finds no undocumented or private types in mod.ts and cli.ts", async () => {
  const r = await deno(["doc", "--lint", "mod.ts", "cli.ts"]);
  assert.equal(r.code, 0, r.out);
  assert.doesNotMatch(r.out, /error\[/);
});

Deno.test("deno publish --dry-run passes (no slow types) and ships the LICENSE", async () => {
  const r = await deno(["publish", "--dry-run", "--allow-dirty"]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /Success Dry run complete/);
  assert.match(r.out, /Checking for slow types/);
  assert.match(r.out, /\/LICENSE\b/);
  assert.doesNotMatch(r.out, /\/tests\/|\/fixtures\/|\/examples\//, "excluded folders stay out");
  const license = await Deno.readTextFile(`${ROOT}/LICENSE`);
  assert.match(license, /^MIT License/);
  const cfg = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  assert.equal(cfg.license, "MIT");
});
