// P-compositionality across threads: independent keys are split over worker threads, each
// checking its share with the same interleaved search; the first invalid share ends them all.
// It pays off only when the search itself is slow (a worker costs tens of ms to start, hundreds
// when it must load TypeScript through tsx, and copying the ops is linear), so `workers: 'auto'`
// first checks in this thread for IN_THREAD_SLICE_MS and only then moves to threads.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { Operation } from '../../ground/history/types.js';
import type { CheckOptions, LinResult } from './types.js';

/** How long `workers: 'auto'` checks in this thread before moving a slow history to threads. */
export const IN_THREAD_SLICE_MS = 2000;

/** Threads worth using for this many keys (0: stay in this thread). */
export function autoWorkers(keys: number): number {
  if (keys < 2) return 0;
  const n = Math.min(availableParallelism(), keys, 8);
  return n < 2 ? 0 : n;
}

function startWorker(): Worker {
  const url = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);
  if (!url.pathname.endsWith('.ts')) return new Worker(url);
  // running from TypeScript sources: the worker loads tsx first (hooks do not cross threads on node 20)
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true });
}

/** Splits keys over `n` workers (largest first onto the lightest share) and checks them. */
export async function checkParallel(parts: Operation[][], opts: CheckOptions, n: number): Promise<LinResult> {
  const t0 = performance.now();
  const shares: Operation[][] = Array.from({ length: n }, () => []);
  const sorted = [...parts].sort((a, b) => b.length - a.length);
  for (const p of sorted) {
    let min = 0;
    for (let i = 1; i < n; i++) if (shares[i].length < shares[min].length) min = i;
    for (const op of p) shares[min].push(op);
  }
  const { locate: _locate, ...plain } = opts;
  void _locate;
  const workers = shares.filter((s) => s.length > 0).map(() => startWorker());
  try {
    const results = await new Promise<LinResult[]>((resolve, reject) => {
      const got: LinResult[] = [];
      workers.forEach((w, i) => {
        w.once('error', reject);
        w.once('message', (m: { result?: LinResult; error?: string }) => {
          if (m.error !== undefined || !m.result) return reject(new Error(m.error));
          got.push(m.result);
          // the first invalid share decides; the others are terminated in `finally`
          if (m.result.valid === false || got.length === workers.length) resolve(got);
        });
        w.postMessage({ ops: shares.filter((s) => s.length > 0)[i], opts: plain });
      });
    });
    const bad = results.find((r) => r.valid === false);
    const unknown = results.find((r) => r.valid === 'unknown');
    return {
      valid: bad ? false : unknown ? 'unknown' : true,
      model: opts.model,
      ops: results.reduce((a, r) => a + r.ops, 0),
      partitions: parts.length,
      ms: performance.now() - t0,
      ...(bad?.counterexample ? { counterexample: bad.counterexample } : {}),
      ...(!bad && unknown?.reason ? { reason: unknown.reason } : {}),
    };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
