// register: read / write / cas on a few hot blocks from many processes. Reads go to a or b at
// random, so b's location cache serves a share of them (the cache-invalidation mechanism);
// writes and cas go to the primary. Values are unique per process and op, so every read names
// the write it saw.
import type { NodeName } from '../nodes/blockstore/core/types.js';
import type { Workload, WorkloadContext } from './types.js';
import { ClientPool, Process, more, take, think } from './process.js';

export const HOT_BLOCKS = 4;

export async function runRegisterLike(ctx: WorkloadContext, o: { hot: number; pRead: number; pCas: number; readAny: boolean; slots?: number }): Promise<void> {
  const pool = new ClientPool(ctx);
  try {
    await Promise.all(
      Array.from({ length: ctx.concurrency }, async (_, slot) => {
        const rng = ctx.rng.fork(`process-${slot}`);
        // Ids step by the total number of slots, so a process's fresh id (after an info) never
        // collides with another slot's, including slots other workers run beside these.
        const p = new Process(ctx, pool, slot, o.slots ?? ctx.concurrency);
        const known = new Map<number, string | null>();
        let n = 0;
        // Stagger starts so processes do not move in lockstep.
        await ctx.runtime.sleep(1 + rng.int(0, Math.max(1, Math.round(ctx.thinkMs))));
        while (more(ctx) && take(ctx)) {
          const block = rng.int(0, Math.min(o.hot, ctx.blocks) - 1);
          const x = rng.float();
          if (x < o.pRead) {
            const node: NodeName = o.readAny ? rng.pick(ctx.view.readNodes) : p.primary();
            const r = await p.invoke({ f: 'read', block, node });
            if (r.status === 'ok') known.set(block, (r as { value?: string | null }).value ?? null);
          } else {
            const value = `${slot}.${++n}`;
            if (x < o.pRead + o.pCas) {
              const expected = known.has(block) ? known.get(block)! : null;
              const r = await p.invoke({ f: 'cas', block, expected, value });
              if (r.status === 'ok') known.set(block, value);
              else if (r.status === 'fail' && r.error === 'cas-mismatch') known.delete(block);
            } else {
              const r = await p.invoke({ f: 'write', block, value });
              if (r.status === 'ok') known.set(block, value);
            }
          }
          await think(ctx, ctx.thinkMs, () => rng.exp(1));
        }
      }),
    );
  } finally {
    await pool.closeAll();
  }
}

export const register: Workload = {
  name: 'register',
  defaults: { nemesis: ['partition', 'kill', 'pause'], concurrency: 10, thinkMs: 10 },
  finalDr: true,
  run: (ctx) => runRegisterLike(ctx, { hot: HOT_BLOCKS, pRead: 0.5, pCas: 0.2, readAny: true }),
};
