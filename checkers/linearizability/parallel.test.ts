import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HistoryEvent } from '../../ground/history/types.js';
import { checkHistory } from './index.js';
import { autoWorkers } from './parallel.js';

/** Per key: two concurrent appends, then a get that sees them in one order. */
function kvHistory(keys: number, badKey = -1): HistoryEvent[] {
  const es: Omit<HistoryEvent, 'index' | 'time'>[] = [];
  for (let k = 0; k < keys; k++) {
    const key = `k${k}`;
    es.push({ process: 0, type: 'invoke', f: 'append', key, value: 'a' }, { process: 1, type: 'invoke', f: 'append', key, value: 'b' });
    es.push({ process: 0, type: 'ok', f: 'append', key, value: 'a' }, { process: 1, type: 'ok', f: 'append', key, value: 'b' });
    es.push({ process: 2, type: 'invoke', f: 'get', key, value: null }, { process: 2, type: 'ok', f: 'get', key, value: k === badKey ? 'aa' : 'ba' });
  }
  return es.map((e, index) => ({ ...e, index, time: index }));
}

test('worker threads give the same verdicts and counterexample as one thread', async () => {
  const ok = await checkHistory(kvHistory(6), { model: 'kv', workers: 2 });
  assert.equal(ok.valid, true);
  assert.equal(ok.partitions, 6);
  assert.equal(ok.ops, 18);
  const bad = await checkHistory(kvHistory(6, 4), { model: 'kv', workers: 2 });
  const same = await checkHistory(kvHistory(6, 4), { model: 'kv', workers: 0 });
  assert.equal(bad.valid, false);
  assert.equal(bad.counterexample?.key, 'k4');
  assert.deepEqual(bad.counterexample, same.counterexample);
});

test('threads only for several keys', () => {
  assert.equal(autoWorkers(1), 0);
  assert.ok(autoWorkers(10) <= 8);
});

test('a user model goes to the workers by path; its faults come back as input errors', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const { loadModel } = await import('./user-model.js');
  const { InputError } = await import('../../ground/errors.js');
  const dir = mkdtempSync(path.join(tmpdir(), 'chaos-model-'));
  const src = (extra: string) => `import { isMainThread } from 'node:worker_threads';\nexport default { name: 'kv-user', init: () => '', equal: (a, b) => a === b,
    step(s, op) { ${extra} if (op.f === 'get') return op.output === undefined || op.output === s ? s : undefined; return op.f === 'put' ? op.input : s + op.input; } };\n`;
  writeFileSync(path.join(dir, 'kv.mjs'), src(''));
  writeFileSync(path.join(dir, 'throws.mjs'), src(`if (!isMainThread) throw new Error('not in a worker');`));
  const model = await loadModel(path.join(dir, 'kv.mjs'));
  const ok = await checkHistory(kvHistory(6), { model, workers: 2 });
  assert.equal(ok.valid, true);
  assert.equal(ok.model, 'kv-user');
  const bad = await checkHistory(kvHistory(6, 4), { model, workers: 2 });
  const same = await checkHistory(kvHistory(6, 4), { model, workers: 0 });
  assert.equal(bad.valid, false);
  assert.deepEqual(bad.counterexample, same.counterexample);
  const throws = await loadModel(path.join(dir, 'throws.mjs'));
  // the worker names the op by event index; this thread turns it into the file's line
  const locate = (i: number) => `h.jsonl:${i + 1}`;
  await assert.rejects(checkHistory(kvHistory(6), { model: throws, workers: 3, locate }), (e) => e instanceof InputError && /^h\.jsonl:\d+: model kv-user: step\(\) threw: not in a worker/.test(e.message));
});
