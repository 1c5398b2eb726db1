// The one model of append, fsync and crash (disk-model.ts) that both in-memory interpreters of
// the core's effects use (the simulator's world: harness/runtime/sim/sim.test.ts checks that).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordVolume } from './disk-model.js';
import { Cluster } from './testing/cluster.js';

test('an fsync covers what was there when issued, and only if its node did not crash before it completed', () => {
  const v = new RecordVolume('local');
  v.append('oplog', ['w1'], 'a');
  const t1 = v.fsync('oplog', 'a');
  v.append('oplog', ['w2'], 'a');
  assert.equal(v.fsyncDone(t1), true);
  assert.equal(v.unsynced(), 1, 'w2 came after the fsync');
  const t2 = v.fsync('oplog', 'a');
  v.crash('a'); // power loss with t2 in flight
  assert.equal(v.fsyncDone(t2), false, 'a crashed before it returned: nothing became durable');
  assert.deepEqual(v.image().oplog, ['w1']);
});

test('a plain kill drops nothing but voids the fsyncs in flight; a later crash with drop takes them', () => {
  const v = new RecordVolume('local');
  v.append('f', ['x'], 'a');
  const t = v.fsync('f', 'a');
  assert.equal(v.crash('a', false), 0);
  assert.equal(v.fsyncDone(t), false);
  assert.deepEqual(v.image().f, ['x'], 'the page cache survives a process');
  assert.equal(v.crash('a'), 1);
  assert.deepEqual(v.image().f, []);
});

test('on a shared volume a crash takes only the crashing node\'s trailing unsynced records', () => {
  const v = new RecordVolume('backend');
  v.append('data', ['a1'], 'a');
  assert.ok(v.fsyncDone(v.fsync('data', 'a')));
  v.append('data', ['a2'], 'a');
  v.append('data', ['b1'], 'b');
  v.append('data', ['a3'], 'a');
  assert.equal(v.crash('a'), 1);
  assert.deepEqual(v.image().data, ['a1', 'a2', 'b1']);
  const tb = v.fsync('data', 'b');
  v.crash('a');
  assert.equal(v.fsyncDone(tb), true, 'b\'s fsync is not a\'s');
});

test('core test cluster: a write whose fsync was in flight when the primary lost power is gone after restart', () => {
  const c = new Cluster();
  c.ioDelay = 50;
  c.boot(500);
  c.send('a', { f: 'write', block: 1, value: 'v' });
  c.run(10); // appended, fsync issued, not completed
  c.crash('a');
  const left = JSON.stringify(c.disks.a.image());
  assert.ok(!left.includes('"v"') && !left.includes('\\"v\\"'), `a's local volume kept the unsynced write: ${left}`);
});
