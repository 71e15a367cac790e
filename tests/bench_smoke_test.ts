/**
 * Smoke test: `bench/bench.ts --quick` runs end to end and prints every table. No timing
 * assertions (the numbers depend on the machine and its load).
 */
import assert from "node:assert/strict";
import { pythonHas, ROOT } from "./helpers.ts";

const ready = await pythonHas("numpy", "PIL") && await hasCommand("ffmpeg");

/** Whether `cmd -version` runs. */
async function hasCommand(cmd: string): Promise<boolean> {
  try {
    const o = await new Deno.Command(cmd, { args: ["-version"], stdout: "null", stderr: "null" })
      .output();
    return o.success;
  } catch {
    return false;
  }
}

Deno.test("bench --quick prints every section and exits 0", { ignore: !ready }, async () => {
  const o = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-run",
      "--allow-env",
      "--allow-sys",
      "--allow-net",
      "bench/bench.ts",
      "--quick",
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(o.stdout);
  const err = new TextDecoder().decode(o.stderr);
  assert.equal(o.code, 0, `${out}\n${err}`);
  for (
    const heading of [
      "# framepipe bench",
      "- corpus:",
      "## End to end",
      "## Decode throughput",
      "## Where the time goes",
      "## Peak RSS",
    ]
  ) {
    assert.ok(out.includes(heading), `missing "${heading}" in:\n${out}`);
  }
  const rows = ["framepipe (default", "ffmpeg rawvideo pipe -lowres 1"];
  if (await pythonHas("torch")) rows.push("PIL draft(), DataLoader 2 workers");
  if (await pythonHas("torch", "cv2")) rows.push("OpenCV IMREAD_REDUCED_COLOR_2");
  if (await pythonHas("torch", "torchvision")) rows.push("torchvision decode_jpeg");
  for (const row of rows) assert.ok(out.includes(row), `missing row "${row}" in:\n${out}`);
  assert.match(out, /framepipe vs the best of .*\n\n- frames\/s: [\d.]+x /);
});
