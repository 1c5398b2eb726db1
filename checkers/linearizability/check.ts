// Linearizability of a whole history: pair, keep the ops the model constrains, split by key
// (P-compositionality: a history is linearizable iff each key's subhistory is), search each key,
// and stop at the first key that fails.
import { pairHistory } from '../../ground/history/pair.js';
import type { HistoryEvent, Operation } from '../../ground/history/types.js';
import { compile, selectOps, type Compiled } from './models.js';
import { modelName, type CheckOptions, type Counterexample, type LinResult, type OpRef } from './types.js';
import { userKey } from './user-model.js';
import { MEMO_BUDGET_BYTES, Search, type Outcome } from './wgl.js';

/** Ops by the key of their independent sub-history (a user model may say what that is). */
export function partitionByKey(ops: readonly Operation[], opts?: CheckOptions): Map<string | number | null, Operation[]> {
  const parts = new Map<string | number | null, Operation[]>();
  const user = opts && typeof opts.model !== 'string' ? opts.model : undefined;
  const locate = opts?.locate ?? ((i: number) => `event ${i}`);
  for (const op of ops) {
    const k = user ? userKey(user, op, locate) : (op.key ?? null);
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

type Key = string | number | null;

/** The search over a set of keys, in interleaved rounds with growing budgets, as if in parallel:
 *  a key that fails fast is found even when another key's search is long (porcupine runs them
 *  in goroutines). A caller may cap a round's budget to stay responsive between rounds. */
export class KeyRounds {
  readonly base: { model: string; ops: number; partitions: number };
  private active: { k: Key; c: Compiled; s: Search }[];
  private reason: string | undefined;
  private budget = 1 << 14;
  private readonly deadline: number;

  constructor(parts: Map<Key, Operation[]>, opts: CheckOptions, private readonly t0 = performance.now()) {
    this.deadline = opts.timeoutMs !== undefined ? t0 + opts.timeoutMs : Infinity;
    let ops = 0;
    this.active = [];
    const account = { bytes: 0, limit: opts.memoLimitBytes ?? MEMO_BUDGET_BYTES };
    for (const [k, list] of parts) {
      const c = compile(list, opts);
      ops += c.n;
      this.active.push({ k, c, s: new Search(c, account) });
    }
    this.base = { model: modelName(opts.model), ops, partitions: parts.size };
  }

  /** One round over the keys still open (each gets min(budget, cap) steps); the result once decided. */
  round(cap = Infinity): LinResult | null {
    const still: typeof this.active = [];
    const budget = Math.min(this.budget, cap);
    for (const a of this.active) {
      const o = a.s.run(budget, this.deadline);
      if (o === null) {
        still.push(a);
        continue;
      }
      if (o.kind === 'invalid') return { ...this.base, valid: false, ms: performance.now() - this.t0, counterexample: counterexample(a.c, o, a.k) };
      if (o.kind === 'unknown') this.reason ??= a.k === null ? o.reason : `key ${JSON.stringify(a.k)}: ${o.reason}`;
    }
    this.active = still;
    this.budget *= 2;
    const reason = this.reason;
    if (still.length === 0 || (reason && performance.now() > this.deadline)) {
      return { ...this.base, valid: reason ? 'unknown' : true, ms: performance.now() - this.t0, ...(reason ? { reason } : {}) };
    }
    return null;
  }
}

/** Checks already-paired operations in this thread. */
export function checkOps(all: readonly Operation[], opts: CheckOptions): LinResult {
  const t0 = performance.now();
  return checkPartitions(partitionByKey(selectOps(all, opts), opts), opts, t0);
}

/** Checks ops already split by key, in this thread. */
export function checkPartitions(parts: Map<Key, Operation[]>, opts: CheckOptions, t0 = performance.now()): LinResult {
  const rounds = new KeyRounds(parts, opts, t0);
  for (;;) {
    const r = rounds.round();
    if (r) return r;
  }
}

/** Pairs a history's events and checks them. */
export function checkEvents(events: readonly HistoryEvent[], opts: CheckOptions): LinResult {
  const { ops } = pairHistory(events, opts.locate);
  return checkOps(ops, opts);
}
