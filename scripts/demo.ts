/**
 * `deno task demo`: stream the bundled fixtures through the Python reader and print what
 * arrived.
 *
 * Picks the Python: `$PYTHON` when env access to it is granted, else the first of `python3`
 * (on PATH) and `/usr/bin/python3` that can `import numpy`. Then runs
 * `deno run --allow-read=fixtures cli.ts images fixtures/frames --labels fixtures/phases.json
 * --size 64x48 --workers 0` piped into `python/framepipe.py --summary` (12 small frames: decoding
 * on the main thread avoids the worker start-up and its read permission on `src/`).
 *
 * Run: `deno run --allow-read=fixtures,python --allow-env=PYTHON --allow-run scripts/demo.ts`
 *
 * @module
 */

const ROOT = new URL("..", import.meta.url).pathname;

/** No usable Python was found. */
export class NoPythonError extends Error {
  /**
   * Make the error.
   *
   * @param tried The interpreters that were tried, with why each failed.
   */
  constructor(tried: string[]) {
    super(
      `no Python with numpy found (tried ${tried.join("; ")}); install numpy ` +
        "(Debian: apt install python3-numpy) or set PYTHON=/path/to/python3",
    );
    this.name = "NoPythonError";
  }
}

/** `$PYTHON` if env access to it is granted (never prompts). */
function pythonFromEnv(): string | undefined {
  try {
    const state = Deno.permissions.querySync({ name: "env", variable: "PYTHON" }).state;
    if (state !== "granted") return undefined;
  } catch {
    return undefined;
  }
  const v = Deno.env.get("PYTHON");
  return v ? v : undefined;
}

async function hasNumpy(python: string): Promise<string | undefined> {
  try {
    const r = await new Deno.Command(python, {
      args: ["-c", "import numpy"],
      stdout: "null",
      stderr: "null",
    }).output();
    return r.success ? undefined : "no numpy";
  } catch (err) {
    return err instanceof Deno.errors.NotFound ? "not found" : (err as Error).message;
  }
}

/**
 * Choose the Python interpreter for the demo.
 *
 * @returns A Python that can import numpy.
 * @throws {NoPythonError} none can.
 */
export async function pickPython(): Promise<string> {
  const fromEnv = pythonFromEnv();
  const candidates = fromEnv ? [fromEnv] : ["python3", "/usr/bin/python3"];
  const tried: string[] = [];
  for (const p of candidates) {
    const why = await hasNumpy(p);
    if (why === undefined) return p;
    tried.push(`${p}: ${why}`);
  }
  throw new NoPythonError(tried);
}

/**
 * Run the demo.
 *
 * @returns The exit code (the producer's or the reader's failure, else 0).
 */
export async function demo(): Promise<number> {
  let python: string;
  try {
    python = await pickPython();
  } catch (err) {
    console.error(`demo: ${(err as Error).message}`);
    return 2;
  }
  const args = [
    "images",
    "fixtures/frames",
    "--labels",
    "fixtures/phases.json",
    "--size",
    "64x48",
    "--workers",
    "0",
  ];
  console.error(`demo: framepipe ${args.join(" ")} | ${python} python/framepipe.py --summary`);
  const producer = new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", "--allow-read=fixtures", "cli.ts", ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = new Deno.Command(python, {
    args: ["python/framepipe.py", "--summary"],
    cwd: ROOT,
    stdin: "piped",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  await producer.stdout.pipeTo(reader.stdin).catch(() => {});
  const [p, r] = await Promise.all([producer.status, reader.status]);
  if (!p.success) console.error(`demo: the producer exited with ${p.code}`);
  if (!r.success) console.error(`demo: the Python reader exited with ${r.code}`);
  return p.success ? r.code : p.code || 1;
}

if (import.meta.main) Deno.exit(await demo());
