/**
 * Test helper: decode `Deno.args[0]` with the TypeScript decoder and write raw
 * RGB (always 3 channels, stored orientation) to stdout. On a JpegError, print
 * one line to stderr and exit 1.
 *
 * Usage: deno run --allow-read tests/tools/decode_cli.ts file.jpg > out.rgb
 *
 * @module
 */
import { decodeJpeg, JpegError } from "../../src/decode/mod.ts";

const path = Deno.args[0];
if (!path) {
  console.error("usage: decode_cli.ts FILE.jpg");
  Deno.exit(2);
}
let bytes: Uint8Array;
try {
  bytes = await Deno.readFile(path);
} catch (e) {
  console.error(`cannot read ${path}: ${e instanceof Error ? e.message : e}`);
  Deno.exit(1);
}
try {
  const img = decodeJpeg(bytes, { orientation: false });
  let data = img.data;
  if (img.channels === 1) {
    data = new Uint8Array(img.width * img.height * 3);
    for (let i = 0, j = 0; i < img.data.length; i++, j += 3) {
      data[j] = data[j + 1] = data[j + 2] = img.data[i];
    }
  }
  let off = 0;
  while (off < data.length) off += Deno.stdout.writeSync(data.subarray(off));
} catch (e) {
  if (e instanceof JpegError) {
    console.error(`${path}: ${e.name}: ${e.message}`);
    Deno.exit(1);
  }
  throw e;
}
