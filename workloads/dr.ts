// dr: writes on the pair while one process samples dr: snapshots of its latest applied image
// and restores of barriers it saw earlier (any-point-in-time). Each image is recorded with its
// barrier, cut and consistency flag, so dr-prefix can hold it to a cut of the primary's writes.
import type { Workload, WorkloadContext } from './types.js';
import { ClientPool, Process, more, take, think } from './process.js';
import { runRegisterLike } from './register.js';

/** Enough blocks that a block a resync forgot is rarely rewritten before the final image. */
export const DR_BLOCKS = 256;

async function drSampler(ctx: WorkloadContext): Promise<void> {
  const pool = new ClientPool(ctx);
  const rng = ctx.rng.fork('dr-sampler');
  // Its own id range, above the writers' (slot = concurrency, stride = concurrency + 1).
  const p = new Process(ctx, pool, ctx.concurrency, ctx.concurrency + 1);
  const barriers: number[] = [];
  try {
    await ctx.runtime.sleep(1 + rng.int(0, 500));
    while (more(ctx) && !ctx.view.destroyed.has('a')) {
      if (!take(ctx)) break;
      if (barriers.length > 0 && rng.bool(0.35)) {
        await p.invoke({ f: 'dr-restore', barrier: rng.pick(barriers) });
      } else {
        const r = await p.invoke({ f: 'dr-snapshot' });
        if (r.status === 'ok') {
          const b = (r as { image?: { barrier: number } }).image?.barrier;
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
  defaults: { nemesis: ['partition-site-dr', 'kill', 'lose-journal'], concurrency: 6, thinkMs: 10, params: { blocks: DR_BLOCKS } },
  finalDr: true,
  run: async (ctx) => {
    await Promise.all([runRegisterLike(ctx, { hot: DR_BLOCKS, pRead: 0.1, pCas: 0, readAny: false, slots: ctx.concurrency + 1 }), drSampler(ctx)]);
  },
};
