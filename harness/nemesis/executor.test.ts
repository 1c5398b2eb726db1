import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HistoryWriter } from '../../ground/history/writer.js';
import { FakeRuntime } from '../run/testing/fake-runtime.js';
import { NemesisExecutor } from './executor.js';
import { ClusterView } from './view.js';
import { nemesisSpace, type FaultStep } from './plan.js';
import { blockstore } from '../../nodes/blockstore/system.js';

const NODES = blockstore.nodes(blockstore.params.defaults);
const SPACE = nemesisSpace(blockstore, NODES);
const newView = () => new ClusterView(blockstore.topology(NODES));

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'nemesis-'));
  const rt = new FakeRuntime();
  const h = new HistoryWriter(join(dir, 'h.jsonl'), () => rt.now());
  return { dir, rt, h, view: newView(), done: () => { h.close(); rmSync(dir, { recursive: true, force: true }); } };
}

const plan: FaultStep[] = [
  { id: 1, at: 100, durationMs: 200, kind: 'partition', shape: 'primary-partner', targets: ['a'], links: [['a', 'b'], ['b', 'a']] },
  { id: 2, at: 150, durationMs: 100, kind: 'kill', targets: ['dr'] },
  { id: 3, at: 400, durationMs: 0, kind: 'lose-journal', targets: ['a'] },
  { id: 4, at: 500, durationMs: 5000, kind: 'pause', targets: ['b'] },
];

test('applies each step at its offset and records start before, stop after', async () => {
  const s = setup();
  const ex = new NemesisExecutor(plan, SPACE, s.rt, s.h, s.view, 0);
  await ex.run(1e9 * 1);
  assert.deepEqual(s.rt.calls, ['cut a>b', 'cut b>a', 'kill dr', 'start dr', 'heal a>b', 'heal b>a', 'lose-journal a', 'pause b']);
  assert.deepEqual(ex.activeFaults().map((f) => f.id), [4]);
  await ex.healAll();
  assert.deepEqual(s.rt.calls.slice(-2), ['resume b', 'healAll']);
  const evs = s.h.events!;
  assert.ok(evs.every((e) => e.process === 'nemesis' && e.type === 'info'));
  const seq = evs.map((e) => `${e.f}${e.meta!.faultId}@${e.time / 1e6}`);
  // lose-journal is the node's own admin request (2 ms in the fake): its stop follows the reply.
  assert.deepEqual(seq, ['start1@100', 'start2@150', 'stop2@250', 'stop1@300', 'start3@400', 'stop3@402', 'start4@500', 'stop4@500']);
  assert.deepEqual(evs[0].meta!.targets, ['a']);
  assert.equal(evs[0].meta!.fault, 'partition');
  s.done();
});

test('site loss destroys the pair, promotes dr, and later steps on a/b are skipped', async () => {
  const s = setup();
  const p: FaultStep[] = [
    { id: 1, at: 10, durationMs: 0, kind: 'site-loss', targets: ['a', 'b'] },
    { id: 2, at: 20, durationMs: 10, kind: 'kill', targets: ['a'] },
  ];
  // dr's status would say a newer cut than the consistent image the promote starts from
  // (no-switch sim register seed 1 with site-loss: status 2000636, promoted at 2000530).
  s.rt.promoteCut = 3;
  const ex = new NemesisExecutor(p, SPACE, s.rt, s.h, s.view, 0);
  await ex.run(1e9);
  await ex.healAll();
  assert.deepEqual(s.rt.calls, ['destroy a', 'destroy b', 'recover', 'healAll']);
  assert.equal(s.view.primary, 'dr');
  assert.deepEqual(s.view.pair, ['dr']);
  assert.equal(s.h.events!.at(-1)!.meta!.primary, 'dr');
  assert.equal(s.h.events!.at(-1)!.meta!.cut, 3, 'the era inherits the cut the promote reported, not a status read before it');
  s.done();
});

test('a fault the runtime refuses is healed, recorded with its error, and the plan goes on', async () => {
  const s = setup();
  s.rt.pause = async () => { throw new Error('no such container'); };
  const ex = new NemesisExecutor([{ id: 1, at: 0, durationMs: 50, kind: 'pause', targets: ['a'] }, { id: 2, at: 60, durationMs: 10, kind: 'kill', targets: ['b'] }], SPACE, s.rt, s.h, s.view, 0);
  await ex.run(1e9);
  await ex.healAll();
  assert.equal(ex.errors.length, 1);
  assert.match(String(s.h.events![1].meta!.error), /no such container/);
  assert.ok(s.rt.calls.includes('kill b'));
  s.done();
});

test('roles resolve when the fault starts: the primary after a takeover is the other node', async () => {
  const s = setup();
  const p: FaultStep[] = [
    { id: 1, at: 10, durationMs: 10, kind: 'kill', targets: ['primary'] },
    { id: 2, at: 30, durationMs: 10, kind: 'pause', targets: ['partner'] },
  ];
  const ex = new NemesisExecutor(p, SPACE, s.rt, s.h, s.view, 0);
  await ex.run(1e9);
  await ex.healAll();
  // the fake promotes b when a dies; a comes back as the partner
  assert.deepEqual(s.rt.calls, ['kill a', 'start a', 'pause a', 'resume a', 'healAll']);
  const starts = s.h.events!.filter((e) => e.f === 'start');
  assert.deepEqual(starts.map((e) => [e.meta!.targets, e.meta!.refs]), [[['a'], ['primary']], [['a'], ['partner']]]);
  s.done();
});

test('against the sim runtime: a killed primary is down until its stop, a paused node answers only after its resume, all healed', async () => {
  const { SimRuntime } = await import('../runtime/sim/index.js');
  const { DEFAULT_PARAMS } = await import('../../nodes/blockstore/system.js');
  const dir = mkdtempSync(join(tmpdir(), 'nemesis-sim-'));
  const rt = new SimRuntime({ seed: 5, runId: 'nemesis-test' });
  await rt.up({ runId: 'nemesis-test', system: blockstore, nodes: ['a', 'b', 'dr'], bugs: [], params: { ...DEFAULT_PARAMS }, clientTimeoutMs: 300, logDir: dir, seed: 5 });
  const h = new HistoryWriter(join(dir, 'h.jsonl'), () => rt.now());
  const view = newView();
  const t0 = rt.now();
  const plan: FaultStep[] = [
    { id: 1, at: 100, durationMs: 300, kind: 'kill', targets: ['primary'] },
    { id: 2, at: 600, durationMs: 300, kind: 'pause', targets: ['dr'] },
  ];
  const ex = new NemesisExecutor(plan, SPACE, rt, h, view, t0);
  const run = ex.run(t0 + 2e9);
  await rt.sleep(200);
  assert.equal(await rt.status('a'), null, 'a is down during the kill');
  await rt.sleep(500);
  const asked = rt.now();
  const r = await rt.client('dr').invoke({ f: 'status' });
  // a paused node holds its inputs: the answer comes after the resume at 900 ms, or never
  assert.ok(r.status !== 'ok' || rt.now() >= t0 + 900e6, `a paused dr answered at ${(rt.now() - t0) / 1e6} ms (asked at ${(asked - t0) / 1e6})`);
  await run;
  await ex.healAll();
  assert.equal((await rt.status('a'))?.node, 'a', 'a is back');
  assert.equal((await rt.status('dr'))?.node, 'dr', 'dr answers again');
  assert.deepEqual(h.events!.map((e) => `${e.f}${e.meta!.faultId}`), ['start1', 'stop1', 'start2', 'stop2']);
  await rt.down();
  h.close();
  rmSync(dir, { recursive: true, force: true });
});
