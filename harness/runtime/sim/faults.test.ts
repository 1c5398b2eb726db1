// The issue-14 faults in the simulator, driven on the world directly with the real node core:
// clock drift, journal corruption, disk errors and netem. For each new bug switch, the fault
// that exposes it is applied, operations run through SimClient into a history, and the checker
// of the broken invariant judges it: it finds the switch, and the same run without the switch
// passes. Coverage marks are counted per node along the way.
import { SIM_LAYOUT } from '../../../nodes/blockstore/system.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cacheInvalidationChecker } from '../../../checkers/cache-invalidation/index.js';
import { durabilityChecker } from '../../../checkers/durability/index.js';
import { drPrefixChecker } from '../../../checkers/dr-prefix/index.js';
import { convergenceChecker } from '../../../checkers/convergence/index.js';
import { createNode } from '../../../nodes/blockstore/core/index.js';
import { CLOCK_DRIFT_BOUND, MARKS, type BugSwitch, type NodeName, type NodeParams } from '../../../nodes/blockstore/core/types.js';
import { Rng } from '../../../ground/rng.js';
import { Recorder, client, finalReads, sleep } from './testkit.js';
import { SimWorld, drawClockRate, drawSimParams } from './world.js';
import { DEFAULT_NET, drawNetParams } from './network.js';

const PARAMS: NodeParams = {
  blocks: 16, maxValueBytes: 64, leaseMs: 400, takeoverMs: 1000, heartbeatMs: 100,
  barrierMs: 200, barrierWrites: 32, journalCapacity: 1024, retryMs: 100,
};

function world(bugs: BugSwitch[], seed = 1, params: Partial<NodeParams> = {}): SimWorld {
  const w = new SimWorld({ seed, nodes: ['a', 'b', 'dr'], bugs, params: { ...PARAMS, ...params }, createCore: createNode, layout: SIM_LAYOUT });
  for (const n of ['a', 'b', 'dr'] as const) w.start(n);
  return w;
}

// ---- clock drift: lease-ignores-drift ---------------------------------------------------------

/** b caches block 0 under a long lease; clocks drift apart within the stated bound (a fast,
 *  b slow); a-b is cut both ways and a overwrites block 0 while b keeps serving it. */
async function driftRun(bugs: BugSwitch[]) {
  const w = world(bugs, 7, { leaseMs: 1500, takeoverMs: 3000 });
  const rec = new Recorder(w);
  const a = client(w, 'a');
  const b = client(w, 'b');
  await sleep(w, 300);
  assert.equal((await rec.write(a, 1, 0, 'v1')).status, 'ok');
  await sleep(w, 900); // destaged: b learns the location and caches it
  // Rates a/b = 1.08/0.92 = 1.174: inside CLOCK_DRIFT_BOUND (1.2), so no switch must pass.
  assert.ok(1.08 / 0.92 < 1 + CLOCK_DRIFT_BOUND);
  w.skewClock('a', 0, 1.08);
  w.skewClock('b', 0, 0.92);
  await sleep(w, 500); // b renews its lease at the skewed rates
  const cached = await rec.read(b, 2, 0);
  assert.equal(cached.status === 'ok' && cached.source, 'cache', 'b serves block 0 from its cache before the cut');
  w.net.cut('a', 'b');
  w.net.cut('b', 'a');
  const writer = rec.write(a, 1, 0, 'v2');
  const reader = (async () => {
    for (let i = 0; i < 120; i++) { await rec.read(b, 2, 0); await sleep(w, 20); }
  })();
  const wr = await writer;
  await reader;
  w.net.healAll();
  w.healInjected();
  return { w, rec, wr };
}

test('clock drift within the bound: no switch, b stops serving before a acks without it; lease-ignores-drift: stale cache reads', async () => {
  const good = await driftRun([]);
  assert.equal(good.wr.status, 'ok', 'a acks the overwrite once b cannot serve any more');
  const gv = await good.rec.check(cacheInvalidationChecker);
  assert.equal(gv.valid, true, JSON.stringify(gv.anomalies.slice(0, 2)));
  const gm = good.w.marks('b');
  assert.ok(gm['lease-drift-margin'] > 0, 'b refused reads inside the drift margin');
  assert.ok(gm['partner-cache-hit'] > 0);
  assert.ok(good.w.marks('a')['lease-wait'] > 0, 'a waited out the lease');

  const bad = await driftRun(['lease-ignores-drift']);
  assert.equal(bad.wr.status, 'ok');
  const bv = await bad.rec.check(cacheInvalidationChecker);
  assert.equal(bv.valid, false, 'the cache checker finds the switch');
  assert.ok(bv.anomalies.some((x) => x.kind === 'stale-cache-read'), JSON.stringify(bv.anomalies.slice(0, 1)));
});

test('clock: a rate change keeps a node clock continuous and re-arms its timers; offsets apply at the next start', async () => {
  const w = world([], 3);
  await sleep(w, 100);
  const before = w.clockOf('a');
  w.skewClock('a', 5000, 2);
  assert.ok(Math.abs(w.clockOf('a') - before) < 1e-9, 'no step at a rate change');
  await sleep(w, 100);
  assert.ok(Math.abs(w.clockOf('a') - (before + 200)) < 1e-6, 'the clock runs at twice the rate');
  w.crash('a', 'process');
  w.start('a');
  assert.ok(w.clockOf('a') > w.sched.now() / 1e6 + 4999, 'a new life reads the offset clock');
  // Heartbeats run on a's clock: twice as many per virtual second.
  w.healInjected();
  assert.ok(Math.abs(w.clockOf('a') - w.clockOf('a')) < 1e-9);
  const rng = new Rng(1);
  for (let i = 0; i < 200; i++) {
    const x = drawClockRate(rng);
    const y = drawClockRate(rng);
    assert.ok(Math.max(x, y) / Math.min(x, y) <= 1 + CLOCK_DRIFT_BOUND, 'drawn rates stay within the bound');
  }
});

// ---- journal corruption: trust-journal --------------------------------------------------------

/** dr cut off while barriers pile up in a's journal; a bit of an entry flips; a restarts (a
 *  process kill: nothing else lost) and ships to dr again once healed. */
async function corruptRun(bugs: BugSwitch[], how: 'flip' | 'torn') {
  const w = world(bugs, 11);
  const rec = new Recorder(w);
  const a = client(w, 'a');
  const dr = client(w, 'dr');
  await sleep(w, 300);
  // dr joins a's journal lineage first, so the fallback is a bitmap (not a full) resync.
  for (let i = 0; i < 8; i++) await rec.write(a, 1, i, `pre${i}`);
  await sleep(w, 500);
  w.net.cut('a', 'dr');
  w.net.cut('dr', 'a');
  for (let i = 0; i < 40; i++) await rec.write(a, 1, i % PARAMS.blocks, `w${i}`);
  await sleep(w, 300); // the open barrier closes
  const what = w.corruptJournal('a', how);
  assert.ok(what, 'there was an entry to corrupt');
  w.crash('a', 'process');
  w.start('a');
  w.net.healAll();
  rec.healed();
  await finalReads(w, rec, PARAMS.blocks);
  for (let i = 0; i < 60; i++) {
    const st = await rec.drStatus(dr, 3);
    await rec.drSnapshot(dr, 3);
    if (st.status === 'ok' && st.info.consistent && (st.info.cut ?? 0) >= 1_000_047) break;
    await sleep(w, 100);
  }
  return { w, rec };
}

test('journal corruption (flipped bit): detected at restart, dr resynced from the bitmap; trust-journal ships the corrupt entry', async () => {
  const good = await corruptRun([], 'flip');
  assert.ok(good.w.marks('a')['journal-corruption-detected'] > 0);
  assert.ok(good.w.marks('a')['bitmap-resync-started'] > 0, 'dr gets a bitmap resync');
  for (const c of [drPrefixChecker, convergenceChecker, durabilityChecker]) {
    const v = await good.rec.check(c);
    assert.equal(v.valid, true, JSON.stringify(v.anomalies.slice(0, 2) ?? v.reason));
  }
  const bad = await corruptRun(['trust-journal'], 'flip');
  assert.equal(bad.w.marks('a')['journal-corruption-detected'], 0);
  const pv = await bad.rec.check(drPrefixChecker);
  const cv = await bad.rec.check(convergenceChecker);
  assert.ok(pv.valid === false || cv.valid === false, 'dr-prefix or convergence finds the switch');
});

test('journal corruption (torn last record): detected, dr still converges', async () => {
  const good = await corruptRun([], 'torn');
  assert.ok(good.w.marks('a')['journal-corruption-detected'] > 0);
  for (const c of [drPrefixChecker, convergenceChecker]) {
    const v = await good.rec.check(c);
    assert.equal(v.valid, true, JSON.stringify(v.anomalies.slice(0, 2)));
  }
});

// ---- disk errors: ack-after-failed-fsync ------------------------------------------------------

/** a's local fsyncs fail (EIO) while it takes writes; then a loses power and restarts at once
 *  (before b could take over), so only what reached a's disk survives on a. */
async function diskRun(bugs: BugSwitch[]) {
  const w = world(bugs, 5);
  const rec = new Recorder(w);
  const a = client(w, 'a');
  await sleep(w, 300);
  for (let i = 0; i < 4; i++) await rec.write(a, 1, i, `base${i}`);
  await sleep(w, 100);
  w.diskErrors('a', { op: 'fsync', code: 'EIO', count: 1_000_000, volume: 'local' });
  const outcomes = [];
  for (let i = 0; i < 4; i++) outcomes.push((await rec.write(a, 1, i, `lost${i}`)).status);
  w.crash('a', 'power');
  w.diskErrors('a', null);
  w.start('a');
  rec.healed();
  await sleep(w, 500);
  await finalReads(w, rec, 4);
  return { w, rec, outcomes };
}

test('disk errors (EIO on fsync): no switch, nothing unsynced is acked; ack-after-failed-fsync loses acked writes', async () => {
  const good = await diskRun([]);
  // Every local fsync of a fails: the writes are written again and again, never acked.
  assert.ok(good.outcomes.every((s) => s === 'info'), `writes whose fsync failed are not acked, got ${good.outcomes}`);
  assert.ok(good.w.marks('a')['disk-error-write-retried'] >= 4, JSON.stringify(good.w.marks('a')));
  const gv = await good.rec.check(durabilityChecker);
  assert.equal(gv.valid, true, JSON.stringify(gv.anomalies.slice(0, 2) ?? gv.reason));

  const bad = await diskRun(['ack-after-failed-fsync']);
  assert.ok(bad.outcomes.every((s) => s === 'ok'), `the switch acks them, got ${bad.outcomes}`);
  const bv = await bad.rec.check(durabilityChecker);
  assert.equal(bv.valid, false, 'durability finds the switch');
});

test('disk errors: failed bookkeeping fsyncs and appends are retried, so the cluster keeps working and dr converges', async () => {
  const w = world([], 9);
  const rec = new Recorder(w);
  const a = client(w, 'a');
  const dr = client(w, 'dr');
  await sleep(w, 300);
  w.diskErrors('dr', { op: 'fsync', code: 'ENOSPC', count: 3 });
  w.diskErrors('a', { op: 'append', code: 'EIO', rate: 0.05 });
  for (let i = 0; i < 60; i++) await rec.write(a, 1, i % PARAMS.blocks, `x${i}`);
  w.healInjected();
  rec.healed();
  await finalReads(w, rec, PARAMS.blocks);
  for (let i = 0; i < 60; i++) {
    const st = await rec.drStatus(dr, 3);
    await rec.drSnapshot(dr, 3);
    if (st.status === 'ok' && st.info.consistent && (st.info.cut ?? 0) >= (await a.status() as { info?: { version: number } }).info!.version) break;
    await sleep(w, 100);
  }
  assert.ok(w.marks('dr')['disk-error-retried'] >= 3, JSON.stringify(w.marks('dr')));
  assert.ok(w.marks('a')['disk-error-write-retried'] > 0, JSON.stringify(w.marks('a')));
  for (const c of [durabilityChecker, drPrefixChecker, convergenceChecker]) {
    const v = await rec.check(c);
    assert.equal(v.valid, true, `${JSON.stringify(v.anomalies.slice(0, 2))} ${v.reason ?? ''}`);
  }
});

// ---- netem and per-seed parameters ------------------------------------------------------------

test('netem: delay, duplication, loss and reordering on one link; healAll clears it; the cluster stays correct', async () => {
  const w = world([], 21);
  const rec = new Recorder(w);
  const a = client(w, 'a');
  const b = client(w, 'b');
  await sleep(w, 300);
  w.netem('a', 'b', { delayMs: 20, jitterMs: 15, dupP: 0.3, lossP: 0.05, reorderP: 0.25 });
  w.netem('b', 'a', { delayMs: 5, dupP: 0.3 });
  assert.throws(() => w.netem('a', 'dr', { lossP: 2 }), /lossP/);
  for (let i = 0; i < 40; i++) {
    await rec.write(a, 1, i % 8, `n${i}`);
    await rec.read(b, 2, i % 8);
  }
  assert.equal(w.net.activeNetem().length, 2);
  w.net.healAll();
  assert.equal(w.net.activeNetem().length, 0);
  rec.healed();
  await finalReads(w, rec, 8);
  for (const c of [cacheInvalidationChecker, durabilityChecker]) {
    const v = await rec.check(c);
    assert.equal(v.valid, true, JSON.stringify(v.anomalies.slice(0, 2)));
  }
});

test('per-seed network and disk parameters: drawn from the seed, deterministic, within sane ranges', () => {
  const x = drawSimParams(5);
  assert.deepEqual(drawSimParams(5), x);
  assert.notDeepEqual(drawSimParams(6), x);
  const rng = new Rng(2);
  for (let i = 0; i < 100; i++) {
    const p = drawNetParams(rng);
    assert.ok(p.minDelayMs > 0 && p.maxDelayMs > p.minDelayMs && p.dropP < 0.05 && p.reorderP <= 0.1);
  }
  assert.deepEqual(Object.keys(x.net).sort(), Object.keys(DEFAULT_NET).sort());
});

test('coverage marks: every name is a known mark, counted per node, summed over the cluster', async () => {
  const w = world([], 2);
  const a = client(w, 'a');
  await sleep(w, 300);
  for (let i = 0; i < 10; i++) await a.write(i, `m${i}`);
  await sleep(w, 600);
  const all = w.marks();
  assert.deepEqual(Object.keys(all).sort(), [...MARKS].sort());
  assert.ok(all['barrier-applied'] > 0);
  assert.equal(all['barrier-applied'], w.marks('dr')['barrier-applied']);
  assert.equal(w.marks('a')['barrier-applied'], 0);
});
