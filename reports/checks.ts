// The checkers a run is judged by, by name (results.json's keys). Linearizability is loaded
// from checkers/linearizability when present; its absence makes its verdict unknown, never valid.
import type { Checker } from '../checkers/types.js';
import { cacheInvalidationChecker } from '../checkers/cache-invalidation/index.js';
import { durabilityChecker } from '../checkers/durability/index.js';
import { drPrefixChecker } from '../checkers/dr-prefix/index.js';
import { convergenceChecker } from '../checkers/convergence/index.js';
import { latencyChecker } from '../checkers/stats/latency.js';
import { statsChecker } from '../checkers/stats/index.js';

async function linearizability(): Promise<Checker> {
  const spec = '../checkers/linearizability/index.js';
  try {
    const mod = (await import(spec)) as { linearizability?: Checker };
    if (typeof mod.linearizability === 'function') return mod.linearizability;
  } catch {
    // not built yet
  }
  return () => ({ valid: 'unknown', anomalies: [], reason: 'the linearizability checker is not available in this build' });
}

export async function runCheckerSet(): Promise<Record<string, Checker>> {
  return {
    linearizability: await linearizability(),
    'cache-invalidation': cacheInvalidationChecker,
    durability: durabilityChecker,
    'dr-prefix': drPrefixChecker,
    convergence: convergenceChecker,
    latency: latencyChecker,
    stats: statsChecker,
  };
}
