import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { convergenceChecker as check } from './index.js';
import { Hist, contextOf } from '../stats/hist.js';
import { synthHistory } from '../stats/synthetic.js';
import type { CheckerResult } from '../types.js';

const sync = (r: CheckerResult | Promise<CheckerResult>): CheckerResult => r as CheckerResult;

function partitioned(): Hist {
  const h = new Hist();
  h.write(0, 0, 'a1', 1);
  h.start('partition', ['dr'], 1);
  h.write(0, 1, 'b2', 2);
  h.write(0, 0, 'a3', 3);
  h.stop('partition', ['dr'], 1); // t = 8 ms
  return h;
}

test('clean: after the heal dr resyncs and equals the primary at its cut; time to converge is reported', () => {
  const h = partitioned();
  h.snapshot(5, { 0: ['a1', 1] }, { cut: 1, consistent: false }); // resync running
  h.ev(5, 'invoke', 'dr-status', undefined, undefined, 'dr');
  h.ev(5, 'ok', 'dr-status', undefined, { node: 'dr', role: 'dr', epoch: 1, version: 3, barrier: 4, consistent: true, cut: 3 }, 'dr');
  h.snapshot(5, { 0: ['a3', 3], 1: ['b2', 2] }, { cut: 3 });
  const r = sync(check(h.ctx()));
  assert.equal(r.valid, true, r.reason);
  assert.equal(r.stats?.convergeMs, 6); // heal at 8 ms, the converged snapshot completes at 14 ms
  assert.equal(r.stats?.statusConvergeMs, 4); // dr said so at 12 ms
});

test('diverged: dr says consistent at a cut but differs from the primary there', () => {
  const h = partitioned();
  const [si, so] = h.snapshot(5, { 0: ['a1', 1], 1: ['b2', 2] }, { cut: 3 }); // block 0's v3 never arrived
  const r = sync(check(h.ctx()));
  assert.equal(r.valid, false);
  const a = r.anomalies[0];
  assert.equal(a.kind, 'diverged');
  assert.deepEqual(a.events, [si, so]);
  assert.deepEqual(a.blocks, [{ block: '0', expected: { version: 3, value: 'a3' }, got: { value: 'a1', version: 1 } }]);
});

test('not-converged: resync still running, or a cut short of the acked writes, at the last snapshot', () => {
  const h = partitioned();
  h.snapshot(5, { 0: ['a1', 1] }, { cut: 1, consistent: false });
  let r = sync(check(h.ctx()));
  assert.equal(r.valid, false);
  assert.equal(r.anomalies[0].kind, 'not-converged');
  assert.match(r.anomalies[0].message, /consistent: false/);

  const short = partitioned();
  short.snapshot(5, { 0: ['a1', 1], 1: ['b2', 2] }, { cut: 2 });
  r = sync(check(short.ctx()));
  assert.equal(r.valid, false);
  assert.match(r.anomalies[0].message, /cut 2 is below version 3/);
});

test('no dr snapshot after the heal, or none with a cut, gives unknown', () => {
  const h = partitioned();
  let r = sync(check(h.ctx()));
  assert.equal(r.valid, 'unknown');
  assert.match(r.reason!, /no dr-snapshot after the final heal/);
  h.snapshot(5, { 0: ['a3', 3], 1: ['b2', 2] }, {});
  r = sync(check(h.ctx()));
  assert.equal(r.valid, 'unknown');
  assert.match(r.reason!, /no cut/);
});

test('property: histories of a correct system converge', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 20, max: 500 }), (seed, ops) => {
      const r = sync(check(contextOf(synthHistory({ seed, ops }).events)));
      return r.valid === true && typeof r.stats?.convergeMs === 'number';
    }),
    { numRuns: 30 },
  );
});

test('property: a final image missing one acked write never passes', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 20, max: 500 }), fc.nat(), (seed, ops, pick) => {
      const { events } = synthHistory({ seed, ops });
      const last = events[events.length - 1];
      const img = last.value as Record<string, { value: string; version: number }>;
      const keys = Object.keys(img);
      fc.pre(last.f === 'dr-snapshot' && keys.length > 0);
      const drop = keys[pick % keys.length];
      const rest = Object.fromEntries(keys.filter((k) => k !== drop).map((k) => [k, img[k]]));
      const r = sync(check(contextOf([...events.slice(0, -1), { ...last, value: rest }])));
      return r.valid === false && r.anomalies[0].kind === 'diverged';
    }),
    { numRuns: 30 },
  );
});
