import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../ground/errors.js';
import { buildConfig as buildFor, parseConfig as parseFor, reproduceCommand, type RunOptions } from './config.js';
import { blockstore } from '../../nodes/blockstore/system.js';

const buildConfig = (o: RunOptions) => buildFor(o, blockstore);
const parseConfig = (raw: unknown) => parseFor(raw, blockstore);
import { selectRuntime } from './runtime-select.js';
import { progressLine, lastLine } from './display.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const oneLine = (re: RegExp) => (e: unknown) => e instanceof InputError && re.test(e.message) && !e.message.includes('\n');

test('defaults give a meaningful 30 s run with a plan drawn from the seed', () => {
  const c = buildConfig({ seed: 11 });
  assert.equal(c.timeLimitS, 30);
  assert.equal(c.workload, 'register');
  assert.ok(c.concurrency >= 5);
  assert.ok(c.plan.length >= 3, 'several faults');
  assert.deepEqual(buildConfig({ seed: 11 }).plan, c.plan);
  assert.deepEqual(parseConfig(JSON.parse(JSON.stringify(c))), c, 'config.json round-trips');
});

test('reproduce command carries everything that shapes the run', () => {
  const c = buildConfig({ runtime: 'sim', workload: 'dr', nemesis: 'kill,site-loss', timeLimit: '8', seed: '5', bug: ['torn-barrier'], concurrency: '3' });
  const r = reproduceCommand(c);
  assert.equal(r, 'chaos run --runtime sim --workload dr --nemesis kill,site-loss --time-limit 8 --bug torn-barrier --concurrency 3 --think-ms 300 --seed 5');
  // and it rebuilds the same config
  const again = buildConfig({ runtime: 'sim', workload: 'dr', nemesis: 'kill,site-loss', timeLimit: '8', seed: '5', bug: ['torn-barrier'], concurrency: '3' });
  assert.deepEqual(again, c);
});

test('bad options are one-line input errors', () => {
  assert.throws(() => buildConfig({ workload: 'bank' }), oneLine(/workload 'bank'/));
  assert.throws(() => buildConfig({ bug: ['typo'] }), oneLine(/bug switch 'typo'/));
  assert.throws(() => buildConfig({ seed: '-1' }), oneLine(/--seed/));
  assert.throws(() => buildConfig({ seed: '1.5' }), oneLine(/--seed/));
  assert.throws(() => buildConfig({ timeLimit: 'abc' }), oneLine(/--time-limit/));
  assert.throws(() => buildConfig({ concurrency: '0' }), oneLine(/--concurrency/));
  assert.throws(() => parseConfig({ test: 'x' }), oneLine(/config.json/));
  assert.throws(() => buildConfig({ nemesis: 'failover' }), oneLine(/--nemesis: unknown fault kind 'failover'/));
  assert.throws(() => buildConfig({ timeLimit: '3600000' }), oneLine(/--time-limit: .*more than 86400 s/));
});

test('a config written before systems were pluggable is the block store', () => {
  const c = buildConfig({ seed: 4 });
  assert.equal(c.system, 'blockstore');
  const { system: _gone, ...old } = JSON.parse(JSON.stringify(c));
  assert.deepEqual(parseConfig(old), c);
});

test('an explicit plan overrides generation', () => {
  const plan = [{ id: 1, at: 100, durationMs: 50, kind: 'kill', targets: ['a'] }];
  const c = buildConfig({ seed: 1, plan });
  assert.deepEqual(c.plan, plan);
  assert.equal(c.planGiven, true);
});

test('runtime selection: auto follows the engine, forced docker without one is exit-2 input', async () => {
  const local = { env: {} as NodeJS.ProcessEnv };
  assert.equal((await selectRuntime('auto', { ...local, probe: async () => true })).kind, 'docker');
  const s = await selectRuntime('auto', { ...local, probe: async () => false });
  assert.equal(s.kind, 'sim');
  assert.match(s.reason, /no Docker engine answers; falling back to the simulator/);
  assert.equal((await selectRuntime('sim', { probe: async () => { throw new Error('not asked'); } })).kind, 'sim');
  await assert.rejects(selectRuntime('docker', { probe: async () => false }), oneLine(/--runtime docker: no Docker engine answers/));
});

test('runtime selection: under CI or --require-docker, auto never falls back to the simulator', async () => {
  const down = async () => false;
  await assert.rejects(selectRuntime('auto', { env: { CI: 'true' }, probe: down }), oneLine(/--runtime auto: no Docker engine answers.*CI is set/));
  await assert.rejects(selectRuntime('auto', { env: {}, requireDocker: true, probe: down }), oneLine(/--require-docker/));
  assert.equal((await selectRuntime('auto', { env: { CI: 'false' }, probe: down })).kind, 'sim');
  assert.equal((await selectRuntime('auto', { env: { CI: 'true' }, probe: async () => true })).kind, 'docker');
  // an explicit --runtime sim is a choice, not a fallback
  assert.equal((await selectRuntime('sim', { env: { CI: 'true' }, requireDocker: true, probe: down })).kind, 'sim');
});

test('--time-limit beyond 24 h fails at once, before any plan is drawn', () => {
  const t = performance.now();
  assert.throws(() => buildConfig({ timeLimit: '3600000', nemesis: 'partition,kill,pause' }), oneLine(/--time-limit: 3600000 s is more than 86400 s .*not milliseconds/));
  assert.ok(performance.now() - t < 1000);
});

test('--param sets node parameters, and the reproduce line carries them', () => {
  const c = buildConfig({ runtime: 'docker', workload: 'register', seed: 4, param: ['leaseMs=2500', 'takeoverMs=5000'] });
  assert.equal(c.params.leaseMs, 2500);
  assert.equal(c.params.takeoverMs, 5000);
  const r = reproduceCommand(c);
  assert.match(r, / --param leaseMs=2500 --param takeoverMs=5000 /);
  const again = buildConfig({ runtime: 'docker', workload: 'register', seed: 4, param: ['leaseMs=2500', 'takeoverMs=5000'], concurrency: c.concurrency, thinkMs: c.thinkMs, timeLimit: c.timeLimitS });
  assert.deepEqual(again, c);
  assert.throws(() => buildConfig({ param: ['lease=3'] }), oneLine(/--param: unknown node parameter 'lease'/));
  assert.throws(() => buildConfig({ param: ['leaseMs'] }), oneLine(/--param: 'leaseMs' is not key=value/));
  assert.throws(() => buildConfig({ param: ['leaseMs=x'] }), oneLine(/--param: leaseMs: .*expected number/));
  assert.throws(() => buildConfig({ param: ['leaseMs=5000'] }), oneLine(/takeoverMs .* must exceed leaseMs/));
});

test('--plan FILE takes a list of steps or a config.json, and the reproduce line names the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-plan-'));
  try {
    const plan = [{ id: 0, at: 500, durationMs: 1200, kind: 'partition', shape: 'primary-partner', targets: ['a'], links: [['a', 'b'], ['b', 'a']] }];
    const f = join(dir, 'plan.json');
    writeFileSync(f, JSON.stringify(plan));
    const c = buildConfig({ runtime: 'sim', seed: 2, planFile: f });
    assert.deepEqual(c.plan, plan);
    assert.equal(c.planGiven, true);
    assert.equal(c.planFile, f);
    assert.match(reproduceCommand(c), new RegExp(` --plan ${f.replace(/[.]/g, '\\.')} `));
    const cfg = join(dir, 'config.json');
    writeFileSync(cfg, JSON.stringify(c));
    assert.deepEqual(buildConfig({ runtime: 'sim', seed: 2, planFile: cfg }).plan, plan);
    assert.match(reproduceCommand(c, cfg), /--plan .*config\.json/);
    writeFileSync(join(dir, 'bad.json'), '{"plan": [{"id": 0}]}');
    assert.throws(() => buildConfig({ planFile: join(dir, 'bad.json') }), oneLine(/--plan .*bad\.json/));
    assert.throws(() => buildConfig({ planFile: join(dir, 'none.json') }), oneLine(/cannot read \(ENOENT\)/));
    writeFileSync(join(dir, 'garbage.json'), 'not json');
    assert.throws(() => buildConfig({ planFile: join(dir, 'garbage.json') }), oneLine(/not JSON/));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('progress and last lines', () => {
  const p = progressLine({ phase: 'workload', counts: { invoked: 12, ok: 8, fail: 2, info: 1 }, active: ['kill(a)'], elapsedS: 3.14 }, 30);
  assert.equal(p, '[3.1/30s] ops 11 (ok 8, fail 2, info 1) faults: kill(a)');
  const l = lastLine({ valid: false, checkers: { durability: { valid: false, anomalies: [] }, stats: { valid: true, anomalies: [] } } }, 'chaos run --seed 3');
  assert.equal(l, 'INVALID (durability); reproduce with: chaos run --seed 3');
  const cut = lastLine(
    { valid: 'unknown', verdict: 'interrupted', interrupted: { signal: 'SIGTERM', phase: 'workload', ranS: 12, plannedS: 30, faultsStarted: 1, faultsPlanned: 3 }, checkers: { stats: { valid: true, anomalies: [] } } },
    'chaos run --time-limit 30 --seed 3',
  );
  assert.equal(cut, 'INTERRUPTED; interrupted by SIGTERM during workload after 12 s of 30 s, 1 of 3 planned faults started; the whole run: chaos run --time-limit 30 --seed 3');
  assert.doesNotMatch(cut, /reproduce/);
});
