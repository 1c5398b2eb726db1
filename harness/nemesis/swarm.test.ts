import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../ground/rng.js';
import { pairHistory } from '../../ground/history/pair.js';
import { blockstore } from '../../nodes/blockstore/system.js';
import { buildConfig, parseConfig, reproduceCommand } from '../run/config.js';
import { executeRun } from '../run/execute.js';
import { SimRuntime } from '../runtime/sim/index.js';
import { generatePlan, nemesisSpace, validatePlan, type FaultStep } from './plan.js';
import { drawSwarm, swarmPlanOptions, swarmPool } from './swarm.js';

const NODES = blockstore.nodes(blockstore.params.defaults);
const SIM = nemesisSpace(blockstore, NODES, 'sim');

test('a swarm mix is a function of the seed, and seeds differ', () => {
  const a = drawSwarm(new Rng(3).fork('swarm'), SIM, 30_000);
  assert.deepEqual(drawSwarm(new Rng(3).fork('swarm'), SIM, 30_000), a);
  const mixes = Array.from({ length: 20 }, (_, i) => JSON.stringify(drawSwarm(new Rng(i).fork('swarm'), SIM, 30_000).kinds));
  assert.ok(new Set(mixes).size >= 15, 'twenty seeds draw (nearly) twenty mixes');
});

test('a kind left out of a mix moves none of its other draws', () => {
  let dropped = 0;
  for (let seed = 0; seed < 200; seed++) {
    const all = drawSwarm(new Rng(seed).fork('swarm'), SIM, 30_000);
    const less = drawSwarm(new Rng(seed).fork('swarm'), SIM, 30_000, undefined, { without: ['clock-skew'] });
    assert.ok(!less.kinds.includes('clock-skew') && !('clock-skew' in less.weights), `seed ${seed}`);
    const rest = all.kinds.filter((k) => k !== 'clock-skew');
    if (rest.length < all.kinds.length) dropped++;
    assert.deepEqual(less.kinds, rest.length ? rest : ['pause'], `seed ${seed}`);
    assert.deepEqual({ ...less, kinds: [], weights: {} }, { ...all, kinds: [], weights: {} }, `seed ${seed}: rates, durations, targets unchanged`);
  }
  assert.ok(dropped > 50, `clock-skew was drawn and left out in ${dropped} of 200 seeds`);
});

test('over many seeds every fault kind, every target and site loss come up, and some seeds leave most faults out', () => {
  const pool = swarmPool(SIM);
  assert.ok(!pool.includes('partition') && pool.includes('partition-primary-partner') && pool.includes('netem') && pool.includes('site-loss'));
  for (const k of ['clock-skew', 'corrupt-journal', 'disk-errors', 'kill-unsynced', 'lose-journal']) assert.ok(pool.includes(k), k);
  const seen = new Map<string, number>();
  const targets = new Set<string>();
  let sparse = 0;
  for (let seed = 0; seed < 300; seed++) {
    const mix = drawSwarm(new Rng(seed).fork('swarm'), SIM, 30_000);
    assert.ok(mix.kinds.some((k) => k !== 'site-loss'), 'at least one repeating fault');
    for (const k of mix.kinds) seen.set(k, (seen.get(k) ?? 0) + 1);
    if (mix.kinds.length <= 3) sparse++;
    const plan = generatePlan(new Rng(seed).fork('nemesis'), SIM, swarmPlanOptions(mix, 30_000));
    assert.deepEqual(validatePlan(plan, SIM), plan, 'a swarm plan is a valid plan');
    for (const s of plan) if (['kill', 'pause', 'kill-unsynced', 'clock-skew', 'disk-errors', 'corrupt-journal'].includes(s.kind)) s.targets.forEach((t) => targets.add(t));
  }
  for (const k of pool) assert.ok((seen.get(k) ?? 0) > 0, `${k} is on in some seed`);
  assert.ok((seen.get('site-loss') ?? 0) > 30 && (seen.get('site-loss') ?? 0) < 150, `site loss in about one seed in four (${seen.get('site-loss')})`);
  assert.deepEqual([...targets].sort(), ['dr', 'partner', 'primary'], 'process faults reach every role, dr included');
  assert.ok(sparse > 10, `some seeds run with few kinds (${sparse})`);
});

test('new faults carry their drawn parameters in the plan', () => {
  const plan = generatePlan(new Rng(5).fork('nemesis'), SIM, { kinds: ['clock-skew', 'corrupt-journal', 'disk-errors', 'netem'], timeLimitMs: 60_000 });
  const by = (k: string) => plan.filter((s) => s.kind === k);
  for (const k of ['clock-skew', 'corrupt-journal', 'disk-errors', 'netem']) assert.ok(by(k).length > 0, k);
  for (const s of by('clock-skew')) {
    const rate = s.args!.rate as number;
    assert.ok(rate > 0.9 && rate < 1.1, `a clock rate inside the drift bound (${rate})`);
  }
  for (const s of by('corrupt-journal')) assert.ok(['flip', 'torn'].includes(s.args!.how as string));
  for (const s of by('disk-errors')) assert.ok(['EIO', 'ENOSPC'].includes(s.args!.code as string) && (s.args!.count as number) > 0);
  for (const s of by('netem')) assert.ok(s.links!.length > 0);
  assert.throws(() => validatePlan([{ id: 1, at: 0, durationMs: 10, kind: 'netem', targets: ['a'], links: [['a', 'b']], args: { lossP: 2 } }], SIM), /lossP is 2; expected a number in \[0, 1\]/);
  assert.throws(() => validatePlan([{ id: 1, at: 0, durationMs: 10, kind: 'netem', targets: ['a'], links: [['a', 'b']], args: { delay: 2 } }], SIM), /unknown netem field 'delay'/);
});

test('the default nemesis is a swarm recorded in the config; flags win over its draws; `workload` is the fixed list', () => {
  const c = buildConfig({ runtime: 'sim', workload: 'failover', seed: 9 }, blockstore);
  assert.ok(c.swarm, 'a swarm mix');
  assert.deepEqual(c.nemesis, c.swarm!.kinds);
  assert.ok(c.swarm!.sim?.net && c.swarm!.sim?.disk, 'the simulated network and disk are drawn');
  assert.ok(c.swarm!.params, 'node parameters are drawn');
  for (const [k, v] of Object.entries(c.swarm!.params!)) assert.equal(c.params[k], v);
  assert.deepEqual(parseConfig(JSON.parse(JSON.stringify(c)), blockstore), c, 'config.json round-trips');
  assert.match(reproduceCommand(c), /--nemesis swarm /);
  assert.deepEqual(buildConfig({ runtime: 'sim', workload: 'failover', seed: 9, nemesis: 'swarm' }, blockstore), c);
  const given = buildConfig({ runtime: 'sim', workload: 'failover', seed: 9, param: ['leaseMs=700', 'takeoverMs=2000'], thinkMs: 50, concurrency: 2 }, blockstore);
  assert.equal(given.params.leaseMs, 700);
  assert.equal(given.swarm!.params, undefined, 'node parameters given by flag: the swarm draws none');
  assert.equal(given.params.journalCapacity, blockstore.params.defaults.journalCapacity);
  assert.equal(given.thinkMs, 50);
  assert.equal(given.concurrency, 2);
  assert.deepEqual(given.swarm!.kinds, c.swarm!.kinds, 'the same seed draws the same fault kinds whatever the flags (durations follow the given takeover)');
  const fixed = buildConfig({ runtime: 'sim', workload: 'failover', seed: 9, nemesis: 'workload' }, blockstore);
  assert.equal(fixed.swarm, undefined);
  assert.deepEqual(fixed.nemesis, [...blockstore.workloads.failover.nemesis]);
  const docker = buildConfig({ runtime: 'docker', workload: 'register', seed: 9 }, blockstore);
  assert.ok(docker.swarm && !docker.swarm.sim && docker.swarm.thinkMs === undefined, 'docker draws faults and parameters, not the simulator\'s network or density');
});

test('clock skew, journal corruption, disk errors and netem run in a whole sim run, are recorded with their parameters, and are healed', async () => {
  const out = mkdtempSync(join(tmpdir(), 'chaos-swarm-'));
  try {
    const plan: FaultStep[] = [
      { id: 1, at: 300, durationMs: 1500, kind: 'clock-skew', targets: ['partner'], args: { rate: 0.93, offsetMs: 1200 } },
      { id: 2, at: 500, durationMs: 1000, kind: 'netem', shape: 'primary-partner', targets: ['a'], links: [['a', 'b'], ['b', 'a']], args: { delayMs: 20, jitterMs: 5, dupP: 0.2, reorderP: 0.25 } },
      { id: 3, at: 2000, durationMs: 800, kind: 'disk-errors', targets: ['primary'], args: { op: 'fsync', code: 'EIO', count: 5 } },
      { id: 4, at: 3000, durationMs: 600, kind: 'corrupt-journal', targets: ['primary'], args: { how: 'torn', seed: 4 } },
      { id: 5, at: 4000, durationMs: 5000, kind: 'disk-errors', targets: ['dr'], args: { op: 'fsync', code: 'ENOSPC', count: 20 } },
      { id: 6, at: 4100, durationMs: 5000, kind: 'clock-skew', targets: ['primary'], args: { rate: 1.05, offsetMs: -300 } },
    ];
    const config = buildConfig({ runtime: 'sim', workload: 'dr', seed: 3, timeLimit: 6, thinkMs: 20, plan }, blockstore);
    const runtime = new SimRuntime({ seed: 3, runId: 'swarm-faults' });
    const r = await executeRun(config, { runtime, system: blockstore, outDir: out, skipHtml: true });
    assert.deepEqual(r.errors, [], 'every fault applied and healed without error');
    for (const [k, v] of Object.entries(r.results.checkers)) assert.ok(v.valid === true, `${k}: ${v.valid} ${v.reason ?? ''}`);
    const events = readFileSync(join(r.dir, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const { nemesis } = pairHistory(events);
    const start = (id: number) => nemesis.find((e) => e.f === 'start' && e.meta?.faultId === id);
    assert.deepEqual((start(2)!.value as { args: unknown }).args, plan[1].args, 'the history names the impairment');
    assert.deepEqual((start(1)!.value as { targets: string[] }).targets, ['b'], 'the role resolved to a node');
    const w = runtime.simWorld;
    assert.deepEqual(w.net.activeNetem(), [], 'no link impaired after the run');
    for (const [, n] of w.nodes) assert.ok(n.skew.rate === 1 && n.diskFault === null, 'clocks and disks healed');
    assert.ok((r.results.coverage?.['journal-corruption-detected'] ?? 0) > 0 || (r.results.coverage?.['journal-lost'] ?? 0) > 0, 'the torn journal was seen at the restart');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
