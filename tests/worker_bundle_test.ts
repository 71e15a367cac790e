/**
 * The decode worker bundle (`deno task build:worker`): committed and current, started from a blob
 * URL so workers need no permissions, and byte-identical to decoding on the main thread — from a
 * clone under the README's `--allow-read=DATA`, with no permissions at all, and imported over
 * http like a JSR/https import.
 */
import assert from "node:assert/strict";
import { buildWorkerModule, BUNDLE_MODULE, readCommittedModule } from "../scripts/build_worker.ts";
import { parseFrames, ROOT } from "./helpers.ts";

Deno.test("the committed decode worker bundle matches a fresh `deno task build:worker`", async () => {
  const committed = await readCommittedModule();
  const fresh = await buildWorkerModule();
  assert.ok(
    committed === fresh,
    `${BUNDLE_MODULE} is stale (decode/transform/render code changed since it was built): ` +
      "run `deno task build:worker` and commit the result",
  );
});

Deno.test("decode workers start with no permissions at all and match the main thread byte for byte", async () => {
  for (const file of ["fixtures/frames/169_0.jpg", "fixtures/frames/169_250.jpg"]) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-q", "--no-prompt", "tests/tools/worker_probe.ts"],
      cwd: ROOT,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const w = child.stdin.getWriter();
    await w.write(await Deno.readFile(`${ROOT}/${file}`));
    await w.close();
    const out = await child.output();
    const err = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, err);
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.length, 5, err);
    for (const l of lines) assert.ok(l.same, `${file} ${JSON.stringify(l.options)} differs`);
  }
});

async function cli(perms: string[], args: string[], entry = "cli.ts") {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", "--no-prompt", ...perms, entry, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: out.stdout, stderr: new TextDecoder().decode(out.stderr) };
}

const JOB = ["images", "fixtures/frames", "--size", "80x60"];

Deno.test("from a clone, `--allow-read=DATA` decodes on workers with no notice, same frames as --workers 0", async () => {
  const pooled = await cli(["--allow-read=fixtures/frames"], [...JOB, "--workers", "2"]);
  const inline = await cli(["--allow-read=fixtures/frames"], [...JOB, "--workers", "0"]);
  assert.equal(pooled.code, 0, pooled.stderr);
  assert.equal(inline.code, 0, inline.stderr);
  assert.doesNotMatch(pooled.stderr, /read access|main thread|worker/i);
  assert.equal(pooled.stderr.trim().split("\n").length, 1, `one summary line:\n${pooled.stderr}`);
  const a = await parseFrames(pooled.stdout), b = await parseFrames(inline.stdout);
  assert.equal(a.length, 12);
  assert.deepEqual(a.map((f) => f.payload), b.map((f) => f.payload));
});

Deno.test("imported over http (like JSR/https), `--allow-read=DATA` decodes on workers", async () => {
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} },
    async (req) => {
      const path = decodeURIComponent(new URL(req.url).pathname);
      if (!/^\/(cli|mod)\.ts$|^\/src\/[\w/.-]+\.ts$/.test(path) || path.includes("..")) {
        return new Response("not found", { status: 404 });
      }
      try {
        return new Response(await Deno.readFile(`${ROOT}${path}`), {
          headers: { "content-type": "application/typescript" },
        });
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  try {
    const host = `127.0.0.1:${server.addr.port}`;
    const entry = `http://${host}/cli.ts`;
    const perms = [`--allow-import=${host}`, "--allow-read=fixtures/frames"];
    const r = await cli(perms, [...JOB, "--workers", "2"], entry);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /read access|main thread|worker/i);
    const local = await cli(["--allow-read=fixtures/frames"], [...JOB, "--workers", "0"]);
    const a = await parseFrames(r.stdout), b = await parseFrames(local.stdout);
    assert.equal(a.length, 12);
    assert.deepEqual(a.map((f) => f.payload), b.map((f) => f.payload));
  } finally {
    ac.abort();
    await server.finished;
  }
});
