// Runs several checkers over one history and composes their verdicts with Jepsen's priority
// (false over unknown over true); writes results.json. The checkers are passed in (the run
// loop adds linearizability from checkers/linearizability beside the storage checkers).
import { writeFileSync, renameSync } from 'node:fs';
import { InputError, mergeVerdicts } from '../ground/errors.js';
import { pairHistory, type Locate, type Paired } from '../ground/history/pair.js';
import type { HistoryEvent } from '../ground/history/types.js';
import type { CheckContext, Checker, CheckerResult, ComposedResult } from './types.js';
import { cacheInvalidationChecker } from './cache-invalidation/index.js';
import { durabilityChecker } from './durability/index.js';
import { drPrefixChecker } from './dr-prefix/index.js';
import { convergenceChecker } from './convergence/index.js';
import { latencyChecker } from './stats/latency.js';
import { statsChecker } from './stats/index.js';
import { setChecker } from './set/index.js';

export interface ComposeOptions {
  run?: Record<string, unknown>;
  /** Per-checker budget; an async checker still running after it is reported `unknown`. */
  timeoutMs?: number;
  /** Already paired history (saves a pass when the caller has one). */
  paired?: Paired;
  locate?: Locate;
}

function withTimeout(p: Promise<CheckerResult>, ms: number | undefined): Promise<CheckerResult> {
  if (ms === undefined || !Number.isFinite(ms)) return p;
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<CheckerResult>((resolve) => {
    timer = setTimeout(() => resolve({ valid: 'unknown', anomalies: [], reason: `timed out after ${ms} ms` }), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** Pairs the history once (bad shape: InputError, exit 2) and runs each checker in turn.
 *  A checker that throws anything but InputError is reported `unknown` with the error, so
 *  one broken checker cannot hide another's verdict, nor turn into a false `valid`. */
export async function runCheckers(events: readonly HistoryEvent[], checkers: Record<string, Checker>, opts: ComposeOptions = {}): Promise<ComposedResult> {
  const paired = opts.paired ?? pairHistory(events, opts.locate);
  const ctx: CheckContext = { events, paired, run: opts.run, timeoutMs: opts.timeoutMs };
  const results: Record<string, CheckerResult> = {};
  for (const [name, check] of Object.entries(checkers)) {
    try {
      results[name] = await withTimeout(Promise.resolve(check(ctx)), opts.timeoutMs);
    } catch (err) {
      if (err instanceof InputError) throw err;
      results[name] = { valid: 'unknown', anomalies: [], reason: `checker failed: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
  return { valid: mergeVerdicts(Object.values(results).map((r) => r.valid)), checkers: results };
}

/** JSON with Infinity/NaN as strings (JSON has neither) and no undefined noise. */
export function resultsJson(result: ComposedResult): string {
  return JSON.stringify(result, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2) + '\n';
}

/** Writes results.json whole or not at all (temp file + rename), so a reader never sees half. */
export function writeResults(path: string, result: ComposedResult): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, resultsJson(result));
  renameSync(tmp, path);
}

/** The storage checkers by the names results.json uses. The run loop adds
 *  `linearizability` (checkers/linearizability) to this record itself. */
export function storageCheckers(): Record<string, Checker> {
  return {
    'cache-invalidation': cacheInvalidationChecker,
    durability: durabilityChecker,
    'dr-prefix': drPrefixChecker,
    convergence: convergenceChecker,
    latency: latencyChecker,
    stats: statsChecker,
    set: setChecker,
  };
}
