// failover: sustained writes through crashes and takeovers, with some reads, spread over many
// blocks (1024 by default) so that a write lost in a crash is rarely overwritten before the
// final reads: the final reads after the heal are what this workload is judged on (durability).
import type { Workload } from './types.js';
import { runRegisterLike } from './register.js';

export const FAILOVER_BLOCKS = 1024;

export const failover: Workload = {
  name: 'failover',
  defaults: { nemesis: ['kill', 'kill-unsynced', 'pause', 'partition-primary-partner'], concurrency: 8, thinkMs: 10, params: { blocks: FAILOVER_BLOCKS } },
  finalDr: true,
  run: (ctx) => runRegisterLike(ctx, { hot: FAILOVER_BLOCKS, pRead: 0.2, pCas: 0, readAny: false }),
};
