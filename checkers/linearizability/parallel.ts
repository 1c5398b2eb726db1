// P-compositionality across threads: independent keys are split into shares; this thread
// searches the first share itself while worker threads search the others, all from the start
// (nothing is searched twice). The first invalid share ends them all. This thread searches in
// capped rounds and yields between them, so a worker's verdict is seen while it is still busy.
//
// Threads cost: a worker starts in tens of ms (hundreds when it must load TypeScript through
// tsx), and its share's ops are copied to it, linearly, on this thread. They pay off only when
// the search is long, which `worthThreads` guesses from the history's shape before any search.
import type { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { Operation } from '../../ground/history/types.js';
import { InputError } from '../../ground/errors.js';
import { KeyRounds } from './check.js';
import { MEMO_BUDGET_BYTES } from './wgl.js';
import type { WorkerMessage } from './worker.js';
import { moduleWorker } from '../../ground/threads.js';
import { modelName, type CheckOptions, type LinResult } from './types.js';

type Key = string | number | null;

/** Threads worth using for this many keys (0: stay in this thread). */
export function autoWorkers(keys: number): number {
  if (keys < 2) return 0;
  const n = Math.min(availableParallelism(), keys, 8);
  return n < 2 ? 0 : n;
}

/** Whether a history is long enough that threads beat one thread. The search costs about a
 *  microsecond per op at low concurrency, far more with ops that never returned (each stays a
 *  candidate to the end); copying an op to a worker costs about as much as searching it at low
 *  concurrency, so threads pay only for long histories or ones with many unreturned ops. */
export function worthThreads(parts: readonly Operation[][]): boolean {
  if (parts.length < 2) return false;
  let ops = 0;
  let open = 0;
  let second = 0;
  let first = 0;
  for (const p of parts) {
    ops += p.length;
    if (p.length > first) [first, second] = [p.length, first];
    else if (p.length > second) second = p.length;
    for (const o of p) if (o.status === 'info' || o.status === 'open') open++;
  }
  // a second big key is needed: one huge key and crumbs gain nothing
  return second >= 50_000 || (open >= 200 && second >= 5_000);
}

function startWorker(): Worker {
  return moduleWorker(import.meta.url, 'worker');
}

/** What a worker needs of an op (no node, meta or times: less to copy). */
const slim = (o: Operation): Operation =>
  ({
    process: o.process,
    f: o.f,
    ...(o.key !== undefined ? { key: o.key } : {}),
    input: o.input,
    output: o.output,
    status: o.status,
    invokeIndex: o.invokeIndex,
    completeIndex: o.completeIndex,
  }) as Operation;

/** The message a worker gets: its share, and options without functions (a user model goes by path). */
export interface WorkerJob {
  parts: [Key, Operation[]][];
  opts: Omit<CheckOptions, 'locate' | 'model'> & { model: string; modelPath?: string };
}

/** Splits keys into `n` shares (largest first onto the lightest share) and checks them, the
 *  first share in this thread and the rest in workers, all at once. */
export async function checkParallel(parts: Map<Key, Operation[]>, opts: CheckOptions, n: number): Promise<LinResult> {
  const t0 = performance.now();
  const shares: Map<Key, Operation[]>[] = Array.from({ length: n }, () => new Map());
  const sizes = new Array<number>(n).fill(0);
  const sorted = [...parts].sort((a, b) => b[1].length - a[1].length);
  for (const [k, p] of sorted) {
    let min = 0;
    for (let i = 1; i < n; i++) if (sizes[i] < sizes[min]) min = i;
    shares[min].set(k, p);
    sizes[min] += p.length;
  }
  // the memo budget is split between the threads; this thread's share is compiled first, so
  // input errors surface here, where `locate` names the line
  const budget = Math.floor((opts.memoLimitBytes ?? MEMO_BUDGET_BYTES) / n);
  opts = { ...opts, memoLimitBytes: budget };
  const mine = new KeyRounds(shares[0], opts, t0);
  const { locate: _locate, model, ...plain } = opts;
  void _locate;
  const job = (share: Map<Key, Operation[]>): WorkerJob => ({
    parts: [...share].map(([k, ops]) => [k, ops.map(slim)]),
    opts: { ...plain, model: modelName(model), ...(typeof model === 'string' ? {} : { modelPath: model.path }) },
  });
  const others = shares.slice(1).filter((s) => s.size > 0);
  const workers = others.map(() => startWorker());
  let stop: LinResult | undefined;
  let failure: Error | undefined;
  const results: LinResult[] = [];
  let pending = workers.length;
  let uncompiled = workers.length;
  let ops = mine.base.ops;
  let wake: (() => void) | undefined;
  try {
    workers.forEach((w, i) => {
      w.once('error', (e) => {
        failure ??= e;
        wake?.();
      });
      w.on('message', (m: WorkerMessage) => {
        if (m.kind === 'compiled') {
          ops += m.ops;
          uncompiled--;
        } else if (m.kind === 'result' && m.result) {
          results.push(m.result);
          if (m.result.valid === false) stop ??= m.result;
          pending--;
        } else if (m.kind === 'input') {
          // a worker has no `locate`: it names events by index, which this thread can place
          const ev = /^event (\d+)$/.exec(m.where ?? '');
          failure ??= new InputError(m.message, ev && opts.locate ? opts.locate(Number(ev[1])) : m.where);
        } else if (m.kind === 'error') failure ??= new Error(m.message);
        wake?.();
      });
      w.postMessage(job(others[i]));
    });
    // this thread's share, in rounds of at most ~2^18 steps, yielding to see workers' messages
    let own: LinResult | null = null;
    while (!own && !stop && !failure) {
      own = mine.round(1 << 18);
      if (!own) await new Promise<void>((r) => setImmediate(r));
    }
    if (own) results.push(own);
    if (own?.valid === false) stop = own;
    while (!stop && !failure && pending > 0) await new Promise<void>((r) => (wake = r));
    // every share's op count, so the figure is the same as from one thread
    while (!failure && uncompiled > 0) await new Promise<void>((r) => (wake = r));
    if (failure) throw failure;
    const bad = stop;
    const unknown = results.find((r) => r.valid === 'unknown');
    return {
      valid: bad ? false : unknown ? 'unknown' : true,
      model: modelName(model),
      ops,
      partitions: parts.size,
      ms: performance.now() - t0,
      ...(bad?.counterexample ? { counterexample: bad.counterexample } : {}),
      ...(!bad && unknown?.reason ? { reason: unknown.reason } : {}),
    };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
