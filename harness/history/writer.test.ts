import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HistoryWriter } from './writer.js';

test('each event is on disk as soon as append returns, in a fixed key order', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-writer-'));
  const path = join(dir, 'history.jsonl');
  let t = 0;
  const w = new HistoryWriter(path, () => (t += 10));
  w.append({ process: 0, type: 'invoke', f: 'write', key: 3, value: 'x', node: 'a' });
  // Read back before close: nothing may wait in a user-space buffer.
  const first = readFileSync(path, 'utf8');
  assert.equal(first, '{"index":0,"time":10,"process":0,"type":"invoke","f":"write","key":3,"value":"x","node":"a"}\n');
  w.append({ process: 0, type: 'ok', f: 'write', key: 3, value: 'x', node: 'a', meta: { version: 1 } });
  w.close();
  const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.index), [0, 1]);
  assert.equal(lines[1].meta.version, 1);
  assert.equal(w.events?.length, 2);
});
