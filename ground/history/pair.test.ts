import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairHistory } from './pair.js';
import { InputError } from '../errors.js';
import type { HistoryEvent } from './types.js';

const ev = (index: number, process: number | 'nemesis', type: HistoryEvent['type'], f: string, value?: unknown, meta?: HistoryEvent['meta']): HistoryEvent =>
  ({ index, time: index * 10, process, type, f, value, meta });

test('pairs per process, keeps nemesis apart, leaves info and unfinished ops open-ended', () => {
  const { ops, nemesis } = pairHistory([
    ev(0, 0, 'invoke', 'write', 'x'),
    ev(1, 1, 'invoke', 'read'),
    ev(2, 'nemesis', 'info', 'start', null, { fault: 'kill', targets: ['a'] }),
    ev(3, 1, 'ok', 'read', 'x', { source: 'cache', version: 4 }),
    ev(4, 0, 'info', 'write', 'x'),
    ev(5, 2, 'invoke', 'cas', ['x', 'y']),
  ]);
  assert.equal(nemesis.length, 1);
  assert.deepEqual(ops.map((o) => [o.process, o.status, o.end]), [[0, 'info', Infinity], [1, 'ok', 30], [2, 'open', Infinity]]);
  assert.equal(ops[1].output, 'x');
  assert.equal(ops[1].meta?.source, 'cache');
});

test('a completion without an invocation, or a second invocation, is bad input with its location', () => {
  assert.throws(() => pairHistory([ev(0, 0, 'ok', 'read', 1)], (i) => `h.jsonl:${i + 1}`), (e: unknown) => e instanceof InputError && /^h\.jsonl:1: /.test(e.message));
  assert.throws(() => pairHistory([ev(0, 0, 'invoke', 'read'), ev(1, 0, 'invoke', 'read')]), /event 1: process 0 invoked read while/);
  assert.throws(() => pairHistory([ev(0, 0, 'invoke', 'read'), ev(1, 0, 'ok', 'write')]), /expected a completion of read/);
});
