import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNode } from './index.js';
import { Cluster, TEST_PARAMS } from './testing/cluster.js';

test('write, read on a, cached read on b, dr applies whole barriers', () => {
  const c = new Cluster().boot();
  const w = c.write('a', 1, 'x');
  assert.equal(w?.ok, true);
  const r = c.read('a', 1);
  assert.ok(r?.ok);
  assert.equal(r.value, 'x');
  assert.equal(r.source, 'oplog');
  c.run(100); // destaged; b's cache learns the location
  const rb = c.read('b', 1);
  assert.ok(rb?.ok);
  assert.equal(rb.value, 'x');
  assert.equal(rb.source, 'cache');
  for (let i = 0; i < 10; i++) assert.equal(c.write('a', i, `v${i}`)?.ok, true);
  c.run(300);
  const snap = c.call('dr', { f: 'dr-snapshot' });
  assert.ok(snap?.ok && snap.image);
  assert.equal(snap.image.consistent, true);
  assert.equal(Object.keys(snap.image.blocks).length, 10);
  assert.equal(snap.image.blocks[9].value, 'v9');
});

test('bad input gets a definite refusal and the node keeps serving', () => {
  const c = new Cluster().boot();
  assert.deepEqual(c.call('a', { f: 'read', block: 999 }), { ok: false, node: 'a', error: 'bad-block', definite: true });
  const long = c.write('a', 0, 'x'.repeat(TEST_PARAMS.maxValueBytes + 1));
  assert.equal(long?.ok === false && long.error, 'value-too-long');
  const junk = c.call('a', { f: 'nope' } as never);
  assert.equal(junk?.ok === false && junk.error, 'bad-request');
  assert.equal(c.write('a', 0, 'fine')?.ok, true);
});

test('an unknown bug switch is an error at start', () => {
  assert.throws(() => createNode({ name: 'a', role: 'primary', bugs: ['nope' as never], params: TEST_PARAMS }), /unknown bug switch/);
});
