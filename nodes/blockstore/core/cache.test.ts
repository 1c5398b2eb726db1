// Mech 1 (partner cache invalidation before ack, read leases) and fencing of a deposed primary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, type Msg } from './testing/cluster.js';
import type { ClientReply } from './types.js';

const ok = (r: ClientReply | null): r is Extract<ClientReply, { ok: true }> => !!r && r.ok;

/** A booted cluster where b has block 1 = 'old' in its location cache. */
function warm(c: Cluster): Cluster {
  c.boot();
  assert.ok(ok(c.write('a', 1, 'old')));
  c.run(60); // destaged, b told the location
  const r = c.read('b', 1);
  assert.ok(ok(r) && r.value === 'old' && r.source === 'cache');
  return c;
}

const toB = (kind: string) => (m: Msg) => m.to === 'b' && m.msg.kind === kind;

test('no ack before b confirms the invalidation; b never serves the stale entry after', () => {
  const c = warm(new Cluster());
  c.holdIf(toB('inval'));
  const req = c.send('a', { f: 'write', block: 1, value: 'new' });
  c.run(15); // less than a retry: a is still waiting for b
  assert.equal(c.replies.has(req), false, 'acked before b invalidated');
  const during = c.read('b', 1);
  assert.ok(ok(during) && during.value === 'old'); // fine: the write is not acked yet
  c.holdIf(null);
  c.release();
  c.runUntil(() => c.replies.has(req), 500);
  assert.ok(ok(c.replies.get(req)!));
  const after = c.read('b', 1);
  assert.ok(!ok(after) || after.value === 'new', `stale cache read after ack: ${JSON.stringify(after)}`);
});

test('bug ack-before-invalidate: b serves the overwritten value after the ack', () => {
  const c = warm(Cluster.withBugs(['ack-before-invalidate']));
  c.holdIf(toB('inval'));
  const w = c.write('a', 1, 'new', 15);
  assert.ok(ok(w), 'the bug acks without b');
  const r = c.read('b', 1);
  assert.ok(ok(r));
  assert.equal(r.source, 'cache');
  assert.equal(r.value, 'old', 'stale read from the location cache after the overwriting write was acked');
});

test('write during partner partition: a waits out b\'s lease, so b cannot serve the old value after the ack', () => {
  const c = warm(new Cluster());
  c.partition('a', 'b');
  const t0 = c.now;
  const req = c.send('a', { f: 'write', block: 1, value: 'new' });
  // Poll b while the write is pending and after it is acked.
  let ackedAt = -1;
  const staleAfterAck: ClientReply[] = [];
  while (c.now - t0 < 600) {
    c.run(10);
    if (ackedAt < 0 && c.replies.has(req)) ackedAt = c.now;
    const r = c.read('b', 1, 5);
    if (ackedAt >= 0 && ok(r) && r.value === 'old') staleAfterAck.push(r);
  }
  assert.ok(ackedAt > 0 && ok(c.replies.get(req)!), 'write during partition eventually acked');
  assert.ok(ackedAt - t0 >= c.params.leaseMs - 2 * c.params.heartbeatMs, `acked after ${ackedAt - t0} ms, before the lease could expire`);
  assert.deepEqual(staleAfterAck, []);
  const st = c.status('a');
  assert.equal(st.epoch, 2, 'a fenced b by claiming a new epoch');
});

test('bug ack-without-partner: the write is acked while b still serves the old value', () => {
  const c = warm(Cluster.withBugs(['ack-without-partner']));
  c.partition('a', 'b');
  const t0 = c.now;
  const w = c.write('a', 1, 'new', 1000);
  assert.ok(ok(w));
  assert.ok(c.now - t0 < c.params.leaseMs, 'acked inside the lease');
  const r = c.read('b', 1);
  assert.ok(ok(r) && r.source === 'cache');
  assert.equal(r.value, 'old', 'stale cache read after the ack');
});

test('partner heals after a partition: resynced, paired again, cache reads see the new value', () => {
  const c = warm(new Cluster());
  c.partition('a', 'b');
  assert.ok(ok(c.write('a', 1, 'new', 1000)));
  c.healAll();
  c.run(200);
  assert.equal(c.status('a').partner, 'paired');
  const r = c.read('b', 1);
  assert.ok(ok(r) && r.value === 'new', JSON.stringify(r));
  assert.ok(ok(c.write('a', 1, 'newer')));
  c.run(60);
  const r2 = c.read('b', 1);
  assert.ok(ok(r2) && r2.value === 'newer');
});

test('a paused past takeover is fenced when it wakes: no ack, no stale read', () => {
  const c = warm(new Cluster());
  assert.ok(ok(c.write('a', 2, 'before')));
  c.pause('a');
  c.run(c.params.takeoverMs + 200);
  assert.equal(c.status('b').role, 'primary');
  assert.ok(ok(c.write('b', 2, 'on-b')));
  c.resume('a');
  const w = c.write('a', 2, 'zombie', 500);
  assert.ok(w && !w.ok, `deposed a acked: ${JSON.stringify(w)}`);
  const r = c.read('a', 2, 50);
  assert.ok(!ok(r) || r.value === 'on-b', `stale read on deposed a: ${JSON.stringify(r)}`);
  c.run(300);
  assert.equal(c.status('a').role, 'partner');
  const rb = c.read('b', 2);
  assert.ok(ok(rb) && rb.value === 'on-b');
});

test('cas is decided against committed state', () => {
  const c = new Cluster().boot();
  assert.ok(ok(c.call('a', { f: 'cas', block: 3, expected: null, value: 'x' })));
  const miss = c.call('a', { f: 'cas', block: 3, expected: null, value: 'y' });
  assert.ok(miss && !miss.ok && miss.error === 'cas-mismatch' && miss.definite);
  assert.ok(ok(c.call('a', { f: 'cas', block: 3, expected: 'x', value: 'y' })));
  const r = c.read('a', 3);
  assert.ok(ok(r) && r.value === 'y');
});

test('a timer that fires a hair early (ns rounding) does not spin: the lease wait still ends', () => {
  const c = warm(new Cluster());
  c.timerEarlyBy = 1e-7;
  c.partition('a', 'b');
  const w = c.write('a', 1, 'new', 1000);
  assert.ok(ok(w));
});

test('a restarted primary hides its flushed vault pages until b\'s old lease is over or b is resynced (sim register seeds 326, 1112)', () => {
  // a crashes with 'new' durable in its oplog but never sent to b (so never acked). The restart
  // flushes it from the vault to the backend: a now holds 'new', while b still holds a lease
  // granted by a's previous incarnation and 'old' in its cache. Reads of 'new' at a followed by
  // reads of 'old' at b are a stale read (the write took effect, then was undone).
  const c = warm(new Cluster());
  c.holdIf(toB('inval'));
  c.send('a', { f: 'write', block: 1, value: 'new' });
  c.run(3); // the oplog record is durable; the invalidation never reaches b
  c.crash('a');
  c.holdIf(toB('resync')); // b's lease-reqs would make a resync it (which ends its lease) at once
  c.start('a');
  c.run(5);
  const seenAtA: string[] = [];
  const stale: string[] = [];
  const t0 = c.now;
  for (let i = 0; i < 60 && c.now - t0 < 2 * c.params.leaseMs; i++) {
    const ra = c.read('a', 1, 5);
    if (ok(ra) && typeof ra.value === 'string') seenAtA.push(ra.value);
    const rb = c.read('b', 1, 5);
    if (seenAtA.includes('new') && ok(rb) && rb.value === 'old') stale.push(`${c.now}: b read 'old' after a served 'new'`);
    c.run(5);
  }
  assert.deepEqual(stale, []);
  assert.ok(seenAtA.includes('new'), `a serves the flushed page once b's old lease is over: ${JSON.stringify(seenAtA)}`);
  c.holdIf(null);
  c.release();
  c.run(100);
  const after = c.read('b', 1);
  assert.ok(!ok(after) || after.value === 'new', JSON.stringify(after));
});

test('a restarted primary with vault pages serves reads and cas as soon as b has taken its resync', () => {
  const c = warm(new Cluster());
  assert.ok(ok(c.write('a', 1, 'new')));
  c.crash('a'); // before the destage: 'new' is a vault page to flush
  const t0 = c.now;
  c.start('a');
  assert.ok(c.runUntil(() => c.status('a').partner === 'paired', 100), 'b resynced');
  assert.ok(c.now - t0 < c.params.leaseMs / 2, 'well before the old leases run out');
  const r = c.read('a', 1);
  assert.ok(ok(r) && r.value === 'new', JSON.stringify(r));
  const cas = c.call('a', { f: 'cas', block: 1, expected: 'new', value: 'newer' }, 50);
  assert.ok(ok(cas), JSON.stringify(cas));
});

test('a restarted primary decides no cas while b may serve an older value from its cache', () => {
  const c = warm(new Cluster());
  c.holdIf(toB('inval'));
  c.send('a', { f: 'write', block: 1, value: 'new' });
  c.run(3);
  c.crash('a');
  c.holdIf(toB('resync'));
  c.start('a');
  c.runUntil(() => c.status('a').role === 'primary', 50);
  const t0 = c.now;
  const req = c.send('a', { f: 'cas', block: 1, expected: 'old', value: 'x' });
  c.runUntil(() => c.replies.has(req), 1000);
  const rep = c.replies.get(req);
  assert.ok(rep && !rep.ok && rep.error === 'cas-mismatch', JSON.stringify(rep));
  const rb = c.read('b', 1, 5);
  assert.ok(!ok(rb) || rb.value !== 'old', `b still serves 'old' after the mismatch (at +${c.now - t0} ms): ${JSON.stringify(rb)}`);
});
