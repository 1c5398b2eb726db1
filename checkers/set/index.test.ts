// The set checker on hand-made histories (each verdict shape once) and on random ones, where
// the expected counts are computed independently of the checker's own bookkeeping.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { pairHistory } from '../../ground/history/pair.js';
import type { HistoryEvent } from '../../ground/history/types.js';
import { setChecker } from './index.js';

type Ev = Omit<HistoryEvent, 'index' | 'time'>;

function history(evs: Ev[]): HistoryEvent[] {
  return evs.map((e, i) => ({ ...e, index: i, time: i * 1000 }));
}

function add(p: number, el: unknown, outcome: 'ok' | 'fail' | 'info' | 'open', key = 's'): Ev[] {
  const inv: Ev = { process: p, type: 'invoke', f: 'add', key, value: el, node: 'n1' };
  return outcome === 'open' ? [inv] : [inv, { process: p, type: outcome, f: 'add', key, value: el, node: 'n1' }];
}

function finalRead(p: number, els: unknown[], key = 's'): Ev[] {
  return [
    { process: p, type: 'invoke', f: 'read-set', key, node: 'n2', meta: { final: true } },
    { process: p, type: 'ok', f: 'read-set', key, value: els, node: 'n2', meta: { final: true } },
  ];
}

async function check(evs: Ev[]) {
  const events = history(evs);
  return setChecker({ events, paired: pairHistory(events) });
}

test('every acknowledged add in the final read: valid, with counts', async () => {
  const r = await check([...add(0, 1, 'ok'), ...add(1, 2, 'info'), ...add(2, 3, 'fail'), ...add(3, 4, 'ok'), ...finalRead(9, [1, 2, 4])]);
  assert.equal(r.valid, true);
  assert.deepEqual(r.anomalies, []);
  assert.equal(r.stats?.ok, 2);
  assert.equal(r.stats?.recovered, 1);
  assert.equal(r.stats?.lost, 0);
  assert.equal(r.stats?.attempted, 4);
});

test('a lost acknowledged add is named with its invoke, completion and the final read', async () => {
  const r = await check([...add(0, 10, 'ok'), ...add(1, 11, 'ok'), ...finalRead(9, [11])]);
  assert.equal(r.valid, false);
  const lost = r.anomalies.filter((a) => a.kind === 'lost');
  assert.equal(lost.length, 1);
  assert.equal(lost[0]!.element, 10);
  assert.deepEqual(lost[0]!.events, [0, 1, 4, 5]);
  assert.match(r.anomalies[0]!.message, /1 of 2 acknowledged adds .* missing .*: 10/);
  assert.equal(r.stats?.lost, 1);
});

test('an element nobody added is unexpected; a definitely failed add that shows up is flagged', async () => {
  const r = await check([...add(0, 1, 'fail'), ...finalRead(9, [1, 99])]);
  assert.equal(r.valid, false);
  assert.deepEqual(r.anomalies.map((a) => a.kind).sort(), ['failed-add-present', 'unexpected']);
  assert.equal(r.anomalies.find((a) => a.kind === 'unexpected')!.element, 99);
  assert.equal(r.stats?.unexpected, 1);
});

test('adds with no final read are unknown, not valid; an add acked after the final read began is not required', async () => {
  const noFinal = await check([...add(0, 1, 'ok')]);
  assert.equal(noFinal.valid, 'unknown');
  assert.match(noFinal.reason!, /no final read-set/);
  // process 0's add completes after the final read was invoked: concurrent, so it may be absent.
  const evs: Ev[] = [
    { process: 0, type: 'invoke', f: 'add', key: 's', value: 5 },
    { process: 9, type: 'invoke', f: 'read-set', key: 's', meta: { final: true } },
    { process: 0, type: 'ok', f: 'add', key: 's', value: 5 },
    { process: 9, type: 'ok', f: 'read-set', key: 's', value: [], meta: { final: true } },
  ];
  const r = await check(evs);
  assert.equal(r.valid, true);
  assert.equal(r.stats?.indeterminate, 1);
});

test('keys are judged apart; 1 and "1" are different elements', async () => {
  const r = await check([...add(0, 1, 'ok', 'a'), ...add(1, '1', 'ok', 'b'), ...finalRead(8, ['1'], 'a'), ...finalRead(9, ['1'], 'b')]);
  assert.equal(r.valid, false);
  assert.deepEqual(r.anomalies.filter((a) => a.kind === 'lost').map((a) => [a.key, a.element]), [['a', 1]]);
  assert.deepEqual(r.anomalies.filter((a) => a.kind === 'unexpected').map((a) => [a.key, a.element]), [['a', '1']]);
});

test('a history with no set operations says so and passes', async () => {
  const r = await check([{ process: 0, type: 'invoke', f: 'read', key: 1 }, { process: 0, type: 'ok', f: 'read', key: 1, value: null }]);
  assert.equal(r.valid, true);
  assert.equal(r.stats?.keys, 0);
});

test('random histories: lost = acked and absent, recovered = indeterminate and present', async () => {
  const outcome = fc.constantFrom('ok', 'fail', 'info', 'open');
  await fc.assert(fc.asyncProperty(fc.array(fc.tuple(outcome, fc.boolean()), { maxLength: 40 }), async (adds) => {
    const evs: Ev[] = [];
    const read: number[] = [];
    adds.forEach(([o, present], i) => {
      evs.push(...add(i, i, o as 'ok'));
      // A failed add never shows up in a correct system's read.
      if (present && o !== 'fail') read.push(i);
    });
    evs.push(...finalRead(1000, read));
    const r = await check(evs);
    const expectLost = adds.filter(([o, p]) => o === 'ok' && !p).length;
    const expectRecovered = adds.filter(([o, p]) => (o === 'info' || o === 'open') && p).length;
    assert.equal(r.stats?.lost ?? 0, expectLost);
    assert.equal(r.stats?.recovered ?? 0, expectRecovered);
    assert.equal(r.valid, adds.length === 0 ? true : expectLost === 0);
  }), { numRuns: 200 });
});

test('the set checker is one of the checkers a system can name', async () => {
  const { storageCheckers } = await import('../compose.js');
  assert.equal(storageCheckers().set, setChecker);
});

test('past the anomaly cap, the summary still leads and the stats still list every lost element', async () => {
  const evs: Ev[] = [];
  for (let i = 0; i < 300; i++) evs.push(...add(i, i, 'ok'));
  const r = await check([...evs, ...finalRead(1000, [])]);
  assert.equal(r.valid, false);
  assert.equal(r.anomalies[0]!.kind, 'lost-summary');
  assert.match(r.anomalies[0]!.message, /^300 of 300 acknowledged adds/);
  assert.equal(r.anomalies.filter((a) => a.kind === 'lost').length, 200);
  assert.equal((r.stats?.perKey as Record<string, { lostElements: unknown[] }>).s!.lostElements.length, 300);
  assert.equal(r.stats?.anomaliesNotListed, 100);
});
