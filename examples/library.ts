/**
 * Using framepipe as a library: decode one JPEG, iterate a folder as frames, and send them to
 * a TCP consumer in the `frame` wire format with `openSink` and `pipe`.
 *
 * ```sh
 * # a consumer, e.g.:  framepipe inspect < (nc -l 9000)  or the Python reader's listen()
 * deno run --allow-read=fixtures --allow-net=127.0.0.1:9000 examples/library.ts 127.0.0.1:9000
 * ```
 *
 * @module
 */
import { decodeJpeg, frames, openImages, openSink, pipe } from "../mod.ts";

/**
 * Send a folder's frames to `host:port`.
 *
 * @param address `HOST:PORT` of a consumer that accepts one connection.
 * @param folder The JPEG folder.
 * @returns Frames sent.
 */
export async function send(address: string, folder = "fixtures/frames"): Promise<number> {
  // 1. One JPEG, decoded in TypeScript/WASM: interleaved RGB at its stored size.
  const first = (await Array.fromAsync(Deno.readDir(folder)))
    .filter((e) => e.isFile && /\.jpe?g$/i.test(e.name))
    .map((e) => e.name)
    .sort()[0];
  const img = decodeJpeg(await Deno.readFile(`${folder}/${first}`));
  console.error(`decoded ${first}: ${img.width}x${img.height}, ${img.data.length} bytes RGB`);

  // 2. The folder as frames (64x48, planar CHW, in natural order).
  let n = 0;
  for await (const f of frames(folder, { width: 64, height: 48 })) {
    if (n++ === 0) console.error(`first frame: ${f.key} ${f.layout} ${f.data.length} bytes`);
  }
  console.error(`iterated ${n} frames`);

  // 3. The same frames to a consumer: openSink() opens any destination --out accepts (-, a file,
  //    tcp://, tcps://, redis://, rediss://) and pipe() is the CLI's run loop (header, frames
  //    with backpressure, end-of-stream record with the counts).
  const src = await openImages([folder], { width: 64, height: 48 });
  const sink = await openSink(`tcp://${address}`, { format: "frame" });
  const { summary } = await pipe(src, sink);
  const sent = summary.frames;
  console.error(`sent ${sent} frames to ${sink.description} (${summary.bytes_written} bytes)`);
  return sent;
}

if (import.meta.main) {
  const address = Deno.args[0];
  if (!address || !/^[^:]+:\d+$/.test(address)) {
    console.error("usage: library.ts HOST:PORT [FOLDER]");
    Deno.exit(2);
  }
  await send(address, Deno.args[1]);
}
