// Bring your own system, end to end: a module at a path outside the project that exports a
// System is loaded, validated, run, recorded in config.json by its absolute path and replayed;
// a module that is not a System is one line and exit 2 naming what is missing. And `chaos
// systems` lists what is built in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../ground/errors.js';
import { loadSystem, systemProblem } from './load.js';
import { blockstore } from '../../nodes/blockstore/system.js';

const BIN = fileURLToPath(new URL('../../bin/chaos.mjs', import.meta.url));
const BLOCKSTORE = fileURLToPath(new URL('../../nodes/blockstore/system.ts', import.meta.url));

function chaos(argv: string[], cwd?: string): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...argv], { encoding: 'utf8', cwd, env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test('a System module is checked on load: what is missing is named in one line', async () => {
  assert.equal(systemProblem(blockstore), null);
  assert.match(systemProblem({ ...blockstore, container: undefined })!, /no 'container' \(a function\)/);
  assert.match(systemProblem({ ...blockstore, roles: {} })!, /roles\.primary/);
  assert.match(systemProblem({ ...blockstore, capabilities: [{ kind: 'x' }] })!, /capability "x" needs kind, scope/);
  assert.match(systemProblem(undefined)!, /exports no System/);
  await assert.rejects(loadSystem('nosuch'), (e: unknown) => e instanceof InputError && /unknown system 'nosuch'; expected one of blockstore/.test(e.message));
  await assert.rejects(loadSystem('/nonexistent/store.ts'), (e: unknown) => e instanceof InputError && /no such file/.test(e.message));
});

test('chaos run --system PATH: a user module runs, is recorded by absolute path, and replays', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-byo-'));
  try {
    // A user's system: the block store under a name of its own (it has a sans-IO core, so the
    // simulator can run it). A real user module would describe its own containers and client.
    writeFileSync(join(dir, 'package.json'), '{"type": "module"}\n');
    writeFileSync(join(dir, 'mystore.ts'), `import { blockstore } from ${JSON.stringify(BLOCKSTORE)};\nexport const system = { ...blockstore, name: 'mystore', description: 'a store of my own' };\n`);
    writeFileSync(join(dir, 'broken.ts'), `export const system = { name: 'broken', description: 'no container', nodes: () => ['x'] };\n`);
    const out = join(dir, 'runs');
    const r = chaos(['run', '--system', './mystore.ts', '--runtime', 'sim', '--time-limit', '2', '--seed', '5', '--out', out], dir);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out.split('\n')[0], /system mystore, workload register/);
    const run = realpathSync(join(out, 'latest'));
    assert.match(run, /mystore-register/);
    const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
    assert.equal(config.system, join(realpathSync(dir), 'mystore.ts'));
    assert.match(r.out, new RegExp(`reproduce with: chaos run --system ${config.system.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} --runtime sim`));
    const rp = chaos(['replay', run]);
    assert.equal(rp.code, 0, rp.err);
    assert.match(rp.out, /byte-identical/);

    const bad = chaos(['run', '--system', join(dir, 'broken.ts'), '--runtime', 'sim']);
    assert.equal(bad.code, 2);
    assert.equal(bad.err.trim().split('\n').length, 1, bad.err);
    assert.match(bad.err, /--system: .*broken\.ts its System has no 'params'|--system: .*broken\.ts its System has no '\w+' \(a function\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the flags of a docker-only system are judged as docker will run them, before any engine is asked', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-plan-'));
  try {
    // Redis's failover is a docker capability: a plan naming it passes, so the one line is about
    // the step after it (a node Redis does not have).
    writeFileSync(join(dir, 'plan.json'), JSON.stringify([{ id: 1, at: 100, durationMs: 0, kind: 'failover', targets: ['primary'] }, { id: 2, at: 200, durationMs: 10, kind: 'kill', targets: ['zz'] }]));
    const r = chaos(['run', '--system', 'redis', '--workload', 'set', '--plan', join(dir, 'plan.json')]);
    assert.equal(r.code, 2, r.out + r.err);
    assert.match(r.err, /fault 2 targets 'zz'; expected node names n1, n2, n3/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('chaos systems lists each built-in system with its nodes, faults, workloads and checkers', () => {
  const r = chaos(['systems']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^blockstore: /m);
  assert.match(r.out, /nodes {6}a, b, dr \(writes go to a first/);
  assert.match(r.out, /faults .*kill-unsynced.*lose-journal.*site-loss/);
  assert.match(r.out, /workload {3}dr: nemesis partition-site-dr,kill,lose-journal/);
  const json = JSON.parse(chaos(['systems', '--json']).out);
  assert.deepEqual(json.find((s: { name: string }) => s.name === 'blockstore').runtimes, ['docker', 'sim']);
});
