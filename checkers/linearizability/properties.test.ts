// Property tests: a random sequential execution, stretched into random overlapping intervals
// around each op's linearization point, is linearizable under every model; adding a read of a
// value that no order can produce makes it non-linearizable. fast-check prints the shrunk
// history on failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { HistoryEvent } from '../../ground/history/types.js';
import { checkEvents } from './check.js';
import type { ModelName } from './types.js';

interface SeqOp {
  f: string;
  key?: string;
  arg: unknown;
  result: unknown;
  /** fail: did not happen (or etcd's cas that returned false); info: took effect, unacknowledged. */
  status: 'ok' | 'fail' | 'info';
}

/** A random op applied to the sequential state, with its true result. */
function runSequential(model: ModelName, picks: { kind: number; v: number; w: number; key: number; crash: boolean }[]): SeqOp[] {
  const state = new Map<string, unknown>();
  const out: SeqOp[] = [];
  for (const p of picks) {
    const key = model === 'kv' ? `k${p.key}` : undefined;
    const cur = state.get(key ?? '') ?? (model === 'kv' ? '' : null);
    const kinds = model === 'kv' ? ['get', 'put', 'append'] : model === 'register' ? ['read', 'write'] : ['read', 'write', 'cas'];
    const f = kinds[p.kind % kinds.length];
    const status = p.crash && f !== 'read' && f !== 'get' ? 'info' : 'ok';
    if (f === 'read' || f === 'get') out.push({ f, key, arg: null, result: cur, status: 'ok' });
    else if (f === 'write' || f === 'put') {
      const v = f === 'put' ? `v${p.v}` : p.v;
      state.set(key ?? '', v);
      out.push({ f, key, arg: v, result: v, status });
    } else if (f === 'append') {
      const v = `<${p.v}>`;
      state.set(key ?? '', `${cur}${v}`);
      out.push({ f, key, arg: v, result: v, status });
    } else {
      // cas: expected is the current value half the time
      const expected = p.w % 2 === 0 ? cur : p.w % 5;
      if (expected === cur) {
        state.set('', p.v);
        out.push({ f, arg: [expected, p.v], result: [expected, p.v], status });
      } else out.push({ f, arg: [expected, p.v], result: [expected, p.v], status: 'fail' });
    }
  }
  return out;
}

/** Op i is linearized at time 10*(i+1); its interval reaches back and forth by random spreads. */
function stretch(ops: SeqOp[], spreads: [number, number][]): HistoryEvent[] {
  const timed: { t: number; e: Omit<HistoryEvent, 'index'> }[] = [];
  ops.forEach((op, i) => {
    const at = 10 * (i + 1);
    const [before, after] = spreads[i % spreads.length];
    const base = { process: i, f: op.f, ...(op.key !== undefined ? { key: op.key } : {}) };
    timed.push({ t: at - 1 - before, e: { ...base, time: 0, type: 'invoke', value: op.f === 'read' || op.f === 'get' ? null : op.arg } });
    if (op.status === 'info' && after % 3 === 0) return; // never completes
    timed.push({ t: at + 1 + after, e: { ...base, time: 0, type: op.status, value: op.status === 'info' ? undefined : op.result } });
  });
  timed.sort((a, b) => a.t - b.t);
  return timed.map(({ t, e }, index) => ({ ...e, time: t, index }) as HistoryEvent);
}

const pick = fc.record({ kind: fc.nat(2), v: fc.nat(4), w: fc.nat(9), key: fc.nat(2), crash: fc.boolean() });
const spreads = fc.array(fc.tuple(fc.nat(35), fc.nat(35)), { minLength: 1, maxLength: 8 });
const models: ModelName[] = ['register', 'cas-register', 'etcd-cas-register', 'kv'];

for (const model of models) {
  test(`${model}: stretched sequential executions are linearizable`, () => {
    fc.assert(
      fc.property(fc.array(pick, { maxLength: 24 }), spreads, (picks, sp) => {
        const events = stretch(runSequential(model, picks), sp);
        const r = checkEvents(events, { model });
        assert.equal(r.valid, true, JSON.stringify(events));
      }),
      { numRuns: 150 },
    );
  });

  test(`${model}: a read no order can produce makes the history invalid`, () => {
    fc.assert(
      fc.property(fc.array(pick, { maxLength: 20 }), spreads, fc.nat(1000), (picks, sp, where) => {
        const seq = runSequential(model, picks);
        const impossible = model === 'kv' ? 'never-appended' : 777;
        const read: SeqOp = { f: model === 'kv' ? 'get' : 'read', key: model === 'kv' ? 'k0' : undefined, arg: null, result: impossible, status: 'ok' };
        seq.splice(where % (seq.length + 1), 0, read);
        const events = stretch(seq, sp);
        const r = checkEvents(events, { model });
        assert.equal(r.valid, false, JSON.stringify(events));
        assert.ok(r.counterexample);
        // The op named is where the deepest branch got stuck: not always the impossible read
        // (another read may be stranded first), never a blind write, when every op returned.
        if (seq.every((o) => o.status !== 'info')) assert.ok(['read', 'get', 'cas'].includes(r.counterexample.op.f), JSON.stringify(events));
      }),
      { numRuns: 150 },
    );
  });
}
