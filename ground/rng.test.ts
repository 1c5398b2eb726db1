import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from './rng.js';

test('same seed, same stream; different seeds and forks differ', () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const xs = Array.from({ length: 50 }, () => a.u32());
  assert.deepEqual(xs, Array.from({ length: 50 }, () => b.u32()));
  assert.notDeepEqual(xs, Array.from({ length: 50 }, () => c.u32()));
  const f1 = new Rng(42).fork('nemesis'), f2 = new Rng(42).fork('workload');
  assert.notEqual(f1.u32(), f2.u32());
  assert.equal(new Rng(42).fork('x').u32(), new Rng(42).fork('x').u32());
});

test('int stays in range and covers it', () => {
  const r = new Rng(7);
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const v = r.int(3, 9);
    assert.ok(v >= 3 && v <= 9);
    seen.add(v);
  }
  assert.equal(seen.size, 7);
});
