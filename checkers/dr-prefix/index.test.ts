import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { drPrefixChecker as check } from './index.js';
import { Hist, contextOf } from '../stats/hist.js';
import { synthHistory } from '../stats/synthetic.js';
import type { CheckerResult } from '../types.js';
import type { HistoryEvent } from '../../ground/history/types.js';

const sync = (r: CheckerResult | Promise<CheckerResult>): CheckerResult => r as CheckerResult;

/** blocks 0..2 written at versions 1..5: 0:a1 1:b2 0:a3 2:c4 1:b5 */
function base(): Hist {
  const h = new Hist();
  h.write(0, 0, 'a1', 1);
  h.write(0, 1, 'b2', 2);
  h.write(0, 0, 'a3', 3);
  h.write(0, 2, 'c4', 4);
  h.write(0, 1, 'b5', 5);
  return h;
}

test('clean: snapshots and restores equal the primary at a cut; an indeterminate write seen by dr is learned', () => {
  const h = base();
  h.ev(1, 'invoke', 'write', 2, 'c6', 'a');
  h.ev(1, 'info', 'write', 2, undefined, 'a');
  h.snapshot(5, {}, { barrier: 0, cut: 0 });
  h.snapshot(5, { 0: ['a1', 1], 1: ['b2', 2] }, { barrier: 1, cut: 2 });
  h.snapshot(5, { 0: ['a3', 3], 1: ['b2', 2], 2: ['c4', 4] }, { barrier: 2, cut: 4 });
  h.snapshot(5, { 0: ['a3', 3], 1: ['b5', 5], 2: ['c6', 6] }, { barrier: 3, cut: 6 });
  h.snapshot(5, { 0: ['a1', 1], 1: ['b5', 5] }, { barrier: 9, consistent: false }); // mid-resync: not judged
  h.restore(5, 1, { 0: ['a1', 1], 1: ['b2', 2] }, { cut: 2 });
  h.restore(5, 9, { 0: ['a1', 1], 1: ['b5', 5] }, { consistent: false }); // dr says: not a consistent point
  const r = sync(check(h.ctx()));
  assert.equal(r.valid, true, r.reason);
  assert.equal(r.stats?.judged, 5);
  assert.equal(r.stats?.skippedInconsistent, 2);
});

test('torn-dr-image reports the torn blocks and the nearest cuts', () => {
  const h = base();
  // has block 2 at v4 but block 0 still at v1: v3 (block 0) is missing
  const [si, so] = h.snapshot(5, { 0: ['a1', 1], 1: ['b2', 2], 2: ['c4', 4] }, { barrier: 2, cut: 4 });
  const r = sync(check(h.ctx()));
  assert.equal(r.valid, false);
  assert.equal(r.anomalies.length, 1);
  const a = r.anomalies[0];
  assert.equal(a.kind, 'torn-dr-image');
  assert.deepEqual(a.events.slice(0, 2), [si, so]);
  const torn = a.tornBlocks as { behind: { block: string; missing: number; write: number }[]; ahead: { block: string }[] };
  // nearest cut: 4 (reported, one block wrong) — block 0 lacks v3
  assert.equal((a.nearestCuts as { cut: number }[])[0].cut, 4);
  assert.deepEqual(torn.behind.map((b) => [b.block, b.missing]), [['0', 3]]);
  assert.equal(torn.behind[0].write, 5); // the ok event of the write of a3
  assert.deepEqual(torn.ahead, []);
  assert.ok(a.events.includes(5));
  assert.deepEqual((a.nearestCuts as { cut: number; mismatched: number }[]).map((c) => c.cut).sort(), [2, 4]);
});

test('phantom values, wrong values, misreported cuts and restores that differ from their barrier are reported', () => {
  const ph = base();
  ph.snapshot(5, { 0: ['zzz', 9] }, { barrier: 1 });
  assert.deepEqual(sync(check(ph.ctx())).anomalies.map((a) => a.kind).sort(), ['dr-phantom-write', 'torn-dr-image']);

  const wrong = base();
  wrong.snapshot(5, { 0: ['a1', 1], 1: ['WRONG', 2] }, { barrier: 1, cut: 2 });
  assert.deepEqual(sync(check(wrong.ctx())).anomalies.map((a) => a.kind), ['dr-wrong-value']);

  const cut = base();
  cut.snapshot(5, { 0: ['a1', 1], 1: ['b2', 2] }, { barrier: 1, cut: 4 });
  const rc = sync(check(cut.ctx()));
  assert.deepEqual(rc.anomalies.map((a) => a.kind), ['dr-cut-mismatch']);
  assert.deepEqual(rc.anomalies[0].cuts, [2, 2]);

  const rs = base();
  rs.snapshot(5, { 0: ['a1', 1], 1: ['b2', 2] }, { barrier: 1, cut: 2 });
  rs.restore(5, 1, { 0: ['a1', 1] }, { cut: 1 });
  assert.deepEqual(sync(check(rs.ctx())).anomalies.map((a) => a.kind), ['restore-mismatch']);
});

test('a torn restore(t) is caught like a torn snapshot', () => {
  const h = base();
  h.restore(5, 2, { 0: ['a1', 1], 2: ['c4', 4] });
  const r = sync(check(h.ctx()));
  assert.equal(r.valid, false);
  assert.equal(r.anomalies[0].kind, 'torn-dr-image');
  assert.match(r.anomalies[0].message, /dr-restore of barrier 2/);
});

test('no dr observations, malformed images, or only inconsistent snapshots give unknown with the reason', () => {
  let r = sync(check(base().ctx()));
  assert.equal(r.valid, 'unknown');
  assert.match(r.reason!, /no dr-snapshot or dr-restore observations/);

  const bad = base();
  bad.ev(5, 'invoke', 'dr-snapshot', undefined, undefined, 'dr');
  bad.ev(5, 'ok', 'dr-snapshot', undefined, { 0: 'a1' }, 'dr');
  r = sync(check(bad.ctx()));
  assert.equal(r.valid, 'unknown');
  assert.match(r.reason!, /not an image/);

  const inc = base();
  inc.snapshot(5, { 0: ['a1', 1] }, { consistent: false });
  r = sync(check(inc.ctx()));
  assert.equal(r.valid, 'unknown');
  assert.match(r.reason!, /consistent: false/);

  const unv = base();
  unv.ev(0, 'invoke', 'write', 1, 'q', 'a');
  unv.ev(0, 'ok', 'write', 1, 'q', 'a');
  unv.snapshot(5, { 0: ['a1', 1], 1: ['b2', 2] }, { cut: 2 });
  r = sync(check(unv.ctx()));
  assert.equal(r.valid, 'unknown');
  assert.match(r.reason!, /carry no meta\.version/);
});

test('after a site loss, images are judged against the writes that survived at dr\'s cut', () => {
  const h = base();
  h.start('site-loss', ['a', 'b'], 1);
  h.stop('site-loss', ['a', 'b'], 1, { cut: 2 });
  h.write(0, 2, 'new3', 3); // version 3 reused by the new primary
  h.snapshot(5, { 0: ['a1', 1], 1: ['b2', 2], 2: ['new3', 3] }, { cut: 3 });
  const r = sync(check(h.ctx()));
  assert.equal(r.valid, true, r.reason);
  assert.equal(r.stats?.eras, 2);
});

test('property: histories of a correct system are valid', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 20, max: 600 }), fc.integer({ min: 1, max: 10 }), (seed, ops, barrierWrites) => {
      const r = sync(check(contextOf(synthHistory({ seed, ops, barrierWrites }).events)));
      return r.valid === true;
    }),
    { numRuns: 40 },
  );
});

test('property: one torn barrier is always caught', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 100, max: 600 }), fc.nat(), (seed, ops, pickSnap) => {
      const { events } = synthHistory({ seed, ops, blocks: 8 });
      const acks = events.filter((e) => e.type === 'ok' && (e.f === 'write' || e.f === 'cas') && typeof e.meta?.version === 'number');
      const snaps = events.filter((e) => e.type === 'ok' && e.f === 'dr-snapshot');
      // a snapshot at cut C, and two later writes w2 < w1 on different blocks: put w1 into
      // the image without w2
      const options: [HistoryEvent, HistoryEvent][] = [];
      for (const s of snaps) {
        const later = acks.filter((w) => (w.meta!.version as number) > (s.meta!.cut as number));
        const w1 = later.find((w) => later.some((w2) => w2.key !== w.key && (w2.meta!.version as number) < (w.meta!.version as number)));
        if (w1) options.push([s, w1]);
      }
      fc.pre(options.length > 0);
      const [s, w1] = options[pickSnap % options.length];
      const value = w1.f === 'cas' ? (events.filter((e) => e.process === w1.process && e.type === 'invoke' && e.index < w1.index).pop()!.value as string[])[1] : w1.value;
      const image = { ...(s.value as Record<string, unknown>), [String(w1.key)]: { value, version: w1.meta!.version } };
      const injected = events.map((e) => (e === s ? { ...e, value: image } : e));
      const r = sync(check(contextOf(injected)));
      return r.valid === false && r.anomalies.some((a) => a.kind === 'torn-dr-image' && a.events[1] === s.index);
    }),
    { numRuns: 40 },
  );
});

test("the node's DrImage shape ({barrier, cut, consistent, blocks}) is read as well", () => {
  const h = base();
  h.ev(5, 'invoke', 'dr-snapshot', undefined, undefined, 'dr');
  h.ev(5, 'ok', 'dr-snapshot', undefined, { barrier: 1, cut: 2, consistent: true, blocks: { 0: { value: 'a1', version: 1 }, 1: { value: 'b2', version: 2 } } }, 'dr');
  h.ev(5, 'invoke', 'dr-snapshot', undefined, undefined, 'dr');
  h.ev(5, 'ok', 'dr-snapshot', undefined, { barrier: 2, cut: 4, consistent: true, blocks: { 0: { value: 'a1', version: 1 }, 2: { value: 'c4', version: 4 } } }, 'dr');
  const r = sync(check(h.ctx()));
  assert.equal(r.valid, false);
  assert.deepEqual(r.anomalies.map((a) => [a.kind, a.barrier, a.reportedCut]), [['torn-dr-image', 2, 4]]);
});
