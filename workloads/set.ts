// set: processes add unique elements to a few sets (Jepsen's set workload); after the heal
// every set is read whole from the primary. The set checker holds the final reads to the adds:
// an acknowledged add missing from its set is lost; an element never added is unexpected.
import type { Workload, WorkloadContext } from './types.js';
import { ClientPool, Process, more, take, think } from './process.js';
import { FINAL_READERS, readBack } from './final.js';

/** Sets the adds spread over. */
export const SETS = 2;

async function adder(ctx: WorkloadContext, pool: ClientPool, slot: number): Promise<void> {
  const rng = ctx.rng.fork(`process-${slot}`);
  const p = new Process(ctx, pool, slot, ctx.concurrency);
  const sets = Math.max(1, Math.min(SETS, ctx.keys));
  let n = 0;
  await ctx.runtime.sleep(1 + rng.int(0, Math.max(1, Math.round(ctx.thinkMs))));
  while (more(ctx) && take(ctx)) {
    // Unique across processes and runs of this seed: slot and a per-process counter.
    await p.invoke({ f: 'add', key: rng.int(0, sets - 1), value: `${slot}.${++n}` });
    await think(ctx, ctx.thinkMs, () => rng.exp(1));
  }
}

export const set: Workload = {
  name: 'set',
  description: 'unique adds to a few sets, every set read whole after the heal (lost and unexpected elements)',
  ops: ['add', 'read-set'],
  async run(ctx) {
    const pool = new ClientPool(ctx);
    try {
      await Promise.all(Array.from({ length: ctx.concurrency }, (_, slot) => adder(ctx, pool, slot)));
    } finally {
      await pool.closeAll();
    }
  },
  async final(ctx, fin) {
    const keys = [...ctx.touched].sort((x, y) => x - y);
    const got = await readBack(ctx, keys, fin.firstProcess, FINAL_READERS, fin.deadlineNs, 'read-set');
    return got.missing.length ? [`final reads failed for sets ${got.missing.join(', ')}`] : [];
  },
};
