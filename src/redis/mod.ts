/**
 * Redis Streams transport: `--out redis://` (the sink), `inspect redis://`, and the building
 * blocks (URL parsing, connection with retry and error mapping). See docs/SCALE_OUT.md.
 *
 * @example Describe a stream's consumer groups
 * ```ts ignore
 * import { describeStream, parseRedisUrl, RedisConnection } from "./mod.ts";
 * const target = parseRedisUrl("redis://127.0.0.1:6379/framepipe:demo", "inspect");
 * const conn = await RedisConnection.open({ target, connectTimeoutMs: 5000, what: "inspect" });
 * const info = await describeStream(conn, target.stream, target.display);
 * console.log(info.groups.map((g) => `${g.name}: lag ${g.lag}, pending ${g.pending}`));
 * await conn.close();
 * ```
 *
 * @module
 */
export {
  describeRedisError,
  isConnectionLoss,
  RedisConnection,
  type RedisConnectOptions,
} from "./connection.ts";
export {
  RedisAuthError,
  RedisFrameTooLargeError,
  RedisGroupsGoneError,
  RedisSetupError,
} from "./errors.ts";
export { describeStream, formatStreamInfo, inspectRedis, type RedisStreamInfo } from "./inspect.ts";
export {
  compareIds,
  FIELD_HEAD,
  FIELD_META,
  FIELD_PAYLOAD,
  headerKey,
  producersKey,
} from "./layout.ts";
export { PASSWORD_ENVS, resolveRedisPassword } from "./password.ts";
export {
  DEFAULT_MAX_LAG,
  DEFAULT_PROTO_MAX_BULK_LEN,
  type GroupInfo,
  parseGroups,
  RedisSink,
  type RedisSinkOptions,
} from "./sink.ts";
export { DEFAULT_REDIS_PORT, parseRedisUrl, type RedisTarget } from "./url.ts";
