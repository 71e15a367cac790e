/**
 * Live capture with real ffmpeg and real SRT on loopback: `framepipe srt-serve` plays the camera,
 * `framepipe capture` reads it. Small frames and low rates (the machine is shared).
 */
import assert from "node:assert/strict";
import { buildCaptureArgs } from "../src/capture/args.ts";
import type { Attempt } from "../src/capture/attempt.ts";
import { backoffDelay, retryBoundMs, type RetryPolicy } from "../src/capture/backoff.ts";
import { CaptureError } from "../src/capture/errors.ts";
import { FrameQueue } from "../src/capture/queue.ts";
import { supervise } from "../src/capture/supervisor.ts";
import { diagnose, parseFfmpegLine } from "../src/capture/stderr.ts";
import { inputInfo, makeRedactor, redactUrl } from "../src/capture/url.ts";
import { readRecords, type StreamRecord } from "../src/formats/read_stream.ts";
import { freePort, parseStream, ROOT, withTempDir } from "./helpers.ts";

// --- fixtures -------------------------------------------------------------------------------

/** Slide colours (RGB) and their ffmpeg names. */
const SLIDES: [string, [number, number, number]][] = [
  ["red", [255, 0, 0]],
  ["lime", [0, 255, 0]],
  ["blue", [0, 0, 255]],
  ["yellow", [255, 255, 0]],
];

async function ffmpeg(args: string[]): Promise<void> {
  const out = await new Deno.Command("ffmpeg", {
    args: ["-hide_banner", "-nostdin", "-loglevel", "error", "-y", ...args],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}

async function makeSlides(dir: string): Promise<string> {
  const slides = `${dir}/slides`;
  await Deno.mkdir(slides);
  for (const [i, [name]] of SLIDES.entries()) {
    await ffmpeg(["-f", "lavfi", "-i", `color=c=${name}:s=320x240`, "-frames:v", "1"].concat(
      [`${slides}/${i}_${name}.jpg`],
    ));
  }
  return slides;
}

/** A framepipe subprocess with its stderr collected. */
interface Proc {
  child: Deno.ChildProcess;
  stderr: () => string;
  stderrDone: Promise<void>;
}

function spawnCli(
  args: string[],
  perms: string[],
  options: { stdout?: "piped" | "null"; stdin?: "piped" | "null"; env?: Record<string, string> } =
    {},
): Proc {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", ...perms, "cli.ts", ...args],
    cwd: ROOT,
    stdin: options.stdin ?? "null",
    stdout: options.stdout ?? "piped",
    stderr: "piped",
    env: options.env,
  }).spawn();
  let text = "";
  const dec = new TextDecoder();
  const stderrDone = (async () => {
    for await (const c of child.stderr) text += dec.decode(c, { stream: true });
  })();
  return { child, stderr: () => text, stderrDone };
}

const PASS = "correct-horse-42";

function serve(slides: string, port: number, extra: string[] = []): Proc {
  return spawnCli(
    ["srt-serve", slides, "--size", "320x240", "--fps", "4", "--loop", "--port", String(port)]
      .concat(extra),
    [`--allow-read=${slides}`, "--allow-run=ffmpeg", "--allow-env=SRT_TEST_PASS"],
    { stdout: "null", env: { SRT_TEST_PASS: PASS } },
  );
}

async function stop(p: Proc): Promise<Deno.CommandStatus> {
  try {
    p.child.kill("SIGTERM");
  } catch {
    // gone
  }
  const s = await p.child.status;
  await p.stderrDone;
  return s;
}

const CAPTURE_PERMS = ["--allow-run=ffmpeg"];

/** ffmpeg processes whose parent is `pid`. */
function ffmpegChildren(pid: number): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const m = /^\d+ \((.*)\) \S+ (\d+)/.exec(stat);
      if (m && m[1] === "ffmpeg" && Number(m[2]) === pid) out.push(Number(e.name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

function meanRgb(r: StreamRecord): [number, number, number] {
  const { width, height } = r.fields;
  const n = width * height;
  const m: number[] = [];
  for (let c = 0; c < 3; c++) {
    let s = 0;
    for (let i = c * n; i < (c + 1) * n; i++) s += r.payload[i];
    m.push(s / n);
  }
  return m as [number, number, number];
}

/** Index of the slide whose colour the frame shows (asserts it is close to one). */
function slideOf(r: StreamRecord): number {
  const m = meanRgb(r);
  const d = SLIDES.map(([, c]) => Math.max(...c.map((v, i) => Math.abs(v - m[i]))));
  const best = d.indexOf(Math.min(...d));
  assert.ok(d[best] < 12, `frame ${r.fields.seq} mean ${m.map(Math.round)} matches no slide`);
  return best;
}

/** Read records from a capture's stdout as they come. */
function records(p: Proc): AsyncIterator<StreamRecord> {
  return readRecords(p.child.stdout)[Symbol.asyncIterator]();
}

async function nextFrame(it: AsyncIterator<StreamRecord>): Promise<StreamRecord> {
  while (true) {
    const r = await it.next();
    assert.ok(!r.done, "the stream ended early");
    if (r.value.kind === "frame") return r.value;
  }
}

async function rest(it: AsyncIterator<StreamRecord>): Promise<StreamRecord[]> {
  const out: StreamRecord[] = [];
  while (true) {
    const r = await it.next();
    if (r.done) return out;
    out.push(r.value);
  }
}

function assertSlideSequence(frames: StreamRecord[]): void {
  const s = frames.map(slideOf);
  for (let i = 1; i < s.length; i++) {
    const gap = Number(frames[i].meta.gap ?? 0);
    if (gap === 0 && !frames[i].meta.gap_ms) {
      assert.equal(s[i], (s[i - 1] + 1) % SLIDES.length, `slides out of order: ${s}`);
    }
  }
}

// --- unit tests (no ffmpeg) -----------------------------------------------------------------

Deno.test("capture URLs have their passphrase and password redacted", () => {
  assert.equal(
    redactUrl("srt://cam:9000?mode=caller&passphrase=hunter2hunter2&latency=200000"),
    "srt://cam:9000?mode=caller&passphrase=***&latency=200000",
  );
  assert.equal(redactUrl("rtsp://admin:pw@10.0.0.5/s"), "rtsp://admin:***@10.0.0.5/s");
  const scrub = makeRedactor("srt://h:1?passphrase=top%20secret12");
  assert.equal(scrub("bad key 'top secret12' for top%20secret12"), "bad key '***' for ***");
  assert.equal(inputInfo("srt://h:1?mode=listener").srtMode, "listener");
  assert.equal(inputInfo("-").scheme, "stdin");
  assert.equal(inputInfo("clip.ts").network, false);
});

Deno.test("capture asks ffmpeg for planar gbrp, scaled with the fit mode", () => {
  const url = "srt://127.0.0.1:9999?mode=caller";
  const a = buildCaptureArgs({
    input: url,
    info: inputInfo(url),
    decoder: "ffmpeg",
    width: 320,
    height: 240,
    fit: "cover",
    fps: 5,
    connectTimeout: 3,
  });
  assert.deepEqual(a.slice(a.indexOf("-pix_fmt"), a.indexOf("-pix_fmt") + 4), [
    "-pix_fmt",
    "gbrp",
    "-f",
    "rawvideo",
  ]);
  assert.ok(a.includes("-nostdin") && a.includes("low_delay"));
  // -fflags nobuffer drops the packets read while probing: the first seconds of every connection
  assert.ok(!a.includes("nobuffer"));
  assert.equal(a[a.indexOf("-i") + 1], `${url}&timeout=3000000&connect_timeout=3000`);
  assert.match(
    a[a.indexOf("-vf") + 1],
    /^fps=5,scale=320:240:force_original_aspect_ratio=increase/,
  );
  const m = buildCaptureArgs({ input: "-", info: inputInfo("-"), decoder: "framepipe", fps: 2 });
  assert.ok(!m.includes("-nostdin") && m.includes("image2pipe") && m.includes("mjpeg"));
  assert.ok(!m.some((x) => x.startsWith("scale")));
});

Deno.test("the latest-frame queue drops the oldest and counts it; lossless waits", async () => {
  const q = new FrameQueue<number>(2, true);
  for (let i = 0; i < 5; i++) await q.push(i);
  assert.equal(q.dropped, 3);
  assert.equal(await q.shift(), 3);
  const l = new FrameQueue<number>(1, false);
  await l.push(1);
  let pushed = false;
  const p = l.push(2).then(() => pushed = true);
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(pushed, false);
  assert.equal(await l.shift(), 1);
  await p;
  assert.equal(pushed, true);
});

Deno.test("ffmpeg stderr lines are parsed and wrong passphrases diagnosed", () => {
  assert.deepEqual(parseFfmpegLine("[srt @ 0x55d0] [error] Connection failed"), {
    level: "error",
    text: "[srt] Connection failed",
  });
  const srt = parseFfmpegLine(
    "03:35:42.494991/SRT:RcvQ:w1!W:SRT.cn: processAsyncConnectRequest: REJECT reported from HS processing: Incorrect passphrase - not processing further",
  );
  assert.equal(srt.level, "warning");
  const d = diagnose([srt.text], {
    url: "srt://h:1",
    scheme: "srt",
    hostPort: "h:1",
    everConnected: false,
  });
  assert.equal(d?.setup, true);
  assert.match(d!.message, /passphrase was rejected/);
});

// --- ffmpeg and SRT on loopback -------------------------------------------------------------

Deno.test("capture (caller) gets each slide from an SRT listener at the right size", async () => {
  await withTempDir(async (dir) => {
    const slides = await makeSlides(dir);
    const port = freePort();
    const server = serve(slides, port);
    try {
      const cap = spawnCli(
        ["capture", `srt://127.0.0.1:${port}?mode=caller`, "--size", "160x120", "--frames", "8"],
        CAPTURE_PERMS,
      );
      const all = await rest(records(cap));
      const status = await cap.child.status;
      await cap.stderrDone;
      assert.equal(status.code, 0, cap.stderr());
      const header = all[0], end = all.at(-1)!;
      assert.equal(header.kind, "header");
      assert.deepEqual([header.meta.width, header.meta.height, header.meta.channels], [
        160,
        120,
        3,
      ]);
      const frames = all.filter((r) => r.kind === "frame");
      assert.equal(frames.length, 8);
      for (const f of frames) {
        assert.equal(f.payload.length, 3 * 160 * 120);
        assert.equal(f.meta.key, `srt://127.0.0.1:${port}?mode=caller`);
        assert.ok(Math.abs(f.fields.timestamp - Date.now()) < 60_000);
      }
      assertSlideSequence(frames);
      assert.equal(end.kind, "end");
      assert.equal(end.meta.reason, "limit");
      assert.equal(end.meta.frames, 8);
      const lat = end.meta.latency_ms as Record<string, number>;
      assert.ok(lat.p50 >= 0 && lat.max < 5000, JSON.stringify(lat));
    } finally {
      await stop(server);
    }
  });
});

Deno.test("capture (listener) receives a camera that calls out, with a passphrase", async () => {
  await withTempDir(async (dir) => {
    const slides = await makeSlides(dir);
    const port = freePort();
    const pass = PASS;
    const cap = spawnCli(
      [
        "capture",
        `srt://127.0.0.1:${port}?mode=listener&passphrase=${pass}`,
        "--size",
        "64x48",
        "--frames",
        "4",
        "--layout",
        "hwc",
      ],
      CAPTURE_PERMS,
    );
    await new Promise((r) => setTimeout(r, 700));
    const server = serve(slides, port, ["--mode", "caller", "--passphrase-env", "SRT_TEST_PASS"]);
    try {
      const all = await rest(records(cap));
      const status = await cap.child.status;
      await cap.stderrDone;
      assert.equal(status.code, 0, cap.stderr());
      const frames = all.filter((r) => r.kind === "frame");
      assert.equal(frames.length, 4);
      assert.equal(frames[0].fields.layout, "hwc");
      assert.equal(frames[0].meta.key, `srt://127.0.0.1:${port}?mode=listener&passphrase=***`);
      assert.ok(!cap.stderr().includes(pass));
      assert.ok(!new TextDecoder().decode(all[0].payload).includes(pass));
    } finally {
      await stop(server);
    }
  });
});

Deno.test("a wrong SRT passphrase is one clear line, exit 2, and never printed", async () => {
  await withTempDir(async (dir) => {
    const slides = await makeSlides(dir);
    const port = freePort();
    const server = serve(slides, port, ["--passphrase-env", "SRT_TEST_PASS"]);
    try {
      await new Promise((r) => setTimeout(r, 500));
      const bad = "wrong-passphrase-1";
      const cap = spawnCli(
        ["capture", `srt://127.0.0.1:${port}?mode=caller&passphrase=${bad}`, "--size", "64x48"],
        CAPTURE_PERMS,
      );
      await rest(records(cap));
      const status = await cap.child.status;
      await cap.stderrDone;
      assert.equal(status.code, 2, cap.stderr());
      assert.match(cap.stderr(), /error: the SRT passphrase was rejected by 127\.0\.0\.1:\d+/);
      assert.ok(!cap.stderr().includes(bad), cap.stderr());
    } finally {
      await stop(server);
    }
  });
});

Deno.test("capture reconnects after the SRT server restarts", async () => {
  await withTempDir(async (dir) => {
    const slides = await makeSlides(dir);
    const port = freePort();
    let server = serve(slides, port);
    const cap = spawnCli(
      [
        "capture",
        `srt://127.0.0.1:${port}?mode=caller`,
        "--size",
        "64x48",
        "--frames",
        "10",
        "--stall-timeout",
        "2",
        "--connect-timeout",
        "2",
      ],
      CAPTURE_PERMS,
    );
    try {
      const it = records(cap);
      const before = [await nextFrame(it), await nextFrame(it), await nextFrame(it)];
      await stop(server);
      await new Promise((r) => setTimeout(r, 1500));
      server = serve(slides, port);
      const after = await rest(it);
      const status = await cap.child.status;
      await cap.stderrDone;
      assert.equal(status.code, 0, cap.stderr());
      const frames = before.concat(after.filter((r) => r.kind === "frame"));
      assert.equal(frames.length, 10);
      const resumed = frames.find((f) => Number(f.meta.reconnects) >= 1)!;
      assert.ok(resumed, "no frame after a reconnect");
      assert.ok(Number(resumed.meta.gap_ms) >= 1000, JSON.stringify(resumed.meta));
      assert.ok(Number(resumed.meta.gap) >= 1, JSON.stringify(resumed.meta));
      const end = after.at(-1)!;
      assert.ok(Number(end.meta.reconnects) >= 1);
      assert.match(cap.stderr(), /reconnecting in 0\.5 s/);
      assert.match(cap.stderr(), /stream resumed after/);
      for (const f of frames) slideOf(f);
    } finally {
      await stop(cap);
      await stop(server);
    }
  });
});

Deno.test("--latest keeps latency bounded under a slow consumer and counts drops", async () => {
  await withTempDir(async (dir) => {
    const slides = await makeSlides(dir);
    const port = freePort();
    const server = spawnCli(
      ["srt-serve", slides, "--size", "320x240", "--fps", "10", "--loop", "--port", String(port)],
      [`--allow-read=${slides}`, "--allow-run=ffmpeg"],
      { stdout: "null" },
    );
    try {
      const cap = spawnCli(
        [
          "capture",
          `srt://127.0.0.1:${port}?mode=caller`,
          "--size",
          "320x240",
          "--latest",
          "--duration",
          "6",
        ],
        CAPTURE_PERMS,
      );
      const it = records(cap);
      let end: StreamRecord | undefined;
      let frames = 0;
      while (true) {
        const r = await it.next();
        if (r.done) break;
        if (r.value.kind === "end") end = r.value;
        if (r.value.kind === "frame") {
          frames++;
          await new Promise((res) => setTimeout(res, 600)); // a slow trainer
        }
      }
      const status = await cap.child.status;
      await cap.stderrDone;
      assert.equal(status.code, 0, cap.stderr());
      assert.ok(end, "no end record");
      assert.ok(Number(end.meta.dropped) > 5, JSON.stringify(end.meta));
      const lat = end.meta.latency_ms as Record<string, number>;
      assert.ok(lat.p95 < 1500, `latency grew: ${JSON.stringify(lat)}`);
      assert.ok(frames >= 3 && frames <= 14, `frames ${frames}`);
    } finally {
      await stop(server);
    }
  });
});

Deno.test("SIGTERM stops capture: end record, exit 0, no ffmpeg left", async () => {
  await withTempDir(async (dir) => {
    const slides = await makeSlides(dir);
    const port = freePort();
    const server = serve(slides, port);
    try {
      const cap = spawnCli(
        ["capture", `srt://127.0.0.1:${port}?mode=caller`, "--size", "64x48"],
        CAPTURE_PERMS,
      );
      const it = records(cap);
      await nextFrame(it);
      await nextFrame(it);
      const kids = ffmpegChildren(cap.child.pid);
      assert.equal(kids.length, 1, `ffmpeg children: ${kids}`);
      cap.child.kill("SIGTERM");
      const tail = await rest(it);
      const status = await cap.child.status;
      await cap.stderrDone;
      assert.equal(status.code, 0, cap.stderr());
      assert.equal(tail.at(-1)?.kind, "end");
      assert.equal(tail.at(-1)?.meta.reason, "signal");
      assert.ok(!kids.some(alive), "ffmpeg outlived framepipe");
    } finally {
      await stop(server);
    }
  });
});

Deno.test("a consumer that goes away stops capture and its ffmpeg (exit 0)", async () => {
  await withTempDir(async (dir) => {
    const slides = await makeSlides(dir);
    const port = freePort();
    const server = serve(slides, port);
    try {
      const cap = spawnCli(
        ["capture", `srt://127.0.0.1:${port}?mode=caller`, "--size", "160x120"],
        CAPTURE_PERMS,
      );
      const it = records(cap);
      await nextFrame(it);
      const kids = ffmpegChildren(cap.child.pid);
      assert.equal(kids.length, 1);
      await it.return?.();
      await cap.child.stdout.cancel().catch(() => {});
      const status = await cap.child.status;
      await cap.stderrDone;
      assert.equal(status.code, 0, cap.stderr());
      assert.match(cap.stderr(), /consumer closed/);
      assert.ok(!kids.some(alive), "ffmpeg outlived framepipe");
    } finally {
      await stop(server);
    }
  });
});

Deno.test("capture without ffmpeg on PATH says how to install it (exit 2)", async () => {
  await withTempDir(async (dir) => {
    const cap = spawnCli(["capture", "srt://127.0.0.1:9?mode=caller"], ["--allow-run=ffmpeg"], {
      env: { PATH: dir },
    });
    const status = await cap.child.status;
    await cap.stderrDone;
    assert.equal(status.code, 2);
    assert.match(
      cap.stderr(),
      /error: ffmpeg not found on PATH; install it \(e\.g\. apt install ffmpeg\) or give its path \(--ffmpeg PATH\)$/m,
    );
    const noRun = spawnCli(["capture", "clip.ts"], []);
    assert.equal((await noRun.child.status).code, 2);
    await noRun.stderrDone;
    assert.match(noRun.stderr(), /--allow-run=ffmpeg/);
  });
});

Deno.test("an ffmpeg without SRT support is named as such (exit 2)", async () => {
  await withTempDir(async (dir) => {
    const fake = `${dir}/ffmpeg`;
    await Deno.writeTextFile(
      fake,
      "#!/bin/sh\nprintf 'Supported file protocols:\\nInput:\\n  file\\n  pipe\\nOutput:\\n  file\\n'\n",
    );
    await Deno.chmod(fake, 0o755);
    const cap = spawnCli(["capture", "srt://127.0.0.1:9", "--ffmpeg", fake], [
      `--allow-run=${fake}`,
    ]);
    const status = await cap.child.status;
    await cap.stderrDone;
    assert.equal(status.code, 2);
    assert.match(cap.stderr(), /has no SRT support/);
  });
});

Deno.test("capture reads a video file and the same stream on stdin (-)", async () => {
  await withTempDir(async (dir) => {
    const clip = `${dir}/clip.ts`;
    // 8 frames: 2 of each slide colour.
    const inputs = SLIDES.flatMap((
      [name],
    ) => ["-f", "lavfi", "-i", `color=c=${name}:s=96x64:r=4:d=0.5`]);
    await ffmpeg([
      ...inputs,
      "-filter_complex",
      "concat=n=4:v=1:a=0",
      "-c:v",
      "libx264",
      "-preset",
      "ultrafast",
      "-pix_fmt",
      "yuv420p",
      "-f",
      "mpegts",
      clip,
    ]);
    const file = spawnCli(["capture", clip], ["--allow-run=ffmpeg"]);
    const a = await rest(records(file));
    assert.equal((await file.child.status).code, 0);
    await file.stderrDone;
    const fa = a.filter((r) => r.kind === "frame");
    assert.equal(fa.length, 8, file.stderr());
    assert.deepEqual([a[0].meta.width, a[0].meta.height], [96, 64]);
    assert.deepEqual(fa.map(slideOf), [0, 0, 1, 1, 2, 2, 3, 3]);
    assert.equal(a.at(-1)?.meta.reason, "end");

    const piped = spawnCli(["capture", "-", "--gray"], ["--allow-run=ffmpeg"], { stdin: "piped" });
    const feeding = (async () => {
      const w = piped.child.stdin.getWriter();
      await w.write(await Deno.readFile(clip));
      await w.close();
    })();
    const b = await rest(records(piped));
    await feeding;
    assert.equal((await piped.child.status).code, 0);
    await piped.stderrDone;
    const fb = b.filter((r) => r.kind === "frame");
    assert.equal(fb.length, 8, piped.stderr());
    assert.equal(fb[0].payload.length, 96 * 64);
    assert.equal(fb[0].meta.key, "-");
  });
});

Deno.test("--decoder framepipe frames match ffmpeg's decoder (PSNR > 30 dB)", async () => {
  await withTempDir(async (dir) => {
    const clip = `${dir}/pattern.ts`;
    await ffmpeg([
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=160x120:rate=5:duration=1",
      "-c:v",
      "libx264",
      "-preset",
      "ultrafast",
      "-qp",
      "10",
      "-pix_fmt",
      "yuv420p",
      "-f",
      "mpegts",
      clip,
    ]);
    const run = async (decoder: string) => {
      const p = spawnCli(["capture", clip, "--decoder", decoder], ["--allow-run=ffmpeg"]);
      const recs = await rest(records(p));
      assert.equal((await p.child.status).code, 0);
      await p.stderrDone;
      return recs.filter((r) => r.kind === "frame");
    };
    const ff = await run("ffmpeg");
    const fp = await run("framepipe");
    assert.equal(ff.length, 5);
    assert.equal(fp.length, 5);
    for (let i = 0; i < ff.length; i++) {
      assert.deepEqual([fp[i].fields.width, fp[i].fields.height], [160, 120]);
      let se = 0;
      for (let j = 0; j < ff[i].payload.length; j++) {
        const d = ff[i].payload[j] - fp[i].payload[j];
        se += d * d;
      }
      const psnr = 10 * Math.log10(255 * 255 / (se / ff[i].payload.length));
      assert.ok(psnr > 30, `frame ${i}: PSNR ${psnr.toFixed(1)} dB`);
    }
  });
});

Deno.test("capture frames carry gap and reconnects; --frames ends with reason limit", async () => {
  // The frame format carries gap/reconnects on every capture frame (docs/FORMAT.md).
  await withTempDir(async (dir) => {
    const clip = `${dir}/one.ts`;
    await ffmpeg(["-f", "lavfi", "-i", "color=c=blue:s=32x32:r=2:d=1"].concat(
      ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mpegts", clip],
    ));
    const p = spawnCli(["capture", clip, "--frames", "1"], ["--allow-run=ffmpeg"]);
    const chunks: Uint8Array[] = [];
    for await (const c of p.child.stdout) chunks.push(c);
    await p.child.status;
    await p.stderrDone;
    const recs = await parseStream(
      new Uint8Array(await new Blob(chunks as BlobPart[]).arrayBuffer()),
    );
    const f = recs.find((r) => r.kind === "frame")!;
    assert.equal(f.meta.gap, 0);
    assert.equal(f.meta.reconnects, 0);
    assert.equal(recs.at(-1)?.meta.reason, "limit");
  });
});

// --- the retry bound (supervisor, backoff) --------------------------------------------------

/** The exit status; a process still running after `ms` is killed (the test then fails on it). */
async function statusWithin(p: Proc, ms: number): Promise<Deno.CommandStatus> {
  const t = setTimeout(() => {
    try {
      p.child.kill("SIGTERM");
    } catch {
      // exited
    }
  }, ms);
  try {
    return await p.child.status;
  } finally {
    clearTimeout(t);
  }
}

Deno.test("the retry bound adds each backoff wait and one attempt after it", () => {
  const p: RetryPolicy = { maxRetries: 3, backoffMs: 500, backoffMaxMs: 1500, attemptMs: 1000 };
  assert.deepEqual([1, 2, 3, 4].map((f) => backoffDelay(f, p)), [500, 1000, 1500, 1500]);
  assert.equal(retryBoundMs(p, 1), 500 + 1000 + 1000 + 1000 + 1500 + 1000);
  assert.equal(retryBoundMs(p, 3), 1500 + 1000);
  assert.equal(retryBoundMs({ ...p, maxRetries: 0 }, 1), 0);
});

Deno.test("the supervisor states its bound at the first failure and gives up within it", async () => {
  // attemptMs leaves slack for late timers (an attempt takes 10 ms) so the count (3) decides.
  const policy: RetryPolicy = { maxRetries: 3, backoffMs: 20, backoffMaxMs: 40, attemptMs: 200 };
  const warnings: string[] = [];
  let runs = 0;
  const t0 = performance.now();
  const failed: Attempt = {
    frames: 0,
    lines: [],
    status: { success: false, code: 1, signal: null },
  };
  const err = await supervise({
    policy,
    reconnect: true,
    signal: new AbortController().signal,
    log: { warn: (m) => warnings.push(m) },
    attempt: async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 10));
      return failed;
    },
    diagnose: () => ({ message: "connection refused by x", setup: false }),
  }).then(() => undefined, (e) => e);
  const took = performance.now() - t0;
  assert.ok(err instanceof CaptureError, String(err));
  assert.equal(err.message, "connection refused by x; gave up after 3 retries");
  assert.deepEqual(err.hints, [{ option: "maxRetries", value: 3 }]); // the CLI names its flag
  assert.equal(runs, 4);
  assert.match(warnings[0], /retry 1\/3; giving up after at most 1 s/);
  assert.ok(!/giving up/.test(warnings[1]), warnings[1]);
  assert.ok(took < 10 + retryBoundMs(policy, 1) + 200, `took ${took} ms`);
});

Deno.test("a frame between failures resets the retries", async () => {
  // Only the count may decide here: with attemptMs 1 the stated bound after a failure is 4 ms of
  // wall clock, and one late 1 ms timer on a loaded machine gave up on that bound instead (i = 3).
  const policy: RetryPolicy = { maxRetries: 2, backoffMs: 1, backoffMaxMs: 1, attemptMs: 60_000 };
  const runs = [0, 1, 0, 1, 0, 0]; // frames per run: a run with frames resets the count
  let i = 0;
  const err = await supervise({
    policy,
    reconnect: true,
    signal: new AbortController().signal,
    log: { warn() {} },
    attempt: () =>
      Promise.resolve({
        frames: runs[i++] ?? 0,
        lines: [],
        status: { success: false, code: 1, signal: null },
      }),
    diagnose: () => undefined,
  }).then(() => undefined, (e) => e);
  assert.ok(err instanceof CaptureError);
  assert.equal(i, 6);
});

Deno.test("attempts slower than the policy end the retries at the stated bound, and the error says so", async () => {
  // bound = 5 x (1 + 5) = 30 ms; every attempt takes 30 ms, so the bound ends it after 1 retry
  const policy: RetryPolicy = { maxRetries: 5, backoffMs: 1, backoffMaxMs: 1, attemptMs: 5 };
  let runs = 0;
  const err = await supervise({
    policy,
    reconnect: true,
    signal: new AbortController().signal,
    log: { warn() {} },
    attempt: async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 30));
      return { frames: 0, lines: [], status: { success: false, code: 1, signal: null } };
    },
    diagnose: () => ({ message: "refused", setup: false }),
  }).then(() => undefined, (e) => e);
  assert.ok(err instanceof CaptureError, String(err));
  assert.ok(runs < 6, `${runs} runs`);
  assert.equal(err.message, `refused; gave up after ${runs - 1} retries, at the 1 s retry bound`);
  assert.deepEqual(err.hints, [{ option: "maxRetries", value: 5 }]);
});

Deno.test("capture with nothing listening states how long it keeps trying and gives up within it", async () => {
  const port = freePort();
  const t0 = performance.now();
  const cap = spawnCli(
    [
      "capture",
      `srt://127.0.0.1:${port}?mode=caller`,
      "--size",
      "64x48",
      "--connect-timeout",
      "1",
      "--max-retries",
      "2",
    ],
    CAPTURE_PERMS,
    { stdout: "null" },
  );
  let firstFailure = 0;
  const watch = setInterval(() => {
    if (!firstFailure && /giving up after at most/.test(cap.stderr())) {
      firstFailure = performance.now();
    }
  }, 20);
  const status = await statusWithin(cap, 40_000);
  await cap.stderrDone;
  clearInterval(watch);
  const end = performance.now();
  const err = cap.stderr();
  assert.equal(status.code, 1, err);
  const m = /giving up after at most (\d+) s/.exec(err);
  assert.ok(m, err);
  // 0.5 s + (1 + 2) s, then 1 s + (1 + 2) s
  assert.equal(Number(m[1]), 8);
  assert.ok(firstFailure > 0);
  const after = (end - firstFailure) / 1000;
  assert.ok(after <= Number(m[1]) + 1, `gave up ${after.toFixed(1)} s after the first failure`);
  // the library's message, then the flags of the limits that ran out (cli/flags.ts)
  assert.match(err, /gave up after 2 retries \(--max-retries 2[,)]/);
  assert.ok((end - t0) / 1000 < 20);
});

// --- srt-serve: bad setups end at once; nothing left behind ----------------------------------

Deno.test("srt-serve with a bad host or port exits 2 at once; a caller with no listener (--once) exits 1", async () => {
  await withTempDir(async (dir) => {
    const slides = await makeSlides(dir);
    const perms = [`--allow-read=${slides}`, "--allow-run=ffmpeg"];
    const run = async (args: string[]) => {
      const t0 = performance.now();
      const p = spawnCli(["srt-serve", slides, "--size", "64x48", ...args], perms, {
        stdout: "null",
      });
      const s = await statusWithin(p, 15_000);
      await p.stderrDone;
      return { code: s.code, stderr: p.stderr(), s: (performance.now() - t0) / 1000 };
    };
    const host = await run(["--host", "nohost.invalid"]);
    assert.equal(host.code, 2, host.stderr);
    assert.match(host.stderr, /cannot listen on nohost\.invalid:9999: Failed to resolve hostname/);
    assert.equal(host.stderr.match(/error:/g)?.length, 1, host.stderr);
    const addr = await run(["--host", "10.255.255.1"]);
    assert.equal(addr.code, 2, addr.stderr);
    assert.match(addr.stderr, /Cannot assign requested address/);
    const port = await run(["--port", "70000"]);
    assert.equal(port.code, 2, port.stderr);
    assert.match(port.stderr, /--port/);
    for (const r of [host, addr, port]) assert.ok(r.s < 10, `took ${r.s} s`);
    const caller = await run(["--mode", "caller", "--once", "--port", String(freePort())]);
    assert.equal(caller.code, 1, caller.stderr);
    assert.match(caller.stderr, /no SRT listener answered at 127\.0\.0\.1:\d+/);
  });
});

Deno.test("srt-serve on a folder of only empty JPEGs exits 1", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/a.jpg`, new Uint8Array());
    await Deno.writeFile(`${dir}/b.jpg`, new Uint8Array());
    const p = spawnCli(["srt-serve", dir], [`--allow-read=${dir}`, "--allow-run=ffmpeg"], {
      stdout: "null",
    });
    const s = await statusWithin(p, 15_000);
    await p.stderrDone;
    assert.equal(s.code, 1, p.stderr());
    assert.match(p.stderr(), /nothing to serve: the 2 JPEG file\(s\) .* are all empty/);
  });
});

// --- srt-serve of PNG frames (CholecT50 layout) ---------------------------------------------

const CHOLECT50 = "fixtures/cholect50/videos";
/** The fixture's PNGs in the order srt-serve lists them (natural sort per folder). */
const CHOLECT50_PNGS = ["VID01", "VID02"].flatMap((v) =>
  [0, 1, 2, 3, 4, 5].map((i) => `${CHOLECT50}/${v}/00000${i}.png`)
);
/**
 * Mean absolute difference (0-255) below which a received frame is its source PNG. x264
 * ultrafast in 4:2:0 on these 32x18 frames measured 0.7-2.1 for the right PNG and 18 or more for
 * the nearest other one; two different source PNGs differ by 17.5 or more.
 */
const PNG_TOLERANCE = 6;

/** A PNG (lossless) or JPEG decoded by ffmpeg, HWC RGB. */
async function pngRgb(path: string): Promise<Uint8Array> {
  const out = await new Deno.Command("ffmpeg", {
    args: ["-hide_banner", "-loglevel", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24"]
      .concat(["pipe:1"]),
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return out.stdout;
}

/** Mean absolute difference of a CHW frame and an HWC image of the same size. */
function meanAbsDiff(chw: Uint8Array, hwc: Uint8Array): number {
  const n = hwc.length / 3;
  assert.equal(chw.length, hwc.length);
  let s = 0;
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < n; i++) s += Math.abs(chw[c * n + i] - hwc[i * 3 + c]);
  }
  return s / hwc.length;
}

/** HWC to CHW, to compare two references with {@linkcode meanAbsDiff}. */
function chwOf(hwc: Uint8Array): Uint8Array {
  const n = hwc.length / 3, out = new Uint8Array(hwc.length);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) out[c * n + i] = hwc[i * 3 + c];
  return out;
}

/**
 * Capture `count` frames from srt-serve of `inputs` (exactly the documented flags of both jobs) and
 * match each to its source: the right PNG within the tolerance, every other PNG outside it.
 * Returns the matched source indices and srt-serve's stderr.
 */
async function captureSlides(
  inputs: string,
  refs: Uint8Array[],
  count: number,
  fps: number,
): Promise<{ matched: number[]; serverErr: string }> {
  const port = freePort();
  const server = spawnCli(
    ["srt-serve", inputs, "--size", "32x18", "--fps", String(fps), "--loop", "--port"]
      .concat([String(port)]),
    [`--allow-read=${inputs}`, "--allow-run=ffmpeg"],
    { stdout: "null" },
  );
  try {
    const cap = spawnCli(
      ["capture", `srt://127.0.0.1:${port}?mode=caller`, "--frames", String(count)],
      CAPTURE_PERMS,
    );
    const status = statusWithin(cap, 45_000); // a broken stream fails the test, never hangs it
    const recs = await rest(records(cap));
    const s = await status;
    await cap.stderrDone;
    assert.equal(s.code, 0, cap.stderr());
    const frames = recs.filter((r) => r.kind === "frame");
    assert.equal(frames.length, count, cap.stderr());
    const matched = frames.map((f) => {
      assert.deepEqual([f.fields.width, f.fields.height], [32, 18]);
      const d = refs.map((r) => meanAbsDiff(f.payload, r));
      const best = d.indexOf(Math.min(...d));
      const shown = d.map((x) => x.toFixed(1)).join(" ");
      assert.ok(d[best] < PNG_TOLERANCE, `frame ${f.fields.seq} matches no PNG: ${shown}`);
      for (const [j, x] of d.entries()) {
        if (j !== best) assert.ok(x > PNG_TOLERANCE, `frame ${f.fields.seq} is also PNG ${j}`);
      }
      assert.equal(Number(f.meta.gap ?? 0), 0, "frames were dropped");
      return best;
    });
    await stop(server);
    return { matched, serverErr: server.stderr() };
  } finally {
    await stop(server); // also when an assertion failed (stopping twice is harmless)
  }
}

function assertCyclic(matched: number[], n: number): void {
  for (let i = 1; i < matched.length; i++) {
    assert.equal(matched[i], (matched[0] + i) % n, `frames out of order: ${matched}`);
  }
}

Deno.test("srt-serve streams a CholecT50 PNG folder: capture receives every frame as its source PNG (mean abs diff < 6), in order", async () => {
  const refs = await Promise.all(CHOLECT50_PNGS.map(pngRgb));
  // the bound tells the frames apart: any two different source PNGs are far outside it
  for (let i = 0; i < refs.length; i++) {
    for (let j = i + 1; j < refs.length; j++) {
      assert.ok(meanAbsDiff(chwOf(refs[i]), refs[j]) > 2 * PNG_TOLERANCE, `PNGs ${i} and ${j}`);
    }
  }
  const { matched, serverErr } = await captureSlides(CHOLECT50, refs, 14, 4);
  assertCyclic(matched, refs.length); // 14 > 12: it looped, wrapping from VID02 to VID01
  assert.match(serverErr, /serving 12 PNGs as 32x18 H\.264/);
  assert.doesNotMatch(serverErr, /error|warn/i);
});

Deno.test("srt-serve leaves a truncated or non-image PNG out with a warning; the frames around it stay intact", async () => {
  await withTempDir(async (dir) => {
    const vid = `${dir}/VID01`;
    await Deno.mkdir(vid);
    const six = CHOLECT50_PNGS.slice(0, 6);
    for (const p of six) await Deno.copyFile(`${ROOT}/${p}`, `${vid}/${p.split("/").at(-1)}`);
    const bytes = await Deno.readFile(`${ROOT}/${six[2]}`);
    await Deno.writeFile(`${vid}/000002_cut.png`, bytes.subarray(0, 60));
    await Deno.writeFile(`${vid}/000004_html.png`, new TextEncoder().encode("<html>404</html>"));
    const refs = await Promise.all(six.map(pngRgb));
    // before this check, the cut PNG made ffmpeg's PNG parser swallow the next files into one frame
    const { matched, serverErr } = await captureSlides(vid, refs, 8, 6);
    assertCyclic(matched, 6);
    assert.match(
      serverErr,
      /skipped 2 file\(s\) that cannot be served: \S+000002_cut\.png: a truncated PNG \(no IEND chunk at its end\)[^;]*; \S+000004_html\.png: not a JPEG or PNG file/,
    );
    assert.match(serverErr, /serving 6 PNGs/);
  });
});

Deno.test("srt-serve refuses JPEGs mixed with PNGs and an odd --size (exit 2), and PNGs that are all cut short (exit 1), each with one line", async () => {
  await withTempDir(async (dir) => {
    const mixed = `${dir}/mixed`, cut = `${dir}/cut`;
    await Deno.mkdir(mixed);
    await Deno.mkdir(cut);
    for (const p of CHOLECT50_PNGS.slice(0, 3)) {
      await Deno.copyFile(`${ROOT}/${p}`, `${mixed}/${p.split("/").at(-1)}`);
      const bytes = await Deno.readFile(`${ROOT}/${p}`);
      await Deno.writeFile(`${cut}/${p.split("/").at(-1)}`, bytes.subarray(0, bytes.length - 12));
    }
    await ffmpeg(["-f", "lavfi", "-i", "color=c=red:s=32x18", "-frames:v", "1", `${mixed}/x.jpg`]);
    const run = async (args: string[], read: string) => {
      const t0 = performance.now();
      const p = spawnCli(["srt-serve", ...args, "--port", String(freePort())], [
        `--allow-read=${read}`,
        "--allow-run=ffmpeg",
      ], { stdout: "null" });
      const s = await statusWithin(p, 15_000);
      await p.stderrDone;
      const err = p.stderr();
      assert.equal(err.match(/error:/g)?.length, 1, err);
      assert.doesNotMatch(err, /\n\s+at /, "a stack trace");
      assert.ok(performance.now() - t0 < 10_000, "not at once");
      return { code: s.code, err };
    };
    const m = await run([mixed], mixed);
    assert.equal(m.code, 2, m.err);
    assert.match(
      m.err,
      /error: one slideshow is one image format, and \S+mixed has 1 JPEG and 3 PNG files \(e\.g\. JPEG \S+x\.jpg\): serve them as two streams/,
    );
    const odd = await run([CHOLECT50, "--size", "853x480"], CHOLECT50);
    assert.equal(odd.code, 2, odd.err);
    assert.match(
      odd.err,
      /cannot serve 853x480: H\.264 in 4:2:0 needs an even width and height \(e\.g\. 852x480\) \(--size\)/,
    );
    const c = await run([cut], cut);
    assert.equal(c.code, 1, c.err);
    assert.match(
      c.err,
      /nothing to serve: none of the 3 PNG file\(s\) in \S+ can be served \(\S+000000\.png: a truncated PNG/,
    );
  });
});

// --- srt-serve --once: a capture already connected gets every slide ------------------------

/** The fixture JPEGs (160x120) in the order srt-serve lists them (natural sort). */
const FRAME_JPEGS = [0, 25, 50, 75, 100, 125, 150, 175, 200, 225, 250, 275].map((n) =>
  `fixtures/frames/169_${n}.jpg`
);

/** Resolves once something is bound to UDP 127.0.0.1:`port` (an SRT listener is up). */
async function udpBound(port: number, ms: number): Promise<void> {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const t0 = performance.now();
  while (!Deno.readTextFileSync("/proc/net/udp").includes(local)) {
    assert.ok(performance.now() - t0 < ms, `nothing listens on UDP port ${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

Deno.test("srt-serve --once delivers every slide once, in order, to a capture already connected (srt-serve calling a capture listener, and a capture calling srt-serve)", async () => {
  const refs = await Promise.all(FRAME_JPEGS.map(pngRgb));
  for (let i = 0; i < refs.length; i++) {
    for (let j = i + 1; j < refs.length; j++) {
      assert.ok(meanAbsDiff(chwOf(refs[i]), refs[j]) > 2 * PNG_TOLERANCE, `JPEGs ${i} and ${j}`);
    }
  }
  for (const serveMode of ["caller", "listener"] as const) {
    const port = freePort();
    const capMode = serveMode === "caller" ? "listener" : "caller";
    const capture = () =>
      spawnCli(
        ["capture", `srt://127.0.0.1:${port}?mode=${capMode}`, "--no-reconnect"],
        CAPTURE_PERMS,
      );
    const serve = () =>
      spawnCli(
        ["srt-serve", "fixtures/frames", "--mode", serveMode, "--port", String(port)]
          .concat(["--size", "160x120", "--fps", "4", "--once"]),
        ["--allow-read=fixtures/frames", "--allow-run=ffmpeg"],
        { stdout: "null" },
      );
    // whoever listens is up before the other side calls
    let cap: Proc | undefined, server: Proc | undefined;
    try {
      if (serveMode === "caller") {
        cap = capture();
        await udpBound(port, 20_000);
        server = serve();
      } else {
        server = serve();
        await udpBound(port, 20_000);
        cap = capture();
      }
      const capStatus = statusWithin(cap, 40_000);
      const recs = await rest(records(cap));
      const s = await capStatus;
      await cap.stderrDone;
      const served = await statusWithin(server, 20_000);
      await server.stderrDone;
      const why = `srt-serve --mode ${serveMode}:\n${server.stderr()}capture:\n${cap.stderr()}`;
      assert.equal(s.code, 0, why);
      assert.equal(served.code, 0, why);
      const frames = recs.filter((r) => r.kind === "frame");
      const matched = frames.map((f) => {
        const d = refs.map((r) => meanAbsDiff(f.payload, r));
        const best = d.indexOf(Math.min(...d));
        assert.ok(d[best] < PNG_TOLERANCE, `frame ${f.fields.seq} matches no JPEG: ${d}`);
        return best;
      });
      assert.deepEqual(matched, refs.map((_, i) => i), `slides received: ${matched}; ${why}`);
      assert.equal(recs.at(-1)?.meta.reason, "end");
      assert.match(server.stderr(), /serving 12 JPEGs as 160x120/);
      assert.match(server.stderr(), /sent 12 frame\(s\) to the peer \(all 12 slides\)/);
    } finally {
      if (cap) await stop(cap);
      if (server) await stop(server);
    }
  }
});

async function goneWithin(pids: number[], ms: number): Promise<boolean> {
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    if (!pids.some(alive)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !pids.some(alive);
}

async function ffmpegOf(pid: number): Promise<number[]> {
  for (let i = 0; i < 100; i++) {
    const kids = ffmpegChildren(pid);
    if (kids.length) return kids;
    await new Promise((r) => setTimeout(r, 50));
  }
  return [];
}

Deno.test("a SIGKILLed srt-serve or capture leaves no ffmpeg behind", async () => {
  await withTempDir(async (dir) => {
    const slides = await makeSlides(dir);
    // srt-serve listening with nobody calling: its ffmpeg waits for a peer at most 3 s
    const port = freePort();
    const server = serve(slides, port);
    const kids = await ffmpegOf(server.child.pid);
    assert.equal(kids.length, 1);
    server.child.kill("SIGKILL");
    await server.child.status;
    await server.stderrDone;
    assert.ok(await goneWithin(kids, 6000), "srt-serve's ffmpeg outlived it");
    // capture (listener) waiting for a camera: bounded by --connect-timeout
    const lport = freePort();
    const waiting = spawnCli(
      ["capture", `srt://127.0.0.1:${lport}?mode=listener`, "--connect-timeout", "2"],
      CAPTURE_PERMS,
      { stdout: "null" },
    );
    const wkids = await ffmpegOf(waiting.child.pid);
    assert.equal(wkids.length, 1);
    waiting.child.kill("SIGKILL");
    await waiting.child.status;
    await waiting.stderrDone;
    assert.ok(await goneWithin(wkids, 5000), "a waiting capture's ffmpeg outlived it");
    // capture (caller) receiving frames: its ffmpeg's next write fails
    const port2 = freePort();
    const server2 = serve(slides, port2);
    try {
      const cap = spawnCli(
        ["capture", `srt://127.0.0.1:${port2}?mode=caller`, "--size", "64x48"],
        CAPTURE_PERMS,
      );
      const it = records(cap);
      await nextFrame(it);
      const ckids = ffmpegChildren(cap.child.pid);
      assert.equal(ckids.length, 1);
      cap.child.kill("SIGKILL");
      await cap.child.status;
      await cap.stderrDone;
      assert.ok(await goneWithin(ckids, 5000), "a receiving capture's ffmpeg outlived it");
    } finally {
      await stop(server2);
    }
  });
});
