import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileSegment, RecordStore, segmentName } from './store.js';

function dirs() {
  const root = mkdtempSync(join(tmpdir(), 'chaos-store-'));
  return { root, local: join(root, 'local'), backend: join(root, 'backend') };
}

test('appended records come back at start, synced or not, until dropped', async (t) => {
  const d = dirs();
  t.after(() => rmSync(d.root, { recursive: true, force: true }));
  const s = new RecordStore({ local: d.local, backend: d.backend }, 'a');
  await s.append({ volume: 'local', file: 'oplog' }, ['r1', 'with\nnewline', '{"j":1}']);
  await s.fsync({ volume: 'local', file: 'oplog' });
  await s.append({ volume: 'local', file: 'oplog' }, ['unsynced']);
  await s.append({ volume: 'backend', file: 'data-a' }, ['d1']);
  await s.close();

  const kept = new RecordStore({ local: d.local, backend: d.backend }, 'a').load(false);
  assert.deepEqual(kept.image.local.oplog, ['r1', 'with\nnewline', '{"j":1}', 'unsynced']);
  assert.deepEqual(kept.image.backend['data-a'], ['d1']);

  const dropped = new RecordStore({ local: d.local, backend: d.backend }, 'a').load(true);
  assert.deepEqual(dropped.image.local.oplog, ['r1', 'with\nnewline', '{"j":1}']);
  assert.deepEqual(dropped.image.backend['data-a'], ['d1'], 'the shared backend did not lose power');
  assert.ok(dropped.dropped > 0);
});

test("drop-unsynced never touches another writer's backend file", async (t) => {
  const d = dirs();
  t.after(() => rmSync(d.root, { recursive: true, force: true }));
  const a = new RecordStore({ local: join(d.root, 'la'), backend: d.backend }, 'a');
  await a.append({ volume: 'backend', file: 'data-a' }, ['x', 'y']);
  await a.close();
  const b = new RecordStore({ local: join(d.root, 'lb'), backend: d.backend }, 'b');
  assert.deepEqual(b.load(true).image.backend['data-a'], ['x', 'y']);
});

test('a torn last line is invisible and cut from owned files', async (t) => {
  const d = dirs();
  t.after(() => rmSync(d.root, { recursive: true, force: true }));
  const s = new RecordStore({ local: d.local }, 'a');
  await s.append({ volume: 'local', file: 'j' }, ['one']);
  await s.fsync({ volume: 'local', file: 'j' });
  await s.close();
  appendFileSync(join(d.local, 'j'), '"tor');
  const s2 = new RecordStore({ local: d.local }, 'a');
  assert.deepEqual(s2.load(false).image.local.j, ['one']);
  assert.equal(readFileSync(join(d.local, 'j'), 'utf8'), '"one"\n');
  await s2.append({ volume: 'local', file: 'j' }, ['two']);
  await s2.close();
  assert.deepEqual(new RecordStore({ local: d.local }, 'a').load(false).image.local.j, ['one', 'two']);
});

test('reads by location see what another process appended since', async (t) => {
  const d = dirs();
  t.after(() => rmSync(d.root, { recursive: true, force: true }));
  const a = new RecordStore({ local: join(d.root, 'la'), backend: d.backend }, 'a');
  const b = new RecordStore({ local: join(d.root, 'lb'), backend: d.backend }, 'b');
  const f = { volume: 'backend' as const, file: 'data-a' };
  await a.append(f, ['v0', 'v1']);
  assert.deepEqual(await b.read(f, 1, 2), ['v1']);
  assert.deepEqual(await b.read(f, 1, Number.MAX_SAFE_INTEGER), ['v1'], 'reads stop at the end');
  assert.deepEqual(await b.read(f, 5, 9), []);
  await a.append(f, ['v2']);
  assert.deepEqual(await b.read(f, 0, 3), ['v0', 'v1', 'v2']);
  await a.delete(f);
  await a.append(f, ['w0']);
  await a.close();
  await b.close();
  assert.deepEqual(new RecordStore({ backend: d.backend }, 'b').load(false).image.backend['data-a'], ['w0']);
});

test('file names map to safe segments and back', () => {
  for (const n of ['oplog', '../etc', '.synced', 'a/b', 'x y*', 'épique']) {
    const seg = fileSegment(n);
    assert.ok(!seg.includes('/') && !seg.startsWith('.'), seg);
    assert.equal(segmentName(seg), n);
  }
});

test('group commit: fsyncs queued behind a running one share a single fsync, in order', async (t) => {
  const d = dirs();
  t.after(() => rmSync(d.root, { recursive: true, force: true }));
  const s = new RecordStore({ local: d.local }, 'a');
  const f = { volume: 'local' as const, file: 'oplog' };
  const done: string[] = [];
  await Promise.all(
    Array.from({ length: 20 }, (_, i) => [
      s.append(f, [`r${i}`]).then(() => done.push(`a${i}`)),
      s.fsync(f).then(() => done.push(`f${i}`)),
    ]).flat(),
  );
  assert.ok(s.stats.fsyncs < 20, `fsyncs: ${s.stats.fsyncs}`);
  // Each fsync completes only after its own append.
  for (let i = 0; i < 20; i++) assert.ok(done.indexOf(`a${i}`) < done.indexOf(`f${i}`));
  await s.close();
  const all = Array.from({ length: 20 }, (_, i) => `r${i}`);
  assert.deepEqual(new RecordStore({ local: d.local }, 'a').load(true).image.local.oplog, all, 'every fsynced record survives a drop');
});
