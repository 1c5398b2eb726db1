// The suite's case x seed list, and which part of it a shard runs. The order is the file's
// case order and ascending seeds, so every machine given the same file computes the same list.
//
// Sharding is round-robin over units: a unit is one seed, except that a case which must find
// a planted bug in *any* of its seeds is one unit (all its seeds together), so each shard can
// judge the cases it holds on its own and a shard's exit status means what the whole suite's
// would for those cases.
import type { Shard } from '../sweep/range.js';
import type { Suite, SuiteCase } from './schema.js';

export interface RunSpec {
  /** The case's name (unique in the suite). */
  case: string;
  seed: number;
  /** Position in the whole suite's list (stable across shards). */
  index: number;
}

export function expand(suite: Suite): RunSpec[] {
  const out: RunSpec[] = [];
  for (const c of suite.cases) for (const seed of c.seeds) out.push({ case: c.name, seed, index: out.length });
  return out;
}

function wholeCase(c: SuiteCase): boolean {
  return c.expect.verdict === 'invalid' && c.expect.find === 'any';
}

/** The specs of shard i of n (1-based), in suite order. */
export function shardSpecs(suite: Suite, shard: Shard): RunSpec[] {
  const byName = new Map(suite.cases.map((c) => [c.name, c]));
  const units: RunSpec[][] = [];
  const open = new Map<string, RunSpec[]>();
  for (const s of expand(suite)) {
    if (wholeCase(byName.get(s.case)!)) {
      let u = open.get(s.case);
      if (!u) {
        u = [];
        open.set(s.case, u);
        units.push(u);
      }
      u.push(s);
    } else units.push([s]);
  }
  return units.filter((_, k) => k % shard.count === shard.index - 1).flat().sort((a, b) => a.index - b.index);
}
