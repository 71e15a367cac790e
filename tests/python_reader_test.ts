// Runs the Python reader's unit tests (python/test_framepipe.py) with $PYTHON
// (default /usr/bin/python3, which has numpy and torch).
import assert from "node:assert";

const repoRoot = new URL("..", import.meta.url);

Deno.test("python reader unit tests pass", async () => {
  const python = Deno.env.get("PYTHON") || "/usr/bin/python3";
  const { code, stdout, stderr } = await new Deno.Command(python, {
    args: ["-m", "unittest", "-v", "python/test_framepipe.py"],
    cwd: repoRoot,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  const output = text.decode(stdout) + text.decode(stderr);
  if (code !== 0) console.error(output);
  assert.strictEqual(code, 0, `${python} -m unittest python/test_framepipe.py failed:\n${output}`);
});
