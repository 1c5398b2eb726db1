// The ok / fail / info rule both clients share (outcome.ts), as a table. The simulator's client
// running it through its own transport: harness/runtime/sim/client.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mutates, outcome, type Raw } from './outcome.js';

const ok = () => ({});

test('outcome: the table of ok / fail / info', () => {
  const rows: Array<[Raw, boolean, string]> = [
    [{ kind: 'not-sent', error: 'connection refused' }, true, 'fail'],
    [{ kind: 'not-sent', error: 'connection refused' }, false, 'fail'],
    [{ kind: 'lost', error: 'timeout' }, true, 'info'],
    [{ kind: 'lost', error: 'timeout' }, false, 'fail'],
    [{ kind: 'reply', reply: { ok: true, node: 'a' }, extra: {} }, true, 'ok'],
    [{ kind: 'reply', reply: { ok: false, node: 'a', error: 'fenced', definite: false }, extra: {} }, true, 'info'],
    [{ kind: 'reply', reply: { ok: false, node: 'a', error: 'internal', definite: false }, extra: {} }, false, 'fail'],
    [{ kind: 'reply', reply: { ok: false, node: 'a', error: 'cas-mismatch', definite: true }, extra: {} }, true, 'fail'],
  ];
  for (const [raw, m, want] of rows) assert.equal(outcome('a', raw, m, ok).status, want, JSON.stringify([raw, m]));
  assert.equal(outcome('a', { kind: 'reply', reply: { ok: false, node: 'b', error: 'x', definite: true }, detail: 'why', extra: {} }, true, ok).node, 'b');
  assert.equal((outcome('a', { kind: 'reply', reply: { ok: false, node: 'a', error: 'x', definite: true }, detail: 'why', extra: {} }, true, ok) as { error: string }).error, 'x: why');
  assert.deepEqual(['read', 'write', 'cas', 'status', 'lose-journal', 'dr-snapshot', 'dr-restore', 'promote'].filter((f) => mutates({ f })), ['write', 'cas', 'lose-journal', 'promote']);
});
