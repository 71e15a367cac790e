/**
 * The order items are visited in: shuffling, epochs, shards, start and limit.
 *
 * @module
 */
import { mulberry32 } from "../util/random.ts";
import { SourceError } from "./errors.ts";
import { frameNumber } from "./frame_number.ts";

/** A shard: this process reads every item `i` of the planned order with `i % count === index`. */
export interface Shard {
  /** 0-based shard index. */
  index: number;
  /** Number of shards. */
  count: number;
}

/** Options for {@linkcode planOrder}. */
export interface OrderOptions {
  /** Shuffle each epoch (a different permutation per epoch, the same for every shard). */
  shuffle?: boolean;
  /** Seed for the shuffle. Default 0. */
  seed?: number;
  /** Number of epochs. Default 1. Ignored with `loop`. */
  epochs?: number;
  /** Repeat forever. */
  loop?: boolean;
  /** Read one shard of the items. */
  shard?: Shard;
  /** Give every shard the same number of items per epoch (drops the remainder), so DDP ranks never wait for each other. */
  evenShards?: boolean;
  /** Skip the first `start` positions (resume). Default 0. */
  start?: number;
  /** Stop after `limit` positions. */
  limit?: number;
}

/** One step of the plan. */
export interface PlannedItem {
  /** Index into the item list. */
  index: number;
  /** This run's position (0-based over all epochs, counted after sharding); `--start` resumes here. */
  position: number;
  /** 0-based epoch. */
  epoch: number;
}

/**
 * Fisher-Yates permutation of `0..n-1` for a seed and an epoch.
 *
 * @param n Length.
 * @param seed Seed.
 * @param epoch Epoch (mixed into the seed).
 * @returns The permutation.
 */
export function permutation(n: number, seed: number, epoch: number): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  const rnd = mulberry32((seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/**
 * Items per epoch for a shard.
 *
 * @param n Total items.
 * @param options Shard options.
 * @returns How many items the shard reads per epoch.
 */
export function shardLength(n: number, options: OrderOptions): number {
  const s = options.shard ?? { index: 0, count: 1 };
  if (options.evenShards) return Math.floor(n / s.count);
  return Math.floor(n / s.count) + (s.index < n % s.count ? 1 : 0);
}

/**
 * Plan the visiting order lazily: epochs x (shuffled) items, sharded, then start/limit.
 *
 * @param n Number of items.
 * @param options Order options.
 * @returns A generator of planned items (infinite with `loop`).
 * @example
 * ```ts
 * import { planOrder } from "./sampling.ts";
 * const order = [...planOrder(10, { shard: { index: 1, count: 3 } })].map((p) => p.index);
 * // [1, 4, 7]
 * ```
 */
export function* planOrder(n: number, options: OrderOptions = {}): Generator<PlannedItem> {
  const shard = options.shard ?? { index: 0, count: 1 };
  const perEpoch = shardLength(n, options);
  const epochs = options.loop ? Infinity : (options.epochs ?? 1);
  const start = options.start ?? 0;
  const end = options.limit === undefined ? Infinity : start + options.limit;
  if (perEpoch === 0) return;
  let position = 0;
  for (let epoch = Math.floor(start / perEpoch); epoch < epochs; epoch++) {
    position = epoch * perEpoch;
    const perm = options.shuffle ? permutation(n, options.seed ?? 0, epoch) : null;
    for (let k = 0; k < perEpoch; k++, position++) {
      if (position < start) continue;
      if (position >= end) return;
      const slot = k * shard.count + shard.index;
      yield { index: perm ? perm[slot] : slot, position, epoch };
    }
  }
}

/**
 * Keep the inputs whose frame number (the trailing digits of the name: `169_6300.jpg` -> 6300)
 * is a multiple of `n`, e.g. `n = 25` reads a 25 fps extraction at 1 fps. Applied before
 * {@linkcode planOrder}, so shuffles and shards see only the kept inputs.
 *
 * @param inputs The inputs (anything with a `key`).
 * @param n The multiple (>= 1).
 * @returns The kept inputs, in order.
 * @throws {SourceError} an input whose name has no frame number.
 * @example
 * ```ts
 * import { keepEvery } from "./sampling.ts";
 * keepEvery([{ key: "v_0.jpg" }, { key: "v_1.jpg" }, { key: "v_25.jpg" }], 25); // v_0, v_25
 * ```
 */
export function keepEvery<T extends { key: string }>(inputs: T[], n: number): T[] {
  return inputs.filter((f) => {
    const k = frameNumber(f.key);
    if (k === undefined) {
      throw new SourceError(
        `keeping every ${n}th frame needs a frame number in each name; "${f.key}" has none`,
        { hints: [{ option: "every", value: n }] },
      );
    }
    return k % n === 0;
  });
}
