import { test } from 'node:test';
import assert from 'node:assert/strict';
import { latencyChecker as check } from './latency.js';
import { Hist, contextOf } from './hist.js';
import { synthHistory } from './synthetic.js';
import type { CheckerResult } from '../types.js';

const sync = (r: CheckerResult | Promise<CheckerResult>): CheckerResult => r as CheckerResult;

/** n writes of `ms` each; `outcome` info for writes that time out. */
function writes(h: Hist, n: number, ms: number, outcome: 'ok' | 'info' = 'ok', v = { n: 0 }): void {
  for (let i = 0; i < n; i++) {
    h.ev(0, 'invoke', 'write', i % 4, `v${v.n}`, 'a');
    h.wait(ms - 1);
    h.ev(0, outcome, 'write', i % 4, outcome === 'ok' ? `v${v.n}` : undefined, 'a', outcome === 'ok' ? { version: ++v.n } : undefined);
  }
}

test('within the run: dr connected vs cut off, alike when replication is async', () => {
  const h = new Hist();
  const v = { n: 0 };
  writes(h, 30, 2, 'ok', v);
  h.start('partition', ['dr'], 1);
  writes(h, 30, 2, 'ok', v);
  h.stop('partition', ['dr'], 1);
  const r = sync(check(h.ctx()));
  assert.equal(r.valid, true, r.reason);
  assert.deepEqual(r.stats?.judgedBy, ['dr-cut windows']);
});

test('within the run: writes slower while dr is connected, or blocked while it is cut off, are reported', () => {
  const slow = new Hist();
  const v = { n: 0 };
  writes(slow, 30, 8, 'ok', v); // a round trip to dr on the IO path
  slow.start('partition', ['dr'], 1);
  writes(slow, 30, 2, 'ok', v);
  slow.stop('partition', ['dr'], 1);
  let r = sync(check(slow.ctx()));
  assert.equal(r.valid, false);
  assert.equal(r.anomalies[0].kind, 'dr-adds-latency');

  const blocked = new Hist();
  writes(blocked, 30, 2);
  blocked.start('partition', ['dr'], 1);
  writes(blocked, 30, 50, 'info');
  blocked.stop('partition', ['dr'], 1);
  r = sync(check(blocked.ctx()));
  assert.equal(r.valid, false);
  assert.equal(r.anomalies[0].kind, 'dr-outage-blocks-writes');
  assert.equal(r.anomalies[0].events.length, 20);
});

test('within the run: a stall that holds a few of the sparse dr-cut writes is not blamed on dr', () => {
  // No-switch sim seed 773 (register, 300 ms think): 9 writes while dr was paused, 5 of them held
  // 10 to 190 ms by one lost message's retry, p50 10.5 ms against 4.1 ms connected.
  const h = new Hist();
  const v = { n: 0 };
  writes(h, 200, 4, 'ok', v);
  writes(h, 3, 16, 'ok', v); // the connected tail
  h.start('pause', ['dr'], 1);
  writes(h, 4, 3, 'ok', v);
  writes(h, 5, 12, 'ok', v);
  h.stop('pause', ['dr'], 1);
  const r = sync(check(h.ctx()));
  assert.equal(r.valid, true, r.anomalies.map((a) => a.message).join('; '));
  // ...while writes that wait out the outage are reported.
  const slow = new Hist();
  writes(slow, 200, 4, 'ok', v);
  writes(slow, 3, 16, 'ok', v);
  slow.start('pause', ['dr'], 1);
  writes(slow, 9, 500, 'ok', v);
  slow.stop('pause', ['dr'], 1);
  const r2 = sync(check(slow.ctx()));
  assert.equal(r2.valid, false);
  assert.equal(r2.anomalies[0].kind, 'dr-outage-slows-writes');
});

test('against a baseline given by the run loop', () => {
  const h = new Hist();
  writes(h, 40, 6);
  let r = sync(check(h.ctx({ baselineWriteP50Ms: 2, baselineWriteP99Ms: 2 })));
  assert.equal(r.valid, false);
  assert.deepEqual(r.anomalies.map((a) => a.quantile), ['p50', 'p99']);
  r = sync(check(h.ctx({ baselineWriteP99Ms: 2.6 }))); // p99 gets twice the room by default
  assert.equal(r.valid, true, r.reason);
  r = sync(check(h.ctx({ baselineWriteP99Ms: 5.5 })));
  assert.equal(r.valid, true, r.reason);
  r = sync(check(h.ctx({ baselineWriteP50Ms: 2, latency: { tolerance: 2, slackMs: 0 } })));
  assert.equal(r.valid, true, r.reason);
});

test('no baseline and no dr-cut window: unknown with the reason', () => {
  const h = new Hist();
  writes(h, 40, 2);
  const r = sync(check(h.ctx()));
  assert.equal(r.valid, 'unknown');
  assert.match(r.reason!, /no baseline/);
  const few = sync(check(contextOf(h.events.slice(0, 10), { baselineWriteP50Ms: 1 })));
  assert.equal(few.valid, 'unknown');
  assert.match(few.reason!, /only 5 fault-free ok write/);
});

test('correct synthetic runs (faults include dr partitions) pass', () => {
  for (const seed of [1, 2, 3]) {
    const r = sync(check(contextOf(synthHistory({ seed, ops: 3000 }).events)));
    assert.equal(r.valid, true, r.reason);
  }
});
