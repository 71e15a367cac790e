/**
 * Every registered command explains itself: `--help` with examples and exit codes, and a
 * "did you mean" for mistyped options and commands.
 */
import assert from "node:assert/strict";
import { COMMANDS } from "../src/cli/main.ts";
import { runCli } from "./helpers.ts";

const dec = new TextDecoder();
const names = [...COMMANDS.keys()];

Deno.test("the command list includes the everyday commands", () => {
  for (const c of ["images", "capture", "inspect", "preview", "srt-serve"]) {
    assert.ok(names.includes(c), `${c} is not registered`);
  }
});

Deno.test("framepipe --help lists every command, examples and exit codes", async () => {
  const r = await runCli(["--help"]);
  assert.equal(r.code, 0);
  const out = dec.decode(r.stdout);
  for (const c of names) assert.match(out, new RegExp(`^  ${c} `, "m"), c);
  assert.match(out, /Examples:\n {2}\S/);
  assert.match(out, /Exit codes: 0 ok, 1 data error, 2 usage or setup error/);
});

for (const name of names) {
  Deno.test(`framepipe ${name} --help has options, examples and exit codes`, async () => {
    const r = await runCli([name, "--help"]);
    assert.equal(r.code, 0, r.stderr);
    const out = dec.decode(r.stdout);
    assert.match(out, new RegExp(`^Usage: framepipe ${name} `, "m"));
    assert.match(out, /Examples:\n/);
    const examples = out.slice(out.indexOf("Examples:"));
    assert.ok(
      /^ {2}(?!#).*\b(framepipe|cli\.ts) /m.test(examples),
      `${name}: no example command line`,
    );
    assert.match(out, /Exit codes: 0 ok, 1 data error, 2 usage or setup error/);
  });

  Deno.test(`framepipe ${name} suggests the option meant by a typo (exit 2)`, async () => {
    const help = dec.decode((await runCli([name, "--help"])).stdout);
    const opt = /^ {2}(?:-\w, | {4})--([a-z][a-z-]+)/m.exec(help.slice(help.indexOf("Options:")));
    assert.ok(opt, `${name}: no option in the help`);
    const r = await runCli([name, `--${opt[1]}x`]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`unknown option --${opt[1]}x .*did you mean --${opt[1]}\\?`));
  });
}

Deno.test("a mistyped command gets a suggestion and exit code 2", async () => {
  const r = await runCli(["imagse", "fixtures/frames"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command "imagse"; did you mean "images"\?/);
  const p = await runCli(["preveiw"]);
  assert.match(p.stderr, /did you mean "preview"\?/);
});
