// dr: writes on the primary site while one process samples the remote disaster-recovery site:
// snapshots of its latest applied image and restores of barriers it saw earlier (any point in
// time). Each image is recorded with its barrier, cut and consistency flag, so dr-prefix can
// hold it to a cut of the primary's writes. It needs a system with a part named `dr` that
// answers dr-snapshot / dr-restore (the block store). Like failover, its reads go to every node
// that serves them, so the partner's location cache is read while dr lags, is cut off, or is
// resynced.
import type { Workload, WorkloadContext } from './types.js';
import { ClientPool, Process, more, take, think } from './process.js';
import { runRegisterLike } from './register.js';
import { finalReads, remoteSite } from './final.js';

async function drSampler(ctx: WorkloadContext): Promise<void> {
  const pool = new ClientPool(ctx);
  const rng = ctx.rng.fork('dr-sampler');
  // Its own id range, above the writers' (slot = concurrency, stride = concurrency + 1).
  const p = new Process(ctx, pool, ctx.concurrency, ctx.concurrency + 1);
  const barriers: number[] = [];
  try {
    await ctx.runtime.sleep(1 + rng.int(0, 500));
    // Until the remote site is gone or became the primary (site loss): then there is no dr to sample.
    for (let node = remoteSite(ctx); node && more(ctx); node = remoteSite(ctx)) {
      if (!take(ctx)) break;
      if (barriers.length > 0 && rng.bool(0.35)) {
        await p.invoke({ f: 'dr-restore', value: rng.pick(barriers), node });
      } else {
        const r = await p.invoke({ f: 'dr-snapshot', node });
        if (r.status === 'ok') {
          const b = r.meta?.barrier;
          if (typeof b === 'number' && b > 0 && !barriers.includes(b)) barriers.push(b);
        }
      }
      await think(ctx, 400, () => rng.exp(1));
    }
  } finally {
    await pool.closeAll();
  }
}

export const dr: Workload = {
  name: 'dr',
  description: 'writes on the primary site while dr is snapshotted and restored to earlier barriers',
  ops: ['read', 'write', 'dr-snapshot', 'dr-restore', 'dr-status'],
  run: async (ctx) => {
    await Promise.all([runRegisterLike(ctx, { hot: ctx.keys, pRead: 0.1, pCas: 0, readAny: true, slots: ctx.concurrency + 1 }), drSampler(ctx)]);
  },
  final: finalReads,
};
