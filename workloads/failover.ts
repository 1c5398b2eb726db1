// failover: sustained writes through crashes and takeovers, with some reads, over more blocks
// than register so the oplog index (b's view of a's oplog) matters on takeover. The final
// reads after the heal are what this workload is judged on (durability).
import type { Workload } from './types.js';
import { runRegisterLike } from './register.js';

export const FAILOVER_BLOCKS = 32;

export const failover: Workload = {
  name: 'failover',
  defaults: { nemesis: ['kill', 'kill-unsynced', 'pause', 'partition-primary-partner'], concurrency: 8, thinkMs: 10 },
  finalBlocks: (blocks) => Array.from({ length: Math.min(FAILOVER_BLOCKS, blocks) }, (_, i) => i),
  finalDr: true,
  run: (ctx) => runRegisterLike(ctx, { hot: FAILOVER_BLOCKS, pRead: 0.2, pCas: 0, readAny: false }),
};
