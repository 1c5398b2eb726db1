import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCheckers, writeResults, storageCheckers } from './compose.js';
import { InputError } from '../ground/errors.js';
import { Hist } from './stats/hist.js';
import { synthHistory } from './stats/synthetic.js';
import type { Checker } from './types.js';

const fixed = (valid: true | false | 'unknown'): Checker => () => ({ valid, anomalies: [] });

test("Jepsen's priority: false over unknown over true", async () => {
  const h = new Hist();
  h.write(0, 1, 'x', 1);
  assert.equal((await runCheckers(h.events, { a: fixed(true), b: fixed(true) })).valid, true);
  assert.equal((await runCheckers(h.events, { a: fixed(true), b: fixed('unknown') })).valid, 'unknown');
  assert.equal((await runCheckers(h.events, { a: fixed('unknown'), b: fixed(false), c: fixed(true) })).valid, false);
  assert.equal((await runCheckers(h.events, {})).valid, true);
});

test('an async checker (like linearizability) composes; a crash or an overrun is unknown, not valid', async () => {
  const h = new Hist();
  h.write(0, 1, 'x', 1);
  const r = await runCheckers(
    h.events,
    {
      lin: async (ctx) => ({ valid: ctx.paired.ops.length === 1, anomalies: [] }),
      boom: () => {
        throw new Error('kaput');
      },
      slow: () => new Promise((res) => setTimeout(() => res({ valid: true, anomalies: [] }), 500)),
    },
    { timeoutMs: 50, run: { x: 1 } },
  );
  assert.equal(r.checkers.lin.valid, true);
  assert.deepEqual([r.checkers.boom.valid, r.checkers.boom.reason], ['unknown', 'checker failed: kaput']);
  assert.deepEqual([r.checkers.slow.valid, r.checkers.slow.reason], ['unknown', 'timed out after 50 ms']);
  assert.equal(r.valid, 'unknown');
});

test('a history of the wrong shape is bad input (InputError), located', async () => {
  const h = new Hist();
  h.ev(0, 'ok', 'read', 1, 'x');
  await assert.rejects(runCheckers(h.events, { a: fixed(true) }, { locate: (i) => `h.jsonl:${i + 1}` }), (e: unknown) => e instanceof InputError && /^h\.jsonl:1: /.test(e.message));
});

test('the storage checkers together on a correct run: all valid, written to results.json whole', async () => {
  const { events } = synthHistory({ seed: 11, ops: 2000 });
  const r = await runCheckers(events, storageCheckers());
  assert.deepEqual(Object.keys(r.checkers), ['cache-invalidation', 'durability', 'dr-prefix', 'convergence', 'latency', 'stats', 'set']);
  for (const [name, c] of Object.entries(r.checkers)) assert.equal(c.valid, true, `${name}: ${c.reason}`);
  assert.equal(r.valid, true);
  const dir = mkdtempSync(join(tmpdir(), 'chaos-results-'));
  try {
    const path = join(dir, 'results.json');
    writeResults(path, { valid: false, checkers: { ...r.checkers, odd: { valid: false, anomalies: [], stats: { inf: Infinity } } } });
    const back = JSON.parse(readFileSync(path, 'utf8'));
    assert.equal(back.valid, false);
    assert.equal(back.checkers.odd.stats.inf, 'Infinity');
    assert.equal(back.checkers.durability.valid, true);
    assert.deepEqual(readdirSync(dir), ['results.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
