/**
 * framepipe: JPEG folders and live cameras as raw RGB frame streams for PyTorch.
 *
 * Decode JPEGs in pure TypeScript/WASM, resize, lay out as planar CHW (numpy
 * `reshape(3, H, W)`), attach labels, and write self-describing frame records to stdout,
 * a file or a socket.
 *
 * @example Iterate a folder as 64x48 CHW frames
 * ```ts
 * import { frames } from "@framepipe/framepipe";
 * for await (const f of frames("fixtures/frames", { width: 64, height: 48 })) {
 *   console.log(f.key, f.labels, f.data.length); // 9216 bytes each
 * }
 * ```
 *
 * @example Stream a folder into any destination `--out` accepts, with the CLI's run loop
 * ```ts
 * import { openImages, openSink, pipe } from "@framepipe/framepipe";
 * const src = await openImages(["fixtures/frames"], { width: 64, height: 48 });
 * // "-" (stdout), a file, tcp://HOST:PORT, tcps://, redis://HOST:PORT/STREAM, rediss://
 * const sink = await openSink("frames.fpip", { format: "frame" });
 * const { summary } = await pipe(src, sink); // header, frames with backpressure, end record
 * console.log(summary.frames, summary.skipped, summary.reason); // 12 0 "end"
 * await Deno.remove("frames.fpip");
 * ```
 *
 * @example Stop cleanly on Ctrl-C (the end record says `reason: "signal"`)
 * ```ts
 * import { openImages, openSink, pipe } from "@framepipe/framepipe";
 * const stop = new AbortController();
 * Deno.addSignalListener("SIGINT", () => stop.abort());
 * const src = await openImages(["fixtures/frames"], { width: 64, height: 48, loop: true });
 * setTimeout(() => stop.abort(), 200);
 * const { summary } = await pipe(src, await openSink("loop.fpip", { format: "frame" }), {
 *   signal: stop.signal,
 * });
 * console.log(summary.reason); // "signal"
 * await Deno.remove("loop.fpip");
 * ```
 *
 * @example Capture a live SRT camera (needs ffmpeg, `--allow-run=ffmpeg` and a camera)
 * ```ts ignore
 * import { CaptureSource } from "@framepipe/framepipe";
 * const cam = new CaptureSource({
 *   url: "srt://127.0.0.1:9999?mode=caller", width: 320, height: 240, latest: true, frames: 100,
 * });
 * await cam.open();
 * for await (const f of cam) console.log(f.timestamp, f.extra?.gap, f.extra?.reconnects);
 * ```
 *
 * @example Publish frames to a Redis stream for many consumers (needs `--allow-net=HOST:PORT`)
 * ```ts ignore
 * import { openImages, openSink, pipe } from "@framepipe/framepipe";
 * const src = await openImages(["fixtures/frames"], { width: 64, height: 48 });
 * const sink = await openSink("redis://127.0.0.1:6379/framepipe:demo", {
 *   format: "frame",
 *   redis: { maxLag: 64 }, // lossless: wait while the slowest consumer group is 64 entries behind
 * });
 * await pipe(src, sink);
 * ```
 *
 * @module
 */

export {
  type DecodedImage,
  type DecodeOptions,
  DEFAULT_MAX_PIXELS,
  DEFAULT_MAX_SCANS,
  ImageTooLargeError,
  type JpegDecoder,
  JpegError,
  type JpegInfo,
  type JpegWarning,
  type JpegWarningKind,
  UnsupportedJpegError,
} from "./src/decode/types.ts";
export { decodeJpeg, isJpeg, readJpegInfo } from "./src/decode/mod.ts";
export {
  decodePng,
  isPng,
  type PngDecodeOptions,
  PngError,
  type PngInfo,
  readPngInfo,
} from "./src/decode/mod.ts";
export { readRgbImage, type ReadRgbImageOptions } from "./src/pipeline/read_rgb_image.ts";
export {
  DecodeFailedError,
  frames,
  type ImageFrameSource,
  type ImagesOptions,
  type ImageStats,
  openImages,
  type SkipEvent,
} from "./src/pipeline/images.ts";
export {
  type ImageKind,
  renderImage,
  renderJpeg,
  type RenderOptions,
  renderPng,
  sniffImage,
} from "./src/pipeline/render.ts";
export {
  type FitMode,
  planFit,
  resizeInto,
  type ResizeMode,
  type ResizeOptions,
} from "./src/transform/resize.ts";
export type { Frame, Layout, StreamHeader, StreamSummary } from "./src/formats/frame.ts";
export { readRecordHeader, RECORD_HEADER_SIZE } from "./src/formats/frame.ts";
export { createEncoder, type FormatEncoder, type WireFormat } from "./src/formats/writers.ts";
export { FrameStreamError, readRecords, type StreamRecord } from "./src/formats/read_stream.ts";
export type { FrameSink } from "./src/formats/sink.ts";
export { ConsumerGoneError, isConsumerGone, type PartialWriter, writeAll } from "./src/util/io.ts";
export { stdoutSink, WriterSink, type WriterSinkOptions } from "./src/sinks/writer_sink.ts";
export { openSink, SINK_SCHEMES, type SinkFactory } from "./src/sinks/open_sink.ts";
export {
  NET_DEFAULTS,
  type OpenSinkOptions,
  REDIS_DEFAULTS,
  SinkError,
} from "./src/sinks/options.ts";
export { pipe, type PipeOptions, type PipeResult, type PipeSource } from "./src/sinks/pipe.ts";
export { type Log, SILENT_LOG } from "./src/util/log.ts";
export {
  HintedError,
  type HintedErrorOptions,
  hintsOf,
  type OptionHint,
  type OptionName,
} from "./src/util/hint.ts";
/**
 * Serve a frame stream to every consumer that connects (fan-out, per-consumer queues, `--slow`).
 *
 * @example Serve (`--listen`): waits for one consumer, drops frames for a slow one
 * ```ts ignore
 * import { openImages, openSink, pipe } from "@framepipe/framepipe";
 * const src = await openImages(["fixtures/frames"], { width: 64, height: 48 });
 * const sink = await openSink("-", {
 *   format: "frame",
 *   net: { listen: { hostname: "127.0.0.1", port: 9000 }, slow: "drop", waitConsumers: 1 },
 * });
 * await pipe(src, sink);
 * ```
 */
export {
  type ConsumerStats,
  SLOW_POLICIES,
  TcpServerSink,
  type TcpServerSinkOptions,
} from "./src/sinks/tcp_server.ts";
/**
 * Stream to one consumer that listens (`tcp://` / `tcps://`), with retry and reconnect.
 *
 * @example
 * ```ts ignore
 * import { openImages, openSink, pipe } from "@framepipe/framepipe";
 * const src = await openImages(["fixtures/frames"], { width: 64, height: 48 });
 * const sink = await openSink("tcp://127.0.0.1:9000", {
 *   format: "frame",
 *   net: { connectTimeoutMs: 10_000, token: Deno.env.get("FRAMEPIPE_TOKEN") },
 * });
 * await pipe(src, sink);
 * ```
 */
export { TcpClientSink, type TcpClientSinkOptions } from "./src/sinks/tcp_client.ts";
/**
 * Read a `--listen` server as a consumer (token handshake, TLS).
 *
 * @example
 * ```ts ignore
 * import { connectStream, readRecords } from "@framepipe/framepipe";
 * const c = await connectStream("tcp://127.0.0.1:9000");
 * for await (const r of readRecords(c.readable)) console.log(r.kind, r.meta);
 * ```
 */
export {
  connectStream,
  type ConnectStreamOptions,
  type ConsumerConnection,
} from "./src/net/consumer.ts";
export { AuthError } from "./src/net/errors.ts";
export {
  CHOLEC80_PHASES,
  CHOLEC80_TOOLS,
  CHOLECT50_FIELDS,
  type CholecT50Field,
  type FrameLabels,
  FrameTable,
  type Labeler,
  LabelError,
  type LabelOptions,
  loadFrameLabels,
  loadLabelFile,
  loadLabels,
  type MissingLabelMode,
  openPerVideoLabels,
  PerVideoLabeler,
  type PerVideoLabels,
  type PerVideoOptions,
  VideoLabeler,
  type VideoLabelOptions,
} from "./src/labels/mod.ts";
export { listInputs, type ListOptions, type RepeatedPath } from "./src/sources/list.ts";
export { splitJpegStream } from "./src/sources/mjpeg_split.ts";
export {
  buildCaptureArgs,
  type CaptureArgsOptions,
  CaptureError,
  type CaptureOptions,
  CaptureSetupError,
  CaptureSource,
  type CaptureStats,
  redactUrl,
  serveSrt,
  type SrtServeOptions,
} from "./src/capture/mod.ts";
export {
  describeStream,
  parseRedisUrl,
  RedisAuthError,
  RedisConnection,
  RedisFrameTooLargeError,
  RedisGroupsGoneError,
  RedisSetupError,
  RedisSink,
  type RedisSinkOptions,
  type RedisStreamInfo,
  type RedisTarget,
} from "./src/redis/mod.ts";
// Types (and base classes) that the exports above refer to, so that their documentation
// links resolve and `deno doc --lint` / JSR see no private types.
export type { OrderOptions } from "./src/sources/sampling.ts";
export type { Renderer } from "./src/pipeline/renderer.ts";
export type { DecoderChoice, Rendered } from "./src/pipeline/render.ts";
export type { FitPlan } from "./src/transform/resize.ts";
export type { RecordFields } from "./src/formats/frame.ts";
export type { MapLabeler } from "./src/labels/labels.ts";
export type { InputFile } from "./src/sources/list.ts";
export type { SplitOptions } from "./src/sources/mjpeg_split.ts";
export type { InputInfo } from "./src/capture/url.ts";
export type { LatencyStats } from "./src/capture/queue.ts";
export type { RedisArg } from "./src/redis/connection.ts";
export type { GroupInfo } from "./src/redis/mod.ts";
export { NetworkError } from "./src/net/errors.ts";
export type { Shard } from "./src/sources/sampling.ts";
export type { Rect } from "./src/transform/resize.ts";
export type { NetOptions, RedisOutOptions } from "./src/sinks/options.ts";
export type { HostPort } from "./src/net/address.ts";
export type { SeqCounts } from "./src/net/seq.ts";
export type { SlowPolicy } from "./src/sinks/tcp_server.ts";
export { TOKEN_ENV, type TokenSource } from "./src/net/handshake.ts";
