// Suite files, expansion and sharding, judging, junit and the retry rule, without running a
// cluster (the CLI tests beside this file run real simulated runs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { InputError } from '../../ground/errors.js';
import { parseSuite, loadSuite, type Suite, type SuiteCase } from './schema.js';
import { expand, shardSpecs } from './expand.js';
import { judgeCase, suiteExit } from './evaluate.js';
import { renderSuiteJunit } from './junit.js';
import { runSuite } from './runner.js';
import type { RunRecord } from './types.js';
import { fileURLToPath } from 'node:url';

function badInput(text: string): string {
  try {
    parseSuite(text, 'x.yaml');
  } catch (e) {
    assert.ok(e instanceof InputError, `InputError, got ${(e as Error).stack}`);
    assert.equal(e.message.split('\n').length, 1, 'one line');
    return e.message;
  }
  assert.fail(`accepted:\n${text}`);
}

test('a bad suite file is one line naming the file, the line and what was expected', () => {
  assert.match(badInput('name: s\ncases:\n  - name: a\n    workload: register\n    colour: red\n'), /^x\.yaml:3: cases\.0: unknown key 'colour'/);
  assert.match(badInput('name: s\ncases:\n  - name: a\n    seeds: 5..2\n'), /^x\.yaml:4: '5\.\.2' is not a seed range; expected A\.\.B/);
  assert.match(badInput('name: s\ncases:\n  - name: a\n    seeds: [1, 1]\n'), /^x\.yaml:4: cases\.0\.seeds: a seed is listed twice/);
  assert.match(badInput('name: s\ncases:\n  - name: a\n    workload: queue\n'), /^x\.yaml:3: case 'a': --workload: system 'blockstore' has no workload 'queue'; expected one of register, failover, dr/);
  assert.match(badInput('name: s\ncases:\n  - name: a\n    bugs: [nope]\n'), /unknown bug switch 'nope'/);
  assert.match(badInput('name: s\ncases:\n  - name: a\n    params: {leeseMs: 3}\n'), /unknown node parameter 'leeseMs'/);
  assert.match(badInput('name: s\ncases:\n  - name: a\n    expect: {invalid: [durabilty]}\n'), /^x\.yaml:4: cases\.0\.expect\.invalid: unknown checker 'durabilty'; expected some of .*durability/);
  assert.match(badInput('name: s\ncases:\n  - name: a\n    unknown: retry\n'), /^x\.yaml:4: cases\.0\.unknown: a sim run is a function of its seed/);
  assert.match(badInput('name: s\ncases:\n  - name: a\n  - name: a\n'), /^x\.yaml:4: cases\.1\.name: 'a' names two cases/);
  assert.match(badInput('name: s\ncases:\n  - name: a\n    system: cassandra\n'), /^x\.yaml:4: cases\.0\.system: unknown system 'cassandra'; expected one of blockstore, etcd, redis, or a path/);
  assert.match(badInput('name: s\ncases:\n  - name: a\n    system: etcd\n    bugs: [torn-barrier]\n'), /case 'a': --bug: unknown bug switch 'torn-barrier' for system 'etcd'/);
  assert.match(badInput('name: s\ncases:\n  - name: a\n    system: redis\n    workload: failover\n'), /system 'redis' has no workload 'failover'; expected one of register, set/);
  assert.match(badInput('name: s\ncases:\n  - name: a\n    runtime: vm\n'), /^x\.yaml:4: cases\.0\.runtime: expected one of sim, docker/);
  assert.match(badInput('name: s\ncases: [\n'), /^x\.yaml:\d+: .*; expected YAML/);
  assert.match(badInput('name: s\n'), /^x\.yaml:1: cases: /);
  assert.match(badInput('name: s\ncases:\n  - name: a\n    expect: invalid\n'), /expect: expected 'valid' or \{invalid: \[checker, \.\.\.\], find: any\|every\}/);
  assert.throws(() => loadSuite('/nonexistent/suite.yaml'), /^InputError: \/nonexistent\/suite\.yaml: cannot read the suite file \(ENOENT\)/);
});

const SUITE = `
name: t
defaults: {time-limit: 2}
cases:
  - {name: reg, workload: register, seeds: 1..7}
  - {name: fo, workload: failover, seeds: [3, 9, 4]}
  - {name: bug, workload: dr, bugs: [torn-barrier], seeds: 1..5, expect: {invalid: [dr-prefix]}}
  - {name: every, workload: dr, bugs: [torn-barrier], seeds: 1..4, expect: {invalid: [dr-prefix], find: every}}
  - {name: dock, runtime: docker, workload: register, seeds: 1..2, unknown: retry, retries: 3}
`;

test('defaults apply under each case, seeds expand in order, and a case is normalised as data', () => {
  const s = parseSuite(SUITE, 's.yaml');
  const fo = s.cases.find((c) => c.name === 'fo')!;
  assert.deepEqual(fo.seeds, [3, 4, 9]);
  assert.equal(fo.timeLimitS, 2);
  assert.equal(fo.unknown, 'report');
  assert.deepEqual(s.cases.find((c) => c.name === 'bug')!.expect, { verdict: 'invalid', checkers: ['dr-prefix'], find: 'any' });
  assert.equal(s.cases.find((c) => c.name === 'dock')!.retries, 3);
  const all = expand(s);
  assert.equal(all.length, 7 + 3 + 5 + 4 + 2);
  assert.deepEqual(all.map((x) => x.index), all.map((_, i) => i));
  assert.deepEqual(JSON.parse(JSON.stringify(s)), s, 'plain data (posted to worker threads, stored in summary.json)');
});

test('shards 1/3, 2/3, 3/3 are disjoint, cover the suite, and keep a find-any case whole', () => {
  const s = parseSuite(SUITE, 's.yaml');
  const all = expand(s);
  const shards = [1, 2, 3].map((index) => shardSpecs(s, { index, count: 3 }));
  const keys = shards.map((sh) => sh.map((x) => `${x.case}#${x.seed}`));
  const union = keys.flat();
  assert.equal(new Set(union).size, union.length, 'disjoint');
  assert.deepEqual([...union].sort(), all.map((x) => `${x.case}#${x.seed}`).sort(), 'union is the whole suite');
  const holding = shards.map((sh) => sh.some((x) => x.case === 'bug'));
  assert.equal(holding.filter(Boolean).length, 1, 'the find-any case lives in one shard');
  assert.ok(shards.every((sh) => sh.length >= 5), `balanced enough: ${shards.map((x) => x.length)}`);
  assert.deepEqual(shardSpecs(s, { index: 2, count: 3 }), shards[1], 'deterministic');
  assert.deepEqual(shardSpecs(s, { index: 1, count: 1 }), all);
});

const rec = (c: string, seed: number, verdict: RunRecord['verdict'], checkers: Record<string, true | false | 'unknown'> = {}, attempts = 1): RunRecord => ({
  case: c,
  seed,
  runtime: 'sim',
  verdict,
  checkers: Object.fromEntries(Object.entries(checkers).map(([n, v]) => [n, { valid: v, anomalies: v === false ? 2 : 0, kinds: v === false ? ['lost-write'] : [], ...(v === 'unknown' ? { reason: 'too few samples' } : {}) }])),
  anomalies: Object.values(checkers).filter((v) => v === false).length * 2,
  kinds: [],
  summary: Object.entries(checkers).filter(([, v]) => v === false).map(([n]) => `${n}: 2 anomalies (lost-write)`).join('\n'),
  reproduce: `chaos run --runtime sim --seed ${seed}`,
  errors: verdict === 'error' ? ['run: boom'] : [],
  durationMs: 100,
  startedAt: '2026-01-01T00:00:00.000Z',
  attempts,
});

function kase(over: Partial<SuiteCase>): SuiteCase {
  return { name: 'k', system: 'blockstore', runtime: 'sim', workload: 'register', seeds: [1, 2, 3], timeLimitS: 1, bugs: [], expect: { verdict: 'valid' }, unknown: 'report', retries: 0, ...over };
}

test('judging: valid, invalid by named checkers (any / every), the unknown rules, harness failures', () => {
  const valid = kase({});
  assert.equal(judgeCase(valid, [rec('k', 1, true), rec('k', 2, true)]).outcome, 'met');
  const bad = judgeCase(valid, [rec('k', 1, true), rec('k', 2, false, { durability: false })]);
  assert.equal(bad.outcome, 'unmet');
  assert.deepEqual(bad.runs.map((r) => r.outcome), ['met', 'unmet']);
  assert.match(bad.runs[1].note, /expected valid; durability found violations/);

  const any = kase({ expect: { verdict: 'invalid', checkers: ['durability'], find: 'any' } });
  const found = judgeCase(any, [rec('k', 1, true), rec('k', 2, false, { durability: false }), rec('k', 3, 'unknown', { latency: 'unknown' })]);
  assert.equal(found.outcome, 'met');
  assert.match(found.runs[0].note, /not found by this seed .*seed 2 found it/);
  const wrongChecker = judgeCase(any, [rec('k', 1, false, { latency: false }), rec('k', 2, true)]);
  assert.equal(wrongChecker.outcome, 'unmet');
  assert.match(wrongChecker.runs[0].note, /expected invalid by durability; only latency found violations; no seed of the case found it/);
  // Nobody found it, but an unknown might have hidden the find: unknown, not unmet.
  assert.equal(judgeCase(any, [rec('k', 1, true), rec('k', 2, 'unknown', { durability: 'unknown' })]).outcome, 'unknown');

  const every = kase({ expect: { verdict: 'invalid', checkers: ['durability'], find: 'every' } });
  assert.equal(judgeCase(every, [rec('k', 1, false, { durability: false }), rec('k', 2, true)]).outcome, 'unmet');
  assert.equal(judgeCase(every, [rec('k', 1, false, { durability: false, latency: false })]).outcome, 'met');

  assert.equal(judgeCase(kase({ unknown: 'pass' }), [rec('k', 1, 'unknown', { latency: 'unknown' })]).outcome, 'met');
  assert.equal(judgeCase(kase({ unknown: 'pass' }), [rec('k', 1, 'unknown', { latency: 'unknown' })]).runs[0].outcome, 'accepted');
  assert.equal(judgeCase(kase({ unknown: 'fail' }), [rec('k', 1, 'unknown', { latency: 'unknown' })]).outcome, 'unmet');
  assert.equal(judgeCase(kase({ unknown: 'report' }), [rec('k', 1, 'unknown', { latency: 'unknown' })]).outcome, 'unknown');
  assert.match(judgeCase(kase({ unknown: 'retry', runtime: 'docker', retries: 2 }), [rec('k', 1, 'unknown', { latency: 'unknown' }, 3)]).runs[0].note, /unknown after 3 attempts \(unknown: retry\): latency: too few samples/);
  assert.equal(judgeCase(valid, [rec('k', 1, 'error')]).outcome, 'error');

  assert.equal(suiteExit([{ outcome: 'met' }, { outcome: 'met' }]), 0);
  assert.equal(suiteExit([{ outcome: 'met' }, { outcome: 'unknown' }]), 3);
  assert.equal(suiteExit([{ outcome: 'error' }, { outcome: 'unknown' }]), 4);
  assert.equal(suiteExit([{ outcome: 'error' }, { outcome: 'unmet' }, { outcome: 'unknown' }]), 1);
});

test('junit.xml parses as XML: a testsuite per case, a testcase per seed, failures carry the summary and the reproduce command', () => {
  const valid = kase({ name: 'v<&>"' });
  const cases = [
    judgeCase(valid, [rec('v<&>"', 1, true), rec('v<&>"', 2, false, { durability: false })]),
    judgeCase(kase({ name: 'u', unknown: 'report' }), [rec('u', 4, 'unknown', { latency: 'unknown' })]),
    judgeCase(kase({ name: 'e' }), [rec('e', 5, 'error')]),
  ];
  cases[0].runs[1].summary += '\n  lost-write: a write of "x\u0001" acked then gone <b>';
  const xml = renderSuiteJunit(cases, { suite: 's', attachment: (r) => (r.seed === 1 ? undefined : `runs/k/seed${r.seed}/report.html`) });
  assert.equal(XMLValidator.validate(xml), true);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => ['testsuite', 'testcase', 'property'].includes(n) }).parse(xml);
  const suites = doc.testsuites.testsuite;
  assert.deepEqual(suites.map((s: { name: string }) => s.name), ['v<&>"', 'u', 'e']);
  assert.equal(doc.testsuites.tests, '4');
  assert.equal(doc.testsuites.failures, '1');
  assert.equal(doc.testsuites.errors, '1');
  assert.equal(doc.testsuites.skipped, '1');
  const [ok, failed] = suites[0].testcase;
  assert.equal(ok.name, 'seed 1');
  assert.equal(ok.failure, undefined);
  assert.match(ok['system-out'], /run directory removed/);
  assert.match(failed.failure.message, /^INVALID: expected valid; durability found violations\ndurability: 2 anomalies \(lost-write\)\n {2}lost-write: a write of "x" acked then gone <b>\nreproduce with: chaos run --runtime sim --seed 2$/);
  assert.match(failed['system-out'], /\[\[ATTACHMENT\|runs\/k\/seed2\/report\.html\]\]/);
  assert.equal(suites[1].testcase[0].skipped.message.startsWith('unknown (unknown: report): latency: too few samples'), true);
  assert.match(suites[2].testcase[0].error.message, /harness failure: run: boom/);
  assert.equal(suites[0].properties.property.find((p: { name: string }) => p.name === 'expect').value, 'valid');
});

test('a docker seed that ends unknown under unknown: retry runs again, up to its retries', async () => {
  const s: Suite = parseSuite('name: r\ncases:\n  - {name: d, runtime: docker, seeds: [1, 2], unknown: retry, retries: 2}\n  - {name: once, runtime: docker, seeds: [3]}\n', 'r.yaml');
  const calls: string[] = [];
  const out = await runSuite({
    suite: s,
    specs: expand(s),
    runsDir: '/nonexistent',
    workers: 1,
    parallel: 1,
    // Seed 1 stays unknown; seed 2 is decided on its second attempt; seed 3's case has no retry.
    runOne: async (c, seed, o) => {
      calls.push(`${c.name}:${seed}:${o.attempt}`);
      const v = seed === 2 && o.attempt === 2 ? true : 'unknown';
      return { ...rec(c.name, seed, v, { latency: v === true ? true : 'unknown' }, o.attempt), runtime: 'docker' };
    },
  });
  assert.deepEqual(calls, ['d:1:1', 'd:1:2', 'd:1:3', 'd:2:1', 'd:2:2', 'once:3:1']);
  assert.deepEqual(out.records.map((r) => [r.case, r.seed, r.verdict, r.attempts]), [['d', 1, 'unknown', 3], ['d', 2, true, 2], ['once', 3, 'unknown', 1]]);
  assert.equal(out.notRun.length, 0);
});

test('an interrupted suite stops handing out runs and lists the rest as not run', async () => {
  const s: Suite = parseSuite('name: r\ncases:\n  - {name: d, runtime: docker, seeds: 1..5}\n', 'r.yaml');
  const abort = new AbortController();
  const out = await runSuite({
    suite: s, specs: expand(s), runsDir: '/nonexistent', workers: 1, parallel: 1, signal: abort.signal,
    runOne: async (c, seed, o) => {
      if (seed === 2) abort.abort();
      return { ...rec(c.name, seed, true, {}, o.attempt), runtime: 'docker' };
    },
  });
  assert.deepEqual(out.records.map((r) => r.seed), [1, 2]);
  assert.deepEqual(out.notRun.map((r) => r.seed), [3, 4, 5]);
  assert.equal(out.interrupted, true);
});

test('the shipped suites parse, run every system and workload on every runtime it has, and plant every bug switch where its checker must find it', async () => {
  const { BUG_SWITCHES } = await import('../../nodes/blockstore/core/types.js');
  const { BUILT_IN } = await import('../systems/builtin.js');
  const { SWITCH_HUNTS } = await import('../sweep/switches.js');
  for (const f of ['ci.yaml', 'nightly.yaml']) {
    const s = loadSuite(fileURLToPath(new URL(`../../suites/${f}`, import.meta.url)));
    for (const [name, system] of Object.entries(BUILT_IN)) {
      for (const runtime of system.sim ? (['sim', 'docker'] as const) : (['docker'] as const)) {
        const clean = new Set(s.cases.filter((c) => c.system === name && c.runtime === runtime && c.bugs.length === 0 && c.expect.verdict === 'valid').map((c) => c.workload));
        assert.deepEqual([...clean].sort(), Object.keys(system.workloads).sort(), `${f}: every workload of ${name} without a bug switch or fault it must fail on, on ${runtime}`);
      }
    }
    for (const c of s.cases) {
      // A switch on means the case must expect it found; a system's own documented weakness
      // (etcd's serializable reads, Redis's asynchronous failover) is an expected finding too.
      const weakness = c.system !== 'blockstore' && c.expect.verdict === 'invalid';
      assert.equal(c.expect.verdict === 'invalid', c.bugs.length > 0 || weakness, `${f}: ${c.name}`);
    }
    // Every switch, the issue-14 ones included, is found by a default sweep (SWITCH_HUNTS).
    assert.deepEqual(BUG_SWITCHES.filter((b) => !SWITCH_HUNTS.some((h) => h.bug === b)), [], 'every switch is hunted in whole runs');
    for (const bug of BUG_SWITCHES) {
      const sim = s.cases.find((c) => c.runtime === 'sim' && c.bugs.length === 1 && c.bugs[0] === bug);
      assert.ok(sim, `${f}: ${bug} is planted in a sim case`);
      const hunt = SWITCH_HUNTS.find((h) => h.bug === bug)!;
      assert.ok(sim.expect.verdict === 'invalid' && sim.expect.checkers.some((ch) => hunt.checker.split('|').includes(ch)), `${f}: ${bug} expects ${hunt.checker}`);
    }
  }
});
