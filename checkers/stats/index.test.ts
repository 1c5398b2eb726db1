import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeStats, statsChecker } from './index.js';
import { Hist, contextOf } from './hist.js';
import { synthHistory } from './synthetic.js';
import { quantile, summarize } from './quantile.js';
import { IntervalSet, faultWindows } from './faults.js';

test('quantiles are nearest-rank: every figure was observed', () => {
  const s = Float64Array.from([5, 1, 4, 2, 3]).sort();
  assert.equal(quantile(s, 0.5), 3);
  assert.equal(quantile(s, 0.99), 5);
  assert.equal(quantile(new Float64Array(0), 0.5), null);
  assert.deepEqual(summarize([10, 20]), { count: 2, p50: 10, p95: 20, p99: 20, max: 20, mean: 15 });
});

test('fault windows pair by faultId, without ids by kind and targets; interval queries', () => {
  const h = new Hist();
  h.start('kill', ['a'], 1);
  h.ev('nemesis', 'info', 'start', undefined, undefined, undefined, { fault: 'pause', targets: ['b'] });
  h.stop('kill', ['a'], 1);
  h.ev('nemesis', 'info', 'stop', undefined, undefined, undefined, { fault: 'pause', targets: ['b'] });
  h.start('partition', ['dr'], 2);
  const ws = faultWindows(h.ctx().paired.nemesis);
  assert.deepEqual(ws.map((w) => [w.fault, w.startNs / 1e6, w.stopNs / 1e6]), [['kill', 1, 3], ['pause', 2, 4], ['partition', 5, Infinity]]);
  const set = new IntervalSet(ws);
  assert.equal(set.size, 2);
  assert.equal(set.meets(4.5e6, 4.9e6), false);
  assert.equal(set.meets(4.5e6, 5e6), true);
  assert.equal(set.covers(1e6, 4e6), true);
  assert.equal(set.covers(0, 2e6), false);
});

test('counts, latency with and without faults, RTO from recovered events, throughput', () => {
  const h = new Hist();
  h.write(0, 1, 'x', 1); // 1 ms, no fault
  h.read(1, 1, 'x', 1, 'oplog'); // 1 ms
  const kill = h.start('kill', ['a'], 4);
  h.ev(0, 'invoke', 'write', 1, 'y', 'a');
  h.wait(9);
  h.ev(0, 'info', 'write', 1, undefined, 'a');
  h.ev('nemesis', 'info', 'recovered', undefined, undefined, 'b', { node: 'b', faultId: 4 });
  h.ev(0, 'invoke', 'write', 1, 'z', 'b');
  h.wait(2);
  h.ev(0, 'ok', 'write', 1, 'z', 'b', { version: 3 }); // 3 ms, during the fault
  h.stop('kill', ['a'], 4);
  h.ev(1, 'invoke', 'read', 1, undefined, 'a');
  h.ev(1, 'fail', 'read', 1, undefined, 'a', { error: 'unavailable' });
  const s = computeStats(h.ctx(), { windowMs: 10 });
  assert.deepEqual(s.ops.write, { ok: 2, fail: 0, info: 1, open: 0, total: 3 });
  assert.deepEqual(s.ops.read, { ok: 1, fail: 1, info: 0, open: 0, total: 2 });
  assert.equal(s.latency.all.write.count, 2);
  assert.equal(s.latency.faultFree.write.p50, 1);
  assert.equal(s.latency.duringFaults.write.max, 3);
  assert.equal(s.failovers.length, 1);
  const fo = s.failovers[0];
  assert.equal(fo.startMs, h.events[kill].time / 1e6);
  assert.equal(fo.rtoMs, 12); // kill at 5 ms, recovered at 17 ms
  assert.equal(fo.recoveredNode, 'b');
  assert.equal(fo.writeGapMs, 16); // the first ok write invoked after the kill completes at 21 ms
  assert.deepEqual(s.rto, { count: 1, maxMs: 12, meanMs: 12 });
  assert.equal(s.windows.length, 3);
  assert.deepEqual(s.windows[0].faults, ['kill(a)#4']);
  assert.equal(s.throughput.okPerSec, Math.round((3 / (s.durationMs / 1000)) * 1000) / 1000);
});

test('site loss: RPO as acked writes above dr\'s cut and as time, RTO to the new primary', () => {
  const h = new Hist();
  h.write(0, 1, 'x', 1);
  h.write(0, 2, 'y', 2);
  const [, lostAck] = h.write(0, 1, 'x2', 3);
  h.write(0, 2, 'y2', 4);
  const start = h.start('site-loss', ['a', 'b'], 9);
  h.stop('site-loss', ['a', 'b'], 9, { cut: 2 });
  h.ev('nemesis', 'info', 'recovered', undefined, undefined, 'dr', { node: 'dr', faultId: 9 });
  h.write(0, 1, 'x3', 3);
  const s = computeStats(h.ctx());
  assert.equal(s.siteLosses.length, 1);
  const sl = s.siteLosses[0];
  assert.equal(sl.cut, 2);
  assert.equal(sl.ackedBefore, 4);
  assert.equal(sl.lostAckedWrites, 2);
  assert.deepEqual(sl.lostWrites.map((w) => w.version), [3, 4]);
  assert.equal(sl.rpoMs, (h.events[start].time - h.events[lostAck].time) / 1e6);
  assert.equal(sl.rtoMs, 2);
  assert.equal(sl.writeGapMs, 4);
});

test('the stats checker always answers valid with plain data; a large synthetic run stays JSON-clean', () => {
  const ctx = contextOf(synthHistory({ seed: 3, ops: 2000 }).events);
  const r = statsChecker(ctx) as { valid: unknown; stats: Record<string, unknown> };
  assert.equal(r.valid, true);
  const round = JSON.parse(JSON.stringify(r.stats));
  assert.deepEqual(round, r.stats);
  const n = (r.stats.windows as unknown[]).length;
  assert.ok(n >= 20 && n <= 51, `windows: ${n}`);
});
