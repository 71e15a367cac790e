/**
 * Label readers in process: content detection, Cholec80 phase and tool files, CholecT50 JSON,
 * frame strides, per-video files, and the key maps of before.
 */
import assert from "node:assert/strict";
import { CHOLEC80_PHASES, parseCholec80Phase } from "../src/labels/cholec80_phase.ts";
import { parseCholec80Tool } from "../src/labels/cholec80_tool.ts";
import { parseCholecT50 } from "../src/labels/cholect50.ts";
import { LabelError } from "../src/labels/errors.ts";
import { loadFrameLabels, loadLabels, parseLabelText, videoOf } from "../src/labels/load.ts";
import { openPerVideoLabels } from "../src/labels/per_video.ts";
import { frameNumber } from "../src/sources/frame_number.ts";
import { keepEvery, planOrder } from "../src/sources/sampling.ts";
import { withTempDir } from "./helpers.ts";

const PHASE = "Frame\tPhase\n0\tPreparation\n1\tPreparation\n2\tCalotTriangleDissection\n";
const TOOL = "Frame\tGrasper\tBipolar\tHook\n0\t1\t0\t0\n25\t1\t0\t1\n50\t0\t0\t0\n";

Deno.test("label files are told apart by content, not by name", () => {
  const kinds = [
    [PHASE, "a.csv"],
    [TOOL, "b.json"],
    [`{"categories": {"phase": {"0": "p"}}, "annotations": {}}`, "c.txt"],
    [`{"968": [2]}`, "d.txt"],
    ["169_0.jpg,1\n", "e.txt"],
  ].map(([text, file]) => {
    const p = parseLabelText(text, file);
    return p.kind === "frames" ? `frames:${p.table.classes.length}` : "keys";
  });
  assert.deepEqual(kinds, ["frames:7", "frames:3", "frames:1", "keys", "keys"]);
});

Deno.test("a Cholec80 phase file labels each frame with its phase in the canonical class order", () => {
  const t = parseCholec80Phase(PHASE, "v-phase.txt");
  assert.deepEqual(t.classes, [...CHOLEC80_PHASES]);
  assert.deepEqual([0, 1, 2].map((f) => t.at(f)), [[0], [0], [1]]);
  assert.equal(t.at(3), undefined, "past the last row");
  // without a header, and with phase ids
  assert.deepEqual(parseCholec80Phase("0\tClippingCutting\n1\t6\n", "x").at(1), [6]);
  assert.throws(
    () => parseCholec80Phase("Frame\tPhase\n0\tCoffeeBreak\n", "v-phase.txt"),
    /v-phase\.txt:2: "CoffeeBreak" is not one Cholec80 phase/,
  );
  assert.throws(
    () => parseCholec80Phase("Frame\tPhase\n0\tPreparation\n0\tPreparation\n", "v"),
    /given twice/,
  );
});

Deno.test("a Cholec80 tool file is multi-label and a frame between rows takes the row at or before it", () => {
  const t = parseCholec80Tool(TOOL, "v-tool.txt");
  assert.deepEqual(t.classes, ["Grasper", "Bipolar", "Hook"]);
  assert.deepEqual(t.at(0), [0]);
  assert.deepEqual(t.at(24), [0]);
  assert.deepEqual(t.at(25), [0, 2]);
  assert.deepEqual(t.at(49), [0, 2]);
  assert.deepEqual(t.at(74), []);
  assert.equal(t.at(75), undefined, "a full row spacing past the last row");
  assert.throws(() => parseCholec80Tool("Frame\tGrasper\n0\t2\n", "t"), /0 or 1/);
});

Deno.test("CholecT50: distinct ids of the chosen field over a frame's instances, -1 dropped, names from categories", () => {
  const v = (tri: number, ins: number, verb: number, tgt: number, ph: number) => [
    tri,
    ins,
    1,
    0,
    0,
    0,
    0,
    verb,
    tgt,
    1,
    0,
    0,
    0,
    0,
    ph,
  ];
  const data = {
    categories: {
      phase: { "0": "preparation", "1": "carlot-triangle-dissection" },
      instrument: { "0": "grasper", "1": "bipolar", "2": "hook" },
      triplet: ["t0", "t1", "t2"],
      verb: { "0": "grasp" },
      target: { "0": "gallbladder" },
    },
    annotations: {
      "0": [v(2, 2, 0, 0, 1), v(1, 0, 0, 0, 1), v(1, 0, 0, 0, 1)],
      "1": [v(-1, -1, -1, -1, 0)],
      "2": [],
    },
  };
  const at = (field: "phase" | "instrument" | "triplet" | "verb" | "target", f: number) =>
    parseCholecT50(data, { file: "VID01.json", field }).at(f);
  assert.deepEqual(at("phase", 0), [1]);
  assert.deepEqual(at("instrument", 0), [0, 2]);
  assert.deepEqual(at("triplet", 0), [1, 2]);
  assert.deepEqual(at("instrument", 1), [], "annotated, but no instrument");
  assert.equal(at("phase", 2), undefined, "an empty list is no annotation");
  assert.equal(at("phase", 3), undefined, "no key is no annotation");
  assert.deepEqual(parseCholecT50(data, { file: "x" }).classes, [
    "preparation",
    "carlot-triangle-dissection",
  ]);
  assert.throws(
    () => parseCholecT50({ ...data, annotations: { "0": [[1, 2, 3]] } }, { file: "VID01.json" }),
    /15-value vector/,
  );
});

Deno.test("--label-stride maps image number N to annotation frame N*K; without it N is the frame", async () => {
  await withTempDir(async (dir) => {
    const rows = ["Frame\tPhase"];
    for (let f = 0; f < 6400; f++) rows.push(`${f}\t${CHOLEC80_PHASES[Math.floor(f / 1000)]}`);
    await Deno.writeTextFile(`${dir}/v-phase.txt`, rows.join("\n"));
    const plain = await loadLabels(`${dir}/v-phase.txt`);
    assert.deepEqual(plain.lookup("169_6300.jpg", ""), [6]);
    assert.deepEqual(plain.lookup("169_999.jpg", ""), [0]);
    const strided = await loadLabels(`${dir}/v-phase.txt`, { stride: 25 });
    assert.deepEqual(strided.lookup("video01_000040.jpg", ""), [1]); // frame 1000
    assert.equal(strided.lookup("cover.jpg", ""), undefined);
    await Deno.writeTextFile(`${dir}/map.json`, `{"968": [2]}`);
    await assert.rejects(() => loadLabels(`${dir}/map.json`, { stride: 25 }), LabelError);
    await assert.rejects(() => loadLabels(`${dir}/v-phase.txt`, { field: "verb" }), /CholecT50/);
    await assert.rejects(() => loadFrameLabels(`${dir}/map.json`), /by frame number/);
  });
});

Deno.test("per-video label files: each video's frame numbers look up its own file", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/labels`);
    await Deno.writeTextFile(`${dir}/labels/a.json`, `{"0": [0], "25": [1]}`);
    await Deno.writeTextFile(`${dir}/labels/b.json`, `{"0": [1]}`);
    const images = ["v/a/0.jpg", "v/a/25.jpg", "v/b/0.jpg", "v/b/25.jpg"];
    const { labeler, missing } = await openPerVideoLabels(`${dir}/labels/{video}.json`, images);
    assert.equal(missing.size, 0);
    assert.deepEqual(
      images.map((p) => labeler.lookup(p.slice(2), "", p)),
      [[0], [1], [1], undefined],
      "b's frame 25 does not borrow a's",
    );
    const err = await openPerVideoLabels(`${dir}/labels/{video}.json`, [...images, "v/c/0.jpg"])
      .then(() => undefined, (e) => e);
    assert.match(
      err.message,
      /no label file ".*labels\/c\.json" for video c \(1 image\); add it, or /,
    );
    // the library names the option, the CLI its flag (--on-missing-label skip|none)
    assert.deepEqual(err.hints, [{ option: "onMissingLabel", value: "skip|none" }]);
    const none = await openPerVideoLabels(`${dir}/labels/{video}.json`, ["v/c/0.jpg"], {
      onMissing: "none",
    });
    assert.deepEqual([...none.missing], [["c", 1]]);
    await Deno.writeTextFile(`${dir}/labels/d.json`, `{"classes": ["x"], "labels": {"0": "x"}}`);
    await assert.rejects(
      () => openPerVideoLabels(`${dir}/labels/{video}.json`, ["v/a/0.jpg", "v/d/0.jpg"]),
      /classes differ/,
    );
  });
});

Deno.test("frame numbers, video names and --every's filter", () => {
  assert.equal(frameNumber("video01/169_6300.jpg"), 6300);
  assert.equal(frameNumber("VID01/000968.png"), 968);
  assert.equal(frameNumber("cover.jpg"), undefined);
  assert.equal(videoOf("fixtures/cholect50/videos/VID01/000000.png"), "VID01");
  assert.equal(videoOf("000000.png"), "");
  const files = Array.from({ length: 100 }, (_, i) => ({ key: `v_${i}.jpg` }));
  assert.deepEqual(keepEvery(files, 25).map((f) => f.key), [
    "v_0.jpg",
    "v_25.jpg",
    "v_50.jpg",
    "v_75.jpg",
  ]);
  assert.throws(() => keepEvery([{ key: "cover.jpg" }], 25), /has none/);
  // applied before sharding: every rank gets the same count
  const kept = keepEvery(files, 10).length;
  const ranks = [0, 1, 2].map((i) =>
    [...planOrder(kept, { shard: { index: i, count: 3 }, evenShards: true, shuffle: true })].length
  );
  assert.deepEqual(ranks, [3, 3, 3]);
});

Deno.test("--label-stride/--label-field with --labels dirs is refused, not ignored", async () => {
  const { openImages } = await import("../src/pipeline/images.ts");
  await assert.rejects(
    () => openImages(["fixtures/classes"], { labels: "dirs", labelStride: 25 }),
    LabelError,
  );
  await assert.rejects(
    () => openImages(["fixtures/classes"], { labels: "dirs", labelField: "verb" }),
    /applies to label files/,
  );
});

Deno.test("FrameTable keeps equal consecutive rows as one run and still answers every frame as the rows do", async () => {
  const { FrameTable } = await import("../src/labels/frame_table.ts");
  const rows = new Map<number, number[]>();
  for (let f = 0; f < 10; f++) rows.set(f, [0]);
  for (let f = 20; f < 30; f++) rows.set(f, f < 25 ? [0] : [1]); // a gap, then a change
  const hold = new FrameTable(rows, { classes: ["a", "b"], source: "t" });
  assert.equal(hold.size, 20);
  assert.equal(hold.runs, 3);
  for (let f = -1; f < 32; f++) {
    const want = f < 0 || (f >= 10 && f < 20) || f >= 30 ? undefined : rows.get(f);
    assert.deepEqual(hold.at(f), want, `frame ${f}`);
  }
  const sparse = new Map([[0, [2]], [25, [2]], [50, [3]]]);
  const exact = new FrameTable(sparse, { classes: [], source: "t", lookup: "exact" });
  assert.deepEqual([0, 25, 30, 50, 51].map((f) => exact.at(f)), [
    [2],
    [2],
    undefined,
    [3],
    undefined,
  ]);
  assert.equal(exact.runs, 2);
});
