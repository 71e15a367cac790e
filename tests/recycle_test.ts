/**
 * Buffer recycling in the image pipeline gives the same frames as fresh buffers.
 */
import assert from "node:assert/strict";
import { frames } from "../src/pipeline/images.ts";
import { InputBuffers, readFileInto } from "../src/pipeline/recycle.ts";

/** Copies of every payload of `fixtures/frames` at 64x48 (looped to 40 frames). */
async function payloads(workers: number, reuseBuffers: boolean): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  const src = frames("fixtures/frames", {
    width: 64,
    height: 48,
    workers,
    reuseBuffers,
    loop: true,
    limit: 40,
  });
  for await (const f of src) out.push(f.data.slice());
  return out;
}

for (const workers of [0, 2]) {
  Deno.test(`reuseBuffers with ${workers} workers yields the same frames`, async () => {
    const fresh = await payloads(workers, false);
    const reused = await payloads(workers, true);
    assert.equal(reused.length, 40);
    assert.deepEqual(reused, fresh);
  });
}

Deno.test("readFileInto reads whole files into recycled buffers", async () => {
  const pool = new InputBuffers(2);
  const path = "fixtures/frames/169_0.jpg";
  const a = await readFileInto(path, (n) => pool.take(n));
  assert.deepEqual(a, await Deno.readFile(path));
  pool.give(a);
  const b = await readFileInto("fixtures/frames/169_25.jpg", (n) => pool.take(n));
  assert.equal(b.buffer, a.buffer); // the same buffer, resized
  assert.deepEqual(b, await Deno.readFile("fixtures/frames/169_25.jpg"));
});
