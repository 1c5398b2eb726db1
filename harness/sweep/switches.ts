// Which run shape finds which bug switch of SYSTEM.md on the simulator, and which checker
// must name it. The sweep test, bench:sim and the docs use this one table.
import type { BugSwitch, NodeParams } from '../../nodes/blockstore/core/types.js';
import type { SweepRunOptions } from './seed-run.js';

export interface SwitchHunt {
  bug: BugSwitch;
  workload: 'register' | 'failover' | 'dr';
  /** --nemesis; undefined = the workload's default faults. */
  nemesis?: string;
  /** Simulated seconds per seed. */
  timeLimitS: number;
  /** Client processes and node parameters, when not the workload's defaults. */
  concurrency?: number;
  params?: Partial<NodeParams>;
  /** Mean think time (ms), when not the simulator's default. */
  thinkMs?: number;
  /** The checker that must report it (anomaly kinds are `checker:kind`). */
  checker: string;
}

/** Both cache switches show under the same shape: a-b partitions while b holds a long lease. */
const PARTNER_PARTITION_CACHE_HUNT = {
  workload: 'register',
  nemesis: 'partition-primary-partner',
  concurrency: 4,
  params: { leaseMs: 1500, takeoverMs: 3000 },
  timeLimitS: 5,
  checker: 'cache-invalidation',
} as const satisfies Omit<SwitchHunt, 'bug'>;

export const SWITCH_HUNTS: readonly SwitchHunt[] = [
  // Without faults the stale window is one network hop; a partner partition makes the unconfirmed
  // invalidation get lost while b still holds its lease.
  { bug: 'ack-before-invalidate', ...PARTNER_PARTITION_CACHE_HUNT },
  // The bug's window is the part of b's read lease left when a gives up on b (a notices
  // silence after ~3 heartbeats, the default lease is 400 ms), and b must hold a current cache
  // entry for a block then written: a longer lease and fewer writers make both likely.
  { bug: 'ack-without-partner', ...PARTNER_PARTITION_CACHE_HUNT },
  { bug: 'torn-barrier', workload: 'dr', timeLimitS: 5, checker: 'dr-prefix' },
  // Entries go metadata-only only once the journal to dr backs up: that takes dense writes
  // (1 seed in 100 at the simulator's default think time, 91 in 100 at 10 ms).
  { bug: 'skip-missing-data', workload: 'dr', thinkMs: 10, timeLimitS: 5, checker: 'dr-prefix|convergence' },
  { bug: 'volatile-bitmap', workload: 'dr', timeLimitS: 5, checker: 'convergence|dr-prefix' },
  { bug: 'no-index-replication', workload: 'failover', timeLimitS: 5, checker: 'durability' },
  { bug: 'vault-no-flush', workload: 'failover', timeLimitS: 5, checker: 'durability' },
  // Only what was acked within one fsync latency (0.2-1.5 ms) before a power-loss crash is
  // lost: that takes dense writes (docker's 10 ms think time) and kill-unsynced as the fault.
  { bug: 'ack-before-fsync', workload: 'failover', nemesis: 'kill-unsynced', thinkMs: 10, timeLimitS: 5, checker: 'durability' },
  { bug: 'sync-dr-journal', workload: 'dr', timeLimitS: 5, checker: 'latency' },
];

/** The sweep options of a hunt's run shape. */
export function huntOptions(h: SwitchHunt, outDir: string): SweepRunOptions {
  return { outDir, workload: h.workload, nemesis: h.nemesis, timeLimit: h.timeLimitS, bug: [h.bug], concurrency: h.concurrency, thinkMs: h.thinkMs, params: h.params };
}

/** Whether a seed's anomaly kinds name the hunt's checker. */
export function namesChecker(h: SwitchHunt, kinds: readonly string[]): boolean {
  const checkers = h.checker.split('|');
  return kinds.some((k) => checkers.includes(k.split(':')[0]));
}
