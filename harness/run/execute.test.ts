import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pairHistory } from '../../ground/history/pair.js';
import type { HistoryEvent } from '../../ground/history/types.js';
import { buildConfig as buildFor, type RunOptions } from './config.js';
import { executeRun as executeFor, type ExecuteOptions } from './execute.js';
import { blockstore } from '../../nodes/blockstore/system.js';
import type { RunConfig } from './config.js';

const buildConfig = (o: RunOptions) => buildFor(o, blockstore);
const executeRun = (c: RunConfig, o: Omit<ExecuteOptions, 'system'>) => executeFor(c, { ...o, system: blockstore });
import { FakeRuntime } from './testing/fake-runtime.js';

const read = (p: string): HistoryEvent[] => readFileSync(p, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

test('a run writes its directory, records the history as it goes, heals, reads back and cleans up', async () => {
  const out = mkdtempSync(join(tmpdir(), 'chaos-run-'));
  try {
    const config = buildConfig({ runtime: 'sim', workload: 'register', nemesis: 'kill,pause,partition,lose-journal', timeLimit: 5, seed: 42, concurrency: 4, thinkMs: 10 });
    const rt = new FakeRuntime();
    const seen: string[] = [];
    const { dir, results } = await executeRun(config, { runtime: rt, outDir: out, skipHtml: true, onProgress: (p) => seen.push(p.phase) });
    assert.match(dir, /register\/\d{8}T\d{6}Z-seed42-[0-9a-z]+$/);
    assert.equal(readlinkSync(join(out, 'latest')), join('register', dir.split('/').pop()!));
    for (const f of ['config.json', 'history.jsonl', 'results.json', 'junit.xml', 'nodes/a.log', 'nodes/b.log', 'nodes/dr.log']) assert.ok(existsSync(join(dir, f)), f);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), config);
    const evs = read(join(dir, 'history.jsonl'));
    evs.forEach((e, i) => assert.equal(e.index, i));
    for (let i = 1; i < evs.length; i++) assert.ok(evs[i].time >= evs[i - 1].time, 'time is monotonic');
    const { ops, nemesis } = pairHistory(evs);
    assert.ok(ops.length > 100, `plenty of ops (${ops.length})`);
    assert.ok(ops.every((o) => o.status !== 'open'), 'every op completed');
    // every planned fault started and stopped
    const starts = nemesis.filter((e) => e.f === 'start').map((e) => e.meta!.faultId);
    const stops = nemesis.filter((e) => e.f === 'stop').map((e) => e.meta!.faultId);
    assert.deepEqual([...starts].sort(), [...stops].sort());
    assert.ok(starts.length >= 1);
    // final reads of every hot block, after the last heal
    const finals = ops.filter((o) => o.meta?.final === true && o.f === 'read' && o.status === 'ok');
    assert.deepEqual([...new Set(finals.map((o) => o.key))].sort(), [0, 1, 2, 3]);
    const lastStop = Math.max(...nemesis.map((e) => e.time));
    assert.ok(finals.every((o) => o.start >= lastStop));
    assert.ok(ops.some((o) => o.f === 'dr-snapshot' && o.meta?.final === true && o.status === 'ok'));
    assert.ok(ops.some((o) => o.f === 'read' && o.node === 'b'), 'reads reach b');
    assert.equal(rt.downCalled, 1);
    assert.deepEqual(rt.activeCuts(), []);
    assert.deepEqual(rt.deadNodes(), []);
    assert.ok(['up', 'workload', 'heal', 'final', 'check', 'done'].every((p) => seen.includes(p)));
    assert.ok('valid' in results);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the same config on the same virtual runtime gives the same history', async () => {
  const out = mkdtempSync(join(tmpdir(), 'chaos-run-'));
  try {
    const config = buildConfig({ runtime: 'sim', workload: 'dr', timeLimit: 3, seed: 9, concurrency: 3 });
    const a = await executeRun(config, { runtime: new FakeRuntime(), outDir: out, skipHtml: true });
    const b = await executeRun(config, { runtime: new FakeRuntime(), outDir: out, skipHtml: true });
    assert.notEqual(a.dir, b.dir);
    assert.equal(readFileSync(join(a.dir, 'history.jsonl'), 'utf8'), readFileSync(join(b.dir, 'history.jsonl'), 'utf8'));
    assert.ok(read(join(a.dir, 'history.jsonl')).some((e) => e.f === 'dr-restore'));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a cluster that fails to come up still ends in down() and an unknown verdict', async () => {
  const out = mkdtempSync(join(tmpdir(), 'chaos-run-'));
  try {
    const config = buildConfig({ runtime: 'sim', timeLimit: 1, seed: 1 });
    const rt = new FakeRuntime({ failUp: true });
    const { results, errors } = await executeRun(config, { runtime: rt, outDir: out, skipHtml: true });
    assert.equal(rt.downCalled, 1);
    assert.equal(results.valid, 'unknown');
    assert.ok(errors.some((e) => /engine refused/.test(e)));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('an op limit thins the run', async () => {
  const out = mkdtempSync(join(tmpdir(), 'chaos-run-'));
  try {
    const config = buildConfig({ runtime: 'sim', timeLimit: 5, seed: 3, nemesis: 'none', opLimit: 25 });
    const { dir } = await executeRun(config, { runtime: new FakeRuntime(), outDir: out, skipHtml: true });
    const ops = pairHistory(read(join(dir, 'history.jsonl'))).ops.filter((o) => o.meta?.final !== true);
    assert.equal(ops.length, 25);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a signal mid-run heals, reads back, tears down and ends interrupted, never valid', async () => {
  const out = mkdtempSync(join(tmpdir(), 'chaos-run-'));
  try {
    const config = buildConfig({ runtime: 'sim', workload: 'register', nemesis: 'kill,pause,partition', timeLimit: 30, seed: 42, concurrency: 4, thinkMs: 10 });
    const rt = new FakeRuntime();
    const abort = new AbortController();
    // SIGTERM 10 s (runtime time) into the workload
    const { dir, results } = await executeRun(config, {
      runtime: rt, outDir: out, skipHtml: true, signal: abort.signal,
      onProgress: (p) => { if (p.phase === 'workload' && p.elapsedS >= 10 && !abort.signal.aborted) abort.abort('SIGTERM'); },
    });
    assert.equal(rt.downCalled, 1);
    assert.deepEqual(rt.activeCuts(), []);
    assert.deepEqual(rt.deadNodes(), []);
    assert.notEqual(results.valid, true);
    assert.equal(results.verdict, 'interrupted');
    const i = results.interrupted!;
    assert.equal(i.signal, 'SIGTERM');
    assert.equal(i.phase, 'workload');
    assert.ok(i.ranS >= 10 && i.ranS < 11, `ran ${i.ranS} s`);
    assert.equal(i.plannedS, 30);
    assert.equal(i.faultsPlanned, config.plan.length);
    assert.ok(i.faultsStarted < i.faultsPlanned, `${i.faultsStarted} of ${i.faultsPlanned}`);
    const onDisk = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    assert.equal(onDisk.verdict, 'interrupted');
    assert.deepEqual(onDisk.interrupted, i);
    assert.match(readFileSync(join(dir, 'junit.xml'), 'utf8'), /name="run"><error message="interrupted by SIGTERM during workload/);
    // what ran was still judged: the final reads happened after the heal
    const { ops } = pairHistory(read(join(dir, 'history.jsonl')));
    assert.ok(ops.some((o) => o.meta?.final === true && o.status === 'ok'));
    assert.ok(ops.every((o) => o.status !== 'open'));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a signal during up() runs no op and no fault, and still ends interrupted', async () => {
  const out = mkdtempSync(join(tmpdir(), 'chaos-run-'));
  try {
    const config = buildConfig({ runtime: 'sim', timeLimit: 5, seed: 2 });
    const abort = new AbortController();
    abort.abort('SIGINT');
    const rt = new FakeRuntime();
    const { dir, results } = await executeRun(config, { runtime: rt, outDir: out, skipHtml: true, signal: abort.signal });
    assert.equal(results.verdict, 'interrupted');
    assert.equal(results.interrupted!.ranS, 0);
    assert.equal(results.interrupted!.faultsStarted, 0);
    assert.equal(rt.downCalled, 1);
    const evs = read(join(dir, 'history.jsonl'));
    assert.ok(evs.every((e) => e.process !== 'nemesis'));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
