/**
 * The option layer (src/cli/options.ts): typed values with defaults written once, used by both
 * parsing and help; one timeout parser where 0 means forever; one-line errors.
 */
import assert from "node:assert/strict";
import {
  choice,
  type CommandSpec,
  flag,
  int,
  type OptionTable,
  parseCommand,
  parseSize,
  parseTimeoutMs,
  size,
  text,
  timeout,
  usage,
  UsageError,
} from "../src/cli/options.ts";
import { IMAGES_SPEC } from "../src/cli/images.ts";
import { NET_DEFAULTS } from "../src/sinks/options.ts";

function spec<T extends OptionTable>(options: T): CommandSpec<T> {
  return { name: "demo", positionals: "<x>", summary: "demo", options, examples: [] };
}

const DEMO = spec({
  count: int("N", "how many", { default: 3, min: 1, max: 10 }),
  limit: int("N", "at most"),
  mode: choice("M", "a | b", ["a", "b"] as const, { default: "a" }),
  wait: timeout("how long to wait", { default: 10 }),
  size: size("a size"),
  name: text("S", "a name", { short: "n", default: "x" }),
  loud: flag("be loud"),
  keep: flag("keep it", { default: true }),
});

Deno.test("defaults are applied and values are typed", () => {
  const { values: v, given, positionals, help } = parseCommand(DEMO, ["in.jpg"]);
  assert.deepEqual(v, {
    count: 3,
    limit: undefined,
    mode: "a",
    wait: 10_000,
    size: undefined,
    name: "x",
    loud: false,
    keep: true,
  });
  assert.equal(given.size, 0);
  assert.deepEqual(positionals, ["in.jpg"]);
  assert.equal(help, false);
});

Deno.test("given values are parsed and recorded in `given`", () => {
  const { values: v, given } = parseCommand(DEMO, [
    "--count=7",
    "--mode",
    "b",
    "--wait",
    "0",
    "--size",
    "64x48",
    "-n",
    "y",
    "--loud",
    "--no-keep",
  ]);
  assert.equal(v.count, 7);
  assert.equal(v.mode, "b");
  assert.equal(v.wait, 0, "0 means forever");
  assert.deepEqual(v.size, { width: 64, height: 48 });
  assert.equal(v.name, "y");
  assert.equal(v.loud, true);
  assert.equal(v.keep, false);
  assert.deepEqual([...given].sort(), ["count", "keep", "loud", "mode", "name", "size", "wait"]);
});

Deno.test("help shows each default once, from the same table", () => {
  const text = usage(DEMO);
  assert.match(text, /--count N\s+how many \(default: 3\)/);
  assert.match(text, /--wait S\s+how long to wait \(0: forever\) \(default: 10\)/);
  assert.match(text, /-n, --name S\s+a name \(default: x\)/);
  assert.match(text, /Exit codes: 0 ok, 1 data error, 2 usage or setup error, 70 internal error/);
  // the images table shows the library's defaults
  const images = usage(IMAGES_SPEC);
  assert.match(images, /--buffer N .*\(default: 8\)/);
  assert.equal(NET_DEFAULTS.buffer, 8);
  assert.match(images, /--connect-timeout S .*\(default: 30\)/);
});

Deno.test("bad values are one-line usage errors naming the flag", () => {
  const bad: [string[], RegExp][] = [
    [["--count", "0"], /^--count "0" must be a whole number >= 1$/],
    [["--count", "11"], /^--count 11 is over the limit of 10$/],
    [["--count", "-2"], /^--count "-2" must be a whole number >= 1$/],
    [["--mode", "c"], /^--mode "c" is not one of a, b/],
    [["--wait", "-1"], /^--wait "-1" must be seconds >= 0 \(0: forever\)$/],
    [["--size", "0x5"], /^--size "0x5" is not a size/],
    [["--cout", "2"], /unknown option --cout for "demo"; did you mean --count\?/],
    [["--count"], /^--count needs a value \(N\)/],
  ];
  for (const [args, pattern] of bad) {
    assert.throws(() => parseCommand(DEMO, args), (e: Error) => {
      assert.ok(e instanceof UsageError, String(e));
      assert.equal((e as UsageError).kind, "usage");
      assert.ok(!e.message.includes("\n"), e.message);
      assert.match(e.message, pattern);
      return true;
    }, args.join(" "));
  }
});

Deno.test("--help skips value checks", () => {
  assert.equal(parseCommand(DEMO, ["--count", "0", "--help"]).help, true);
});

Deno.test("parseTimeoutMs: seconds to ms, 0 is forever, negatives and words refused", () => {
  assert.equal(parseTimeoutMs("--t", "2.5"), 2500);
  assert.equal(parseTimeoutMs("--t", "0"), 0);
  assert.throws(() => parseTimeoutMs("--t", "soon"), UsageError);
  assert.throws(() => parseTimeoutMs("--t", ""), UsageError);
});

Deno.test("parseSize bounds the output pixels and names the flag", () => {
  assert.deepEqual(parseSize("--size", "853x480"), { width: 853, height: 480 });
  assert.throws(
    () => parseSize("--tile", "9000x9000"),
    /--tile 9000x9000 is 81000000 pixels, over the limit of 33177600; use a smaller --tile/,
  );
});
