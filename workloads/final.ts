// The end of a run, after every fault is healed: wait for a primary to serve, read back every
// key the workload touched (meta.final, judged by durability), and, on a system with a remote
// dr site, take dr's final image once it has caught up (judged by convergence and dr-prefix).
import type { NodeStatus } from '../ground/system.js';
import type { FinalContext, WorkloadContext } from './types.js';
import { ClientPool, Process } from './process.js';

const POLL_MS = 100;
/** Processes reading keys back in parallel after the heal (a failover run touches ~1000). */
export const FINAL_READERS = 4;

async function status(ctx: WorkloadContext, n: string): Promise<NodeStatus | null> {
  try {
    return await ctx.runtime.status(n);
  } catch {
    return null;
  }
}

/** Polls the candidates until one says it is primary; updates the view. */
export async function waitForPrimary(ctx: WorkloadContext, deadlineNs: number): Promise<string | null> {
  for (;;) {
    for (const n of ctx.view.pair) {
      const s = await status(ctx, n);
      if (s && s.role === ctx.primaryRole) {
        ctx.view.primary = n;
        return n;
      }
    }
    if (ctx.runtime.now() >= deadlineNs) return null;
    await ctx.runtime.sleep(POLL_MS);
  }
}

/** The node of the remote dr site while it is one (not gone, not promoted to primary). */
export function remoteSite(ctx: WorkloadContext): string | null {
  const n = ctx.view.part('dr');
  return n && !ctx.view.pair.includes(n) ? n : null;
}

/** Reads each key from the primary until one read succeeds (or the deadline passes), with
 *  `readers` processes (ids firstProcess .. firstProcess+readers-1) splitting the keys. */
export async function readBack(ctx: WorkloadContext, keys: readonly number[], firstProcess: number, readers: number, deadlineNs: number, f = 'read'): Promise<{ read: number; missing: number[] }> {
  const pool = new ClientPool(ctx);
  const missing: number[] = [];
  try {
    await Promise.all(
      Array.from({ length: readers }, async (_, r) => {
        // Fresh ids after an info step by readers + 1: clear of the other readers' ids and of
        // the final dr process (slot `readers` of the same family).
        const p = new Process(ctx, pool, firstProcess + r, readers + 1, { final: true });
        for (let i = r; i < keys.length; i += readers) {
          const key = keys[i];
          let done = false;
          while (!done) {
            const res = await p.invoke({ f, key, node: ctx.view.primary });
            if (res.status === 'ok') done = true;
            else {
              if (ctx.runtime.now() >= deadlineNs) break;
              await ctx.runtime.sleep(POLL_MS);
              await waitForPrimary(ctx, deadlineNs);
            }
          }
          if (!done) missing.push(key);
        }
      }),
    );
  } finally {
    await pool.closeAll();
  }
  missing.sort((x, y) => x - y);
  return { read: keys.length - missing.length, missing };
}

/** Polls dr (recorded as dr-status ops) until it says it is consistent at the primary's
 *  version, then records one final dr snapshot. */
export async function finalDrSnapshot(ctx: WorkloadContext, dr: string, process: number, stride: number, deadlineNs: number): Promise<boolean> {
  const pool = new ClientPool(ctx);
  try {
    const p = new Process(ctx, pool, process, stride, { final: true });
    for (;;) {
      const prim = await status(ctx, ctx.view.primary);
      const r = await p.invoke({ f: 'dr-status', node: dr });
      const d = r.status === 'ok' ? ((r.value as NodeStatus | undefined) ?? null) : null;
      const primVersion = prim?.version ?? 0;
      if (prim && d && d.consistent !== false && ((d.cut as number | undefined) ?? d.version ?? 0) >= primVersion) break;
      if (ctx.runtime.now() >= deadlineNs) break;
      await ctx.runtime.sleep(POLL_MS);
    }
    const r = await p.invoke({ f: 'dr-snapshot', node: dr });
    return r.status === 'ok';
  } finally {
    await pool.closeAll();
  }
}

/** The register-like workloads' end: every touched key read back from the primary, and dr's
 *  final image where the system has a remote dr site. */
export async function finalReads(ctx: WorkloadContext, fin: FinalContext): Promise<string[]> {
  const errors: string[] = [];
  const keys = [...ctx.touched].sort((x, y) => x - y);
  const got = await readBack(ctx, keys, fin.firstProcess, FINAL_READERS, fin.deadlineNs);
  if (got.missing.length) errors.push(`final reads failed for keys ${got.missing.slice(0, 20).join(', ')}${got.missing.length > 20 ? ' ...' : ''}`);
  const dr = remoteSite(ctx);
  if (dr) await finalDrSnapshot(ctx, dr, fin.firstProcess + FINAL_READERS, FINAL_READERS + 1, fin.deadlineNs);
  return errors;
}
