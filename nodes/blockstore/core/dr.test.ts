// Mech 2 (bitmap resync), 3 (whole barriers, metadata-only entries), 6 (restore), 7 (async
// shipping), 8 (promote), with the dr-side bug switches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, TEST_PARAMS, type Msg } from './testing/cluster.js';
import { Model, values } from './testing/model.js';
import type { BugSwitch, ClientReply, DrImage, NodeParams } from './types.js';

const ok = (r: ClientReply | null): r is Extract<ClientReply, { ok: true }> => !!r && r.ok;

function cluster(bugs: BugSwitch[] = [], params: Partial<NodeParams> = {}): Cluster {
  return Cluster.withBugs(bugs, { ...TEST_PARAMS, ...params }).boot();
}

/** Issues the writes together and waits for every ack. */
function writeAll(c: Cluster, m: Model, writes: [number, string][]): void {
  const reqs = writes.map(([block, value]) => c.send('a', { f: 'write', block, value }));
  c.runUntil(() => reqs.every((r) => c.replies.has(r)), 2000);
  reqs.forEach((r, i) => {
    const rep = c.replies.get(r) ?? null;
    assert.ok(ok(rep), `write ${i}: ${JSON.stringify(rep)}`);
    m.note(writes[i][0], writes[i][1], rep);
  });
}

function snapshot(c: Cluster): DrImage {
  const r = c.call('dr', { f: 'dr-snapshot' });
  assert.ok(ok(r) && r.image);
  return r.image;
}

function restore(c: Cluster, barrier: number): DrImage {
  const r = c.call('dr', { f: 'dr-restore', barrier });
  assert.ok(ok(r) && r.image, JSON.stringify(r));
  return r.image;
}

const series = (n: number, prefix: string, from = 0): [number, string][] =>
  Array.from({ length: n }, (_, i) => [(from + i) % TEST_PARAMS.blocks, `${prefix}${i}`]);

test('dr applies whole barriers; every applied barrier restores to the primary image at its cut', () => {
  const c = cluster();
  const m = new Model();
  const barriers: number[] = [];
  for (let round = 0; round < 5; round++) {
    writeAll(c, m, series(6, `r${round}-`, round * 3));
    c.run(120);
    barriers.push(snapshot(c).barrier);
  }
  const snap = snapshot(c);
  assert.ok(snap.consistent);
  assert.deepEqual(values(snap), m.latest(), 'dr converged');
  for (let b = 1; b <= snap.barrier; b++) {
    const img = restore(c, b);
    assert.ok(img.consistent);
    assert.deepEqual(values(img), m.imageAt(img.cut), `barrier ${b} (cut ${img.cut})`);
  }
  const missing = c.call('dr', { f: 'dr-restore', barrier: snap.barrier + 100 });
  assert.ok(missing && !missing.ok && missing.error === 'bad-barrier');
});

/** A barrier of 12 entries travels as two parts; part 0 is held back. */
function tornAttempt(bugs: BugSwitch[]): { before: DrImage; during: DrImage; after: DrImage; m: Model } {
  const c = cluster(bugs, { barrierWrites: 12, barrierMs: 10_000 });
  const m = new Model();
  const before = snapshot(c);
  c.holdIf((x: Msg) => x.to === 'dr' && x.msg.kind === 'jchunk' && x.msg.part === 0);
  writeAll(c, m, series(12, 'x'));
  c.run(15);
  const during = snapshot(c);
  c.holdIf(null);
  c.release();
  c.run(100);
  return { before, during, after: snapshot(c), m };
}

test('torn barrier attempt: with part 0 missing, dr applies nothing of the barrier', () => {
  const { before, during, after, m } = tornAttempt([]);
  assert.deepEqual(values(during), values(before));
  assert.equal(during.barrier, before.barrier);
  assert.deepEqual(values(after), m.latest());
});

test('bug torn-barrier: dr\'s image holds part of a barrier, matching no version cut', () => {
  const { during, m } = tornAttempt(['torn-barrier']);
  const img = values(during);
  assert.ok(Object.keys(img).length > 0, 'entries applied before the barrier was whole');
  const matchesSomeCut = [0, ...m.writes.map((w) => w.v)].some((v) => JSON.stringify(m.imageAt(v)) === JSON.stringify(img));
  assert.equal(matchesSomeCut, false, 'a torn image equals no prefix of the primary');
  assert.notDeepEqual(img, m.imageAt(during.cut), 'and not the cut it reports');
});

test('journal loss then bitmap resync: dr is inconsistent during the resync, converged after', () => {
  const c = cluster();
  const m = new Model();
  writeAll(c, m, series(6, 'a'));
  c.run(120);
  c.partition('a', 'dr');
  writeAll(c, m, series(10, 'b', 3));
  assert.ok(ok(c.call('a', { f: 'lose-journal' })));
  writeAll(c, m, series(3, 'c', 8));
  c.holdIf((x) => x.to === 'dr' && x.msg.kind === 'rs-close');
  c.healAll();
  c.run(100);
  const mid = c.status('dr');
  assert.equal(mid.consistent, false, 'inconsistent while the resync runs');
  assert.equal((mid.resync as { active: boolean }).active, true);
  c.holdIf(null);
  c.release();
  c.run(200);
  const snap = snapshot(c);
  assert.ok(snap.consistent);
  assert.deepEqual(values(snap), m.latest());
  assert.deepEqual(values(restore(c, snap.barrier)), m.imageAt(snap.cut));
});

test('journal overflow during a long dr partition falls back to the bitmap and converges', () => {
  const c = cluster([], { journalCapacity: 12 });
  const m = new Model();
  c.partition('a', 'dr');
  for (let i = 0; i < 5; i++) writeAll(c, m, series(5, `o${i}-`, i * 2));
  assert.ok(c.logs.some((l) => l.includes('journal overflowed')), 'overflowed');
  c.healAll();
  c.run(300);
  const snap = snapshot(c);
  assert.ok(snap.consistent);
  assert.deepEqual(values(snap), m.latest());
});

/** Writes while dr is cut off, destaged; crash a (losing unsynced records), restart, lose the journal. */
function crashThenResync(bugs: BugSwitch[], loseJournal = true): { snap: DrImage; m: Model; c: Cluster } {
  const c = cluster(bugs);
  const m = new Model();
  writeAll(c, m, series(4, 'a'));
  c.run(120);
  c.partition('a', 'dr');
  writeAll(c, m, series(6, 'b', 4));
  c.run(50); // destaged: the vault no longer names these blocks, only the bitmap does
  c.crash('a');
  c.start('a');
  c.run(300);
  assert.equal(c.status('a').role, 'primary');
  if (loseJournal) assert.ok(ok(c.call('a', { f: 'lose-journal' })));
  c.healAll();
  c.run(400);
  return { snap: snapshot(c), m, c };
}

test('a crash that loses the journal\'s unsynced tail is healed by a bitmap resync', () => {
  const { snap, m, c } = crashThenResync([], false);
  assert.ok(c.logs.some((l) => l.includes('unsynced tail was lost')), 'the journal was found incomplete');
  assert.ok(snap.consistent);
  assert.deepEqual(values(snap), m.latest());
});

test('dr restarts: its barrier history survives and it keeps applying', () => {
  const c = cluster();
  const m = new Model();
  writeAll(c, m, series(6, 'x'));
  c.run(120);
  const before = snapshot(c);
  c.crash('dr');
  c.start('dr');
  writeAll(c, m, series(6, 'y', 3));
  c.run(200);
  const after = snapshot(c);
  assert.ok(after.barrier > before.barrier);
  assert.deepEqual(values(after), m.latest());
  assert.deepEqual(values(restore(c, before.barrier)), values(before));
});

test('crash then resync: the persistent bitmap still names every changed block', () => {
  const { snap, m } = crashThenResync([]);
  assert.ok(snap.consistent);
  assert.deepEqual(values(snap), m.latest());
});

test('bug volatile-bitmap: after a crash the resync misses blocks and dr never converges', () => {
  const { snap, m } = crashThenResync(['volatile-bitmap']);
  assert.equal(snap.consistent, true, 'dr believes it is consistent');
  assert.notDeepEqual(values(snap), m.latest(), 'yet it differs from the primary');
});

/** dr is cut off while 12 writes pile up (past half of journalCapacity=16, so the last entries
 *  are metadata-only); block 0 is written again later so its data belongs to a later barrier. */
function metadataOnly(bugs: BugSwitch[]): { c: Cluster; m: Model; images: DrImage[] } {
  const c = cluster(bugs, { journalCapacity: 16, barrierWrites: 4 });
  const m = new Model();
  c.partition('a', 'dr');
  writeAll(c, m, series(8, 'm'));
  writeAll(c, m, [[8, 'm8'], [0, 'again'], [9, 'm9'], [10, 'm10']]);
  writeAll(c, m, [[11, 'm11'], [0, 'third'], [12, 'm12'], [13, 'm13']]);
  c.healAll();
  const images: DrImage[] = [];
  for (let i = 0; i < 40; i++) { c.run(10); images.push(snapshot(c)); }
  return { c, m, images };
}

test('metadata-only entries: a reads the address, dr is consistent only at the interval end', () => {
  const { c, m, images } = metadataOnly([]);
  assert.ok(images.some((img) => !img.consistent), 'some barrier landed inside an interval');
  for (const img of images) if (img.consistent) assert.deepEqual(values(img), m.imageAt(img.cut), `consistent image at ${img.barrier}`);
  const last = snapshot(c);
  assert.ok(last.consistent);
  assert.deepEqual(values(last), m.latest());
});

test('bug skip-missing-data: metadata-only entries arrive without data and dr diverges', () => {
  const { c, m } = metadataOnly(['skip-missing-data']);
  const last = snapshot(c);
  assert.equal(last.consistent, true);
  assert.notDeepEqual(values(last), m.latest());
});

test('dr shipping is asynchronous: writes are acked while dr is unreachable', () => {
  const c = cluster();
  c.partition('a', 'dr');
  const t0 = c.now;
  assert.ok(ok(c.write('a', 1, 'x')));
  assert.ok(c.now - t0 < 10);
});

test('bug sync-dr-journal: the ack waits for dr (no ack while dr is unreachable, slower when it is)', () => {
  const fast = cluster();
  const slow = cluster(['sync-dr-journal']);
  for (const c of [fast, slow]) c.netDelay = 5;
  const t0 = fast.now;
  assert.ok(ok(fast.write('a', 1, 'x')));
  const fastMs = fast.now - t0;
  const t1 = slow.now;
  assert.ok(ok(slow.write('a', 1, 'x')));
  const slowMs = slow.now - t1;
  assert.ok(slowMs > fastMs, `sync dr ${slowMs} ms vs async ${fastMs} ms`);
  slow.partition('a', 'dr');
  const w = slow.write('a', 2, 'y', 500);
  assert.equal(w, null, 'no ack without dr');
});

test('promote after site loss: dr serves its latest consistent image and takes writes', () => {
  const c = cluster();
  const m = new Model();
  writeAll(c, m, series(8, 'p'));
  c.run(150);
  const snap = snapshot(c);
  c.destroy('a');
  c.destroy('b');
  const p = c.call('dr', { f: 'promote' });
  assert.ok(ok(p), JSON.stringify(p));
  assert.equal(c.status('dr').role, 'primary');
  for (const [block, value] of Object.entries(values(snap))) {
    const r = c.read('dr', Number(block));
    assert.ok(ok(r) && r.value === value);
  }
  const w = c.write('dr', 0, 'new-site');
  assert.ok(ok(w) && typeof w.version === 'number' && w.version > snap.cut);
  c.crash('dr');
  c.start('dr');
  c.run(50);
  const r = c.read('dr', 0);
  assert.ok(ok(r) && r.value === 'new-site', JSON.stringify(r));
});

test('dr restarting in the middle of a resync does not claim the half-applied image consistent', () => {
  const c = cluster();
  const m = new Model();
  writeAll(c, m, series(6, 'x'));
  c.run(120);
  c.partition('a', 'dr');
  writeAll(c, m, series(12, 'y', 2));
  assert.ok(ok(c.call('a', { f: 'lose-journal' })));
  c.holdIf((x) => x.to === 'dr' && x.msg.kind === 'rs-close');
  c.healAll();
  c.run(60);
  c.crash('dr');
  c.holdIf(null);
  c.held = [];
  c.start('dr');
  assert.equal(c.status('dr').consistent, false);
  c.run(300);
  const snap = snapshot(c);
  assert.ok(snap.consistent);
  assert.deepEqual(values(snap), m.latest());
});

test('a resync cut short by a takeover is not completed with the new primary\'s parts', () => {
  // No barrier closes, so a's resync and b's (after takeover) both take barrier id 1.
  const c = cluster([], { barrierMs: 10_000, barrierWrites: 100 });
  const m = new Model();
  c.partition('a', 'dr');
  writeAll(c, m, series(14, 'x'));
  assert.ok(ok(c.call('a', { f: 'lose-journal' })));
  c.holdIf((x) => x.from === 'a' && x.to === 'dr' && x.msg.kind === 'rs-close');
  c.healAll();
  c.run(30); // dr holds a's resync chunks, never its close
  writeAll(c, m, series(14, 'y'));
  c.crash('a');
  c.run(c.params.takeoverMs + 300);
  assert.equal(c.status('b').role, 'primary');
  const snap = snapshot(c);
  assert.ok(snap.consistent, JSON.stringify(c.status('dr')));
  assert.deepEqual(values(snap), m.latest());
});

test('a barrier still on its way when a resync starts does not overwrite the resync\'s newer data', () => {
  const c = cluster();
  const m = new Model();
  writeAll(c, m, series(4, 'old'));
  c.run(120);
  const toDr = (x: Msg) => x.to === 'dr';
  c.holdIf(toDr);
  writeAll(c, m, [[1, 'mid'], [2, 'f1'], [3, 'f2'], [5, 'f3']]); // closes a barrier, held
  writeAll(c, m, [[1, 'new']]);
  assert.ok(ok(c.call('a', { f: 'lose-journal' })));
  c.run(5);
  c.holdIf(null);
  const kind = (k: string) => (x: Msg) => x.to === 'dr' && x.msg.kind === k;
  c.release(kind('rs-chunk'));
  c.run(5);
  c.release((x) => x.to === 'dr' && (x.msg.kind === 'jchunk' || x.msg.kind === 'jclose'));
  c.run(5);
  c.release();
  c.run(200);
  const snap = snapshot(c);
  assert.ok(snap.consistent);
  assert.deepEqual(values(snap), m.latest());
});

/** Lets dr's first state report through and holds every later one (they queued while dr was paused). */
function holdLateDrStates(c: Cluster): void {
  let first = true;
  c.holdIf((x) => {
    if (x.from !== 'dr' || x.msg.kind !== 'dr-state') return false;
    if (!first) return true;
    first = false;
    return false;
  });
}

/** Delivers the held late reports, then checks they started no second resync and dr stays consistent and current. */
function releaseAndExpectOneResync(c: Cluster, m: Model, resyncs: () => number): void {
  c.holdIf(null);
  c.release();
  const images: DrImage[] = [];
  for (let i = 0; i < 20; i++) { c.run(10); images.push(snapshot(c)); }
  assert.equal(resyncs(), 1, `one resync, not one per stale report: ${c.logs.filter((l) => l.includes('resync of dr')).join(' | ')}`);
  for (const img of images) assert.ok(img.consistent, `dr stays consistent after its resync (barrier ${img.barrier})`);
  assert.deepEqual(values(images[images.length - 1]), m.latest());
}

test('a late dr-state from before a resync\'s ack does not start another resync (sim register seed 19)', () => {
  // dr is paused while a restarts without its journal's tail: the new incarnation knows nothing
  // of dr and probes it every retryMs, and each probe waits at dr. Once dr resumes it answers
  // them all with its old barrier; one answer is delivered at once (a starts the bitmap resync
  // from it), the others only after dr has acked the resync.
  const c = cluster();
  const m = new Model();
  writeAll(c, m, series(4, 'a'));
  c.run(120);
  c.pause('dr');
  writeAll(c, m, series(6, 'b', 4));
  c.run(50);
  c.crash('a');
  c.start('a');
  c.run(300);
  holdLateDrStates(c);
  c.resume('dr');
  const resyncs = () => c.logs.filter((l) => l.includes('resync of dr from')).length;
  assert.ok(c.runUntil(() => resyncs() === 1 && c.status('dr').consistent === true, 500), 'the resync completed');
  assert.ok(c.held.length > 0, 'stale dr-states were held');
  c.run(5); // dr's jack for the resync reaches a
  releaseAndExpectOneResync(c, m, resyncs);
});

test('after a takeover, a late dr-state of the old primary\'s lineage does not start another full resync', () => {
  // As above, across lineages: b takes over while dr is paused and probes it; dr answers every
  // probe with its position in a's lineage, and all but the first answer arrive after dr acked
  // b's full resync (joining b's lineage, which only a newer lineage can take it from).
  const c = cluster();
  const m = new Model();
  writeAll(c, m, series(6, 'a'));
  c.run(120);
  c.pause('dr');
  c.crash('a');
  c.run(c.params.takeoverMs + 200);
  assert.equal(c.status('b').role, 'primary');
  holdLateDrStates(c);
  c.resume('dr');
  const resyncs = () => c.logs.filter((l) => l.includes('resync of dr from')).length;
  assert.ok(c.runUntil(() => resyncs() === 1 && c.status('dr').consistent === true, 500), 'the full resync completed');
  c.run(5);
  assert.ok(c.held.length > 0, 'stale dr-states were held');
  releaseAndExpectOneResync(c, m, resyncs);
});

test('a late dr-state of a fresh dr (no lineage yet) does not start a full resync once dr applied our barriers', () => {
  const c = Cluster.withBugs([], TEST_PARAMS);
  c.start('dr');
  c.pause('dr');
  c.start('a');
  c.start('b');
  c.run(200); // a probes the paused dr every retryMs
  const m = new Model();
  let first = true;
  c.holdIf((x) => {
    if (x.from !== 'dr' || x.msg.kind !== 'dr-state') return false;
    if (!first) return true;
    first = false;
    return false;
  });
  c.resume('dr');
  writeAll(c, m, series(6, 'a'));
  assert.ok(c.runUntil(() => snapshot(c).barrier > 0, 500), 'dr applied a barrier');
  c.run(5);
  assert.ok(c.held.length > 0, 'stale dr-states were held');
  c.holdIf(null);
  c.release();
  const images: DrImage[] = [];
  for (let i = 0; i < 20; i++) { c.run(10); images.push(snapshot(c)); }
  assert.deepEqual(c.logs.filter((l) => l.includes('resync of dr')), []);
  for (const img of images) assert.ok(img.consistent, `dr stays consistent (barrier ${img.barrier})`);
  assert.deepEqual(values(images[images.length - 1]), m.latest());
});
