import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../ground/errors.js';
import { buildConfig as buildFor, parseConfig as parseFor, reproduceCommand, type RunOptions } from './config.js';
import { blockstore } from '../../nodes/blockstore/system.js';

const buildConfig = (o: RunOptions) => buildFor(o, blockstore);
const parseConfig = (raw: unknown) => parseFor(raw, blockstore);
import { selectRuntime } from './runtime-select.js';
import { progressLine, lastLine } from './display.js';

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
  assert.throws(() => buildConfig({ timeLimit: '3600000' }), oneLine(/--time-limit: .*more than a day/));
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
  assert.equal((await selectRuntime('auto', async () => true)).kind, 'docker');
  const s = await selectRuntime('auto', async () => false);
  assert.equal(s.kind, 'sim');
  assert.match(s.reason, /no Docker engine/);
  assert.equal((await selectRuntime('sim', async () => { throw new Error('not asked'); })).kind, 'sim');
  await assert.rejects(selectRuntime('docker', async () => false), oneLine(/--runtime docker: no Docker engine answers/));
});

test('progress and last lines', () => {
  const p = progressLine({ phase: 'workload', counts: { invoked: 12, ok: 8, fail: 2, info: 1 }, active: ['kill(a)'], elapsedS: 3.14 }, 30);
  assert.equal(p, '[3.1/30s] ops 11 (ok 8, fail 2, info 1) faults: kill(a)');
  const l = lastLine({ valid: false, checkers: { durability: { valid: false, anomalies: [] }, stats: { valid: true, anomalies: [] } } }, 'chaos run --seed 3');
  assert.equal(l, 'INVALID (durability); reproduce with: chaos run --seed 3');
});
