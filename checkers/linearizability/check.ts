// Linearizability of a whole history: pair, keep the ops the model constrains, split by key
// (P-compositionality: a history is linearizable iff each key's subhistory is), search each key,
// and stop at the first key that fails.
import { pairHistory } from '../../ground/history/pair.js';
import type { HistoryEvent, Operation } from '../../ground/history/types.js';
import { compile, selectOps, type Compiled } from './models.js';
import type { CheckOptions, Counterexample, LinResult, OpRef } from './types.js';
import { Search, type Outcome } from './wgl.js';

export function partitionByKey(ops: readonly Operation[]): Map<string | number | null, Operation[]> {
  const parts = new Map<string | number | null, Operation[]>();
  for (const op of ops) {
    const k = op.key ?? null;
    let list = parts.get(k);
    if (!list) parts.set(k, (list = []));
    list.push(op);
  }
  return parts;
}

export const opRef = (op: Operation): OpRef => ({
  index: op.invokeIndex,
  completeIndex: op.completeIndex,
  process: op.process,
  f: op.f,
  ...(op.key !== undefined ? { key: op.key } : {}),
  input: op.input,
  output: op.output,
  status: op.status,
});

/** Overlapping ops a counterexample lists (it gives the full count too). */
export const CONCURRENT_SHOWN = 32;

export function counterexample(c: Compiled, o: Extract<Outcome, { kind: 'invalid' }>, key: string | number | null): Counterexample {
  const blocked = o.blocked;
  const lo = c.call[blocked];
  const hi = c.ret[blocked];
  const concurrent: OpRef[] = [];
  let count = 0;
  for (let i = 0; i < c.n; i++) {
    if (i === blocked || !(c.call[i] < hi && c.ret[i] > lo)) continue;
    if (count++ < CONCURRENT_SHOWN) concurrent.push(opRef(c.ops[i]));
  }
  return {
    ...(key !== null ? { key } : {}),
    op: opRef(c.ops[blocked]),
    prefixLength: o.prefixLength,
    prefix: o.tail.map((i, k) => ({ op: opRef(c.ops[i]), state: c.describe(o.states[k]) })),
    state: c.describe(o.state),
    concurrent,
    concurrentCount: count,
  };
}

/** Checks already-paired operations in this thread. */
export function checkOps(all: readonly Operation[], opts: CheckOptions): LinResult {
  const t0 = performance.now();
  const deadline = opts.timeoutMs !== undefined ? t0 + opts.timeoutMs : Infinity;
  const parts = partitionByKey(selectOps(all, opts));
  const compiled: [string | number | null, Compiled][] = [];
  let ops = 0;
  for (const [k, list] of parts) {
    const c = compile(list, opts);
    ops += c.n;
    compiled.push([k, c]);
  }
  const base = { model: opts.model, ops, partitions: parts.size };
  // Keys are searched in interleaved slices with growing budgets, as if in parallel: a key that
  // fails fast is found even when another key's search is long (porcupine runs them in goroutines).
  let active = compiled.map(([k, c]) => ({ k, c, s: new Search(c) }));
  let reason: string | undefined;
  let budget = 1 << 14;
  while (active.length > 0) {
    const still: typeof active = [];
    for (const a of active) {
      const o = a.s.run(budget, deadline);
      if (o === null) {
        still.push(a);
        continue;
      }
      if (o.kind === 'invalid') return { ...base, valid: false, ms: performance.now() - t0, counterexample: counterexample(a.c, o, a.k) };
      if (o.kind === 'unknown') reason ??= a.k === null ? o.reason : `key ${JSON.stringify(a.k)}: ${o.reason}`;
    }
    if (reason && performance.now() > deadline) break;
    active = still;
    budget *= 2;
  }
  return { ...base, valid: reason ? 'unknown' : true, ms: performance.now() - t0, ...(reason ? { reason } : {}) };
}

/** Pairs a history's events and checks them. */
export function checkEvents(events: readonly HistoryEvent[], opts: CheckOptions): LinResult {
  const { ops } = pairHistory(events, opts.locate);
  return checkOps(ops, opts);
}
