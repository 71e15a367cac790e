/**
 * Surgical datasets as they ship, through the real CLI with the documented flags: Cholec80 frames
 * with per-video phase and tool files, --every on a 25 fps extraction, CholecT50 PNG frames with
 * per-video JSON, and missing label files. Every label is checked against the annotation files
 * parsed here, independently of src/labels/.
 */
import assert from "node:assert/strict";
import type { StreamRecord } from "../src/formats/read_stream.ts";
import { parseStream, ROOT, runCli, withTempDir } from "./helpers.ts";

const C80 = "fixtures/cholec80";
const T50 = "fixtures/cholect50";
const PHASE_NAMES = [
  "Preparation",
  "CalotTriangleDissection",
  "ClippingCutting",
  "GallbladderDissection",
  "GallbladderPackaging",
  "CleaningCoagulation",
  "GallbladderRetraction",
];

/** `Frame<TAB>Phase` -> frame -> phase id. */
async function readPhases(video: string): Promise<Map<number, number>> {
  const text = await Deno.readTextFile(`${ROOT}/${C80}/phase_annotations/${video}-phase.txt`);
  const out = new Map<number, number>();
  for (const line of text.trim().split("\n").slice(1)) {
    const [frame, phase] = line.split("\t");
    out.set(Number(frame), PHASE_NAMES.indexOf(phase.trim()));
  }
  return out;
}

/** Tool rows: [frame, tools present][] in file order, and the header's names. */
async function readTools(video: string): Promise<{ names: string[]; rows: [number, number[]][] }> {
  const text = await Deno.readTextFile(`${ROOT}/${C80}/tool_annotations/${video}-tool.txt`);
  const [head, ...lines] = text.trim().split("\n");
  const rows = lines.map((l): [number, number[]] => {
    const [f, ...cells] = l.trim().split("\t");
    return [Number(f), cells.flatMap((c, i) => (c === "1" ? [i] : []))];
  });
  return { names: head.trim().split("\t").slice(1), rows };
}

/** Extract a fixture video's frames with ffmpeg into `pattern` (its folder is created). */
async function extractFrames(video: string, pattern: string, args: string[]): Promise<void> {
  await Deno.mkdir(pattern.slice(0, pattern.lastIndexOf("/")), { recursive: true });
  const ff = await new Deno.Command("ffmpeg", {
    args: ["-v", "error", "-i", `${ROOT}/${C80}/videos/${video}.mp4`, ...args, pattern],
  }).output();
  assert.ok(ff.success, new TextDecoder().decode(ff.stderr));
}

function frames(recs: StreamRecord[]): StreamRecord[] {
  return recs.filter((r) => r.kind === "frame");
}

function numberOf(key: string): number {
  return Number(/(\d+)\.\w+$/.exec(key)![1]);
}

Deno.test("Cholec80 frames at 1 fps, two videos in one run: each frame gets its own video's phase (--label-stride 25)", async () => {
  const r = await runCli([
    "images",
    `${C80}/frames`,
    "--labels",
    `${C80}/phase_annotations/{video}-phase.txt`,
    "--label-stride",
    "25",
    "--size",
    "16x12",
  ], { permissions: [`--allow-read=${C80}`] });
  assert.equal(r.code, 0, r.stderr);
  const recs = await parseStream(r.stdout);
  assert.deepEqual(recs[0].meta.classes, PHASE_NAMES);
  const got = frames(recs);
  assert.equal(got.length, 12);
  const phases = { video01: await readPhases("video01"), video02: await readPhases("video02") };
  let differ = 0;
  for (const f of got) {
    const key = f.meta.key as string;
    const video = key.split("/")[0] as "video01" | "video02";
    const want = phases[video].get(numberOf(key) * 25)!;
    assert.deepEqual(f.meta.labels, [want], key);
    const other = video === "video01" ? phases.video02 : phases.video01;
    if (other.get(numberOf(key) * 25) !== want) differ++;
  }
  assert.ok(differ >= 4, "the two videos' labels differ at the same frame numbers");
  assert.equal(recs.at(-1)!.meta.unlabelled, 0);
});

Deno.test("Cholec80 tool files: multi-label, the row at or before each frame, tool names as classes", async () => {
  await withTempDir(async (dir) => {
    // a 5 fps extraction of video02, numbered by source frame (0, 5, 10, ...)
    await extractFrames("video02", `${dir}/video02/%d.jpg`, [
      "-vf",
      "select=not(mod(n\\,5))",
      "-fps_mode",
      "passthrough",
      "-frame_pts",
      "1",
    ]);
    const r = await runCli([
      "images",
      `${dir}/video02`,
      "--labels",
      `${C80}/tool_annotations/{video}-tool.txt`,
      "--size",
      "8x8",
    ], { permissions: [`--allow-read=${C80},${dir}`] });
    assert.equal(r.code, 0, r.stderr);
    const recs = await parseStream(r.stdout);
    const tools = await readTools("video02");
    assert.deepEqual(recs[0].meta.classes, tools.names);
    const got = frames(recs);
    assert.equal(got.length, 30);
    for (const f of got) {
      const n = numberOf(f.meta.key as string);
      const row = tools.rows.filter(([rf]) => rf <= n).at(-1)!;
      assert.deepEqual(f.meta.labels, row[1], `frame ${n}`);
    }
  });
});

Deno.test("--every 25 on a 25 fps extraction keeps frames 0, 25, 50 ... before --shuffle and --shard (equal ranks)", async () => {
  await withTempDir(async (dir) => {
    await extractFrames("video01", `${dir}/video01/169_%d.jpg`, ["-start_number", "0"]);
    const run = (extra: string[]) =>
      runCli([
        "images",
        `${dir}/video01`,
        "--every",
        "25",
        "--labels",
        `${C80}/phase_annotations/video01-phase.txt`,
        "--size",
        "8x8",
        ...extra,
      ], { permissions: [`--allow-read=${C80},${dir}`] });
    const all = await run([]);
    assert.equal(all.code, 0, all.stderr);
    const recs = await parseStream(all.stdout);
    const phases = await readPhases("video01");
    const keys = frames(recs).map((f) => f.meta.key as string);
    assert.deepEqual(keys, [0, 25, 50, 75, 100, 125].map((n) => `169_${n}.jpg`));
    for (const f of frames(recs)) {
      assert.deepEqual(f.meta.labels, [phases.get(numberOf(f.meta.key as string))]);
    }
    assert.equal(recs.at(-1)!.meta.not_every, 144);
    const ranks = await Promise.all(
      ["0/4", "1/4", "2/4", "3/4"].map(async (s) => {
        const x = await run(["--shuffle", "--seed", "3", "--shard", s, "--even-shards"]);
        assert.equal(x.code, 0, x.stderr);
        return frames(await parseStream(x.stdout)).map((f) => f.meta.key as string);
      }),
    );
    assert.deepEqual(ranks.map((k) => k.length), [1, 1, 1, 1], "6 kept frames, 4 even ranks");
    assert.equal(new Set(ranks.flat()).size, 4, "disjoint");
    assert.ok(ranks.flat().every((k) => keys.includes(k)));
  });
});

/** CholecT50 JSON -> frame -> distinct ids of the field (-1 dropped), or undefined. */
async function readT50(video: string, index: number): Promise<Map<number, number[] | undefined>> {
  const data = JSON.parse(await Deno.readTextFile(`${ROOT}/${T50}/labels/${video}.json`));
  const out = new Map<number, number[] | undefined>();
  for (let f = 0; f < data.num_frames; f++) {
    const inst: number[][] | undefined = data.annotations[String(f)];
    out.set(
      f,
      inst && inst.length > 0
        ? [...new Set(inst.map((v) => v[index]).filter((x) => x !== -1))].sort((a, b) => a - b)
        : undefined,
    );
  }
  return out;
}

for (
  const [field, index] of [["phase", 14], ["triplet", 0], ["instrument", 1], ["verb", 7], [
    "target",
    8,
  ]] as const
) {
  Deno.test(`CholecT50 PNG frames with per-video JSON: --label-field ${field}`, async () => {
    const args = [
      "images",
      `${T50}/videos`,
      "--labels",
      `${T50}/labels/{video}.json`,
      "--size",
      "8x8",
    ];
    if (field !== "phase") args.push("--label-field", field);
    const r = await runCli(args, { permissions: [`--allow-read=${T50}`] });
    assert.equal(r.code, 0, r.stderr);
    const recs = await parseStream(r.stdout);
    const cats = JSON.parse(await Deno.readTextFile(`${ROOT}/${T50}/labels/VID01.json`))
      .categories[field] as Record<string, string>;
    assert.deepEqual(recs[0].meta.classes, Object.values(cats));
    const got = frames(recs);
    assert.equal(got.length, 12);
    const want = { VID01: await readT50("VID01", index), VID02: await readT50("VID02", index) };
    let unlabelled = 0;
    for (const f of got) {
      const key = f.meta.key as string;
      const w = want[key.split("/")[0] as "VID01" | "VID02"].get(numberOf(key));
      if (w === undefined) unlabelled++;
      assert.deepEqual(f.meta.labels, w ?? [], key);
    }
    assert.equal(unlabelled, 2);
    assert.equal(recs.at(-1)!.meta.unlabelled, 2);
    assert.match(r.stderr, /2 frames had no label/);
  });
}

Deno.test("a video without a label file is one error line (exit 2) unless --on-missing-label skip|none", async () => {
  await withTempDir(async (dir) => {
    for (const v of ["VID01", "VID03"]) {
      await Deno.mkdir(`${dir}/${v}`);
      for (const f of ["000000.png", "000001.png"]) {
        await Deno.copyFile(`${ROOT}/${T50}/videos/VID01/${f}`, `${dir}/${v}/${f}`);
      }
    }
    const run = (extra: string[]) =>
      runCli(["images", dir, "--labels", `${T50}/labels/{video}.json`, "--size", "8x8", ...extra], {
        permissions: [`--allow-read=${T50},${dir}`],
      });
    const err = await run([]);
    assert.equal(err.code, 2);
    assert.match(err.stderr, /no label file ".*VID03\.json" for video VID03 \(2 images\)/);
    assert.equal(err.stderr.trim().split("\n").length, 1, err.stderr);
    const skip = await run(["--on-missing-label", "skip"]);
    assert.equal(skip.code, 0, skip.stderr);
    const sk = await parseStream(skip.stdout);
    assert.deepEqual(frames(sk).map((f) => f.meta.key), ["VID01/000000.png", "VID01/000001.png"]);
    assert.equal(sk.at(-1)!.meta.no_label_file, 2);
    const none = await run(["--on-missing-label", "none"]);
    assert.equal(none.code, 0, none.stderr);
    const no = frames(await parseStream(none.stdout));
    assert.deepEqual(no.map((f) => f.meta.labels), [[0], [1], [], []]);
  });
});

Deno.test("capture --labels on a Cholec80 video gives the labels images --label-stride 25 gives its ffmpeg-extracted frames", async () => {
  await withTempDir(async (dir) => {
    const video = `${C80}/videos/video02.mp4`;
    const phaseFile = `${C80}/phase_annotations/video02-phase.txt`;
    await extractFrames("video02", `${dir}/video02/video02_%06d.jpg`, [
      "-vf",
      "fps=1",
      "-start_number",
      "0",
    ]);
    const img = await runCli([
      "images",
      `${dir}/video02`,
      "--labels",
      phaseFile,
      "--label-stride",
      "25",
      "--size",
      "16x12",
    ], { permissions: [`--allow-read=${C80},${dir}`] });
    assert.equal(img.code, 0, img.stderr);
    const want = frames(await parseStream(img.stdout)).map((f) => f.meta.labels);
    const cap = await runCli([
      "capture",
      video,
      "--fps",
      "1",
      "--labels",
      phaseFile,
      "--size",
      "16x12",
    ], { permissions: [`--allow-read=${C80}`, "--allow-run=ffmpeg"] });
    assert.equal(cap.code, 0, cap.stderr);
    const recs = await parseStream(cap.stdout);
    assert.deepEqual(recs[0].meta.classes, PHASE_NAMES);
    const got = frames(recs);
    assert.equal(got.length, 6);
    assert.deepEqual(got.map((f) => f.meta.labels), want);
    // and both equal the annotation file read here
    const phases = await readPhases("video02");
    assert.deepEqual(want, [0, 1, 2, 3, 4, 5].map((i) => [phases.get(i * 25)]));
    const end = recs.at(-1)!.meta;
    assert.equal(end.unlabelled, 0);
    // read as fast as it decodes, not in real time: 6 s of video well under 6 s
    assert.equal(typeof end.elapsed_s, "number");
    assert.ok((end.elapsed_s as number) < 0.8 * 6, JSON.stringify(end));
  });
});

Deno.test("capture --start-time/--duration select a span; frames past the annotation are counted unlabelled", async () => {
  await withTempDir(async (dir) => {
    // the annotation stops at frame 99: frames 100 and 125 have no label
    const text = await Deno.readTextFile(`${ROOT}/${C80}/phase_annotations/video01-phase.txt`);
    await Deno.writeTextFile(`${dir}/short-phase.txt`, text.split("\n").slice(0, 101).join("\n"));
    const r = await runCli([
      "capture",
      `${C80}/videos/video01.mp4`,
      "--fps",
      "1",
      "--start-time",
      "2",
      "--duration",
      "4",
      "--labels",
      `${dir}/short-phase.txt`,
      "--size",
      "16x12",
    ], { permissions: [`--allow-read=${C80},${dir}`, "--allow-run=ffmpeg"] });
    assert.equal(r.code, 0, r.stderr);
    const recs = await parseStream(r.stdout);
    const phases = await readPhases("video01");
    const got = frames(recs);
    assert.deepEqual(got.map((f) => f.meta.source_frame), [50, 75, 100, 125]);
    assert.deepEqual(got.map((f) => f.meta.labels), [[phases.get(50)], [phases.get(75)], [], []]);
    assert.equal(recs.at(-1)!.meta.unlabelled, 2);
    assert.match(r.stderr, /2 frames had no label/);
  });
});

Deno.test("one frame-numbered label file over two video folders warns that every video gets the same labels", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/labels.json`, `{"0": [0], "25": [1]}`);
    const r = await runCli(
      ["images", `${C80}/frames`, "--labels", `${dir}/labels.json`, "--size", "8x8"],
      { permissions: [`--allow-read=${C80},${dir}`] },
    );
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stderr.split("\n").filter((l) => /every video gets the same labels/.test(l));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(
      lines[0],
      /span 2 folders \(video01, video02\).*--labels 'labels\/\{video\}\.json'/,
    );
    // one video: no warning
    const one = await runCli(
      ["images", `${C80}/frames/video01`, "--labels", `${dir}/labels.json`, "--size", "8x8"],
      { permissions: [`--allow-read=${C80},${dir}`] },
    );
    assert.doesNotMatch(one.stderr, /same labels/);
  });
});
