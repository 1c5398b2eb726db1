import { test } from 'node:test';
import { blockstore } from '../nodes/blockstore/system.js';

const select = (c: Record<string, unknown>) => blockstore.checkers(c);
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ComposedResult } from '../checkers/types.js';
import type { HistoryEvent } from '../ground/history/types.js';
import { InputError } from '../ground/errors.js';
import { checkOps, toAnomaly } from '../checkers/linearizability/index.js';
import { pairHistory } from '../ground/history/pair.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { faultImpacts, isWriteLike, latencySplit, runShape } from './facts.js';
import { historyData, MAX_DETAIL_OPS } from './history-view.js';
import { originLinks, readHistory, rebuildReport, writeHtmlFromDir } from './index.js';
import { shortValue, describeEvent } from './values.js';
import { verdictLine } from './verdict.js';

const ms = 1e6;
// A lost write: p0 writes x=1 (acked), a is killed, final read returns null.
const events: HistoryEvent[] = [
  { index: 0, time: 1 * ms, process: 0, type: 'invoke', f: 'write', key: 0, value: '0.1', node: 'a' },
  { index: 1, time: 3 * ms, process: 0, type: 'ok', f: 'write', key: 0, value: '0.1', node: 'a', meta: { version: 1, epoch: 1 } },
  { index: 2, time: 4 * ms, process: 'nemesis', type: 'info', f: 'start', value: { kind: 'kill', targets: ['a'] }, meta: { fault: 'kill', targets: ['a'], faultId: 1 } },
  { index: 3, time: 5 * ms, process: 1, type: 'invoke', f: 'read', key: 0, node: 'b' },
  { index: 4, time: 9 * ms, process: 1, type: 'ok', f: 'read', key: 0, value: '0.1', node: 'b', meta: { source: 'cache', version: 1 } },
  { index: 5, time: 10 * ms, process: 1, type: 'invoke', f: 'write', key: 3, value: '1.1', node: 'b' },
  { index: 6, time: 12 * ms, process: 1, type: 'fail', f: 'write', key: 3, node: 'b', meta: { error: 'not-primary' } },
  { index: 7, time: 13 * ms, process: 'nemesis', type: 'info', f: 'recovered', value: { node: 'b' }, node: 'b', meta: { node: 'b', faultId: 1 } },
  { index: 8, time: 14 * ms, process: 1, type: 'invoke', f: 'write', key: 3, value: '1.2', node: 'b' },
  { index: 9, time: 16 * ms, process: 1, type: 'ok', f: 'write', key: 3, value: '1.2', node: 'b', meta: { version: 2000001, epoch: 2 } },
  { index: 10, time: 20 * ms, process: 'nemesis', type: 'info', f: 'stop', value: { kind: 'kill', targets: ['a'] }, meta: { fault: 'kill', targets: ['a'], faultId: 1 } },
  { index: 11, time: 30 * ms, process: 2, type: 'invoke', f: 'read', key: 0, node: 'b', meta: { final: true } },
  { index: 12, time: 31 * ms, process: 2, type: 'ok', f: 'read', key: 0, value: null, node: 'b', meta: { final: true, source: 'backend', version: 0 } },
];
const results: ComposedResult = {
  valid: false,
  checkers: {
    durability: { valid: false, anomalies: [{ kind: 'lost-write', message: 'write 0.1 to block 0 <acked> & lost', events: [0, 1, 11, 12], block: '0' }] },
    linearizability: { valid: 'unknown', anomalies: [], reason: 'timed out' },
    stats: { valid: true, anomalies: [] },
  },
};
const config = { test: 'failover', seed: 7, workload: 'failover', runtime: 'sim', bugs: ['vault-no-flush'] };

test('run shape: ops as columns, faults, who acked writes under which epoch, recoveries, reasons', () => {
  const s = runShape(events);
  assert.equal(s.origin, 0, 'times count from the run start, as results.json and event lines do');
  assert.equal(s.ops.n, 5);
  assert.deepEqual(s.ops.lanes, ['p0', 'p1', 'p2']);
  assert.deepEqual([...s.ops.outcome], [0, 0, 1, 0, 0]);
  assert.deepEqual(s.faults.map((w) => [w.label, w.start, w.end, w.stopped]), [['kill a', 4 * ms, 20 * ms, true]]);
  assert.deepEqual(s.roles.map((r) => [r.node, r.epoch, r.start, r.acks]), [['a', 1, 3 * ms, 1], ['b', 2, 16 * ms, 1]]);
  assert.deepEqual(s.recoveries, [{ time: 13 * ms, node: 'b', faultId: 1 }]);
  assert.deepEqual(s.reasons, [{ f: 'write', type: 'fail', reason: 'not-primary', count: 1, duringFaults: 1 }]);
  assert.equal(s.opOfEvent(12), 4);
  assert.equal(s.opOfEvent(2), -1);
  // the write gap runs from the fault's start to the first acked write invoked after it
  const [impact] = faultImpacts(s, (f) => isWriteLike({ f } as HistoryEvent));
  assert.deepEqual(impact.writeGap, { from: 4 * ms, to: 16 * ms });
  assert.equal(impact.recovery?.node, 'b');
  const lat = latencySplit(s);
  assert.deepEqual(lat.map((r) => [r.f, r.faultFree?.count ?? 0, r.duringFaults?.count ?? 0]), [['read', 1, 1], ['write', 1, 1]]);
});

test('values are shortened whole, never cut mid-JSON; the blocks an anomaly names come first', () => {
  const image = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [String(i), { v: i, value: `x${i}` }]));
  const short = shortValue(image, new Set(['250']));
  assert.ok(short.startsWith('{250: {'), short);
  assert.ok(short.endsWith('…+299 more}'), short);
  assert.ok(shortValue('y'.repeat(200)).endsWith('…"'));
  const line = describeEvent({ index: 3, time: 2e9, process: 4, type: 'ok', f: 'dr-snapshot', value: image, node: 'dr', meta: { barrier: 7 } });
  assert.match(line, /^#3 t=2\.000s p4 ok dr-snapshot \{0: \{v: 0, value: "x0"\}, .*…\+296 entries\} @dr \[barrier=7\]$/);
});

test('a dr image anomaly shows the image whole (folded) and the blocks it names, present or absent', () => {
  const image = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [String(i), { value: `v${i}`, version: i + 1 }]));
  const ev: HistoryEvent[] = [
    { index: 0, time: 0, process: 0, type: 'invoke', f: 'write', key: 77, value: 'x', node: 'a' },
    { index: 1, time: 1e6, process: 0, type: 'ok', f: 'write', key: 77, value: 'x', node: 'a', meta: { version: 41 } },
    { index: 2, time: 2e6, process: 1, type: 'invoke', f: 'dr-snapshot', node: 'dr' },
    { index: 3, time: 3e6, process: 1, type: 'ok', f: 'dr-snapshot', value: image, node: 'dr', meta: { barrier: 2, cut: 41 } },
  ];
  const a = { kind: 'torn-dr-image', message: 'torn', events: [2, 3, 0], tornBlocks: { behind: [{ block: '77', missing: 41 }], ahead: [{ block: '3', version: 4 }] } };
  const html = renderHtml({ config: { test: 'dr', seed: 1 }, events: ev, results: { valid: false, checkers: { 'dr-prefix': { valid: false, anomalies: [a] } } } });
  assert.ok(html.includes('in #3, the blocks this anomaly names: <code>77 = absent</code> <code>3 = {&quot;value&quot;:&quot;v3&quot;,&quot;version&quot;:4}</code>'), 'named blocks, absent or as held');
  assert.ok(html.includes('<summary>#3 value in full (40 entries)</summary>'));
  assert.match(html, /class="named-op" data-events="0 1"/);
  assert.match(html, /class="named-op" data-events="2 3"/);
});

test('the verdict is one sentence: what went wrong, or that nothing did', () => {
  const bad = verdictLine(results, { ops: 4, spanS: 0.03, faults: 1 });
  assert.equal(bad.sentence, '1 acknowledged write was lost (durability), in 4 ops over 0.0 s with 1 fault injected.');
  const ok = verdictLine({ valid: true, checkers: { x: { valid: true, anomalies: [] } } }, { ops: 10, spanS: 2, faults: 0 }, { latency: 'n/a' });
  assert.match(ok.sentence, /^Nothing went wrong: no checker found an anomaly in 10 ops over 2\.0 s with 0 faults injected \(1 checker not applicable/);
  const unk = verdictLine({ valid: 'unknown', checkers: { lin: { valid: 'unknown', anomalies: [], reason: 'time limit' } } }, { ops: 1, spanS: 1, faults: 0 });
  assert.match(unk.sentence, /could not decide: lin: time limit/);
});

test('report.html: verdict first, the anomaly drawn with the ops it names, one axis, escaped, offline', () => {
  const html = renderHtml({ config, events, results, reproduce: 'chaos run --seed 7' });
  assert.match(html, /<p class="verdict bad"><b>INVALID<\/b> 1 acknowledged write was lost \(durability\)/);
  assert.ok(html.indexOf('class="verdict') < html.indexOf('id="anomalies"'), 'verdict before anomalies');
  assert.ok(html.indexOf('id="anomalies"') < html.indexOf('id="run"'), 'anomalies before the run over time');
  assert.match(html, /<td>durability<\/td><td class="bad">INVALID<\/td><td>1 \(lost-write\)/);
  assert.match(html, /<td>linearizability<\/td><td class="unk">unknown<\/td><td>0<\/td><td>timed out/);
  assert.ok(html.includes('write 0.1 to block 0 &lt;acked&gt; &amp; lost'), 'messages are escaped');
  // the drawing: both named ops highlighted and linked to their event lines, in time order
  const card = html.slice(html.indexOf('<article class="anomaly" id="a-durability-lost-write-1"'), html.indexOf('</article>'));
  assert.match(card, /<a href="#a-durability-lost-write-1-op1" class="named-op" data-events="0 1">/);
  assert.match(card, /<a href="#a-durability-lost-write-1-op2" class="named-op" data-events="11 12">/);
  assert.ok(card.includes('1 write 0 &quot;0.1&quot;') || card.includes('1 write 0 "0.1"'), 'the write is labelled with its value');
  assert.ok(card.includes('2 read 0 → null'), 'the read is labelled with what it saw');
  assert.ok(card.includes('@a e1 v1') && card.includes('@b v0 from backend final'), 'node, epoch and version labels');
  assert.ok(card.includes('kill a'), 'the fault between them is named in the drawing');
  assert.ok(card.includes('id="a-durability-lost-write-1-op2"'), 'event lines to link to');
  // one axis: overview with faults, roles, recoveries, the anomaly mark, latency, throughput, write gap, RTO
  const overview = html.slice(html.indexOf('<svg xmlns="http://www.w3.org/2000/svg" width="1100"', html.indexOf('id="run"')));
  for (const part of ['kill a', 'writes acknowledged by', 'class="recovery"', 'href="#a-durability-lost-write-1" class="amark"', 'latency per op', 'thr-ok', 'class="gap"', 'RTO 9 ms']) assert.ok(overview.includes(part), part);
  // failures explained, latency split, history view data, reproduce line
  assert.match(html, /<td>write<\/td><td class="o-fail">fail<\/td><td>not-primary<\/td><td>1<\/td><td>1<\/td>/);
  assert.ok(html.includes('without faults (ms)') && html.includes('during faults (ms)'));
  assert.ok(html.includes('<script type="application/json" id="hv-data">'));
  assert.ok(html.includes('chaos run --seed 7'));
  assert.ok(!/<img|https?:\/\/(?!www\.w3\.org)/.test(html), 'no images to fetch, no network');
});

test('report.html draws histories of other systems: nodes n1..n3, string keys, a set checker whose anomalies are lost elements', () => {
  const ev: HistoryEvent[] = [];
  const add = (e: Omit<HistoryEvent, 'index'>) => ev.push({ ...e, index: ev.length } as HistoryEvent);
  add({ time: 0, process: 0, type: 'invoke', f: 'add', key: 'set-1', value: 5, node: 'n2' });
  add({ time: 2e6, process: 0, type: 'ok', f: 'add', key: 'set-1', value: 5, node: 'n2' });
  add({ time: 3e6, process: 'nemesis', type: 'info', f: 'start', value: 'partition-majorities', meta: { fault: 'partition', targets: ['n1', 'n3'], faultId: 11 } });
  add({ time: 4e6, process: 1, type: 'invoke', f: 'add', key: 'set-1', value: 6, node: 'n3' });
  add({ time: 5e6, process: 1, type: 'info', f: 'add', key: 'set-1', node: 'n3', meta: { error: 'timeout' } });
  add({ time: 9e6, process: 'nemesis', type: 'info', f: 'stop', value: 'partition-majorities', meta: { fault: 'partition', faultId: 11 } });
  add({ time: 10e6, process: 2, type: 'invoke', f: 'read', key: 'set-1', node: 'n1', meta: { final: true } });
  add({ time: 11e6, process: 2, type: 'ok', f: 'read', key: 'set-1', value: [6], node: 'n1', meta: { final: true } });
  const res: ComposedResult = { valid: false, checkers: { set: { valid: false, anomalies: [{ kind: 'lost', message: 'element 5 of set-1 was acknowledged and is not in the final read', events: [0, 1, 6, 7], element: 5 }] } } };
  const html = renderHtml({ config: { test: 'redis-set', seed: 1 }, events: ev, results: res });
  assert.match(html, /1 acknowledged element was lost \(set\)/);
  assert.match(html, /class="named-op" data-events="0 1"/);
  assert.match(html, /class="named-op" data-events="6 7"/);
  assert.ok(html.includes('1 add set-1 5') && html.includes('2 read set-1 → [6]'), 'labels come from the history, whatever the f');
  assert.ok(html.includes('partition n1+n3'), 'fault named with its targets');
  assert.ok(html.includes('>n2<'), 'roles lane uses the system’s own node names');
});

test('a nonlinearizable anomaly shows its partial linearization: steps with states, the stuck op, candidates', () => {
  const ev: HistoryEvent[] = [];
  const add = (e: Omit<HistoryEvent, 'index' | 'time'>) => ev.push({ ...e, index: ev.length, time: ev.length * 1e6 } as HistoryEvent);
  add({ process: 0, type: 'invoke', f: 'write', key: 'k1', value: 'x', node: 'n1' });
  add({ process: 0, type: 'ok', f: 'write', key: 'k1', value: 'x', node: 'n1' });
  add({ process: 1, type: 'invoke', f: 'write', key: 'k1', value: 'y', node: 'n2' });
  add({ process: 1, type: 'ok', f: 'write', key: 'k1', value: 'y', node: 'n2' });
  add({ process: 2, type: 'invoke', f: 'read', key: 'k1', node: 'n3' });
  add({ process: 2, type: 'ok', f: 'read', key: 'k1', value: 'x', node: 'n3' });
  const r = checkOps(pairHistory(ev).ops, { model: 'cas-register', initial: null });
  assert.equal(r.valid, false);
  const a = toAnomaly(r.counterexample!);
  const html = renderHtml({ config: { test: 'etcd', seed: 3 }, events: ev, results: { valid: false, checkers: { linearizability: { valid: false, anomalies: [a] } } } });
  assert.ok(html.includes('Linearization of key &quot;k1&quot;: 2 op(s) linearized, then stuck'));
  assert.match(html, /<tr><td>1<\/td><td><code>p0 write &quot;x&quot;<\/code><\/td><td><code>&quot;x&quot;<\/code><\/td>/);
  assert.match(html, /<tr><td>2<\/td><td><code>p1 write &quot;y&quot;<\/code><\/td><td><code>&quot;y&quot;<\/code><\/td>/);
  assert.match(html, /<tr class="stuck"><td>✗<\/td><td><code>p2 read → &quot;x&quot;<\/code><\/td><td>no legal step from <code>&quot;y&quot;<\/code>/);
  assert.match(html, /class="lin-stuck" data-event="4"/);
});

test('the history view carries every op of a small run, and samples only ok ops of a huge one', () => {
  const small = historyData(runShape(events), []);
  assert.equal(small.s.length, 5);
  assert.equal(small.sampledEvery, 1);
  const big: HistoryEvent[] = [];
  const n = MAX_DETAIL_OPS * 2 + 10;
  for (let i = 0; i < n; i++) {
    const bad = i % 1000 === 0;
    big.push({ index: 2 * i, time: i * 1e6, process: i % 7, type: 'invoke', f: 'write', key: i % 50, value: i });
    big.push({ index: 2 * i + 1, time: i * 1e6 + 5e5, process: i % 7, type: bad ? 'info' : 'ok', f: 'write', key: i % 50, value: i });
  }
  const shape = runShape(big);
  const keep = new Set([12345]);
  const d = historyData(shape, [], keep);
  assert.ok(d.s.length <= MAX_DETAIL_OPS + 1, `${d.s.length} ops carried`);
  assert.ok(d.sampledEvery >= 2);
  assert.equal(d.o.filter((o) => o === 2).length, Math.ceil(n / 1000), 'every info op is kept');
  assert.ok(d.i.includes(shape.ops.invokeIndex[12345]), 'anomaly ops are kept');
});

test('readHistory: one strict rule for every command: a torn last line and a bad line earlier are both named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-hist-'));
  try {
    const p = join(dir, 'h.jsonl');
    const many = Array.from({ length: 45_000 }, (_, i) => JSON.stringify({ index: i, time: i, process: 0, type: i % 2 ? 'ok' : 'invoke', f: 'read' }));
    writeFileSync(p, many.join('\n') + '\n');
    const evs = readHistory(p);
    assert.equal(evs.length, 45_000);
    assert.equal(evs[44_999].index, 44_999);
    // a run killed mid-write: bad input naming the line, as chaos check says (nothing dropped)
    writeFileSync(p, many.join('\n') + '\n{"index": 45000, "ti');
    assert.throws(() => readHistory(p), (e: unknown) => e instanceof InputError && e.message.includes('h.jsonl:45001'));
    const bad = [...many];
    bad[30_001] = '{"index": 30001,';
    writeFileSync(p, bad.join('\n') + '\n');
    assert.throws(() => readHistory(p), (e: unknown) => e instanceof InputError && e.message.includes('h.jsonl:30002'));
    bad[30_001] = '{"index": 1},{"index": 2}';
    writeFileSync(p, bad.join('\n') + '\n');
    assert.throws(() => readHistory(p), (e: unknown) => e instanceof InputError && e.message.includes('h.jsonl:30002'), 'two values on one line');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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

test('chaos report rebuilds results, junit and html from a run directory, with links to where it came from', async () => {
  const root = mkdtempSync(join(tmpdir(), 'chaos-report-'));
  try {
    const dir = join(root, 'run-seed7-shrunk');
    mkdirSync(join(dir, 'nodes'), { recursive: true });
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    // A torn last line is bad input, the same rule as `chaos check`: nothing dropped silently.
    writeFileSync(join(dir, 'history.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n{"index": 13, "ti');
    await assert.rejects(rebuildReport(dir, select), (e: unknown) => e instanceof InputError && /history\.jsonl:\d+: not valid JSON/.test(e.message) && !e.message.includes('\n'));
    writeFileSync(join(dir, 'history.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    writeFileSync(join(dir, 'shrink.json'), JSON.stringify({ from: join(root, 'run-seed7'), target: 'durability:lost-write' }));
    const r = await rebuildReport(dir, select);
    assert.equal(r.checkers.durability.valid, false, 'no verdict recorded: the lost write is found by checking');
    assert.equal(r.rechecked, true);
    // a recorded verdict is drawn as recorded; --recheck judges the history again
    const recorded = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    writeFileSync(join(dir, 'results.json'), JSON.stringify({ ...recorded, checkers: { ...recorded.checkers, durability: { valid: true, anomalies: [] } }, valid: 'unknown' }));
    const again = await rebuildReport(dir, select);
    assert.equal(again.rechecked, false);
    assert.equal(again.checkers.durability.valid, true);
    assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /<td>durability<\/td><td class="ok">valid/);
    const re = await rebuildReport(dir, select, undefined, { recheck: true });
    assert.equal(re.rechecked, true);
    assert.equal(re.checkers.durability.valid, false);
    for (const f of ['results.json', 'junit.xml', 'report.html']) assert.ok(existsSync(join(dir, f)), f);
    assert.equal(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).valid, false);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    assert.ok(html.includes('<a href="../run-seed7/report.html">shrunk from run-seed7 while keeping durability:lost-write</a>'), 'link back to the original run');
    // the original, rendered from its recorded verdict, links on to the shrunk run
    const orig = join(root, 'run-seed7');
    mkdirSync(orig);
    for (const f of ['config.json', 'history.jsonl', 'results.json']) writeFileSync(join(orig, f), readFileSync(join(dir, f)));
    writeHtmlFromDir(orig);
    assert.ok(readFileSync(join(orig, 'report.html'), 'utf8').includes('<a href="../run-seed7-shrunk/report.html">shrunk run run-seed7-shrunk</a>'));
    // a failing sweep seed links to the sweep's summary
    const seedDir = join(root, 'sweeps', 's1', 'runs', 'register', 'seed4');
    mkdirSync(seedDir, { recursive: true });
    writeFileSync(join(seedDir, 'origin.json'), JSON.stringify({ from: 'sweep', summary: join(root, 'sweeps', 's1', 'summary.json'), seeds: '1..10' }));
    assert.deepEqual(originLinks(seedDir), [{ label: 'found by a sweep (seeds 1..10)', href: '../../../summary.json' }]);
    await assert.rejects(rebuildReport(join(dir, 'nodes'), select), (e: unknown) => e instanceof InputError && /not a run directory/.test(e.message));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
