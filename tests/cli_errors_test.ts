/**
 * Bad input through the real CLI: one stderr line with the documented exit code (1 data, 2 usage
 * or setup), never a stack trace; bounds on workers and output pixels; the error kinds.
 */
import assert from "node:assert/strict";
import { CAPTURE_SPEC } from "../src/cli/capture.ts";
import { FLAG_OF, withFlags } from "../src/cli/flags.ts";
import { IMAGES_SPEC } from "../src/cli/images.ts";
import { INSPECT_SPEC } from "../src/cli/inspect.ts";
import { PREVIEW_SPEC } from "../src/cli/preview.ts";
import { SRT_SERVE_SPEC } from "../src/cli/srt_serve.ts";
import { errorKind, EXIT_CODES, reportError } from "../src/cli/main.ts";
import { Logger } from "../src/cli/log.ts";
import { keepEvery } from "../src/sources/sampling.ts";
import { runCli } from "./helpers.ts";

const READ = ["--allow-read=fixtures"];

/** Assert one stderr line, the exit code, and no stack frames. */
function oneLine(r: { code: number; stderr: string }, code: number, pattern: RegExp): void {
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `expected one line, got:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at |internal error/, r.stderr);
  assert.match(lines[0], /^framepipe: error: /);
  assert.match(lines[0], pattern);
  assert.equal(r.code, code, r.stderr);
}

Deno.test("inspect on a directory: one line, exit 2", async () => {
  oneLine(await runCli(["inspect", "fixtures/frames"], { permissions: READ }), 2, /is a directory/);
});

Deno.test("preview - on bytes that are not a frame stream: one line, exit 1", async () => {
  const stdin = new TextEncoder().encode("hello, this is not a frame stream\n".repeat(10));
  oneLine(
    await runCli(["preview", "-", "-o", "-"], { permissions: READ, stdin }),
    1,
    /stdin: not a framepipe record/,
  );
});

Deno.test("preview x.jpg --from stream: one line naming the file, exit 1", async () => {
  oneLine(
    await runCli(["preview", "fixtures/frames/169_0.jpg", "--from", "stream"], {
      permissions: READ,
    }),
    1,
    /fixtures\/frames\/169_0\.jpg: not a framepipe record/,
  );
});

Deno.test("negative numbers get one line from the option's own parser, exit 2", async () => {
  const cases: [string[], RegExp][] = [
    [["--epochs", "-1"], /--epochs "-1" must be a whole number >= 1/],
    [["--size", "-5x10"], /--size "-5x10" is not a size/],
    [["--start", "-3"], /--start "-3" must be a whole number >= 0/],
  ];
  for (const [args, pattern] of cases) {
    oneLine(
      await runCli(["images", "fixtures/frames", ...args], { permissions: READ }),
      2,
      pattern,
    );
  }
  oneLine(
    await runCli(["images", "fixtures/frames", "--size"], { permissions: READ }),
    2,
    /--size needs a value \(WxH\)/,
  );
});

Deno.test("a refused single input prints one line and exits 1", async () => {
  oneLine(
    await runCli(["images", "fixtures/phases.json"], { permissions: READ }),
    1,
    /no frame could be produced from "fixtures\/phases\.json": not a JPEG/,
  );
});

Deno.test("--workers is capped: one line naming the limit, exit 2", async () => {
  oneLine(
    await runCli(["images", "fixtures/frames", "--workers", "1000"], { permissions: READ }),
    2,
    /--workers 1000 is over the limit of 64/,
  );
});

Deno.test("--size and preview --tile are bounded by an output-pixel limit, exit 2", async () => {
  oneLine(
    await runCli(["images", "fixtures/frames", "--size", "20000x20000"], { permissions: READ }),
    2,
    /--size 20000x20000 is 400000000 pixels, over the limit of \d+; use a smaller --size/,
  );
  oneLine(
    await runCli(["preview", "fixtures/frames", "--tile", "20000x20000"], { permissions: READ }),
    2,
    /--tile 20000x20000 is 400000000 pixels, over the limit/,
  );
  oneLine(
    await runCli(["preview", "fixtures/frames", "--tile", "2000x2000", "-n", "64"], {
      permissions: READ,
    }),
    2,
    /sheet of 256000000 pixels, over the limit of \d+; use a smaller --tile or fewer --frames/,
  );
});

Deno.test("an unknown --out scheme names --out and the schemes it knows, exit 2", async () => {
  oneLine(
    await runCli(["images", "fixtures/frames", "--out", "ftp://x/y"], { permissions: READ }),
    2,
    /--out ftp:\/\/x\/y: unknown destination scheme "ftp"/,
  );
});

/** A logger that keeps what it would print. */
class CaptureLogger extends Logger {
  text = "";
  override raw(text: string): void {
    this.text += text;
  }
}

Deno.test("exit codes come from the error's kind; no kind is one internal-error line, 70", () => {
  const kinds: [unknown, number][] = [
    [Object.assign(new Error("bad flag"), { kind: "usage" }), 2],
    [Object.assign(new Error("no such file"), { kind: "setup" }), 2],
    [Object.assign(new Error("corrupt"), { kind: "data" }), 1],
    [new TypeError("x is undefined"), 70],
    ["a string", 70],
  ];
  for (const [err, code] of kinds) {
    const log = new CaptureLogger();
    assert.equal(reportError(err, log), code);
    assert.equal(EXIT_CODES[errorKind(err)], code);
    assert.equal(log.text.trimEnd().split("\n").length, 1, log.text);
  }
  const log = new CaptureLogger();
  reportError(new TypeError("x is undefined\nsecond line"), log);
  assert.match(
    log.text,
    /^framepipe: internal error: x is undefined second line \(a bug;.*--debug/,
  );
  assert.doesNotMatch(log.text, /\n\s+at /);
  const debug = new CaptureLogger();
  reportError(new TypeError("boom"), debug, true);
  assert.match(debug.text, /^framepipe: internal error: boom.*\nTypeError: boom\n\s+at /);
});

Deno.test("library messages name no flag; the CLI line adds the flag of the option they point at", async () => {
  let err: unknown;
  try {
    keepEvery([{ key: "cover.jpg" }], 25);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof Error);
  assert.doesNotMatch(err.message, /--/);
  const log = new CaptureLogger();
  assert.equal(reportError(err, log), 2);
  assert.match(log.text, /"cover\.jpg" has none \(--every 25\)\n$/);
  assert.equal(
    withFlags("gave up", [{ option: "maxRetries", value: 2 }, { option: "connectTimeout" }]),
    "gave up (--max-retries 2, --connect-timeout)",
  );
  assert.equal(withFlags("as is"), "as is");
  // every flag the map names is one a command takes
  const specs = [IMAGES_SPEC, CAPTURE_SPEC, INSPECT_SPEC, PREVIEW_SPEC, SRT_SERVE_SPEC];
  const known = new Set(specs.flatMap((s) => Object.keys(s.options).map((k) => `--${k}`)));
  for (const flag of Object.values(FLAG_OF)) assert.ok(known.has(flag), flag);
  oneLine(
    await runCli(["images", "-", "--every", "5"], { permissions: READ, stdin: new Uint8Array() }),
    2,
    /for stdin use ffmpeg's fps filter \(--every\)$/,
  );
  oneLine(
    await runCli(["images", "-", "--labels", "dirs"], {
      permissions: READ,
      stdin: new Uint8Array(),
    }),
    2,
    /not a stream on stdin \(--labels dirs\)$/,
  );
});

Deno.test("framepipe --help documents exit code 70", async () => {
  const r = await runCli(["--help"], { permissions: READ });
  assert.match(new TextDecoder().decode(r.stdout), /70 internal error/);
});

Deno.test("a malformed --out tcp:// address is one line before anything runs, exit 2", async () => {
  oneLine(
    await runCli(["images", "fixtures/frames", "--out", "tcp://127.0.0.1:abc"], {
      permissions: READ,
    }),
    2,
    /--out tcp:\/\/ "127\.0\.0\.1:abc": port must be/,
  );
});
