// Render the JPEG on stdin with several option sets on a 2-worker pool and on the main thread;
// print one JSON line per option set: {options, worker: [w, h, c, bytes], same}. Run it with no
// permissions at all (`deno run --no-prompt`): decode workers must start anyway.
import { WorkerPoolRenderer } from "../../src/pipeline/worker_pool.ts";
import { renderJpeg, type RenderOptions } from "../../src/pipeline/render.ts";

const jpeg = new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
const sets: RenderOptions[] = [
  {},
  { width: 853, height: 480 },
  { width: 80, height: 60, layout: "hwc" },
  { width: 64, height: 64, channels: 1, fit: "pad" },
  { width: 100, height: 50, fit: "crop", resize: "nearest", decoder: "ts" },
];
const pool = new WorkerPoolRenderer(2);
try {
  // all in flight at once, so both workers take part
  const pooled = await Promise.all(sets.map((o) => pool.render(jpeg.slice(), o)));
  for (let i = 0; i < sets.length; i++) {
    const w = pooled[i], m = renderJpeg(jpeg, sets[i]);
    const same = w.width === m.width && w.height === m.height && w.channels === m.channels &&
      w.layout === m.layout && w.data.length === m.data.length &&
      w.data.every((v, j) => v === m.data[j]);
    console.log(JSON.stringify({
      options: sets[i],
      worker: [w.width, w.height, w.channels, w.data.length],
      same,
    }));
  }
} finally {
  pool.close();
}
