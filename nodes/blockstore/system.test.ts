// The block store's System: each node's server flags, its checker selection, and its faults.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blockstore, blockstoreCheckers, serverArgs } from './system.js';

test('each node gets its role, volumes, peers by container name, bugs and params', () => {
  const cluster = { nodes: ['a', 'b', 'dr'], bugs: ['torn-barrier'], params: { blocks: 16, leaseMs: 300 }, host: (n: string) => `chaos-r-${n}` };
  const a = serverArgs('a', cluster);
  assert.deepEqual(a.slice(0, 10), ['--name', 'a', '--role', 'primary', '--data', '/data/local', '--listen', '0.0.0.0:7000', '--backend', '/data/backend']);
  assert.ok(a.join(' ').includes('--peer b=chaos-r-b:7000 --peer dr=chaos-r-dr:7000 --bug torn-barrier --blocks 16 --lease-ms 300'));
  const dr = serverArgs('dr', cluster);
  assert.ok(!dr.includes('--backend'), 'dr does not mount the site backend');
  assert.ok(dr.join(' ').includes('--role dr') && dr.join(' ').includes('--peer a=chaos-r-a:7000'));
  const spec = blockstore.container('b', { ...cluster, runId: 'r', seed: 1 });
  assert.deepEqual(spec.sharedVolumes, { backend: '/data/backend' });
  assert.equal(blockstore.container('dr', { ...cluster, runId: 'r', seed: 1 }).sharedVolumes, undefined);
});

test('checkers a run cannot observe are skipped with a reason, not reported unknown', () => {
  const none = blockstoreCheckers({ workload: 'register', plan: [] });
  assert.ok(none.use.includes('linearizability') && !none.use.includes('latency'));
  assert.match(none.skipped.latency, /cuts dr off alone/);
  const site = blockstoreCheckers({ workload: 'register', plan: [{ kind: 'site-loss', at: 100, durationMs: 0, targets: ['a', 'b'] }] });
  assert.ok(!site.use.includes('convergence') && !site.use.includes('dr-prefix'));
  const dr = blockstoreCheckers({ workload: 'dr', plan: [{ kind: 'partition', at: 3000, durationMs: 2000, targets: ['dr'] }] });
  assert.ok(dr.use.includes('latency') && dr.use.includes('dr-prefix'));
  // A dr window in the run's first moments (before two takeovers' time) compares start-up
  // writes with steady ones; one too short for ~20 writes at the run's density judges noise.
  const early = blockstoreCheckers({ workload: 'dr', plan: [{ kind: 'partition', at: 100, durationMs: 2000, targets: ['dr'] }] });
  assert.ok(!early.use.includes('latency'));
  const sparse = blockstoreCheckers({ workload: 'dr', concurrency: 2, thinkMs: 300, plan: [{ kind: 'partition', at: 3000, durationMs: 2000, targets: ['dr'] }] });
  assert.match(sparse.skipped.latency, /for 10000 ms or more/);
});

test('params: harness defaults, a bad value is one line naming what was expected', () => {
  assert.equal(blockstore.params.parse({}).leaseMs, 400);
  assert.equal(blockstore.params.parse({ blocks: 8 }).blocks, 8);
  assert.throws(() => blockstore.params.parse({ leaseMs: 2000 }), /takeoverMs \(1000\) must exceed leaseMs \(2000\)/);
  assert.throws(() => blockstore.params.parse({ nope: 1 }), (e: unknown) => /nope/.test(String(e)) && !String(e).includes('\n'));
});
