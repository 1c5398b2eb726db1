// Mech 4 (oplog index replication), mech 5 (vault flush), fsync before ack, takeover + rejoin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from './testing/cluster.js';
import type { ClientReply } from './types.js';

const ok = (r: ClientReply | null): r is Extract<ClientReply, { ok: true }> => !!r && r.ok;

/** Restarts `node` and waits until it serves reads (as whatever role it comes back in). */
function restart(c: Cluster, node: 'a' | 'b', ms = 300): void {
  c.start(node);
  c.run(ms);
}

test('crash before the oplog fsync: the write was never acked (and may be gone)', () => {
  const c = new Cluster().boot();
  c.ioDelay = 5;
  const req = c.send('a', { f: 'write', block: 1, value: 'v' });
  c.run(2); // the append is issued, the fsync has not completed
  assert.equal(c.replies.has(req), false);
  c.crash('a');
  restart(c, 'a');
  const r = c.read('a', 1);
  assert.ok(ok(r)); // either outcome is fine for an unacked write
});

test('crash after the oplog fsync: the acked write survives the restart (vault flushed before serving)', () => {
  const c = new Cluster().boot();
  const reqs = [0, 1, 2, 3].map((i) => c.send('a', { f: 'write', block: i, value: `v${i}` }));
  c.runUntil(() => reqs.every((r) => c.replies.has(r)), 500);
  for (const r of reqs) assert.ok(ok(c.replies.get(r)!));
  c.crash('a'); // right at the acks: nothing destaged yet
  assert.equal(c.records('backend', 'data.a').length, 0);
  restart(c, 'a');
  assert.equal(c.status('a').role, 'primary');
  for (let i = 0; i < 4; i++) {
    const r = c.read('a', i);
    assert.ok(ok(r) && r.value === `v${i}`, `block ${i}: ${JSON.stringify(r)}`);
  }
  assert.equal(c.records('backend', 'data.a').length, 4, 'the vault went to the backend');
});

test('bug ack-before-fsync: a crash that drops the unsynced tail loses an acked write', () => {
  const c = Cluster.withBugs(['ack-before-fsync']).boot();
  c.ioDelayOf.a = 20; // a's oplog fsync is slow; b confirms long before it completes
  const w = c.write('a', 1, 'lost');
  assert.ok(ok(w), 'acked');
  c.crash('a');
  restart(c, 'a');
  const r = c.read('a', 1);
  assert.ok(ok(r));
  assert.equal(r.value, null, 'the acked write is gone');
});

test('bug vault-no-flush: a restart serves from the backend and loses the dirty pages', () => {
  const c = Cluster.withBugs(['vault-no-flush']).boot();
  assert.ok(ok(c.write('a', 1, 'dirty')));
  c.crash('a');
  restart(c, 'a');
  const r = c.read('a', 1);
  assert.ok(ok(r));
  assert.equal(r.value, null, 'served before flushing the vault');
});

test('takeover: b serves every acked write, including undestaged ones, via the replicated index', () => {
  const c = new Cluster().boot();
  assert.ok(ok(c.write('a', 0, 'destaged')));
  c.run(50);
  const acked: [number, string][] = [];
  for (let i = 1; i < 6; i++) { assert.ok(ok(c.write('a', i, `w${i}`))); acked.push([i, `w${i}`]); }
  c.crash('a');
  c.run(c.params.takeoverMs + 100);
  const st = c.status('b');
  assert.equal(st.role, 'primary');
  assert.equal(st.epoch, 2);
  for (const [block, value] of [[0, 'destaged'] as [number, string], ...acked]) {
    const r = c.read('b', block);
    assert.ok(ok(r) && r.value === value, `block ${block}: ${JSON.stringify(r)}`);
  }
  // a returns, finds the newer epoch and rejoins as partner; b resyncs it.
  restart(c, 'a', 400);
  assert.equal(c.status('a').role, 'partner');
  assert.equal(c.status('b').partner, 'paired');
  assert.ok(ok(c.write('b', 7, 'after')));
  c.run(60);
  const ra = c.read('a', 7);
  assert.ok(ok(ra) && ra.value === 'after' && ra.source === 'cache', JSON.stringify(ra));
  // ... and can take over in turn.
  c.crash('b');
  c.run(c.params.takeoverMs + 200);
  assert.equal(c.status('a').role, 'primary');
  for (const [block, value] of [...acked, [7, 'after'] as [number, string]]) {
    const r = c.read('a', block);
    assert.ok(ok(r) && r.value === value, `block ${block} after second takeover: ${JSON.stringify(r)}`);
  }
});

test('bug no-index-replication: b takes over without the undestaged acked writes', () => {
  const c = Cluster.withBugs(['no-index-replication']).boot();
  assert.ok(ok(c.write('a', 1, 'undestaged')));
  c.crash('a');
  c.run(c.params.takeoverMs + 100);
  assert.equal(c.status('b').role, 'primary');
  const r = c.read('b', 1);
  assert.ok(ok(r));
  assert.equal(r.value, null, 'the acked write is lost');
});

test('b restarts: a notices, re-fences, resyncs it; no acked write is lost', () => {
  const c = new Cluster().boot();
  assert.ok(ok(c.write('a', 1, 'x')));
  c.crash('b');
  assert.ok(ok(c.write('a', 2, 'y', 1000)));
  restart(c, 'b');
  assert.equal(c.status('a').partner, 'paired');
  assert.ok(ok(c.write('a', 3, 'z')));
  c.crash('a');
  c.run(c.params.takeoverMs + 100);
  for (const [block, value] of [[1, 'x'], [2, 'y'], [3, 'z']] as const) {
    const r = c.read('b', block);
    assert.ok(ok(r) && r.value === value, `block ${block}: ${JSON.stringify(r)}`);
  }
});

test('a resync whose ack is lost: b may be in sync in a\'s epoch, so a re-fences before acking solo', () => {
  // Found by the sim (failover seed 1195): b restarts, a resyncs it, b makes the snapshot
  // durable (in sync at a's epoch) but its ack is cut. a must not keep acking solo in that
  // epoch: b may claim the next one and take over without those writes.
  const c = new Cluster().boot();
  c.crash('b');
  assert.ok(ok(c.write('a', 1, 'solo-1', 1000)));
  c.holdIf((m) => m.from === 'b' && m.msg.kind === 'resync-ack');
  c.start('b');
  c.runUntil(() => c.held.length > 0, 500); // the snapshot is durable on b; its ack never arrives
  assert.equal(c.status('b').synced, true);
  c.partition('a', 'b');
  c.holdIf(null);
  c.held = [];
  c.run(3 * c.params.retryMs); // a gives up on the resync
  const acked: [number, string][] = [[1, 'solo-1']];
  const r2 = c.write('a', 2, 'solo-2', 100);
  if (ok(r2)) acked.push([2, 'solo-2']);
  c.run(c.params.takeoverMs + 100); // long enough for b to take over, were it allowed to
  const r3 = c.write('a', 3, 'solo-3', 100); // a, still cut off, must not ack this in a lost epoch
  if (ok(r3)) acked.push([3, 'solo-3']);
  c.run(c.params.takeoverMs);
  c.healAll();
  c.run(c.params.takeoverMs);
  const primary = c.status('a').role === 'primary' ? 'a' : 'b';
  for (const [block, value] of acked) {
    const r = c.read(primary, block);
    assert.ok(ok(r) && r.value === value, `block ${block} on ${primary}: ${JSON.stringify(r)}`);
  }
});

test('a mirror entry a resync superseded is not flushed from b\'s vault later (sim dr seed 531)', () => {
  // a crashes with a write whose oplog record is not yet durable but whose invalidation b
  // already mirrored. a restarts without it, serves the old value and resyncs b (a 'reset' in
  // b's oplog). Later b owns the volume and restarts: its vault flush must start at the reset,
  // or the dropped write comes back with an epoch-1 version below writes committed since
  // (dr's images at those later cuts then lack it: a torn dr image).
  const c = new Cluster().boot();
  assert.ok(ok(c.write('a', 1, 'old')));
  c.run(60);
  c.ioDelayOf.a = 10; // a's oplog fsync is slow; b mirrors the entry at once
  c.send('a', { f: 'write', block: 1, value: 'dropped' });
  c.run(4);
  assert.ok(c.records('b', 'oplog').some((r) => (r as { value?: string }).value === 'dropped'), 'b mirrored it');
  c.crash('a');
  delete c.ioDelayOf.a;
  restart(c, 'a');
  assert.equal(c.status('a').partner, 'paired');
  const atA = c.read('a', 1);
  assert.ok(ok(atA) && atA.value === 'old', JSON.stringify(atA));
  assert.ok(ok(c.write('a', 2, 'later')));
  c.crash('a');
  c.run(c.params.takeoverMs + 100);
  assert.equal(c.status('b').role, 'primary');
  c.crash('b');
  restart(c, 'b');
  assert.equal(c.status('b').role, 'primary');
  const r = c.read('b', 1);
  assert.ok(ok(r) && r.value === 'old', `the dropped write came back: ${JSON.stringify(r)}`);
  const r2 = c.read('b', 2);
  assert.ok(ok(r2) && r2.value === 'later', JSON.stringify(r2));
});
