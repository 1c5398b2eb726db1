import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { HistoryWriter, type NewEvent } from './writer.js';
import type { HistoryEvent } from './types.js';

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

test('a replayable writer batches its writes and has every event on disk after close', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-writer-'));
  const path = join(dir, 'history.jsonl');
  const w = new HistoryWriter(path, () => 5, { flush: 'replayable' });
  w.append({ process: 0, type: 'invoke', f: 'write', key: 3, value: 'x', node: 'a' });
  assert.equal(readFileSync(path, 'utf8'), '', 'held until a batch fills or the writer closes');
  for (let i = 0; i < 2000; i++) w.append({ process: 1, type: 'invoke', f: 'read', key: i, value: 'y'.repeat(40) });
  const partial = readFileSync(path, 'utf8');
  assert.ok(partial.length > 0 && partial.endsWith('\n'), 'full batches are written as they fill, whole lines only');
  w.close();
  const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.index), Array.from({ length: 2001 }, (_, i) => i));
  assert.equal(lines[0].time, 5);
});

test('a held history writes nothing until save, then the same bytes a replayable one does', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-writer-'));
  const heldPath = join(dir, 'held.jsonl');
  const batchedPath = join(dir, 'batched.jsonl');
  let t = 0;
  const make = (flush: 'held' | 'replayable', path: string) => new HistoryWriter(path, () => t, { flush });
  const h = make('held', heldPath);
  const b = make('replayable', batchedPath);
  for (let i = 0; i < 3000; i++) {
    t += 7;
    const e: NewEvent = { process: i % 5, type: i % 2 ? 'ok' : 'invoke', f: 'write', key: i, value: `v${i}`, node: 'a', ...(i % 2 ? { meta: { version: i } } : {}) };
    h.append(e);
    b.append(e);
  }
  assert.ok(!existsSync(heldPath), 'nothing on disk while the run goes');
  h.close();
  b.close();
  assert.throws(() => h.append({ process: 0, type: 'invoke', f: 'read' }), /closed/);
  assert.equal(h.events?.length, 3000, 'the events are all in memory for the checkers');
  h.save();
  h.save();
  assert.equal(readFileSync(heldPath, 'utf8'), readFileSync(batchedPath, 'utf8'), 'saved once, byte for byte the replayable file');
  assert.throws(() => new HistoryWriter(join(dir, 'x.jsonl'), () => 0, { flush: 'held', keep: false }), /events kept/);
});

test('a written line is what JSON.stringify makes of the event, for any values an event may carry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-writer-'));
  const path = join(dir, 'history.jsonl');
  const w = new HistoryWriter(path, () => 0, { flush: 'replayable' });
  const json = fc.jsonValue();
  const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
  const events = fc.array(
    fc.record({
      time: maybe(fc.oneof(fc.integer(), fc.double())),
      process: fc.oneof(fc.integer(), fc.string(), fc.string({ unit: 'binary' })),
      type: fc.constantFrom('invoke', 'ok', 'fail', 'info'),
      f: maybe(fc.string()),
      key: maybe(fc.oneof(fc.integer(), fc.string())),
      value: maybe(fc.oneof(json, fc.double(), fc.constant(() => 1))),
      node: maybe(fc.string()),
      // Flat and nested objects of every kind JSON.stringify treats apart: NaN, -0, undefined,
      // functions, Dates (toJSON), null prototypes (fc.dictionary makes some), odd keys.
      meta: maybe(fc.oneof(
        fc.dictionary(fc.string(), fc.oneof(json, fc.double(), fc.constant(undefined), fc.constant(() => 1), fc.date({ noInvalidDate: true }))),
        fc.dictionary(fc.string(), fc.dictionary(fc.string({ unit: 'binary' }), fc.oneof(fc.double(), fc.constant(undefined), json))),
        fc.anything(),
      )),
    }),
    { maxLength: 200 },
  );
  const written: HistoryEvent[] = [];
  fc.assert(fc.property(events, (es) => { for (const e of es) written.push(w.append(e as NewEvent)); }), { numRuns: 50 });
  w.close();
  assert.equal(readFileSync(path, 'utf8'), written.map((e) => JSON.stringify(e) + '\n').join(''));
});
