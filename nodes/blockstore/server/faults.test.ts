// The issue-14 fault requests of the real shell (what docker capabilities call), with the real
// core in process: disk errors fail fsyncs so a write is not acked, coverage marks in the status
// reply, clock skew persisted for the next start, and journal corruption detected at restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectClient } from '../client/tcp.js';
import { createNode } from '../core/index.js';
import { parseServerArgs } from './config.js';
import { CLOCK_SKEW_FILE, NodeShell, SkewedClock } from './shell.js';

const quiet = () => undefined;

async function startA(root: string, extra: string[] = []) {
  const config = parseServerArgs([
    '--name', 'a', '--role', 'primary', '--data', join(root, 'a'), '--backend', join(root, 'backend'), '--listen', '127.0.0.1:0',
    '--blocks', '8', '--lease-ms', '50', '--takeover-ms', '200', '--heartbeat-ms', '20', '--retry-ms', '20', '--barrier-ms', '30', '--barrier-writes', '4', ...extra,
  ]);
  const shell = new NodeShell({ config, createCore: createNode, log: quiet });
  const { port } = await shell.start();
  const c = connectClient({ host: '127.0.0.1', port, node: 'a', timeoutMs: 3000 });
  return { shell, c };
}

async function writeOk(c: ReturnType<typeof connectClient>, block: number, value: string) {
  for (let i = 0; i < 50; i++) {
    const r = await c.write(block, value);
    if (r.status === 'ok') return r;
    if (r.status === 'info') return r;
    await new Promise((res) => setTimeout(res, 20)); // recovering / claiming at start
  }
  throw new Error('no primary');
}

test('shell: disk-errors fails the next fsyncs; the write is written again before its ack; marks count it', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'chaos-shell-faults-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const { shell, c } = await startA(root);
  t.after(() => shell.stop());
  assert.equal((await writeOk(c, 0, 'before')).status, 'ok');
  const bad = await c.request({ f: 'disk-errors', op: 'fsync', code: 'EIO', count: -1 });
  assert.equal(bad.kind === 'reply' && bad.reply.ok, false, 'a bad count is refused');
  assert.equal((await c.diskErrors('fsync', 'EIO', 1, 'local')).status, 'ok');
  const w = await c.write(1, 'during');
  assert.equal(w.status, 'ok', JSON.stringify(w));
  const st = await c.status();
  assert.equal(st.status, 'ok');
  const marks = (st as { info: { marks?: Record<string, number> } }).info.marks ?? {};
  assert.ok((marks['disk-error-write-retried'] ?? 0) >= 1, JSON.stringify(marks));
  assert.equal((await c.write(2, 'after')).status, 'ok', 'the count is used up: writes go through again');
  const h = await c.health();
  assert.equal(h.status === 'ok' && (h.health.store as { injected: number }).injected, 1);
  await c.close();
});

test('shell: clock-skew changes the rate now and keeps the offset for the next start', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'chaos-shell-faults-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const { shell, c } = await startA(root);
  const r = await c.request({ f: 'clock-skew', offsetMs: 5000, rate: 1.1 });
  assert.equal(r.kind === 'reply' && r.reply.ok, true);
  assert.deepEqual(JSON.parse(readFileSync(join(root, 'a', CLOCK_SKEW_FILE), 'utf8')), { offsetMs: 5000, rate: 1.1 });
  const h = await c.health();
  assert.equal(h.status === 'ok' && h.health.clockRate, 1.1);
  assert.equal((await writeOk(c, 0, 'x')).status, 'ok', 'the node keeps serving at the new rate');
  const refused = await c.request({ f: 'clock-skew', rate: 0 });
  assert.equal(refused.kind === 'reply' && refused.reply.ok, false);
  await c.close();
  await shell.stop();
  assert.ok(existsSync(join(root, 'a', CLOCK_SKEW_FILE)));
  // The clock itself: continuous at a rate change, offset from its start.
  let real = 1000;
  const clock = new SkewedClock(() => real, 500, 1);
  assert.equal(clock.now(), 1500);
  real = 1100;
  clock.setRate(2);
  assert.equal(clock.now(), 1600);
  real = 1200;
  assert.equal(clock.now(), 1800);
  assert.equal(clock.until(2000), 100);
});

test('shell: corrupt-journal flips a bit in the journal file; the restarted node detects it', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'chaos-shell-faults-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  let { shell, c } = await startA(root);
  for (let i = 0; i < 6; i++) assert.equal((await writeOk(c, i, `v${i}`)).status, 'ok');
  const r = await c.corruptJournal('flip', 3);
  assert.equal(r.status, 'ok');
  assert.match(String(r.status === 'ok' && r.corrupted), /flipped a bit/);
  await c.close();
  await shell.stop();
  ({ shell, c } = await startA(root));
  t.after(() => shell.stop());
  let marks: Record<string, number> = {};
  for (let i = 0; i < 50 && !marks['journal-corruption-detected']; i++) {
    const st = await c.status();
    marks = (st as { info?: { marks?: Record<string, number> } }).info?.marks ?? {};
    await new Promise((res) => setTimeout(res, 20));
  }
  assert.equal(marks['journal-corruption-detected'], 1, JSON.stringify(marks));
  await c.close();
});
