// The semantics each model gives to fail / info / nil, and the counterexample's shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HistoryEvent } from '../../ground/history/types.js';
import { pairHistory } from '../../ground/history/pair.js';
import { checkEvents } from './check.js';
import { linearizability } from './index.js';
import type { CheckOptions } from './types.js';

type E = [number | 'nemesis', HistoryEvent['type'], string, unknown?, (string | number)?];
const h = (...es: E[]): HistoryEvent[] =>
  es.map(([process, type, f, value, key], index) => ({ index, time: index, process, type, f, value, ...(key !== undefined ? { key } : {}) }));
const verdict = (events: HistoryEvent[], opts: CheckOptions) => checkEvents(events, opts).valid;

test('fail did not happen (knossos); an etcd :fail cas ran and returned false', () => {
  const events = h([0, 'invoke', 'cas', [null, 1]], [0, 'fail', 'cas', [null, 1]], [1, 'invoke', 'read', null], [1, 'ok', 'read', 1]);
  assert.equal(verdict(events, { model: 'cas-register' }), false);
  // etcd: the cas failed although the register was absent (nil) -> impossible
  assert.equal(verdict(h([0, 'invoke', 'cas', [null, 1]], [0, 'fail', 'cas', [null, 1]]), { model: 'etcd-cas-register' }), false);
  assert.equal(verdict(h([0, 'invoke', 'cas', [2, 1]], [0, 'fail', 'cas', [2, 1]]), { model: 'etcd-cas-register' }), true);
});

test('info / unfinished ops may have happened at any point after invocation, or never', () => {
  const happened = h([0, 'invoke', 'write', 1], [0, 'info', 'write'], [1, 'invoke', 'read', null], [1, 'ok', 'read', 1], [1, 'invoke', 'read', null], [1, 'ok', 'read', 1]);
  const never = h([0, 'invoke', 'write', 1], [1, 'invoke', 'read', null], [1, 'ok', 'read', null]);
  const before = h([1, 'invoke', 'read', null], [1, 'ok', 'read', 1], [0, 'invoke', 'write', 1], [0, 'info', 'write']);
  for (const model of ['cas-register', 'etcd-cas-register'] as const) {
    assert.equal(verdict(happened, { model }), true, model);
    assert.equal(verdict(never, { model }), true, model);
    assert.equal(verdict(before, { model }), false, `${model}: not before its invocation`);
  }
});

test('an ok read of nil constrains nothing in EDN (knossos) histories, and means absent otherwise', () => {
  const events = h([0, 'invoke', 'write', 1], [0, 'ok', 'write', 1], [1, 'invoke', 'read', null], [1, 'ok', 'read', null]);
  assert.equal(verdict(events, { model: 'cas-register', nilReadIsUnknown: true }), true);
  assert.equal(verdict(events, { model: 'cas-register' }), false);
  assert.equal(verdict(events, { model: 'etcd-cas-register', nilReadIsUnknown: true }), false);
});

test('cas-register initial value is settable', () => {
  const events = h([0, 'invoke', 'cas', [0, 1]], [0, 'ok', 'cas', [0, 1]]);
  assert.equal(verdict(events, { model: 'cas-register' }), false);
  assert.equal(verdict(events, { model: 'cas-register', initial: 0 }), true);
});

test('kv keys are independent; a counterexample names the op, the prefix and the concurrent ops', () => {
  const events = h(
    [0, 'invoke', 'append', 'a', 'x'],
    [1, 'invoke', 'append', 'b', 'x'],
    [0, 'ok', 'append', 'a', 'x'],
    [1, 'ok', 'append', 'b', 'x'],
    [2, 'invoke', 'get', null, 'y'],
    [2, 'ok', 'get', '', 'y'],
    [2, 'invoke', 'get', null, 'x'],
    [3, 'invoke', 'append', 'c', 'x'],
    [2, 'ok', 'get', 'ba', 'x'],
    [3, 'ok', 'append', 'c', 'x'],
    [2, 'invoke', 'get', null, 'x'],
    [2, 'ok', 'get', 'abc', 'x'],
  );
  const r = checkEvents(events, { model: 'kv' });
  assert.equal(r.valid, false);
  assert.equal(r.partitions, 2);
  const c = r.counterexample!;
  assert.equal(c.key, 'x');
  assert.equal(c.op.index, 10);
  assert.equal(c.op.output, 'abc');
  assert.deepEqual(c.prefix.map((p) => p.state), ['b', 'ba', 'ba', 'bac']);
  assert.equal(c.state, 'bac');
  assert.deepEqual(c.concurrent, []);
});

test('a time limit gives unknown, never a guess', () => {
  // 20 concurrent writes and 20 concurrent reads of distinct values, then a read no order can
  // produce: the search must try exponentially many orders before it can say invalid
  const es: E[] = [];
  for (let p = 0; p < 40; p++) es.push([p, 'invoke', p < 20 ? 'write' : 'read', p < 20 ? p : null]);
  for (let p = 0; p < 40; p++) es.push([p, 'ok', p < 20 ? 'write' : 'read', p < 20 ? p : (p * 7) % 20]);
  es.push([40, 'invoke', 'read', null], [40, 'ok', 'read', 99]);
  const r = checkEvents(h(...es), { model: 'cas-register', timeoutMs: 50 });
  assert.equal(r.valid, 'unknown');
  assert.match(r.reason!, /time limit/);
  // the same search against a memo budget: unknown once the keys' memos outgrow it
  const m = checkEvents(h(...es), { model: 'cas-register', memoLimitBytes: 4 << 20, timeoutMs: 60_000 });
  assert.equal(m.valid, 'unknown');
  assert.match(m.reason!, /memory limit/);
});

test('the harness Checker: per block, other ops and the nemesis ignored, a failed cas did not happen', async () => {
  const events = h(
    [0, 'invoke', 'write', 1, 7],
    ['nemesis', 'info', 'start'],
    [0, 'ok', 'write', 1, 7],
    [1, 'invoke', 'dr-snapshot', null],
    [1, 'ok', 'dr-snapshot', { 7: 1 }],
    [2, 'invoke', 'cas', [1, 2], 7],
    [2, 'fail', 'cas', [1, 2], 7],
    [3, 'invoke', 'read', null, 8],
    [3, 'ok', 'read', null, 8],
    [0, 'invoke', 'read', null, 7],
    [0, 'ok', 'read', 1, 7],
  );
  const ok = await linearizability({ events, paired: pairHistory(events) });
  assert.equal(ok.valid, true);
  assert.equal(ok.stats?.keys, 2);
  const stale = [...events, ...h([0, 'invoke', 'read', null, 7], [0, 'ok', 'read', 2, 7]).map((e, i) => ({ ...e, index: events.length + i, time: events.length + i }))];
  const bad = await linearizability({ events: stale, paired: pairHistory(stale) });
  assert.equal(bad.valid, false);
  assert.equal(bad.anomalies[0].kind, 'nonlinearizable');
  assert.ok(bad.anomalies[0].events.includes(stale.length - 2));
});
