// Shared by the end-to-end tests of both runtimes: which workload and nemesis find which bug
// switch, and a helper that runs one seed and cleans its run directory up.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BugSwitch, NodeParams } from '../../../nodes/core/types.js';
import type { ComposedResult } from '../../../checkers/types.js';
import { buildConfig } from '../config.js';
import { executeRun } from '../execute.js';
import { createRuntime } from '../runtime-select.js';

export interface BugCase {
  bug: BugSwitch;
  workload: 'register' | 'failover' | 'dr';
  /** undefined: the workload's default nemesis. */
  nemesis?: string;
  /** When real timing needs a different nemesis than the simulator. */
  dockerNemesis?: string;
  /** The checker whose violation names this switch. */
  checker: string;
  /** Node parameters that widen the bug's window (recorded in config.json; replay keeps them). */
  params?: Partial<NodeParams>;
}

/** Which run finds which switch (docs/run.md has the same table). */
export const BUG_CASES: BugCase[] = [
  // The simulated network's delays open the ack-to-invalidation gap on their own. On real
  // loopback it is microseconds; cutting a from b stretches it to b's remaining lease.
  { bug: 'ack-before-invalidate', workload: 'register', nemesis: 'none', dockerNemesis: 'partition-primary-partner', checker: 'cache-invalidation' },
  // a waits ~300 ms of silence before it calls b out of sync; a longer lease leaves b serving
  // from its cache for longer after that, which is the window this bug acks into.
  { bug: 'ack-without-partner', workload: 'register', nemesis: 'partition-primary-partner', checker: 'cache-invalidation', params: { leaseMs: 900, takeoverMs: 1500 } },
  { bug: 'torn-barrier', workload: 'dr', checker: 'dr-prefix' },
  { bug: 'skip-missing-data', workload: 'dr', checker: 'dr-prefix' },
  { bug: 'volatile-bitmap', workload: 'dr', nemesis: 'partition-site-dr,kill', checker: 'convergence' },
  { bug: 'no-index-replication', workload: 'failover', checker: 'durability' },
  // A restart must beat the partner's takeover for a to recover as owner from its vault:
  // a long takeover time gives a container restart room to.
  { bug: 'vault-no-flush', workload: 'failover', checker: 'durability', params: { leaseMs: 1000, takeoverMs: 4000 } },
  // b's invalidation round trip usually outlasts the fsync; cut b off so a acks alone, then
  // kill a with its unsynced tail dropped.
  { bug: 'ack-before-fsync', workload: 'failover', nemesis: 'partition-primary-partner,kill-unsynced', checker: 'durability', params: { leaseMs: 1000, takeoverMs: 4000 } },
  { bug: 'sync-dr-journal', workload: 'dr', nemesis: 'partition-site-dr', checker: 'latency' },
];

export const MIXED = 'partition,kill,kill-unsynced,pause,lose-journal';

export interface OneRun {
  results: ComposedResult;
  errors: string[];
  dir: string;
}

export async function runOnce(kind: 'sim' | 'docker', o: { workload: string; nemesis?: string; bug?: string[]; seed: number; timeLimitS: number; concurrency?: number; params?: Partial<NodeParams> }): Promise<OneRun> {
  const out = mkdtempSync(join(tmpdir(), `chaos-e2e-${kind}-`));
  try {
    const config = buildConfig({ runtime: kind, workload: o.workload, nemesis: o.nemesis, bug: o.bug ?? [], seed: o.seed, timeLimit: o.timeLimitS, concurrency: o.concurrency, params: o.params });
    const runtime = await createRuntime(kind, { seed: o.seed, runId: `e2e-${o.workload}-${o.seed}-${process.pid}` });
    const r = await executeRun(config, { runtime, outDir: out, skipHtml: true });
    return { results: r.results, errors: r.errors, dir: r.dir };
  } finally {
    if (!process.env.CHAOS_KEEP_E2E) rmSync(out, { recursive: true, force: true });
  }
}

/** A checker verdict table for assertion messages. */
export function verdicts(r: ComposedResult): string {
  return Object.entries(r.checkers)
    .map(([k, v]) => `${k}=${v.valid}${v.valid === false ? `(${[...new Set(v.anomalies.map((a) => a.kind))].join(',')})` : v.valid === 'unknown' ? `(${v.reason})` : ''}`)
    .join(' ');
}

/** Valid means every checker says valid. The one allowance: a build without the
 *  linearizability checker reports it unknown, and that alone does not fail the test. */
export function allValid(r: ComposedResult): boolean {
  return Object.entries(r.checkers).every(([k, v]) => v.valid === true || (k === 'linearizability' && v.valid === 'unknown' && /not available/.test(v.reason ?? '')));
}
