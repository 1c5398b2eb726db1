// The set checker, in Jepsen's sense: clients add unique elements to a set (`add`, value = the
// element) and, after the final heal, read the whole set once (`read-set`, meta.final: true,
// value = the elements). Per key:
//   - lost:       an acknowledged add (ok) whose element the final read lacks;
//   - unexpected: an element in the final read that no add ever tried;
//   - failed-add-present: an element whose add definitely failed (fail) but is there anyway;
//   - recovered:  an indeterminate add (info, or never completed) whose element is there (fine).
// An add acknowledged only after the final read was invoked is concurrent with it and counts
// as indeterminate. Valid when nothing is lost, unexpected or failed-but-present; `unknown`
// when a key that was added to has no final read. O(n).
import type { Operation } from '../../ground/history/types.js';
import type { Anomaly, CheckContext, Checker, CheckerResult } from '../types.js';

export const MAX_ANOMALIES = 200;
/** Elements listed in stats per category (the counts are always whole). */
const MAX_LISTED = 1000;

/** Element identity: JSON, so 1 and "1" stay apart. */
const id = (v: unknown): string => JSON.stringify(v ?? null);
const keyOf = (op: Operation): string => String(op.key ?? '');

interface KeyState {
  adds: Map<string, Operation[]>;
  final?: Operation;
}

function show(els: readonly unknown[]): string {
  const s = els.slice(0, 10).map((e) => JSON.stringify(e)).join(', ');
  return els.length > 10 ? `${s} and ${els.length - 10} more` : s;
}

export const setChecker: Checker = (ctx: CheckContext): CheckerResult => {
  const keys = new Map<string, KeyState>();
  const state = (k: string): KeyState => {
    let s = keys.get(k);
    if (!s) keys.set(k, (s = { adds: new Map() }));
    return s;
  };
  for (const op of ctx.paired.ops) {
    if (op.f === 'add') {
      const list = state(keyOf(op)).adds;
      const el = id(op.input);
      list.set(el, [...(list.get(el) ?? []), op]);
    } else if (op.f === 'read-set' && op.status === 'ok' && op.meta?.final === true) {
      const s = state(keyOf(op));
      // The last final read of a key is the one that judges it.
      if (!s.final || op.invokeIndex > s.final.invokeIndex) s.final = op;
    }
  }
  if (keys.size === 0) return { valid: true, anomalies: [], stats: { keys: 0, note: 'no add or read-set operations: nothing for the set checker' } };

  const anomalies: Anomaly[] = [];
  const summaries: Anomaly[] = [];
  let dropped = 0;
  const push = (a: Anomaly) => (anomalies.length < MAX_ANOMALIES ? anomalies.push(a) : dropped++);
  const unread: string[] = [];
  const totals = { attempted: 0, acknowledged: 0, ok: 0, lost: 0, recovered: 0, unexpected: 0, failedPresent: 0, indeterminate: 0 };
  const perKey: Record<string, Record<string, unknown>> = {};

  for (const [key, s] of keys) {
    if (s.adds.size === 0 && !s.final) continue;
    if (!s.final) {
      if (s.adds.size > 0) unread.push(key);
      continue;
    }
    const final = s.final;
    const read = Array.isArray(final.output) ? (final.output as unknown[]) : [];
    const present = new Map(read.map((e) => [id(e), e] as const));
    const lost: unknown[] = [];
    const recovered: unknown[] = [];
    const unexpected: unknown[] = [];
    const failedPresent: unknown[] = [];
    let ok = 0;
    let acknowledged = 0;
    let indeterminate = 0;
    for (const [el, ops] of s.adds) {
      // Several adds of one element: acknowledged if any was, definitely failed only if all were.
      const acked = ops.find((o) => o.status === 'ok' && o.completeIndex < final.invokeIndex);
      const allFailed = ops.every((o) => o.status === 'fail');
      const there = present.has(el);
      const element = ops[0]!.input;
      if (acked) {
        acknowledged++;
        if (there) ok++;
        else {
          lost.push(element);
          push({
            kind: 'lost',
            message: `add of ${JSON.stringify(element)} to ${key || 'the set'} was acknowledged by ${acked.node ?? 'a node'} (process ${acked.process}), but the final read on ${final.node ?? 'a node'} does not have it`,
            events: [acked.invokeIndex, acked.completeIndex, final.invokeIndex, final.completeIndex],
            key,
            element,
          });
        }
      } else if (allFailed) {
        if (there) {
          failedPresent.push(element);
          const o = ops[0]!;
          push({
            kind: 'failed-add-present',
            message: `add of ${JSON.stringify(element)} to ${key || 'the set'} failed definitely on ${o.node ?? 'a node'} (${String(o.meta?.error ?? 'fail')}), yet the final read has it`,
            events: [o.invokeIndex, o.completeIndex, final.invokeIndex, final.completeIndex],
            key,
            element,
          });
        }
      } else {
        indeterminate++;
        if (there) recovered.push(element);
      }
    }
    for (const [el, element] of present) {
      if (s.adds.has(el)) continue;
      unexpected.push(element);
      push({
        kind: 'unexpected',
        message: `the final read of ${key || 'the set'} on ${final.node ?? 'a node'} has ${JSON.stringify(element)}, which no add ever tried`,
        events: [final.invokeIndex, final.completeIndex],
        key,
        element,
      });
    }
    totals.attempted += s.adds.size;
    totals.acknowledged += acknowledged;
    totals.ok += ok;
    totals.lost += lost.length;
    totals.recovered += recovered.length;
    totals.unexpected += unexpected.length;
    totals.failedPresent += failedPresent.length;
    totals.indeterminate += indeterminate;
    perKey[key] = {
      attempted: s.adds.size,
      acknowledged,
      ok,
      lost: lost.length,
      recovered: recovered.length,
      unexpected: unexpected.length,
      failedPresent: failedPresent.length,
      finalRead: final.invokeIndex,
      lostElements: lost.slice(0, MAX_LISTED),
      unexpectedElements: unexpected.slice(0, MAX_LISTED),
      recoveredElements: recovered.slice(0, MAX_LISTED),
    };
    if (lost.length > 0) {
      // One line per key a report can lead with, whatever the cap left of the per-element ones.
      summaries.push({
        kind: 'lost-summary',
        message: `${lost.length} of ${acknowledged} acknowledged adds to ${key || 'the set'} are missing from the final read: ${show(lost)}`,
        events: [final.invokeIndex],
        key,
        elements: lost.slice(0, MAX_LISTED),
      });
    }
  }
  anomalies.unshift(...summaries);
  const stats = { keys: Object.keys(perKey).length, ...totals, perKey, ...(dropped ? { anomaliesNotListed: dropped } : {}) };
  const bad = totals.lost + totals.unexpected + totals.failedPresent > 0;
  if (bad) return { valid: false, anomalies, stats };
  if (unread.length > 0) {
    return { valid: 'unknown', anomalies, reason: `no final read-set (ok, meta.final: true) of ${unread.join(', ')}: lost adds cannot be judged`, stats };
  }
  return { valid: true, anomalies, stats };
};
