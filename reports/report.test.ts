import { test } from 'node:test';
import { blockstore } from '../nodes/blockstore/system.js';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ComposedResult } from '../checkers/types.js';
import type { HistoryEvent } from '../ground/history/types.js';
import { InputError } from '../ground/errors.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { faultWindows, opPoints } from './timeline.js';
import { rebuildReport } from './index.js';

const ms = 1e6;
// A lost write: p0 writes x=1 (acked), a is killed, final read returns null.
const events: HistoryEvent[] = [
  { index: 0, time: 1 * ms, process: 0, type: 'invoke', f: 'write', key: 0, value: '0.1', node: 'a' },
  { index: 1, time: 3 * ms, process: 0, type: 'ok', f: 'write', key: 0, value: '0.1', node: 'a', meta: { version: 1 } },
  { index: 2, time: 4 * ms, process: 'nemesis', type: 'info', f: 'start', value: { kind: 'kill', targets: ['a'] }, meta: { fault: 'kill', targets: ['a'], faultId: 1 } },
  { index: 3, time: 5 * ms, process: 1, type: 'invoke', f: 'read', key: 0, node: 'b' },
  { index: 4, time: 9 * ms, process: 1, type: 'ok', f: 'read', key: 0, value: '0.1', node: 'b', meta: { source: 'cache', version: 1 } },
  { index: 5, time: 20 * ms, process: 'nemesis', type: 'info', f: 'stop', value: { kind: 'kill', targets: ['a'] }, meta: { fault: 'kill', targets: ['a'], faultId: 1 } },
  { index: 6, time: 30 * ms, process: 2, type: 'invoke', f: 'read', key: 0, node: 'a', meta: { final: true } },
  { index: 7, time: 31 * ms, process: 2, type: 'ok', f: 'read', key: 0, value: null, node: 'a', meta: { final: true, source: 'backend', version: 0 } },
];
const results: ComposedResult = {
  valid: false,
  checkers: {
    durability: { valid: false, anomalies: [{ kind: 'lost-write', message: 'write 0.1 to block 0 <acked> & lost', events: [0, 1, 6, 7] }] },
    linearizability: { valid: 'unknown', anomalies: [], reason: 'timed out' },
    stats: { valid: true, anomalies: [] },
  },
};
const config = { test: 'failover', seed: 7, workload: 'failover', runtime: 'sim', bugs: ['vault-no-flush'] };

test('timeline facts: op latencies and fault windows', () => {
  assert.deepEqual(opPoints(events).map((p) => [p.f, p.type, p.ms]), [['write', 'ok', 2], ['read', 'ok', 4], ['read', 'ok', 1]]);
  assert.deepEqual(faultWindows(events).map((w) => [w.kind, w.start, w.end, w.label]), [['kill', 0.003, 0.019, 'kill a']]);
});

test('report.html names the verdict per checker, the anomaly with its ops, the faults, escaped', () => {
  const html = renderHtml({ config, events, results, reproduce: 'chaos run --seed 7', charts: { latency: 'latency.png' } });
  assert.match(html, /<p class="verdict bad">INVALID<\/p>/);
  assert.match(html, /<td>durability<\/td><td class="bad">INVALID<\/td><td>1 \(lost-write\)/);
  assert.match(html, /<td>linearizability<\/td><td class="unk">unknown<\/td><td>0<\/td><td>timed out/);
  assert.ok(html.includes('write 0.1 to block 0 &lt;acked&gt; &amp; lost'), 'messages are escaped');
  assert.ok(html.includes('#6 t=0.030s p2 invoke read block 0 @a [final=true]'), 'the anomaly names its ops');
  assert.ok(html.includes('kill a'), 'fault timeline');
  assert.ok(html.includes('<img src="latency.png"'));
  assert.ok(html.includes('chaos run --seed 7'));
});

test('junit.xml: a failure per violated checker; unknown, harness failure, interruption are errors, never skipped', () => {
  const x = renderJunit({ test: 'failover', seed: 7 }, results, ['nemesis: pause refused']);
  assert.match(x, /<testsuite name="chaos.failover" tests="4" failures="1" errors="2" skipped="0">/);
  assert.match(x, /<testcase classname="chaos.failover.seed7" name="durability"><failure message="1 anomalies: lost-write" type="violation">lost-write: write 0.1 to block 0 &lt;acked&gt; &amp; lost<\/failure>/);
  assert.match(x, /name="linearizability"><error message="unknown: timed out" type="unknown"\/>/);
  assert.match(x, /name="harness-errors"><error message="1 harness errors" type="harness"\/>/);
  assert.doesNotMatch(x, /<skipped/);
  // a broken run: the harness checker and the harness errors both appear, under distinct names,
  // and the class names the run directory so files of two runs never share a test name
  const broken = { valid: 'unknown' as const, checkers: { harness: { valid: 'unknown' as const, anomalies: [], reason: 'run: network has active endpoints' } }, interrupted: { signal: 'SIGINT', phase: 'workload', ranS: 12, plannedS: 30, faultsStarted: 1, faultsPlanned: 3 } };
  const y = renderJunit({ test: 'register', seed: 1, run: '20261130T120000Z-seed1-abc' }, broken, ['run: network has active endpoints']);
  const names = [...y.matchAll(/<testcase classname="([^"]+)" name="([^"]+)"/g)].map((m) => `${m[1]}/${m[2]}`);
  assert.equal(new Set(names).size, names.length, names.join(' '));
  assert.ok(names.every((n) => n.startsWith('chaos.register.seed1.20261130T120000Z-seed1-abc/')));
  assert.match(y, /name="run"><error message="interrupted by SIGINT during workload after 12 s of 30 s \(1 of 3 planned faults started\)" type="interrupted"\/>/);
  assert.match(y, /tests="3" failures="0" errors="3" skipped="0"/);
});

test('chaos report rebuilds results, junit and html (with charts) from a run directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-report-'));
  try {
    mkdirSync(join(dir, 'nodes'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    // A torn last line is bad input, the same rule as `chaos check`: nothing dropped silently.
    writeFileSync(join(dir, 'history.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n{"index": 8, "ti');
    await assert.rejects(rebuildReport(dir, (c) => blockstore.checkers(c)), (e: unknown) => e instanceof InputError && /history\.jsonl:9: not valid JSON/.test(e.message) && !e.message.includes('\n'));
    writeFileSync(join(dir, 'history.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const r = await rebuildReport(dir, (c) => blockstore.checkers(c));
    assert.equal(r.checkers.durability.valid, false, 'the lost write is found again');
    for (const f of ['results.json', 'junit.xml', 'report.html', 'latency.png', 'throughput.png']) assert.ok(existsSync(join(dir, f)), f);
    assert.equal(readFileSync(join(dir, 'latency.png')).subarray(1, 4).toString(), 'PNG');
    assert.equal(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).valid, false);
    await assert.rejects(rebuildReport(join(dir, 'nodes'), (c) => blockstore.checkers(c)), (e: unknown) => e instanceof InputError && /not a run directory/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
