/**
 * `inspect` covers what the everyday checks need beyond tests/network_test.ts: error counts from
 * the end record, holes in the sequence numbers, and rates.
 */
import assert from "node:assert/strict";
import { recordSpans as records } from "./frames.ts";
import { ROOT, runCli, withTempDir } from "./helpers.ts";

Deno.test("inspect reports skipped/errors from the end record, seq holes and rates", async () => {
  await withTempDir(async (dir) => {
    for (const f of ["169_0.jpg", "169_25.jpg", "169_50.jpg", "169_75.jpg"]) {
      await Deno.copyFile(`${ROOT}/fixtures/frames/${f}`, `${dir}/${f}`);
    }
    const good = await Deno.readFile(`${dir}/169_0.jpg`);
    await Deno.writeFile(`${dir}/169_60.jpg`, good.subarray(0, 300)); // truncated: a decode error
    const made = await runCli(["images", dir, "--size", "16x12", "--workers", "0"], {
      permissions: [`--allow-read=${dir}`],
    });
    assert.equal(made.code, 0, made.stderr);
    // Drop the second frame record: a hole of one in the sequence numbers.
    const recs = records(made.stdout);
    const holed = new Uint8Array(recs.filter((_, i) => i !== 2).flatMap((r) => [...r]));
    const r = await runCli(["inspect", "--json"], { stdin: holed });
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(new TextDecoder().decode(r.stdout));
    assert.equal(s.frames, 3);
    assert.deepEqual(s.gaps, { gap_meta: 0, seq_holes: 1, seq_hole_frames: 1 });
    assert.equal(s.end.skipped, 1);
    assert.equal(s.end.errors, 1);
    assert.equal(typeof s.frames_per_s, "number");
    assert.ok(s.source_fps === null || s.source_fps > 0);
    const t = await runCli(["inspect"], { stdin: holed });
    const text = new TextDecoder().decode(t.stdout);
    assert.match(text, /end: +frames=4 skipped=1 errors=1 /);
    assert.match(text, /1 seq holes \(1 frames\)/);
    assert.match(text, /frames\/s/);
    // A frame that arrives again after a later one (seq 0, 2, 1, 3) is a repeat, not a second
    // hole: the same counting as tcp:// and redis:// readers (src/net/seq.ts).
    const late = new Uint8Array([0, 1, 3, 2, 4, 5].flatMap((i) => [...recs[i]]));
    const l = await runCli(["inspect", "--json"], { stdin: late });
    assert.equal(l.code, 0, l.stderr);
    const ls = JSON.parse(new TextDecoder().decode(l.stdout));
    assert.equal(ls.frames, 4);
    assert.deepEqual(ls.gaps, { gap_meta: 0, seq_holes: 1, seq_hole_frames: 1 });
  });
});
