// register: read / write / cas on a few hot keys from many processes. Reads go to any node
// that serves reads (the block store's partner serves from its location cache; etcd and Redis
// replicas answer too), writes and cas to the primary. Values are unique per process and op,
// so every read names the write it saw.
import type { Workload, WorkloadContext } from './types.js';
import { ClientPool, Process, more, take, think } from './process.js';
import { finalReads } from './final.js';

export const HOT_KEYS = 4;

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
          const key = rng.int(0, Math.min(o.hot, ctx.keys) - 1);
          const x = rng.float();
          if (x < o.pRead) {
            const node = o.readAny ? rng.pick(ctx.view.readNodes) : p.primary();
            const r = await p.invoke({ f: 'read', key, node });
            if (r.status === 'ok') known.set(key, (r.value as string | null | undefined) ?? null);
          } else {
            const value = `${slot}.${++n}`;
            if (x < o.pRead + o.pCas) {
              const expected = known.has(key) ? known.get(key)! : null;
              const r = await p.invoke({ f: 'cas', key, value: [expected, value] });
              if (r.status === 'ok') known.set(key, value);
              else if (r.status === 'fail' && r.error === 'cas-mismatch') known.delete(key);
            } else {
              const r = await p.invoke({ f: 'write', key, value });
              if (r.status === 'ok') known.set(key, value);
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
  description: 'read / write / cas on a few hot keys, reads from every node that serves them',
  ops: ['read', 'write', 'cas'],
  run: (ctx) => runRegisterLike(ctx, { hot: HOT_KEYS, pRead: 0.5, pCas: 0.2, readAny: true }),
  final: finalReads,
};
