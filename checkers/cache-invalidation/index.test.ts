import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cacheInvalidationChecker as check } from './index.js';
import { Hist, contextOf, insertAfter } from '../stats/hist.js';
import { synthHistory } from '../stats/synthetic.js';
import type { CheckerResult } from '../types.js';

const sync = (r: CheckerResult | Promise<CheckerResult>): CheckerResult => r as CheckerResult;

test('clean: cache reads see the last acked write, or an older one only while the overwrite is in flight', () => {
  const h = new Hist();
  h.write(0, 1, 'x', 1);
  h.read(1, 1, 'x', 1, 'cache', 'b');
  h.ev(0, 'invoke', 'write', 1, 'y', 'a'); // in flight: not acked before the next read starts
  h.read(1, 1, 'x', 1, 'cache', 'b');
  h.ev(0, 'ok', 'write', 1, 'y', 'a', { version: 2 });
  h.read(1, 1, 'y', 2, 'cache', 'b');
  h.read(1, 2, null, 0, 'backend');
  const r = sync(check(h.ctx()));
  assert.equal(r.valid, true, r.reason);
  assert.equal(r.stats?.cacheReads, 3);
});

test('stale-cache-read names the read, the overwriting acked write, the node and the cached version', () => {
  const h = new Hist();
  h.write(0, 3, 'x', 1);
  h.write(0, 5, 'other', 2);
  const [wi, wo] = h.write(0, 3, 'y', 3);
  h.write(0, 3, 'z', 4);
  const [ri, ro] = h.read(1, 3, 'x', 1, 'cache', 'b');
  const r = sync(check(h.ctx()));
  assert.equal(r.valid, false);
  assert.equal(r.anomalies.length, 1);
  const a = r.anomalies[0];
  assert.equal(a.kind, 'stale-cache-read');
  assert.deepEqual(a.events, [ri, ro, wi, wo]);
  assert.equal(a.node, 'b');
  assert.equal(a.cacheVersion, 1);
  assert.equal((a.overwrite as { version: number }).version, 3);
  assert.equal(a.latestAckedVersion, 4);
  assert.match(a.message, /served by b from its location cache returned version 1/);
});

test('a stale read from the backend is counted, not blamed on the cache; a cas counts as a write', () => {
  const h = new Hist();
  h.write(0, 1, 'x', 1);
  h.ev(0, 'invoke', 'cas', 1, ['x', 'y'], 'a');
  h.ev(0, 'ok', 'cas', 1, undefined, 'a', { version: 2 });
  h.read(1, 1, 'x', 1, 'backend');
  let r = sync(check(h.ctx()));
  assert.equal(r.valid, true);
  assert.deepEqual(r.stats?.staleBySource, { backend: 1 });
  h.read(1, 1, 'x', 1, 'cache', 'b');
  r = sync(check(h.ctx()));
  assert.equal(r.valid, false);
  assert.equal((r.anomalies[0].overwrite as { version: number }).version, 2);
});

test('missing fields give unknown with the reason, never valid', () => {
  const noSource = new Hist();
  noSource.write(0, 1, 'x', 1);
  noSource.read(1, 1, 'x', 1, undefined);
  let r = sync(check(noSource.ctx()));
  assert.equal(r.valid, 'unknown');
  assert.match(r.reason!, /meta\.source/);

  const noVersion = new Hist();
  noVersion.write(0, 1, 'x', 1);
  noVersion.read(1, 1, 'x', undefined, 'cache', 'b');
  r = sync(check(noVersion.ctx()));
  assert.equal(r.valid, 'unknown');
  assert.match(r.reason!, /cache read\(s\) carry no meta\.version/);

  const noReads = new Hist();
  noReads.write(0, 1, 'x', 1);
  r = sync(check(noReads.ctx()));
  assert.equal(r.valid, 'unknown');
  assert.match(r.reason!, /no ok reads/);

  const unversionedWrite = new Hist();
  unversionedWrite.ev(0, 'invoke', 'write', 1, 'x', 'a');
  unversionedWrite.ev(0, 'ok', 'write', 1, 'x', 'a');
  unversionedWrite.read(1, 1, null, 0, 'cache', 'b');
  r = sync(check(unversionedWrite.ctx()));
  assert.equal(r.valid, 'unknown');
  assert.match(r.reason!, /ok write\(s\) carry no meta\.version/);
});

test('property: histories of a correct system are valid', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 50, max: 600 }), (seed, ops) => {
      const r = sync(check(contextOf(synthHistory({ seed, ops }).events)));
      return r.valid === true;
    }),
    { numRuns: 40 },
  );
});

test('property: one injected stale cache read is always caught, and named', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 100, max: 600 }), fc.double({ min: 0, max: 1, noNaN: true }), (seed, ops, where) => {
      const { events } = synthHistory({ seed, ops, final: false });
      // acked writes in history order: the injection point follows one of them
      const acks = events.filter((e) => e.type === 'ok' && (e.f === 'write' || e.f === 'cas') && typeof e.meta?.version === 'number');
      fc.pre(acks.length > 0);
      const ack = acks[Math.min(acks.length - 1, Math.floor(where * acks.length))];
      const before = acks.filter((e) => e.index <= ack.index && e.key === ack.key).map((e) => e.meta!.version as number);
      const latest = Math.max(...before);
      const older = events.find((e) => e.type === 'ok' && e.key === ack.key && (e.f === 'write' || e.f === 'cas') && (e.meta?.version as number) < latest);
      const staleVersion = older ? (older.meta!.version as number) : 0;
      const staleValue = older ? `value-of-v${staleVersion}` : null; // this checker judges versions
      const injected = insertAfter(events, ack.index, [
        { process: 99, type: 'invoke', f: 'read', key: ack.key, node: 'b' },
        { process: 99, type: 'ok', f: 'read', key: ack.key, value: staleValue, node: 'b', meta: { source: 'cache', version: staleVersion } },
      ]);
      const r = sync(check(contextOf(injected)));
      return r.valid === false && r.anomalies.length === 1 && r.anomalies[0].kind === 'stale-cache-read' && r.anomalies[0].events[0] === ack.index + 1;
    }),
    { numRuns: 40 },
  );
});
