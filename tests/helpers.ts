/**
 * Test helpers: run the CLI as a real subprocess, parse what it writes.
 */
import { readRecords, type StreamRecord } from "../src/formats/read_stream.ts";

/** Repository root (absolute, with a trailing slash removed). */
export const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
/** The shared JPEG corpus. */
export const CORPUS = new URL("../../shared/jpeg-corpus/", import.meta.url).pathname;
/** Python with numpy (Debian's). */
export const PYTHON = Deno.env.get("PYTHON") ?? "/usr/bin/python3";

/** Result of a CLI run. */
export interface RunResult {
  code: number;
  stdout: Uint8Array;
  stderr: string;
}

/**
 * Run `deno run <permissions> cli.ts <args>` from the repo root.
 *
 * @param args CLI arguments.
 * @param options Permissions (default `--allow-read=.`), stdin bytes, env.
 */
export async function runCli(
  args: string[],
  options: { permissions?: string[]; stdin?: Uint8Array; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const perms = options.permissions ?? ["--allow-read=."];
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", ...perms, "cli.ts", ...args],
    cwd: ROOT,
    stdin: options.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
    env: options.env,
  });
  const child = cmd.spawn();
  if (options.stdin) {
    const w = child.stdin.getWriter();
    await w.write(options.stdin);
    await w.close();
  }
  const out = await child.output();
  return { code: out.code, stdout: out.stdout, stderr: new TextDecoder().decode(out.stderr) };
}

/**
 * Parse a complete `frame`-format stream held in memory.
 *
 * @param bytes The stream.
 * @returns Its records.
 */
export async function parseStream(bytes: Uint8Array): Promise<StreamRecord[]> {
  const out: StreamRecord[] = [];
  for await (const r of readRecords(new Blob([bytes as BlobPart]).stream())) out.push(r);
  return out;
}

/**
 * Frame records only.
 *
 * @param bytes The stream.
 */
export async function parseFrames(bytes: Uint8Array): Promise<StreamRecord[]> {
  return (await parseStream(bytes)).filter((r) => r.kind === "frame");
}

/**
 * Make a temp dir, run `fn`, remove the dir.
 *
 * @param fn Body.
 */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "framepipe-test-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** True when `$PYTHON` can import the given modules. */
export async function pythonHas(...modules: string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(PYTHON, {
      args: ["-c", modules.map((m) => `import ${m}`).join(";")],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/**
 * Run Python code with `$PYTHON`.
 *
 * @param code The program.
 * @param stdin Bytes for its stdin.
 * @param args Extra argv.
 */
export async function runPython(
  code: string,
  stdin?: Uint8Array,
  args: string[] = [],
): Promise<RunResult> {
  const child = new Deno.Command(PYTHON, {
    args: ["-c", code, ...args],
    cwd: ROOT,
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin) {
    const w = child.stdin.getWriter();
    await w.write(stdin);
    await w.close();
  }
  const out = await child.output();
  return { code: out.code, stdout: out.stdout, stderr: new TextDecoder().decode(out.stderr) };
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it).
 *
 * @returns The port number.
 */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}
