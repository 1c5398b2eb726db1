// failover: sustained writes through crashes and takeovers, with some reads, spread over many
// keys (1024 on the block store) so that a write lost in a crash is rarely overwritten before
// the final reads: the final reads after the heal are what this workload is judged on
// (durability). Reads go to every node that serves them, so the block store's partner cache
// is read through takeovers too.
import type { Workload } from './types.js';
import { runRegisterLike } from './register.js';
import { finalReads } from './final.js';

export const failover: Workload = {
  name: 'failover',
  description: 'sustained writes over many keys through crashes and takeovers, judged by what reads back',
  ops: ['read', 'write'],
  run: (ctx) => runRegisterLike(ctx, { hot: ctx.keys, pRead: 0.2, pCas: 0, readAny: true }),
  final: finalReads,
};
