// The entry order the search walks: dense positions (dropped in place) and sparse ones (a packed
// numeric sort) must both give history order, with never-returned ops' returns last, by op.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { entryOrder } from './wgl.js';

function reference(call: Float64Array, ret: Float64Array): number[] {
  const es = Array.from({ length: 2 * call.length }, (_, e) => e);
  const t = (e: number) => ((e & 1) === 0 ? call[e >> 1] : ret[e >> 1]);
  return es.sort((x, y) => (t(x) === t(y) ? x - y : t(x) - t(y)));
}

test('entries come in history order, dense or sparse', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(3)), { maxLength: 40 }), fc.integer({ min: 1, max: 5000 }), fc.nat(10), (ops, stride, base) => {
      // op i is called at base + 2i*stride and returns `late` call slots later (odd positions,
      // so never on a call), unless it never returned; a small stride is dense, a large sparse
      const n = ops.length;
      const call = new Float64Array(n);
      const ret = new Float64Array(n);
      const taken = new Set<number>();
      ops.forEach(([open, late], i) => {
        call[i] = base + stride * (2 * i);
        if (open) return void (ret[i] = Infinity);
        let r = base + stride * (2 * (i + late) + 1);
        while (taken.has(r)) r += 2 * stride;
        taken.add(r);
        ret[i] = r;
      });
      assert.deepEqual(Array.from(entryOrder(call, ret)), reference(call, ret));
    }),
    { numRuns: 500 },
  );
});
