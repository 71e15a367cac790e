/**
 * Runs the shared corpus checker (check_decoder.py) against the decoder CLI
 * and asserts every good file decodes (PSNR >= 35 dB vs libjpeg-turbo) and
 * every bad file fails cleanly.
 *
 * Needs Python 3 with numpy: `/usr/bin/python3` by default, or `$PYTHON`.
 * The decoder command can be overridden with `$FRAMEPIPE_CORPUS_CMD` (a
 * check_decoder.py `--cmd` template writing raw RGB, `{in}` = input path).
 */
import assert from "node:assert/strict";

const CORPUS = new URL("../../shared/jpeg-corpus/", import.meta.url).pathname;
const ROOT = new URL("../", import.meta.url).pathname;
const PYTHON = Deno.env.get("PYTHON") ?? "/usr/bin/python3";
const READ = new URL("../../", import.meta.url).pathname;
/** The CLI as a user runs it (default decoder: WASM fast path with TypeScript fallback). */
const CLI_CMD =
  `deno run -q --allow-read=${READ} ${ROOT}cli.ts images {in} --layout hwc --format raw`;
// Raw RGB carries no size, so the checker reshapes with the stored size unless told the output is
// display-oriented: the default CLI applies EXIF orientation (checked with --orientation display),
// --no-orientation keeps the stored pixels (checked with --orientation raw).
const CMDS: [string, string, string][] = Deno.env.get("FRAMEPIPE_CORPUS_CMD")
  ? [["$FRAMEPIPE_CORPUS_CMD", Deno.env.get("FRAMEPIPE_CORPUS_CMD")!, "either"]]
  : [
    ["framepipe images (default decoder, EXIF applied)", CLI_CMD, "display"],
    [
      "framepipe images --decoder ts --no-orientation (the generic TypeScript decoder)",
      `${CLI_CMD} --decoder ts --no-orientation`,
      "raw",
    ],
  ];

function pythonHasNumpy(): boolean {
  try {
    const r = new Deno.Command(PYTHON, {
      args: ["-c", "import numpy"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync();
    return r.success;
  } catch {
    return false;
  }
}

const haveNumpy = pythonHasNumpy();
const haveCorpus = (() => {
  try {
    return Deno.statSync(CORPUS + "check_decoder.py").isFile;
  } catch {
    return false;
  }
})();
if (!haveNumpy) {
  console.warn(`corpus_test: skipped, ${PYTHON} has no numpy (set PYTHON to a Python with numpy)`);
} else if (!haveCorpus) {
  console.warn(`corpus_test: skipped, no corpus at ${CORPUS}`);
}

for (const [label, CMD, orientation] of CMDS) {
  Deno.test({
    name: `${label} passes every good and bad file of the JPEG corpus`,
    ignore: !haveNumpy || !haveCorpus,
    async fn() {
      const json = await Deno.makeTempFile({ suffix: ".json" });
      try {
        const out = await new Deno.Command(PYTHON, {
          args: [
            CORPUS + "check_decoder.py",
            CORPUS,
            "--output-format",
            "rgb",
            "--quiet",
            "--json",
            json,
            "--orientation",
            orientation,
            "--cmd",
            CMD,
          ],
          cwd: ROOT,
          stdout: "piped",
          stderr: "piped",
        }).output();
        const report = JSON.parse(await Deno.readTextFile(json));
        const failed = (report.results as { result: string; path: string; detail: string }[])
          .filter((r) => r.result !== "PASS")
          .map((r) => `${r.path}: ${r.detail}`);
        assert.deepEqual(
          failed,
          [],
          `corpus failures:\n${failed.join("\n")}\n${new TextDecoder().decode(out.stderr)}`,
        );
        const s = report.summary;
        assert.ok(s.good.PASS > 0 && s.bad.PASS > 0, "the checker ran no files");
        assert.equal(s.good.FAIL, 0);
        assert.equal(s.bad.FAIL, 0);
      } finally {
        await Deno.remove(json).catch(() => {});
      }
    },
  });
}
