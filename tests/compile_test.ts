/**
 * `deno task compile*`: the permission sets baked into the compiled variants are enough for the
 * jobs they are for. The binaries themselves cannot be built here (the `denort` runtime
 * download is blocked, see docs/COMPILE.md), so each job runs with `deno run --no-prompt` and
 * exactly the permission flags of its compile task.
 */
import assert from "node:assert/strict";
import { parseStream, ROOT, withTempDir } from "./helpers.ts";

const tasks: Record<string, string> = JSON.parse(
  await Deno.readTextFile(`${ROOT}/deno.json`),
).tasks;

/** The `--allow-*` flags of a compile task. */
function permsOf(task: string): string[] {
  const cmd = tasks[task];
  assert.ok(cmd, `no task ${task}`);
  return cmd.split(/\s+/).filter((a) => a.startsWith("--allow-"));
}

async function runWith(task: string, args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", "--no-prompt", ...permsOf(task), "cli.ts", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: out.stdout, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("every compile task writes to dist/ and needs no --include (workers load from a blob URL)", () => {
  const names = Object.keys(tasks).filter((t) => t === "compile" || t.startsWith("compile:"));
  assert.deepEqual(names.sort(), ["compile", "compile:capture", "compile:images", "compile:net"]);
  for (const t of names) {
    assert.match(tasks[t], /^deno compile /);
    assert.doesNotMatch(tasks[t], /--include/, t);
    assert.match(tasks[t], /--output dist\/framepipe\S* cli\.ts$/, t);
  }
});

Deno.test("nothing framepipe runs is loaded from a module URL at run time (compile-ready)", async () => {
  // `deno compile` embeds only the static module graph; a `new Worker(new URL(...))` or a
  // dynamic import of a local module would be missing from the binary.
  const hits: string[] = [];
  for await (const f of walkTs(`${ROOT}/src`)) {
    // code only: block comments (JSDoc mentions `import("./x.ts")` types) and line comments out
    const code = (await Deno.readTextFile(f)).replace(/\/\*[\s\S]*?\*\//g, "")
      .split("\n").filter((l) => !/^\s*\/\//.test(l)).join("\n");
    const moduleUrl = /new URL\(\s*["'`][^"'`]+\.[jt]s["'`]\s*,\s*import\.meta\.url/;
    if (
      /new Worker\(\s*new URL|import\(\s*["'`]\.|import\.meta\.resolve/.test(code) ||
      moduleUrl.test(code)
    ) {
      hits.push(f);
    }
  }
  assert.deepEqual(hits, []);
});

async function* walkTs(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) yield* walkTs(p);
    else if (e.name.endsWith(".ts")) yield p;
  }
}

Deno.test("compile:images permissions stream a folder, with decode workers", async () => {
  const r = await runWith("compile:images", ["images", "fixtures/frames", "--size", "64x48"]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /main thread/, "workers start");
  assert.equal((await parseStream(r.stdout)).filter((x) => x.kind === "frame").length, 12);
});

Deno.test("compile:capture permissions capture a video file through ffmpeg", async () => {
  await withTempDir(async (dir) => {
    const video = `${dir}/v.mp4`;
    const ff = await new Deno.Command("ffmpeg", {
      args: [
        "-v",
        "error",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=64x48:rate=5:duration=1",
        "-y",
        video,
      ],
    }).output();
    assert.ok(ff.success);
    for (const task of ["compile:capture", "compile"]) {
      const r = await runWith(task, ["capture", video, "--frames", "3"]);
      assert.equal(r.code, 0, `${task}: ${r.stderr}`);
      assert.equal((await parseStream(r.stdout)).filter((x) => x.kind === "frame").length, 3);
    }
  });
});

Deno.test("compile:net permissions send frames to a tcp:// consumer", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const got = (async () => {
    const c = await listener.accept();
    const chunks: Uint8Array[] = [];
    for await (const b of c.readable) chunks.push(b);
    return chunks.reduce((n, b) => n + b.length, 0);
  })();
  for (const task of ["compile:net"]) {
    const r = await runWith(task, [
      "images",
      "fixtures/frames",
      "--size",
      "32x24",
      "--out",
      `tcp://127.0.0.1:${port}`,
    ]);
    assert.equal(r.code, 0, `${task}: ${r.stderr}`);
  }
  assert.ok(await got > 12 * 3 * 32 * 24);
  listener.close();
});

Deno.test("the all-in-one compile permissions also cover preview (read + write)", async () => {
  await withTempDir(async (dir) => {
    const r = await runWith("compile", ["preview", "fixtures/frames", "-o", `${dir}/p.png`, "-q"]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await Deno.stat(`${dir}/p.png`)).size > 1000);
  });
});
