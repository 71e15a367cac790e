// Decode Deno.args[0] with the wasm fast path at full size; raw HWC RGB on stdout.
// Exit 3 when the file is not handled by the fast path, 1 on JpegError.
import { FastJpegDecoder } from "../../src/decode/fast/mod.ts";
import { JpegError } from "../../src/decode/types.ts";

const path = Deno.args[0];
if (!path) {
  console.error("usage: fast_decode_cli.ts FILE.jpg");
  Deno.exit(2);
}
const bytes = Deno.readFileSync(path);
const dec = FastJpegDecoder.create();
try {
  const img = dec.decode(bytes, { orientation: false });
  if (!img) {
    console.error(`not handled by fast path: ${dec.lastNotHandledReason}`);
    Deno.exit(3);
  }
  let data = img.data;
  if (img.channels === 1) {
    data = new Uint8Array(img.width * img.height * 3);
    for (let i = 0; i < img.width * img.height; i++) {
      data[3 * i] = data[3 * i + 1] = data[3 * i + 2] = img.data[i];
    }
  }
  let off = 0;
  while (off < data.length) off += Deno.stdout.writeSync(data.subarray(off));
} catch (e) {
  if (e instanceof JpegError) {
    console.error(`${e.name}: ${e.message}`);
    Deno.exit(1);
  }
  throw e;
}
