// The pure parts of the docker runtime: object names from run ids, and each node's server flags.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterSpec } from '../types.js';
import { serverArgs, slug } from './index.js';

test('run ids become docker names: legal characters, short, distinct', () => {
  assert.equal(slug('register/20261125T042547Z-seed14'), 'register-20261125T042547Z-seed14');
  assert.equal(slug('//'), 'run');
  const long1 = slug(`${'x'.repeat(60)}a`);
  const long2 = slug(`${'x'.repeat(60)}b`);
  assert.ok(long1.length <= 48 && long2.length <= 48);
  assert.notEqual(long1, long2);
  assert.match(slug('a b:c/d'), /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/);
});

test('each node gets its role, volumes, peers by container name, bugs and params', () => {
  const spec = {
    runId: 'r', nodes: ['a', 'b', 'dr'], bugs: ['torn-barrier'], clientTimeoutMs: 500, logDir: '', seed: 1,
    params: { blocks: 16, leaseMs: 300 },
  } as unknown as ClusterSpec;
  const host = (n: string) => `chaos-r-${n}`;
  const a = serverArgs('a', spec, host);
  assert.deepEqual(a.slice(0, 10), ['--name', 'a', '--role', 'primary', '--data', '/data/local', '--listen', '0.0.0.0:7000', '--backend', '/data/backend']);
  assert.ok(a.join(' ').includes('--peer b=chaos-r-b:7000 --peer dr=chaos-r-dr:7000 --bug torn-barrier --blocks 16 --lease-ms 300'));
  const dr = serverArgs('dr', spec, host);
  assert.ok(!dr.includes('--backend'), 'dr does not mount the site backend');
  assert.ok(dr.join(' ').includes('--role dr') && dr.join(' ').includes('--peer a=chaos-r-a:7000'));
});
