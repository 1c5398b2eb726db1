import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InputError } from '../../ground/errors.js';
import { parseSeeds, parseShard, shardSeeds } from './range.js';

test('seed ranges and shards parse; bad ones are one-line input errors', () => {
  assert.deepEqual(parseSeeds('1..10'), { from: 1, to: 10 });
  assert.deepEqual(parseSeeds('7'), { from: 7, to: 7 });
  assert.deepEqual(parseShard('2/3'), { index: 2, count: 3 });
  assert.deepEqual(parseShard(undefined), { index: 1, count: 1 });
  for (const bad of ['', '5..1', 'a..b', '1..', '-1..3', '1...3']) assert.throws(() => parseSeeds(bad), InputError, bad);
  for (const bad of ['0/3', '4/3', '1/0', '1', 'x/y']) assert.throws(() => parseShard(bad), InputError, bad);
});

test('shards 1..n of a range cover every seed exactly once', () => {
  fc.assert(
    fc.property(fc.nat(1000), fc.nat(300), fc.integer({ min: 1, max: 9 }), (from, len, n) => {
      const range = { from, to: from + len };
      const all = Array.from({ length: n }, (_, i) => shardSeeds(range, { index: i + 1, count: n })).flat().sort((x, y) => x - y);
      assert.deepEqual(all, Array.from({ length: len + 1 }, (_, i) => from + i));
    }),
  );
});
