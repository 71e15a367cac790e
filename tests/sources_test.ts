/**
 * Folder walks, globs and stdin: each real file once, globs under --allow-read only, and input
 * that is not a JPEG counted as skipped — through the real CLI.
 */
import assert from "node:assert/strict";
import { compileGlob, expandBraces } from "../src/sources/glob.ts";
import { parseStream, ROOT, runCli, withTempDir } from "./helpers.ts";

const GOOD = await Deno.readFile(`${ROOT}/fixtures/frames/169_0.jpg`);

Deno.test("a symlink loop, a link to a walked folder and a file given twice are read once and counted", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/data/sub`, { recursive: true });
    await Deno.writeFile(`${dir}/data/169_0.jpg`, GOOD);
    await Deno.writeFile(`${dir}/data/sub/169_25.jpg`, GOOD);
    await Deno.symlink(".", `${dir}/data/self`); // loop: data/self/self/...
    await Deno.symlink("sub", `${dir}/data/alias`); // a second way into sub
    const r = await runCli(
      ["images", `${dir}/data`, `${dir}/data/169_0.jpg`, "--size", "8x8"],
      { permissions: [`--allow-read=${dir}`] },
    );
    assert.equal(r.code, 0, r.stderr);
    const recs = await parseStream(r.stdout);
    const frames = recs.filter((x) => x.kind === "frame");
    assert.deepEqual(frames.map((f) => f.meta.key), ["169_0.jpg", "sub/169_25.jpg"]);
    assert.equal(recs.at(-1)!.meta.repeated, 3);
    const lines = r.stderr.split("\n").filter((l) => /repeated/.test(l));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /skipped 3 repeated paths/);
  });
});

Deno.test("a link to a file outside any walked folder is read under its link name", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/a`);
    await Deno.mkdir(`${dir}/b`);
    await Deno.writeFile(`${dir}/b/169_50.jpg`, GOOD);
    await Deno.symlink(`${dir}/b/169_50.jpg`, `${dir}/a/link.jpg`);
    const r = await runCli(["images", `${dir}/a`, "--size", "8x8"], {
      permissions: [`--allow-read=${dir}`],
    });
    assert.equal(r.code, 0, r.stderr);
    const recs = await parseStream(r.stdout);
    assert.deepEqual(recs.filter((x) => x.kind === "frame").map((f) => f.meta.key), ["link.jpg"]);
    assert.equal(recs.at(-1)!.meta.repeated, 0);
  });
});

Deno.test("text on `images -` is counted as skipped and exits 1 with one line", async () => {
  const text = new TextEncoder().encode("not a jpeg, just words\n".repeat(1100)); // ~24 KB
  const r = await runCli(["images", "-", "--size", "8x8"], { permissions: [], stdin: text });
  assert.equal(r.code, 1, r.stderr);
  const recs = await parseStream(r.stdout);
  assert.equal(recs.filter((x) => x.kind === "frame").length, 0);
  assert.equal(recs.at(-1)!.meta.skipped, 1);
  assert.equal(recs.at(-1)!.meta.not_jpeg, 1);
  assert.match(r.stderr, new RegExp(`${text.length} bytes on stdin that are not a JPEG`));
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

Deno.test("bytes between JPEGs on stdin are one skip each; the JPEGs still stream (exit 0)", async () => {
  const junk = new TextEncoder().encode("junk");
  const input = new Uint8Array([...junk, ...GOOD, ...junk, ...GOOD]);
  const r = await runCli(["images", "-", "--size", "8x8"], { permissions: [], stdin: input });
  assert.equal(r.code, 0, r.stderr);
  const recs = await parseStream(r.stdout);
  assert.equal(recs.filter((x) => x.kind === "frame").length, 2);
  assert.equal(recs.at(-1)!.meta.skipped, 2);
  assert.match(r.stderr, /skipped "stdin@0": 4 bytes/);
  assert.match(r.stderr, new RegExp(`skipped "stdin@${4 + GOOD.length}": 4 bytes`));
});

Deno.test("empty stdin produces no frame and exits 1", async () => {
  const r = await runCli(["images", "-"], { permissions: [], stdin: new Uint8Array(0) });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /stdin held no JPEG/);
});

Deno.test("a glob works under --allow-read=DIR alone (no env access)", async () => {
  await withTempDir(async (dir) => {
    for (const v of ["v1", "v2"]) {
      await Deno.mkdir(`${dir}/data/${v}/deeper`, { recursive: true });
      await Deno.writeFile(`${dir}/data/${v}/169_0.jpg`, GOOD);
      await Deno.writeFile(`${dir}/data/${v}/deeper/169_25.jpg`, GOOD);
    }
    await Deno.writeFile(`${dir}/data/v1/.hidden.jpg`, GOOD);
    const r = await runCli(["images", `${dir}/data/*/*.jpg`, "--size", "8x8"], {
      permissions: [`--allow-read=${dir}/data`],
    });
    assert.equal(r.code, 0, r.stderr);
    const keys = (await parseStream(r.stdout)).filter((x) => x.kind === "frame")
      .map((f) => f.meta.key);
    assert.deepEqual(keys, ["v1/169_0.jpg", "v2/169_0.jpg"]);
    const deep = await runCli(["images", `${dir}/data/v{1,2}/**/*.jpg`, "--size", "8x8"], {
      permissions: [`--allow-read=${dir}/data`],
    });
    assert.equal(deep.code, 0, deep.stderr);
    const deepKeys = (await parseStream(deep.stdout)).filter((x) => x.kind === "frame")
      .map((f) => f.meta.key);
    assert.deepEqual(deepKeys, [
      "v1/169_0.jpg",
      "v1/deeper/169_25.jpg",
      "v2/169_0.jpg",
      "v2/deeper/169_25.jpg",
    ]);
  });
});

Deno.test("compileGlob() matches like a shell: *, ?, classes, braces, ** and no dot files", () => {
  const t = (p: string, s: string) => compileGlob(p).test(s);
  assert.ok(t("*.jpg", "a.jpg"));
  assert.ok(!t("*.jpg", "d/a.jpg"));
  assert.ok(!t("*.jpg", ".a.jpg"));
  assert.ok(t(".*.jpg", ".a.jpg"));
  assert.ok(t("**/*.jpg", "a.jpg"));
  assert.ok(t("**/*.jpg", "x/y/a.jpg"));
  assert.ok(!t("**/*.jpg", "x/.git/a.jpg"));
  assert.ok(t("a/**", "a/b/c"));
  assert.ok(t("169_?.jpg", "169_5.jpg"));
  assert.ok(!t("169_?.jpg", "169_50.jpg"));
  assert.ok(t("[0-9]*.jpg", "1.jpg"));
  assert.ok(!t("[!0-9]*.jpg", "1.jpg"));
  assert.ok(t("*.{jpg,png}", "a.png"));
  assert.ok(t("a+b(1).jpg", "a+b(1).jpg"));
  assert.ok(!t("a.jpg", "aXjpg"));
  assert.deepEqual(expandBraces("v{1,2}/{a,{b,c}}"), [
    "v1/a",
    "v1/b",
    "v1/c",
    "v2/a",
    "v2/b",
    "v2/c",
  ]);
  assert.deepEqual(expandBraces("{x}.jpg"), ["{x}.jpg"]);
  assert.equal(compileGlob("*/*.jpg").maxDepth, 2);
  assert.equal(compileGlob("**/*.jpg").maxDepth, Infinity);
});

Deno.test("a dangling symlink is skipped and counted with its reason, not silently left out", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/data`);
    await Deno.writeFile(`${dir}/data/169_0.jpg`, GOOD);
    await Deno.symlink(`${dir}/gone.jpg`, `${dir}/data/169_25.jpg`);
    const r = await runCli(["images", `${dir}/data`, "--size", "8x8"], {
      permissions: [`--allow-read=${dir}`],
    });
    assert.equal(r.code, 0, r.stderr);
    const recs = await parseStream(r.stdout);
    assert.equal(recs.filter((x) => x.kind === "frame").length, 1);
    assert.equal(recs.at(-1)!.meta.skipped, 1);
    assert.match(r.stderr, /skipped "169_25\.jpg": .*no such file/);
  });
});
