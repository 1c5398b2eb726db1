// Which workload's default sweep finds which bug switch of SYSTEM.md on the simulator, and
// which checker must name it. The sweep test, bench:sim, the suite test and the docs use this
// one table.
import type { BugSwitch } from '../../nodes/blockstore/core/types.js';
import type { SweepRunOptions } from './seed-run.js';

export interface SwitchHunt {
  bug: BugSwitch;
  /** The workload whose default sweep (the swarm nemesis, no other flag) finds it soonest. */
  workload: 'register' | 'failover' | 'dr';
  /** The checker that must report it (anomaly kinds are `checker:kind`). */
  checker: string;
}

/** Every switch is found by a default sweep (`chaos sweep --workload W --bug X`): the swarm
 *  draws the shapes each one needs (a long lease for the stale-cache switches, a small journal
 *  or dense writes for a backed-up dr, a slow disk for an ack inside one fsync, clock drift,
 *  a corrupt journal, disk errors) in some seeds of every hundred. bench:swarm measures the
 *  first failing seed of each switch on each workload; this table keeps the soonest. */
export const SWITCH_HUNTS: readonly SwitchHunt[] = [
  { bug: 'ack-before-invalidate', workload: 'register', checker: 'cache-invalidation' },
  { bug: 'ack-without-partner', workload: 'register', checker: 'cache-invalidation' },
  { bug: 'torn-barrier', workload: 'dr', checker: 'dr-prefix' },
  { bug: 'skip-missing-data', workload: 'dr', checker: 'dr-prefix|convergence' },
  { bug: 'volatile-bitmap', workload: 'dr', checker: 'convergence|dr-prefix' },
  { bug: 'no-index-replication', workload: 'failover', checker: 'durability' },
  { bug: 'vault-no-flush', workload: 'failover', checker: 'durability' },
  { bug: 'ack-before-fsync', workload: 'failover', checker: 'durability' },
  { bug: 'sync-dr-journal', workload: 'dr', checker: 'latency' },
  { bug: 'lease-ignores-drift', workload: 'register', checker: 'cache-invalidation|linearizability' },
  { bug: 'trust-journal', workload: 'dr', checker: 'dr-prefix|convergence' },
  // An ack after a failed fsync loses the write at the next power loss (durability), or a
  // takeover brings back an older value while b's cache still had the new one (cache-invalidation).
  { bug: 'ack-after-failed-fsync', workload: 'failover', checker: 'durability|cache-invalidation' },
];

/** The sweep options of a hunt: the workload's defaults, the switch, nothing else. */
export function huntOptions(h: SwitchHunt, outDir: string): SweepRunOptions {
  return { outDir, workload: h.workload, bug: [h.bug] };
}

/** Whether a seed's anomaly kinds name the hunt's checker. */
export function namesChecker(h: SwitchHunt, kinds: readonly string[]): boolean {
  const checkers = h.checker.split('|');
  return kinds.some((k) => checkers.includes(k.split(':')[0]));
}
