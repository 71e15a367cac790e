// The Python package as users install and run it: `pip install --no-build-isolation ./python`
// into a fresh `--system-site-packages` venv (tests/helpers.ts framepipeVenv), `framepipe` on
// PATH from `deno task install` (installFramepipe), the README's Python examples, read_rgb_image
// against the CLI's bytes, the decode helper's life cycle, ImageFolder/FrameStream with torch
// DataLoader workers, and producer errors.
import assert from "node:assert/strict";
import { CORPUS, framepipeVenv, installFramepipe, PYTHON, ROOT } from "./helpers.ts";

const text = new TextDecoder();

let installed: ReturnType<typeof installFramepipe> | undefined;
/** `framepipe` on PATH and `python3` = the venv with the package installed (once per file). */
function env() {
  return installed ??= installFramepipe();
}

interface PyResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `code` with the installed package's python (or `python`), from the repo root. */
async function py(
  code: string,
  opts: { env?: Record<string, string>; stdin?: Uint8Array; python?: string; cwd?: string } = {},
): Promise<PyResult> {
  const python = opts.python ?? await framepipeVenv();
  assert.ok(python, "pip install --no-build-isolation ./python into a venv failed");
  const base = opts.python ? {} : (await env()).env;
  const child = new Deno.Command(python, {
    args: ["-c", code],
    cwd: opts.cwd ?? ROOT,
    env: { ...base, ...opts.env },
    stdin: opts.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin) {
    const w = child.stdin.getWriter();
    await w.write(opts.stdin).catch(() => {});
    await w.close().catch(() => {});
  }
  const out = await child.output();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

function ok(r: PyResult): string {
  assert.equal(r.code, 0, `python failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** `deno run --allow-read=READ cli.ts ARGS` (the flags the README gives for `images`). */
async function cli(read: string, args: string[]): Promise<Uint8Array> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", `--allow-read=${read}`, "cli.ts", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, text.decode(out.stderr));
  return out.stdout;
}

/** True while process `pid` exists (and is not a zombie). */
async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

/** Wait up to `ms` for every pid to be gone; return those still alive. */
async function survivors(pids: number[], ms = 5000): Promise<number[]> {
  const end = Date.now() + ms;
  let left = pids;
  while (true) {
    const still: number[] = [];
    for (const p of left) if (await alive(p)) still.push(p);
    if (still.length === 0 || Date.now() > end) return still;
    left = still;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const hasTorch = (await new Deno.Command(PYTHON, {
  args: ["-c", "import torch"],
  stdout: "null",
  stderr: "null",
}).output()).success;

Deno.test("the Python package's version is deno.json's", async () => {
  const deno = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  const src = await Deno.readTextFile(`${ROOT}/python/framepipe/_version.py`);
  assert.equal(/__version__ = "([^"]+)"/.exec(src)?.[1], deno.version);
});

Deno.test("pip install ./python: read_rgb_image, python -m framepipe and python/framepipe.py run from the installed package", async () => {
  const out = ok(
    await py(
      `import framepipe, sys
print(framepipe.__file__)
print(framepipe.read_rgb_image('fixtures/frames/169_0.jpg', width=853, height=480).shape)`,
    ),
  );
  const [file, shape] = out.trim().split("\n");
  assert.match(file, /site-packages\/framepipe\/__init__\.py$/, "not the installed package");
  assert.equal(shape, "(3, 480, 853)");
  const stream = await cli("fixtures", ["images", "fixtures/frames", "--size", "64x48"]);
  const viaModule = ok(
    await py(
      "import runpy, sys; sys.argv = ['x', '--json']; runpy.run_module('framepipe', run_name='__main__')",
      {
        stdin: stream,
      },
    ),
  );
  assert.equal(JSON.parse(viaModule).frames, 12);
  const script = await new Deno.Command(PYTHON, {
    args: ["python/framepipe.py", "--summary"],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = script.stdin.getWriter();
  await w.write(stream);
  await w.close();
  const s = await script.output();
  assert.equal(s.code, 0, text.decode(s.stderr));
  assert.match(text.decode(s.stdout), /frames: {3}12 {2}\(shapes 3x48x64: 12/);
});

Deno.test("the README's Python examples run against the installed package", async () => {
  const readme = await Deno.readTextFile(`${ROOT}/README.md`);
  const section = readme.slice(readme.indexOf("## Python\n"), readme.indexOf("## Permissions\n"));
  const blocks = [...section.matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.length >= 2, "the README's Python section has no python blocks");
  const stream = await cli("fixtures", ["images", "fixtures/frames", "--size", "853x480"]);
  for (const code of blocks) {
    if (!hasTorch && /import torch/.test(code)) continue;
    const guard = "import framepipe as _f\nassert '/site-packages/' in _f.__file__, _f.__file__\n";
    const r = await py(guard + code, { stdin: stream });
    assert.equal(r.code, 0, `README block failed:\n${code}\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /signal received|Traceback/, r.stderr);
  }
});

const CORPUS_FILES = [
  "arith_prog_420.jpg",
  "cmyk_adobe_pil.jpg",
  "exif_orientation_6.jpg",
  "gray_progressive.jpg",
  "mjpeg_webcam_no_dht_422.jpg",
  "prog_restart_2B.jpg",
  "size_17x13_progressive.jpg",
  "size_1x1.jpg",
  "sub_411_q80.jpg",
  "ycck_adobe_turbojpeg_420.jpg",
].map((f) => `${CORPUS}good/${f}`);

Deno.test("read_rgb_image returns the bytes of `framepipe images --format raw` (fixtures, corpus)", async () => {
  const files = [
    ...[...Deno.readDirSync(`${ROOT}/fixtures/frames`)].map((e) => `fixtures/frames/${e.name}`),
    "fixtures/classes/tissue/tissue_0.jpg",
    ...CORPUS_FILES,
  ].sort();
  const cases: [string, string[], string][] = [
    ["96x64", [], "width=96, height=64"],
    ["853x480", [], ""],
    [
      "50x70",
      ["--fit", "cover", "--resize", "nearest"],
      "width=50, height=70, fit='cover', resize='nearest'",
    ],
  ];
  for (const [size, flags, kwargs] of cases) {
    const want = await cli(`fixtures,${CORPUS}`, [
      "images",
      ...files,
      "--size",
      size,
      ...flags,
      "--format",
      "raw",
      "--on-error",
      "fail",
    ]);
    const [w, h] = size.split("x").map(Number);
    const n = 3 * w * h;
    assert.equal(want.length, n * files.length, `CLI produced ${want.length / n} frames`);
    const hashes = ok(
      await py(
        `import sys, hashlib, framepipe
for f in ${JSON.stringify(files)}:
    a = framepipe.read_rgb_image(f, ${kwargs})
    assert a.shape == (3, ${h}, ${w}) and a.dtype.name == 'uint8', a.shape
    print(hashlib.sha256(a.tobytes()).hexdigest())`,
      ),
    ).trim().split("\n");
    for (const [i, f] of files.entries()) {
      const digest = new Uint8Array(
        await crypto.subtle.digest("SHA-256", new Uint8Array(want.subarray(i * n, (i + 1) * n))),
      );
      const hex = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
      assert.equal(
        hashes[i],
        hex,
        `${f} at ${size} ${flags.join(" ")}: bytes differ from the CLI's`,
      );
    }
  }
});

Deno.test("read_rgb_image: keyword-only size, shape checks, one-line errors naming the file", async () => {
  const out = ok(
    await py(`import framepipe, json
res = {}
def err(f):
    try:
        f()
    except Exception as e:
        return [type(e).__name__, getattr(e, "kind", None), str(e)]
    return None
p = "fixtures/frames/169_0.jpg"
res["positional"] = err(lambda: framepipe.read_rgb_image(p, 853, 480))
res["zero"] = err(lambda: framepipe.read_rgb_image(p, width=0, height=480))
res["missing"] = err(lambda: framepipe.read_rgb_image("fixtures/nope.jpg", width=8, height=8))
res["corrupt"] = err(lambda: framepipe.read_rgb_image("${CORPUS}bad/corrupt_entropy_baseline.jpg", width=8, height=8))
res["not_jpeg"] = err(lambda: framepipe.read_rgb_image("fixtures/phases.json", width=8, height=8))
res["option"] = err(lambda: framepipe.read_rgb_image(p, width=8, height=8, colour="red"))
res["tall"] = list(framepipe.read_rgb_image(p, width=20, height=70).shape)
print(json.dumps(res))`),
  );
  const r = JSON.parse(out);
  assert.equal(r.positional[0], "TypeError");
  assert.match(r.positional[2], /width=853, height=480/);
  assert.equal(r.zero[0], "ValueError");
  assert.deepEqual(r.missing.slice(0, 2), ["DecodeError", "read"]);
  assert.match(r.missing[2], /nope\.jpg.*no such file/);
  assert.deepEqual(r.corrupt.slice(0, 2), ["DecodeError", "decode"]);
  assert.match(r.corrupt[2], /corrupt_entropy_baseline\.jpg/);
  assert.deepEqual(r.not_jpeg.slice(0, 2), ["DecodeError", "not-image"]);
  assert.equal(r.option[0], "TypeError");
  assert.deepEqual(r.tall, [3, 70, 20]);
  for (const v of Object.values(r)) {
    if (Array.isArray(v) && typeof v[2] === "string") assert.ok(!v[2].includes("\n"), v[2]);
  }
});

Deno.test("one decode helper per process: reused, not shared with a fork, gone after exit and SIGKILL", async () => {
  const out = ok(
    await py(`import os, json, time, framepipe
p = "fixtures/frames/169_0.jpg"
framepipe.read_rgb_image(p, width=16, height=16)
a = framepipe.decode_helper().pid
framepipe.read_rgb_image(p, width=16, height=16)
b = framepipe.decode_helper().pid
r, w = os.pipe()
child = os.fork()
if child == 0:
    os.close(r)
    framepipe.read_rgb_image(p, width=16, height=16)
    os.write(w, str(framepipe.decode_helper().pid).encode())
    os._exit(0)
os.close(w)
c = int(os.read(r, 100))
os.waitpid(child, 0)
framepipe.read_rgb_image(p, width=16, height=16)  # the parent's helper still answers
print(json.dumps({"a": a, "b": b, "child": c, "after": framepipe.decode_helper().pid}))`),
  );
  const r = JSON.parse(out);
  assert.equal(r.a, r.b, "the helper was not reused");
  assert.notEqual(r.child, r.a, "a forked child used its parent's helper");
  assert.equal(r.after, r.a);
  assert.deepEqual(await survivors([r.a, r.child]), [], "a decode helper outlived its process");

  // SIGKILL: no atexit, but the helper's stdin closes and it leaves
  const python = (await framepipeVenv())!;
  const child = new Deno.Command(python, {
    args: [
      "-c",
      `import framepipe, sys, time
framepipe.read_rgb_image("fixtures/frames/169_0.jpg", width=16, height=16)
print(framepipe.decode_helper().pid, flush=True)
time.sleep(60)`,
    ],
    cwd: ROOT,
    env: (await env()).env,
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  let line = "";
  while (!line.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    line += text.decode(value);
  }
  const helper = Number(line.trim());
  assert.ok(helper > 0 && await alive(helper), `no helper pid: ${line}`);
  child.kill("SIGKILL");
  await child.status;
  reader.releaseLock();
  await child.stdout.cancel();
  assert.deepEqual(await survivors([helper]), [], "the helper outlived a SIGKILLed Python");
});

Deno.test({
  name:
    "ImageFolder: labels and order from framepipe, trains with shuffle=True and 2 workers, Subset and DistributedSampler, helpers exit with their workers",
  ignore: !hasTorch,
  fn: async () => {
    const out = ok(
      await py(`import json, torch, framepipe
from torch.utils.data import DataLoader, Subset, DistributedSampler
class Probe(framepipe.ImageFolder):
    def __getitem__(self, i):
        x, y = super().__getitem__(i)
        return x, y, framepipe.decode_helper().pid
ds = Probe("fixtures/classes", size=(32, 24))
res = {"len": len(ds), "classes": ds.classes, "class_to_idx": ds.class_to_idx,
       "targets": ds.targets, "keys": ds.keys, "shape": list(ds[0][0].shape),
       "dtype": str(ds[0][0].dtype), "main": framepipe.decode_helper().pid}
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 24 * 32, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.01)
pids, losses, seen = set(), [], []
for epoch in range(2):
    for x, y, pid in DataLoader(ds, batch_size=2, shuffle=True, num_workers=2):
        loss = torch.nn.functional.cross_entropy(model(x.float() / 255), y)
        opt.zero_grad(); loss.backward(); opt.step()
        losses.append(float(loss)); pids.update(pid.tolist()); seen += y.tolist()
res["steps"], res["finite"] = len(losses), all(l == l for l in losses)
res["labels_seen"] = sorted(seen)
res["worker_helpers"] = sorted(pids)
res["subset"] = [int(y) for _, y, _ in Subset(ds, [0, 5])]
sampler = DistributedSampler(ds, num_replicas=2, rank=1, shuffle=True, seed=3)
res["ddp"] = sum(len(y) for _, y, _ in DataLoader(ds, batch_size=2, sampler=sampler, num_workers=2))
print(json.dumps(res))`),
    );
    const r = JSON.parse(out);
    assert.equal(r.len, 6);
    assert.deepEqual(r.classes, ["instrument", "tissue"]);
    assert.deepEqual(r.class_to_idx, { instrument: 0, tissue: 1 });
    assert.deepEqual(r.targets, [0, 0, 0, 1, 1, 1]);
    assert.equal(r.keys[0], "instrument/instrument_0.jpg");
    assert.deepEqual(r.shape, [3, 24, 32]);
    assert.equal(r.dtype, "torch.uint8");
    assert.equal(r.steps, 6);
    assert.ok(r.finite);
    assert.deepEqual(r.labels_seen, [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    assert.equal(r.worker_helpers.length, 4, "one helper per worker per epoch");
    assert.ok(!r.worker_helpers.includes(r.main), "a worker used the main process's helper");
    assert.deepEqual(r.subset, [0, 1]);
    assert.equal(r.ddp, 3);
    assert.deepEqual(
      await survivors([...r.worker_helpers, r.main]),
      [],
      "a decode helper outlived its DataLoader worker or its Python process",
    );
  },
});

Deno.test("ImageFolder: a corrupt file gives the next good item at the same index every time; on_error='raise' raises", async () => {
  const dir = await Deno.makeTempDir({ prefix: "framepipe-folder-" });
  try {
    await Deno.mkdir(`${dir}/a`);
    await Deno.mkdir(`${dir}/b`);
    await Deno.copyFile(`${ROOT}/fixtures/frames/169_0.jpg`, `${dir}/a/1.jpg`);
    await Deno.copyFile(`${CORPUS}bad/corrupt_entropy_baseline.jpg`, `${dir}/a/2.jpg`);
    await Deno.copyFile(`${ROOT}/fixtures/frames/169_25.jpg`, `${dir}/a/3.jpg`);
    await Deno.copyFile(`${ROOT}/fixtures/frames/169_50.jpg`, `${dir}/b/1.jpg`);
    await Deno.writeTextFile(`${dir}/b/notes.txt`, "not an image\n");
    const out = ok(
      await py(`import json, warnings, numpy as np, framepipe
ds = framepipe.ImageFolder(${JSON.stringify(dir)}, size=(16, 12), as_tensor=False)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    items = [ds[i] for i in range(len(ds))] + [ds[1]]
res = {"len": len(ds), "keys": ds.keys, "not_images": ds.not_images,
       "same": bool(np.array_equal(items[1][0], items[2][0])), "label1": items[1][1],
       "again": bool(np.array_equal(items[4][0], items[2][0])), "skipped": sorted(ds.skipped),
       "warnings": [str(w.message) for w in caught]}
strict = framepipe.ImageFolder(${JSON.stringify(dir)}, size=(16, 12), on_error="raise")
try:
    strict[1]
except framepipe.DecodeError as e:
    res["raised"] = [e.kind, str(e)]
print(json.dumps(res))`),
    );
    const r = JSON.parse(out);
    assert.equal(r.len, 4);
    assert.deepEqual(r.keys, ["a/1.jpg", "a/2.jpg", "a/3.jpg", "b/1.jpg"]);
    assert.equal(r.not_images, 1);
    assert.ok(r.same, "ds[1] (corrupt) is not the next good item");
    assert.ok(r.again, "ds[1] changed between calls");
    assert.equal(r.label1, 0);
    assert.deepEqual(r.skipped, [1]);
    assert.equal(r.warnings.length, 1, JSON.stringify(r.warnings));
    assert.match(r.warnings[0], /2\.jpg/);
    assert.equal(r.raised?.[0], "decode");
    assert.match(r.raised[1], /a\/2\.jpg/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "FrameStream: a missing Deno permission in a DataLoader worker is a CommandError with the exit status and the producer's last stderr line",
  ignore: !hasTorch,
  fn: async () => {
    const narrow =
      `${Deno.execPath()} run --quiet --allow-read=${ROOT}/fixtures/frames ${ROOT}/cli.ts`;
    const out = ok(
      await py(
        `import json, torch, framepipe
ds = framepipe.FrameStream(framepipe.images("fixtures/classes", size=(32, 24)), echo_stderr=False)
try:
    for x, y in torch.utils.data.DataLoader(ds, batch_size=2, num_workers=2):
        pass
except framepipe.CommandError as e:
    print(json.dumps([type(e).__name__, e.returncode, e.last_line, str(e).count("empty stream")]))`,
        { env: { FRAMEPIPE_CMD: narrow } },
      ),
    );
    const [name, rc, last, empty] = JSON.parse(out);
    assert.equal(name, "CommandError");
    assert.equal(rc, 2);
    assert.match(last, /permission.*--allow-read/i);
    assert.equal(empty, 0, "the error is still the empty-stream message");
  },
});

Deno.test({
  name:
    "FrameStream: classes known in the main process; breaking early stops every producer quietly",
  ignore: !hasTorch,
  fn: async () => {
    const r = await py(`import json, torch, framepipe
cmd = framepipe.images("fixtures/classes", size=(32, 24), labels="dirs", loop=True, seed=424242)
ds = framepipe.FrameStream(cmd)
print(json.dumps(ds.classes))
for i, (x, y) in enumerate(torch.utils.data.DataLoader(ds, batch_size=2, num_workers=2)):
    if i == 2:
        break
print("done")`);
    ok(r);
    assert.deepEqual(JSON.parse(r.stdout.split("\n")[0]), ["instrument", "tissue"]);
    assert.doesNotMatch(r.stderr, /signal received|Traceback|error/i, r.stderr);
    await new Promise((res) => setTimeout(res, 500));
    const left = await new Deno.Command("pgrep", { args: ["-f", "--seed 424242"], stdout: "piped" })
      .output();
    assert.equal(text.decode(left.stdout).trim(), "", "a producer outlived the loop");
  },
});

Deno.test("images(): from a clone, exactly the read permissions its paths need (per-video label templates too), ImageFolder labels = the CLI's; no producer names both fixes", async () => {
  const deno = Deno.execPath();
  const clone = await py(
    `import json, framepipe
cmd = framepipe.images("fixtures/frames", size=(64, 48), labels="fixtures/phases.json")
glob = framepipe.images("fixtures/classes/*/*.jpg", size=None)
n = sum(1 for _ in framepipe.frames_from_command(cmd))
tpl = "fixtures/cholect50/labels/{video}.json"
video = framepipe.images("fixtures/cholect50/videos", size=(16, 12), labels=tpl)
cli = [(m["key"], m["labels"][0] if m["labels"] else -1)
       for m, _ in framepipe.frames_from_command(video, echo_stderr=False)]
ds = framepipe.ImageFolder("fixtures/cholect50/videos", size=(16, 12), labels=tpl)
same = cli == list(zip(ds.keys, ds.targets)) and len(cli) > 0
print(json.dumps([list(cmd), cmd.how, cmd.permissions, glob.permissions, n, video.permissions,
                  same]))`,
    {
      python: PYTHON,
      env: { PYTHONPATH: `${ROOT}/python`, PATH: `${deno.replace(/\/[^/]*$/, "")}:/usr/bin:/bin` },
    },
  );
  const [cmd, how, perms, globPerms, n, videoPerms, same] = JSON.parse(ok(clone));
  assert.deepEqual(videoPerms, [
    `--allow-read=${ROOT}/fixtures/cholect50/videos,${ROOT}/fixtures/cholect50/labels`,
  ]);
  assert.ok(same, "ImageFolder's keys and labels differ from framepipe images'");
  assert.equal(how, "clone");
  assert.deepEqual(perms, [`--allow-read=${ROOT}/fixtures/frames,${ROOT}/fixtures/phases.json`]);
  assert.deepEqual(globPerms, [`--allow-read=${ROOT}/fixtures/classes`]);
  assert.equal(cmd.filter((a: string) => a.startsWith("--allow")).length, 1, cmd.join(" "));
  assert.equal(n, 12);

  // the check: installed, run inside the clone, nothing on PATH, no FRAMEPIPE_CMD
  const inClone = await py(
    `import framepipe
print(framepipe.find_producer()[0], framepipe.read_rgb_image("fixtures/frames/169_0.jpg", width=853, height=480).shape)`,
    { env: { PATH: `${deno.replace(/\/[^/]*$/, "")}:/usr/bin:/bin`, FRAMEPIPE_CMD: "" } },
  );
  assert.equal(ok(inClone).trim(), "clone (3, 480, 853)");

  const elsewhere = await Deno.makeTempDir();
  const none = await py(
    `import framepipe
try:
    framepipe.images("fixtures/frames")
except framepipe.ProducerNotFoundError as e:
    print(e)`,
    { env: { PATH: "/usr/bin:/bin", FRAMEPIPE_CMD: "" }, cwd: elsewhere },
  );
  await Deno.remove(elsewhere);
  const msg = ok(none);
  assert.match(msg, /PATH/);
  assert.match(msg, /FRAMEPIPE_CMD/);
  assert.match(msg, /deno task install/);
});

const hasRedis = (await new Deno.Command(PYTHON, {
  args: ["-c", "import redis, shutil, sys; sys.exit(0 if shutil.which('redis-server') else 1)"],
  stdout: "null",
  stderr: "null",
}).output().catch(() => ({ success: false }))).success;

Deno.test({
  name:
    "redis_frames: frames lost from the stream are a gap with a warning, a repeated seq a duplicate",
  ignore: !hasRedis,
  fn: async () => {
    const out = ok(
      await py(`import json, socket, subprocess, time, warnings, redis, framepipe
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
srv = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                        "--appendonly", "no"], stdout=subprocess.DEVNULL)
try:
    r = redis.Redis(port=port)
    for _ in range(200):
        try:
            r.ping(); break
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    url = f"redis://127.0.0.1:{port}/cam"
    subprocess.run(["framepipe", "images", "fixtures/frames", "--size", "16x12", "--quiet",
                    "--out", url], check=True)
    entries = r.xrange("cam")  # H, F seq 0..11, E
    r.xdel("cam", entries[4][0], entries[5][0])  # frames seq 3 and 4 lost
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reader = framepipe.RedisReader(url, "g", "c", block_ms=100)
        metas = [m for m, _ in reader]
    res = {"seqs": [m["seq"] for m in metas], "gaps": {m["seq"]: m["gap"] for m in metas if "gap" in m},
           "missing": reader.missing,
           "warned": [str(w.message) for w in caught if issubclass(w.category, framepipe.FrameGapWarning)]}
    print(json.dumps(res))
finally:
    srv.kill(); srv.wait()`),
    );
    const r = JSON.parse(out);
    assert.deepEqual(r.seqs, [0, 1, 2, 5, 6, 7, 8, 9, 10, 11]);
    assert.deepEqual(r.gaps, { "5": 2 });
    assert.equal(r.missing, 2);
    assert.equal(r.warned.length, 1);
    assert.match(r.warned[0], /2 frame\(s\) missing before frame 5/);
  },
});
