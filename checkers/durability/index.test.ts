import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { durabilityChecker as check } from './index.js';
import { Hist, contextOf, insertAfter } from '../stats/hist.js';
import { synthHistory } from '../stats/synthetic.js';
import type { CheckerResult } from '../types.js';
import type { HistoryEvent } from '../../ground/history/types.js';

const sync = (r: CheckerResult | Promise<CheckerResult>): CheckerResult => r as CheckerResult;

test('clean: final reads show the last acked write, or a later indeterminate one', () => {
  const h = new Hist();
  h.write(0, 1, 'x', 1);
  h.write(0, 2, 'y', 2);
  h.ev(0, 'invoke', 'write', 2, 'y2', 'a');
  h.ev(0, 'info', 'write', 2, undefined, 'a'); // timed out, yet applied at version 3
  h.ev(1, 'invoke', 'write', 1, 'never', 'a');
  h.ev(1, 'info', 'write', 1, undefined, 'a'); // timed out, not applied
  h.start('kill', ['a'], 1);
  h.stop('kill', ['a'], 1);
  h.finalRead(2, 1, 'x', 1);
  h.finalRead(2, 2, 'y2', 3);
  const r = sync(check(h.ctx()));
  assert.equal(r.valid, true, r.reason);
  assert.equal(r.stats?.blocksJudged, 2);
});

test('lost-write names the lost write, the final read and the faults between them', () => {
  const h = new Hist();
  h.write(0, 1, 'x', 1);
  const [wi, wo] = h.write(0, 1, 'y', 2);
  h.write(0, 2, 'z', 3);
  const kill = h.start('kill', ['a'], 7);
  h.stop('kill', ['a'], 7);
  const [ri, ro] = h.finalRead(2, 1, 'x', 1);
  h.finalRead(2, 2, 'z', 3);
  const r = sync(check(h.ctx()));
  assert.equal(r.valid, false);
  assert.equal(r.anomalies.length, 1);
  const a = r.anomalies[0];
  assert.equal(a.kind, 'lost-write');
  assert.deepEqual(a.events, [wi, wo, ri, ro]);
  assert.equal((a.write as { version: number }).version, 2);
  assert.deepEqual((a.faults as { start: number }[]).map((f) => f.start), [kill]);
  assert.match(a.message, /kill\(a\)#7/);
});

test('a final read of a never-written value, or of another write\'s version, is reported', () => {
  const h = new Hist();
  h.write(0, 1, 'x', 1);
  h.finalRead(2, 1, 'bogus', 5);
  let r = sync(check(h.ctx()));
  assert.equal(r.valid, false);
  assert.equal(r.anomalies[0].kind, 'phantom-value');

  const w = new Hist();
  w.write(0, 1, 'x', 1);
  w.write(0, 2, 'y', 2);
  w.finalRead(2, 1, 'y', 2);
  w.finalRead(2, 2, 'y', 2);
  r = sync(check(w.ctx()));
  assert.equal(r.valid, false);
  assert.deepEqual(r.anomalies.map((a) => a.kind), ['wrong-value']);
});

test('writes lost to a site loss are the RPO, not a durability bug; writes at or below the cut must survive', () => {
  const h = new Hist();
  h.write(0, 1, 'x', 1);
  h.write(0, 2, 'y', 2);
  h.write(0, 1, 'x2', 3); // acked after dr's cut: lost with the site
  h.start('site-loss', ['a', 'b'], 1);
  h.stop('site-loss', ['a', 'b'], 1, { cut: 2 });
  h.write(0, 2, 'y2', 3); // the new primary numbers from dr's version
  h.finalRead(2, 1, 'x', 1);
  h.finalRead(2, 2, 'y2', 3);
  let r = sync(check(h.ctx()));
  assert.equal(r.valid, true, r.reason);

  const lost = new Hist();
  lost.write(0, 1, 'x', 1);
  lost.write(0, 2, 'y', 2);
  lost.start('site-loss', ['a', 'b'], 1);
  lost.stop('site-loss', ['a', 'b'], 1, { cut: 2 });
  lost.finalRead(2, 1, null, 0);
  lost.finalRead(2, 2, 'y', 2);
  r = sync(check(lost.ctx()));
  assert.equal(r.valid, false);
  assert.equal(r.anomalies[0].kind, 'lost-write');

  const noCut = new Hist();
  noCut.write(0, 1, 'x', 1);
  noCut.start('site-loss', ['a', 'b'], 1);
  noCut.stop('site-loss', ['a', 'b'], 1);
  noCut.finalRead(2, 1, 'x', 1);
  r = sync(check(noCut.ctx()));
  assert.equal(r.valid, 'unknown');
  assert.match(r.reason!, /no meta\.cut/);
});

test('missing final reads or versions give unknown with the reason', () => {
  const none = new Hist();
  none.write(0, 1, 'x', 1);
  none.read(1, 1, 'x', 1, 'oplog');
  let r = sync(check(none.ctx()));
  assert.equal(r.valid, 'unknown');
  assert.match(r.reason!, /no final reads/);

  const partial = new Hist();
  partial.write(0, 1, 'x', 1);
  partial.write(0, 2, 'y', 2);
  partial.finalRead(2, 1, 'x', 1);
  partial.finalRead(2, 2, 'y', undefined);
  r = sync(check(partial.ctx()));
  assert.equal(r.valid, 'unknown');
  assert.match(r.reason!, /1 block\(s\) with acked writes have no ok final read with a version \(e\.g\. block 2\)/);
});

test('lost-after-takeover: a read in a later epoch misses a write acked before it, though a later write hides it from the final read', () => {
  const h = new Hist();
  h.ev(0, 'invoke', 'write', 1, 'x', 'a');
  h.ev(0, 'ok', 'write', 1, 'x', 'a', { version: 1, epoch: 1 });
  const [wi, wo] = [h.ev(0, 'invoke', 'write', 1, 'y', 'a'), h.ev(0, 'ok', 'write', 1, 'y', 'a', { version: 2, epoch: 1 })];
  h.start('kill', ['a'], 3);
  const [ri, ro] = [h.ev(1, 'invoke', 'read', 1, undefined, 'b'), h.ev(1, 'ok', 'read', 1, 'x', 'b', { source: 'backend', version: 1, epoch: 2 })];
  h.read(1, 1, 'x', 1, 'backend', 'b', { epoch: 2 }); // the same loss, reported once
  h.ev(0, 'invoke', 'write', 1, 'z', 'b');
  h.ev(0, 'ok', 'write', 1, 'z', 'b', { version: 3, epoch: 2 });
  h.stop('kill', ['a'], 3);
  h.finalRead(2, 1, 'z', 3);
  const r = sync(check(h.ctx()));
  assert.equal(r.valid, false);
  assert.equal(r.anomalies.length, 1);
  const a = r.anomalies[0];
  assert.equal(a.kind, 'lost-after-takeover');
  assert.deepEqual(a.events, [wi, wo, ri, ro]);
  assert.match(a.message, /kill\(a\)#3/);

  // a stale read from the old epoch is a fencing/lease failure, not a lost write
  const old = new Hist();
  old.ev(0, 'invoke', 'write', 1, 'x', 'b');
  old.ev(0, 'ok', 'write', 1, 'x', 'b', { version: 5, epoch: 2 });
  old.read(1, 1, null, 0, 'oplog', 'a', { epoch: 1 });
  old.finalRead(2, 1, 'x', 5);
  assert.equal(sync(check(old.ctx())).valid, true);
});

test('property: histories of a correct system are valid', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 20, max: 600 }), (seed, ops) => {
      const r = sync(check(contextOf(synthHistory({ seed, ops }).events)));
      return r.valid === true;
    }),
    { numRuns: 40 },
  );
});

test('property: one lost acked write is always caught, and named', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 20, max: 600 }), fc.nat(), (seed, ops, pick) => {
      const { events } = synthHistory({ seed, ops });
      const finals = events.filter((e) => e.type === 'ok' && e.meta?.final);
      const acked = (key: unknown): HistoryEvent[] =>
        events.filter((e) => e.type === 'ok' && e.key === key && (e.f === 'write' || e.f === 'cas') && typeof e.meta?.version === 'number').sort((x, y) => (x.meta!.version as number) - (y.meta!.version as number));
      const eligible = finals.filter((f) => acked(f.key).length > 0);
      fc.pre(eligible.length > 0);
      const f = eligible[pick % eligible.length];
      const ws = acked(f.key);
      const last = ws[ws.length - 1];
      // the final read shows the acked write before the last one, or nothing
      const prev = ws.length > 1 ? ws[ws.length - 2] : null;
      const injected = events.map((e) => (e === f ? { ...e, value: prev ? `v${prev.meta!.version}` : null, meta: { ...e.meta, version: prev ? (prev.meta!.version as number) : 0 } } : e));
      const r = sync(check(contextOf(injected)));
      return r.valid === false && r.anomalies.some((a) => a.kind === 'lost-write' && a.events[1] === last.index && a.events[3] === f.index);
    }),
    { numRuns: 40 },
  );
});

test('property: a write lost at a takeover is caught by the first read of the new epoch, though the final reads are clean', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.nat(), fc.nat(), (seed, pickKill, pickBlock) => {
      const { events } = synthHistory({ seed, ops: 600, faultEvery: 60 });
      const kills = events.filter((e) => e.process === 'nemesis' && e.f === 'start' && e.meta?.fault === 'kill' && e.meta.targets?.[0] === 'a');
      fc.pre(kills.length > 0);
      const kill = kills[pickKill % kills.length];
      // the newest acked write of some block before the takeover
      const latest = new Map<unknown, HistoryEvent>();
      for (const e of events.slice(0, kill.index)) {
        if (e.type === 'ok' && (e.f === 'write' || e.f === 'cas') && typeof e.meta?.version === 'number') {
          const cur = latest.get(e.key);
          if (!cur || (cur.meta!.version as number) < e.meta.version) latest.set(e.key, e);
        }
      }
      fc.pre(latest.size > 0);
      const w = [...latest.values()][pickBlock % latest.size];
      const epoch = (w.meta!.epoch as number) + 1;
      const injected = insertAfter(events, kill.index, [
        { process: 98, type: 'invoke', f: 'read', key: w.key, node: 'b' },
        { process: 98, type: 'ok', f: 'read', key: w.key, value: null, node: 'b', meta: { source: 'backend', version: 0, epoch } },
      ]);
      const r = sync(check(contextOf(injected)));
      return r.valid === false && r.anomalies.some((a) => a.kind === 'lost-after-takeover' && a.events[1] === w.index && a.events[2] === kill.index + 1);
    }),
    { numRuns: 30 },
  );
});
