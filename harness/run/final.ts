// The end of a run, after every fault is healed: wait for a primary to serve, read back every
// block the workload touched (meta.final, judged by durability), and take dr's final image
// once it has caught up (judged by convergence and dr-prefix).
import type { NodeName, NodeStatus } from '../../nodes/blockstore/core/types.js';
import type { WorkloadContext } from '../../workloads/types.js';
import { ClientPool, Process } from '../../workloads/process.js';

const POLL_MS = 100;

async function status(ctx: WorkloadContext, n: NodeName): Promise<NodeStatus | null> {
  try {
    return await ctx.runtime.status(n);
  } catch {
    return null;
  }
}

/** Polls the pair until one node says it is primary; updates the view. */
export async function waitForPrimary(ctx: WorkloadContext, deadlineNs: number): Promise<NodeName | null> {
  for (;;) {
    for (const n of ctx.view.pair) {
      const s = await status(ctx, n);
      if (s && s.role === 'primary') {
        ctx.view.primary = n;
        return n;
      }
    }
    if (ctx.runtime.now() >= deadlineNs) return null;
    await ctx.runtime.sleep(POLL_MS);
  }
}

/** Reads each block from the primary until one read succeeds (or the deadline passes), with
 *  `readers` processes (ids firstProcess .. firstProcess+readers-1) splitting the blocks. */
export async function finalReads(ctx: WorkloadContext, blocks: readonly number[], firstProcess: number, readers: number, deadlineNs: number): Promise<{ read: number; missing: number[] }> {
  const pool = new ClientPool(ctx);
  const missing: number[] = [];
  try {
    await Promise.all(
      Array.from({ length: readers }, async (_, r) => {
        // Fresh ids after an info step by readers + 1: clear of the other readers' ids and of
        // the final dr process (slot `readers` of the same family).
        const p = new Process(ctx, pool, firstProcess + r, readers + 1, { final: true });
        for (let i = r; i < blocks.length; i += readers) {
          const block = blocks[i];
          let done = false;
          while (!done) {
            const res = await p.invoke({ f: 'read', block, node: ctx.view.primary });
            if (res.status === 'ok') done = true;
            else {
              if (ctx.runtime.now() >= deadlineNs) break;
              await ctx.runtime.sleep(POLL_MS);
              await waitForPrimary(ctx, deadlineNs);
            }
          }
          if (!done) missing.push(block);
        }
      }),
    );
  } finally {
    await pool.closeAll();
  }
  missing.sort((x, y) => x - y);
  return { read: blocks.length - missing.length, missing };
}

/** Polls dr (recorded as dr-status ops) until it says it is consistent at the primary's
 *  version, then records one final dr snapshot. */
export async function finalDrSnapshot(ctx: WorkloadContext, process: number, stride: number, deadlineNs: number): Promise<boolean> {
  if (ctx.view.destroyed.has('a') || ctx.view.primary === 'dr') return false;
  const pool = new ClientPool(ctx);
  try {
    const p = new Process(ctx, pool, process, stride, { final: true });
    for (;;) {
      const prim = await status(ctx, ctx.view.primary);
      const r = await p.invoke({ f: 'dr-status' });
      const d = r.status === 'ok' ? ((r as { info?: NodeStatus }).info ?? null) : null;
      if (prim && d && d.consistent !== false && (d.cut ?? d.version) >= prim.version) break;
      if (ctx.runtime.now() >= deadlineNs) break;
      await ctx.runtime.sleep(POLL_MS);
    }
    const r = await p.invoke({ f: 'dr-snapshot' });
    return r.status === 'ok';
  } finally {
    await pool.closeAll();
  }
}
