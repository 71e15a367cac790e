/**
 * The sink seams, module by module: the destination table (open_sink.ts), the run loop
 * (pipe.ts) with a recording sink, writeAll over partial writers, and the encoders' bytes.
 */
import assert from "node:assert/strict";
import type { Frame, StreamHeader, StreamSummary } from "../src/formats/frame.ts";
import { readRecordHeader, RECORD_HEADER_SIZE } from "../src/formats/frame.ts";
import { readRecords } from "../src/formats/read_stream.ts";
import type { FrameSink } from "../src/formats/sink.ts";
import { createEncoder } from "../src/formats/writers.ts";
import { openSink, SINK_SCHEMES } from "../src/sinks/open_sink.ts";
import { SinkError } from "../src/sinks/options.ts";
import { pipe } from "../src/sinks/pipe.ts";
import { ConsumerGoneError, writeAll } from "../src/util/io.ts";
import { testFrame } from "./frames.ts";
import { withTempDir } from "./helpers.ts";

const HEADER: StreamHeader = {
  source: "test",
  classes: [],
  layout: "chw",
  width: 2,
  height: 1,
  channels: 3,
};

const frame = testFrame;

async function* frames(n: number): AsyncGenerator<Frame> {
  for (let i = 0; i < n; i++) yield frame(i);
}

/** Records every call; `failAt` makes write N throw. */
class RecordingSink implements FrameSink {
  readonly description = "recording";
  calls: string[] = [];
  ended?: StreamSummary;
  closed = 0;
  constructor(readonly failAt = -1, readonly failWith: Error = new ConsumerGoneError()) {}
  start(): Promise<void> {
    this.calls.push("start");
    return Promise.resolve();
  }
  write(f: Frame): Promise<void> {
    if (f.seq === this.failAt) return Promise.reject(this.failWith);
    this.calls.push(`frame ${f.seq}`);
    return Promise.resolve();
  }
  end(s: StreamSummary): Promise<Record<string, unknown>> {
    this.calls.push("end");
    this.ended = s;
    return Promise.resolve({ sink_extra: 1 });
  }
  close(): Promise<void> {
    this.closed++;
    return Promise.resolve();
  }
}

Deno.test("pipe(): header, frames, end with the counts and the sink's extra counts; closes once", async () => {
  const sink = new RecordingSink();
  const { summary, consumerGone } = await pipe(frames(3), sink, {
    header: HEADER,
    counts: () => ({ skipped: 2, errors: 1 }),
  });
  assert.deepEqual(sink.calls, ["start", "frame 0", "frame 1", "frame 2", "end"]);
  assert.equal(consumerGone, false);
  assert.equal(summary.frames, 3);
  assert.equal(summary.skipped, 2);
  assert.equal(summary.reason, "end");
  assert.equal((summary as unknown as Record<string, unknown>).sink_extra, 1);
  assert.equal(sink.closed, 1);
});

Deno.test("pipe(): a consumer that leaves is a normal end without an end record", async () => {
  const sink = new RecordingSink(1);
  const { summary, consumerGone } = await pipe(frames(5), sink, { header: HEADER });
  assert.equal(consumerGone, true);
  assert.equal(summary.reason, "consumer-gone");
  assert.deepEqual(sink.calls, ["start", "frame 0"]);
  assert.equal(sink.closed, 1);
});

Deno.test("pipe(): a source error is rethrown after the end record says reason error", async () => {
  async function* failing(): AsyncGenerator<Frame> {
    yield frame(0);
    throw new Error("decode failed");
  }
  const sink = new RecordingSink();
  await assert.rejects(() => pipe(failing(), sink, { header: HEADER }), /decode failed/);
  assert.equal(sink.ended?.reason, "error");
  assert.equal(sink.ended?.frames, 1);
  assert.equal(sink.closed, 1);
});

Deno.test("pipe(): an aborted signal stops before the next frame (reason signal)", async () => {
  const stop = new AbortController();
  const sink = new RecordingSink();
  const { summary } = await pipe(frames(100), sink, {
    header: HEADER,
    signal: stop.signal,
    onFrame: (f) => f.seq === 4 && stop.abort(),
  });
  assert.equal(summary.frames, 5);
  assert.equal(summary.reason, "signal");
});

Deno.test("pipe(): without a header in options or on the source it refuses", async () => {
  await assert.rejects(() => pipe(frames(1), new RecordingSink()), TypeError);
});

Deno.test("writeAll(): loops over partial writes; a writer taking nothing means the consumer left", async () => {
  const got: number[] = [];
  const partial = {
    write: (p: Uint8Array) => {
      got.push(p[0]);
      return Promise.resolve(1);
    },
  };
  await writeAll(partial, new Uint8Array([1, 2, 3]));
  assert.deepEqual(got, [1, 2, 3]);
  await assert.rejects(
    () => writeAll({ write: () => Promise.resolve(0) }, new Uint8Array(1)),
    ConsumerGoneError,
  );
  await assert.rejects(
    () =>
      writeAll({ write: () => Promise.reject(new Deno.errors.BrokenPipe()) }, new Uint8Array(1)),
    ConsumerGoneError,
  );
});

Deno.test("openSink(): the static table, files, and errors that are setup errors", async () => {
  assert.ok(Object.isFrozen(SINK_SCHEMES));
  await withTempDir(async (dir) => {
    const sink = await openSink(`${dir}/out.fpip`, { format: "frame" });
    await pipe(frames(2), sink, { header: HEADER });
    const records = [];
    for await (const r of readRecords((await Deno.open(`${dir}/out.fpip`)).readable)) {
      records.push(r);
    }
    assert.deepEqual(records.map((r) => r.kind), ["header", "frame", "frame", "end"]);
  });
  for (const dest of ["nope://x", "/nonexistent-dir/x.fpip"]) {
    await assert.rejects(() => openSink(dest, { format: "frame" }), (e: Error) => {
      assert.ok(e instanceof SinkError, String(e));
      assert.equal((e as SinkError).kind, "setup");
      return true;
    });
  }
  await assert.rejects(
    () => openSink("redis://127.0.0.1:6379/s", { format: "raw" }),
    /Redis entries hold frame records/,
  );
  await assert.rejects(
    () =>
      openSink("out.fpip", {
        format: "frame",
        net: { listen: { hostname: "127.0.0.1", port: 1 } },
      }),
    /serving \(listen\) replaces the destination/,
  );
});

Deno.test("encoders: frame records are header + meta + payload; raw is the payload; seed is u16", () => {
  const f = frame(7);
  const chunks = createEncoder("frame").frame(f);
  assert.equal(chunks.length, 2);
  assert.equal(chunks[1], f.data, "the payload is passed through, not copied");
  const fields = readRecordHeader(chunks[0]);
  assert.equal(fields.seq, 7);
  assert.equal(fields.payloadLength, 6);
  const meta = JSON.parse(
    new TextDecoder().decode(
      chunks[0].subarray(RECORD_HEADER_SIZE, RECORD_HEADER_SIZE + fields.metaLength),
    ),
  );
  assert.deepEqual(meta, { key: "f7", labels: [1] });
  assert.equal(chunks[0].length, RECORD_HEADER_SIZE + fields.metaLength);
  const raw = createEncoder("raw");
  assert.deepEqual(raw.header(HEADER), []);
  assert.deepEqual(raw.frame(f), [f.data]);
  const seed = createEncoder("seed").frame(f);
  const bytes = seed.reduce((n, c) => n + c.length, 0);
  assert.ok(bytes > 0);
});
