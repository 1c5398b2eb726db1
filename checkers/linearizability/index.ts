// The linearizability checker: a direct API for `chaos check` and a Checker for harness runs.
import type { Anomaly, Checker, CheckerResult } from '../types.js';
import type { HistoryEvent, Operation } from '../../ground/history/types.js';
import { checkEvents, checkOps, checkPartitions, partitionByKey } from './check.js';
import { selectOps } from './models.js';
import { pairHistory } from '../../ground/history/pair.js';
import { autoWorkers, checkParallel, worthThreads } from './parallel.js';
import type { CheckOptions, Counterexample, LinResult, OpRef } from './types.js';

export { MODELS, modelName } from './types.js';
export { loadModel } from './user-model.js';
export type { CheckOptions, Counterexample, LinResult, LoadedModel, ModelName, ModelOp, OpRef, UserModel } from './types.js';
export { checkOps, checkEvents };

/** Checks a history (events in the native schema) against a model. Multi-key histories long
 *  enough to pay for threads are split over worker threads from the start (`workers`: 'auto'
 *  by default, 0 never, n: n threads, this one included). */
export async function checkHistory(events: readonly HistoryEvent[], opts: CheckOptions): Promise<LinResult> {
  const want = opts.workers ?? 'auto';
  if (want === 0) return checkEvents(events, opts);
  const t0 = performance.now();
  const { ops } = pairHistory(events, opts.locate);
  const parts = partitionByKey(selectOps(ops, opts), opts);
  const n = want === 'auto' ? (worthThreads([...parts.values()]) ? autoWorkers(parts.size) : 0) : Math.min(want, parts.size);
  if (n < 2) return checkPartitions(parts, opts, t0);
  const r = await checkParallel(parts, opts, n);
  return { ...r, ms: performance.now() - t0 };
}

const show = (v: unknown) => (v === undefined ? '?' : JSON.stringify(v));

/** `p3 cas [1,2] ok`, `p0 read -> 4` */
export function describeOp(o: OpRef): string {
  const key = o.key !== undefined && o.key !== null ? ` key ${show(o.key)}` : '';
  if (o.f === 'read' || o.f === 'get') return `p${o.process} ${o.f}${key} -> ${o.status === 'ok' ? show(o.output) : o.status}`;
  return `p${o.process} ${o.f}${key} ${show(o.input ?? o.output)}${o.status === 'ok' ? '' : ` (${o.status})`}`;
}

export function explain(c: Counterexample): string {
  return `${describeOp(c.op)} cannot be linearized: after the longest linearizable prefix found (${c.prefixLength} ops) the state is ${show(c.state)}, and no order of the ${c.concurrentCount} concurrent ops makes it legal`;
}

export function toAnomaly(c: Counterexample): Anomaly {
  const events = [c.op.index, c.op.completeIndex];
  for (const o of c.concurrent) events.push(o.index, o.completeIndex);
  return { kind: 'nonlinearizable', message: explain(c), events: events.filter((i) => i >= 0).sort((a, b) => a - b), counterexample: c };
}

/** Harness histories: per block (`key`) a cas-register starting absent (null); read/write/cas,
 *  a failed cas did not happen; other ops (dr-snapshot ...) and the nemesis are ignored. */
export const linearizability: Checker = (ctx): CheckerResult => {
  const ops: Operation[] = ctx.paired.ops;
  const r = checkOps(ops, { model: 'cas-register', initial: null, ignoreOtherF: true, timeoutMs: ctx.timeoutMs });
  return {
    valid: r.valid,
    anomalies: r.counterexample ? [toAnomaly(r.counterexample)] : [],
    ...(r.reason ? { reason: r.reason } : {}),
    stats: { ops: r.ops, keys: r.partitions, ms: Math.round(r.ms * 10) / 10 },
  };
};

export default linearizability;
