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
 * The flags the README's Permissions table gives for a command line — what a user would pass:
 * `--allow-read` of every argument that names an existing path or looks like one (inputs, label
 * files, certificates; a glob's folder), `--allow-write` of `--out`/`-o FILE`, `--allow-net=HOST:PORT`
 * of `tcp://`, `tcps://`, `redis://`, `rediss://` and `--listen`, `--allow-run=ffmpeg` for
 * `capture`, `srt-serve` and `preview` of a video or URL. Nothing for framepipe's own files.
 *
 * @param args CLI arguments (the first is the command).
 * @returns The `--allow-*` flags.
 */
export function documentedFlags(args: string[]): string[] {
  const read = new Set<string>(), write = new Set<string>(), net = new Set<string>();
  let run = args[0] === "capture" || args[0] === "srt-serve";
  const exists = (p: string) => {
    try {
      Deno.statSync(p.startsWith("/") ? p : `${ROOT}/${p}`);
      return true;
    } catch {
      return false;
    }
  };
  for (let i = 1; i < args.length; i++) {
    const a = args[i];
    const eq = a.startsWith("--") ? a.indexOf("=") : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const value = eq > 0 ? a.slice(eq + 1) : a;
    if ((flag === "--out" || flag === "-o") && eq < 0 && i + 1 < args.length) {
      const v = args[++i];
      if (/^(tcps?|rediss?):\/\//.test(v)) net.add(hostPort(v));
      else if (v !== "-") write.add(v);
      continue;
    }
    if (flag === "--listen" && i + 1 < args.length) {
      const v = args[++i];
      net.add(/^\d+$/.test(v) ? `127.0.0.1:${v}` : v);
      continue;
    }
    if (/^(tcps?|rediss?):\/\//.test(value)) net.add(hostPort(value));
    else if (/^(srt|rtsp|udp|rtmp|http|https):\/\//.test(value)) run = true;
    else if (/[*?[{]/.test(value)) {
      const base = value.slice(0, value.search(/[*?[{]/)).replace(/\/[^/]*$/, "") || ".";
      if (exists(base)) read.add(base);
    } else if (value !== "-" && !value.startsWith("-") && (exists(value) || value.includes("/"))) {
      // an existing path, or a path-like argument that is missing (the user names it anyway)
      read.add(value);
      if (args[0] === "preview" && /\.(mp4|mkv|mov|avi|ts|webm)$/i.test(value)) run = true;
    }
  }
  const named = args.some((a) => a === "-o" || a === "--out" || a.startsWith("--out="));
  if (args[0] === "preview" && !named) write.add("preview.png"); // its default output
  const flags: string[] = [];
  if (read.size) flags.push(`--allow-read=${[...read].join(",")}`);
  if (write.size) flags.push(`--allow-write=${[...write].join(",")}`);
  if (net.size) flags.push(`--allow-net=${[...net].join(",")}`);
  if (run) flags.push("--allow-run=ffmpeg");
  return flags;
}

/** `HOST:PORT` of a `scheme://[user@]HOST:PORT/...` URL. */
function hostPort(url: string): string {
  const u = new URL(url.replace(/^[a-z]+:/, "http:"));
  return `${u.hostname}:${u.port}`;
}

/**
 * Run `deno run <permissions> cli.ts <args>` from the repo root.
 *
 * @param args CLI arguments.
 * @param options Permissions (default: {@linkcode documentedFlags} of `args`, the README's flags
 *   for that job), stdin bytes, env.
 */
export async function runCli(
  args: string[],
  options: { permissions?: string[]; stdin?: Uint8Array; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const perms = options.permissions ?? documentedFlags(args);
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", "--no-prompt", ...perms, "cli.ts", ...args],
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

/** A `framepipe` command installed by `deno task install` into a temp install root. */
export interface InstalledFramepipe {
  /** The install root (`DENO_INSTALL_ROOT`). */
  root: string;
  /** `ROOT/bin`, holding the `framepipe` shim. */
  bin: string;
  /**
   * Environment for shells that use it as the README does: `framepipe` and `python3` (= `$PYTHON`)
   * first on PATH, and `PYTHONPATH=python` unless `$PYTHON` imports framepipe by itself.
   */
  env: Record<string, string>;
  /** Delete the install root. */
  remove(): Promise<void>;
}

/**
 * Run `deno task install` (the README's install step) with `DENO_INSTALL_ROOT` set to a temp dir.
 *
 * @returns Where it went and the environment to use it with.
 */
export async function installFramepipe(): Promise<InstalledFramepipe> {
  const root = await Deno.makeTempDir({ prefix: "framepipe-install-" });
  const remove = () => Deno.remove(root, { recursive: true }).catch(() => {});
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "install"],
    cwd: ROOT,
    env: { DENO_INSTALL_ROOT: root, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const bin = `${root}/bin`;
  try {
    await Deno.stat(`${bin}/framepipe`);
  } catch {
    await remove();
    throw new Error(
      `deno task install did not create ${bin}/framepipe:\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
  // `python3` on PATH: `$PYTHON` (Debian's: numpy, torch, opencv) with the framepipe package
  // installed as the README says (`pip install ./python`, into a venv that sees Debian's
  // packages); PYTHONPATH=python only where that cannot be done.
  const py = `${root}/python-bin`;
  await Deno.mkdir(py);
  const venvPython = await framepipeVenv();
  // a script, not a symlink: a venv's python finds its venv from the path it is started by
  await Deno.writeTextFile(`${py}/python3`, `#!/bin/sh\nexec '${venvPython ?? PYTHON}' "$@"\n`);
  await Deno.chmod(`${py}/python3`, 0o755);
  const env: Record<string, string> = {
    PATH: `${bin}:${py}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
    NO_COLOR: "1",
  };
  if (!venvPython) env.PYTHONPATH = `${ROOT}/python`;
  return { root, bin, env, remove };
}

let venv: Promise<string | undefined> | undefined;

/**
 * A venv over `$PYTHON` (`--system-site-packages`: numpy, torch, cv2 stay visible) with the
 * framepipe Python package installed from a copy of `python/` (`pip install --no-deps`, offline).
 * Built once per process and per content of `python/`, kept in the temp dir.
 *
 * @returns Its python, or undefined when python/ is no package or venv/pip are missing.
 */
export function framepipeVenv(): Promise<string | undefined> {
  return venv ??= (async () => {
    try {
      await Deno.stat(`${ROOT}/python/pyproject.toml`);
    } catch {
      return undefined;
    }
    const h = await hashTree(`${ROOT}/python`);
    const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
    const dir = `${tmp}/framepipe-test-venv-${h}`;
    const python = `${dir}/venv/bin/python`;
    try {
      await Deno.stat(`${dir}/ready`);
      return python;
    } catch { /* build it */ }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.mkdir(`${dir}/src`, { recursive: true });
    const sh = (args: string[]) =>
      new Deno.Command(args[0], { args: args.slice(1), stdout: "null", stderr: "piped" }).output();
    const cp = await sh(["cp", "-r", `${ROOT}/python/.`, `${dir}/src`]);
    const mk = cp.success &&
      (await sh([PYTHON, "-m", "venv", "--system-site-packages", `${dir}/venv`])).success;
    const pip = mk && (await sh([
      python,
      ...["-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index"],
      `${dir}/src`,
    ])).success;
    if (!pip) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      return undefined;
    }
    await Deno.writeTextFile(`${dir}/ready`, "");
    return python;
  })();
}

/** A short hash of the files under `dir` (names and contents; build output ignored). */
async function hashTree(dir: string): Promise<string> {
  const parts: string[] = [];
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      if (/^(build|dist|__pycache__|.*\.egg-info)$/.test(e.name)) continue;
      const p = `${d}/${e.name}`;
      if (e.isDirectory) await walk(p);
      else if (e.isFile) parts.push(p);
    }
  };
  await walk(dir);
  parts.sort();
  const enc = new TextEncoder();
  const chunks: Uint8Array[] = [];
  for (const p of parts) {
    chunks.push(enc.encode(p.slice(dir.length)), await Deno.readFile(p));
  }
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) all.set(c, (off += c.length) - c.length);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return [...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A redis-server without persistence on a free loopback port, started for one test. */
export interface TestRedis {
  /** Its port. */
  port: number;
  /** `redis://127.0.0.1:PORT/STREAM`. */
  url(stream: string): string;
  /** Kill it and wait. */
  stop(): Promise<void>;
}

/**
 * Start `redis-server` (no RDB, no AOF) and wait until it accepts connections.
 *
 * @param extra More `redis-server` arguments.
 * @param port The port (a free one by default; a given one restarts a server where it was).
 * @returns The server, or undefined when redis-server is not installed.
 */
export async function startRedis(
  extra: string[] = [],
  port = freePort(),
): Promise<TestRedis | undefined> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("redis-server", {
      args: [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        ...extra,
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
  } catch {
    return undefined;
  }
  const stop = async () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await child.status;
  };
  for (const t0 = performance.now(); performance.now() - t0 < 10_000;) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return { port, url: (s) => `redis://127.0.0.1:${port}/${s}`, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  await stop();
  throw new Error(`redis-server did not start on port ${port}`);
}
