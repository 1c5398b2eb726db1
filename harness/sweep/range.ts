// Which seeds a sweep runs: `--seeds A..B` (inclusive) narrowed by `--shard i/n` (1-based),
// so n machines or CI jobs given the same range and shards 1..n cover it exactly once.
import { InputError } from '../../ground/errors.js';

export interface SeedRange {
  from: number;
  to: number;
}

export function parseSeeds(spec: string, where = '--seeds'): SeedRange {
  const m = /^\s*(\d+)\s*(?:\.\.\s*(\d+))?\s*$/.exec(spec);
  if (!m) throw new InputError(`'${spec}' is not a seed range; expected A..B with whole numbers A <= B`, where);
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from > to) {
    throw new InputError(`'${spec}' is not a seed range; expected A..B with whole numbers A <= B`, where);
  }
  if (to - from >= 10_000_000) throw new InputError(`'${spec}' spans more than 10,000,000 seeds; split it with --shard`, where);
  return { from, to };
}

export interface Shard {
  index: number; // 1-based
  count: number;
}

export function parseShard(spec: string | undefined, where = '--shard'): Shard {
  if (spec === undefined) return { index: 1, count: 1 };
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(spec);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) throw new InputError(`'${spec}' is not a shard; expected i/n with 1 <= i <= n`, where);
  return { index, count };
}

/** Seeds of the range that belong to the shard: every n-th, starting at the i-th. */
export function shardSeeds(range: SeedRange, shard: Shard): number[] {
  const out: number[] = [];
  for (let s = range.from + shard.index - 1; s <= range.to; s += shard.count) out.push(s);
  return out;
}
