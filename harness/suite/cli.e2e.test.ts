// `chaos suite` and `chaos runs` as a user runs them, on simulated runs: a wrong expectation
// fails the suite with the reproduce command in its testcase (and that command does reproduce
// it), shards are disjoint and cover the suite, merge judges as the unsharded run did.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { SuiteSummary } from './outputs.js';

const BIN = fileURLToPath(new URL('../../bin/chaos.mjs', import.meta.url));
const ROOT = dirname(dirname(BIN));

function chaos(argv: string[], cwd = ROOT): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...argv], { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

export function parseJunit(xml: string) {
  assert.equal(XMLValidator.validate(xml), true, 'junit.xml is well-formed XML');
  return new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => ['testsuite', 'testcase', 'property'].includes(n) }).parse(xml).testsuites;
}

/** The suite directory a run printed (`junit: DIR/junit.xml ...`). */
function suiteDir(out: string): string {
  const m = /^junit: (\S+)\/junit\.xml/m.exec(out);
  assert.ok(m, `no junit line in:\n${out}`);
  return resolve(ROOT, m[1]);
}

const summaryOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as SuiteSummary;
const runKeys = (s: SuiteSummary) => s.cases.flatMap((c) => c.runs.map((r) => `${c.name}#${r.seed}`)).sort();

const WRONG = `
name: wrong
cases:
  - {name: reg, workload: register, seeds: 1..2, time-limit: 2}
  # a planted bug that must be found: seed 8 of torn-barrier is found by dr-prefix
  - {name: torn, workload: dr, nemesis: workload, bugs: [torn-barrier], seeds: 7..8, time-limit: 5, expect: {invalid: [dr-prefix]}}
  # a wrong expectation: a bug switch on, and the case says valid
  - {name: lies, workload: failover, nemesis: workload, bugs: [no-index-replication], seeds: [1], time-limit: 5}
`;

test('a case whose expectation is wrong fails the suite (exit 1), its testcase holds the reproduce command, and that command reproduces it', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'chaos-suite-'));
  try {
    writeFileSync(join(tmp, 'wrong.yaml'), WRONG);
    const r = chaos(['suite', join(tmp, 'wrong.yaml'), '--out', join(tmp, 'runs')]);
    assert.equal(r.code, 1, r.out + r.err);
    // CI (no TTY) prints a line per finished run.
    assert.equal(r.err.split('\n').filter((l) => /^\[\d+\/5\] /.test(l)).length, 5, r.err);
    assert.match(r.out, /^UNMET {3}lies: 1 of 1 run\(s\) did not meet valid$/m);
    assert.match(r.out, /^MET {5}torn: /m);
    assert.match(r.out.trim().split('\n').at(-1)!, /^FAILED: 2 of 3 case\(s\) met their expectation/);
    const dir = suiteDir(r.out);
    const junit = parseJunit(readFileSync(join(dir, 'junit.xml'), 'utf8'));
    assert.deepEqual(junit.testsuite.map((s: { name: string }) => s.name), ['reg', 'torn', 'lies']);
    assert.deepEqual(junit.testsuite.map((s: { testcase: unknown[] }) => s.testcase.length), [2, 2, 1]);
    assert.equal(junit.failures, '1');
    const lies = junit.testsuite[2].testcase[0];
    assert.equal(lies.name, 'seed 1');
    const msg: string = lies.failure.message;
    assert.match(msg, /^INVALID: expected valid; [a-z, -]*durability[a-z, -]* found violations\n/);
    assert.match(msg, /^durability: \d+ anomal(y|ies) \(lost-write\)\n {2}lost-write: acked write of /m);
    const repro = /^reproduce with: (chaos run .*)$/m.exec(msg)?.[1];
    assert.equal(repro, 'chaos run --runtime sim --workload failover --nemesis kill,kill-unsynced,pause,partition-primary-partner --time-limit 5 --bug no-index-replication --concurrency 8 --think-ms 300 --seed 1');
    const att = /\[\[ATTACHMENT\|([^\]]+)\]\]/.exec(lies['system-out'])?.[1];
    assert.ok(att && existsSync(resolve(ROOT, att)) && att.endsWith('report.html'), `attachment ${att}`);
    // The torn case met its expectation: seed 7 did not find the bug, seed 8 did; neither fails.
    assert.ok(junit.testsuite[1].testcase.every((t: { failure?: unknown }) => t.failure === undefined));

    // The reproduce command, as printed, finds the same violation.
    const again = chaos([...repro!.replace(/^chaos /, '').split(' '), '--out', join(tmp, 'again')]);
    assert.equal(again.code, 1, again.out + again.err);
    assert.match(again.out.trim().split('\n').at(-1)!, /^INVALID \([a-z, -]*durability[a-z, -]*\); reproduce with: chaos run /);

    // index.html lists every run, each with a link to a report that exists.
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|https?:\/\//, 'offline: no external script, style or URL');
    const rows = [...html.matchAll(/<tr data-sel="([^"]*)">(.*?)<\/tr>/g)];
    assert.equal(rows.length, 5);
    for (const [, , cells] of rows) {
      const href = /<a href="([^"]+)">/.exec(cells)?.[1];
      assert.ok(href && existsSync(join(dir, href)), `row links an existing report: ${cells}`);
    }
    assert.deepEqual(rows.map((x) => x[1]).sort(), ['met', 'met', 'met', 'met', 'unmet']);

    // chaos runs lists them all (and the reproduction), writes the index, latest -> last finished.
    const runs = chaos(['runs', '--out', join(tmp, 'runs')]);
    assert.equal(runs.code, 0, runs.err);
    assert.match(runs.out.trim().split('\n').at(-1)!, /^5 run\(s\); index: /);
    assert.match(runs.out, /INVALID +blockstore sim +failover +seed 1 /);
    assert.ok(existsSync(join(tmp, 'runs', 'index.html')));
    const listed = JSON.parse(chaos(['runs', '--out', join(tmp, 'runs'), '--json']).out);
    const lastFinished = [...listed.runs].sort((a: { finishedMs: number }, b: { finishedMs: number }) => b.finishedMs - a.finishedMs)[0];
    assert.equal(realpathSync(join(tmp, 'runs', 'latest')), realpathSync(lastFinished.dir));
    assert.ok(!readlinkSync(join(tmp, 'runs', 'latest')).startsWith('/'), 'a relative link (the folder can move)');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

const SHARDED = `
name: sharded
defaults: {time-limit: 2}
cases:
  - {name: reg, workload: register, seeds: 1..5}
  - {name: fo, workload: failover, seeds: 1..4}
  - {name: dr, workload: dr, seeds: [2, 4, 6]}
  - {name: vault, workload: failover, bugs: [vault-no-flush], time-limit: 5, seeds: 1..4, expect: {invalid: [durability]}}
`;

test('--shard 1/3, 2/3, 3/3 run disjoint sets whose union is the suite; merge gives the unsharded verdict counts', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'chaos-suite-shard-'));
  try {
    const file = join(tmp, 'sharded.yaml');
    writeFileSync(file, SHARDED);
    const whole = chaos(['suite', file, '--out', join(tmp, 'whole'), '--workers', '2']);
    assert.equal(whole.code, 0, whole.out + whole.err);
    const w = summaryOf(suiteDir(whole.out));
    assert.equal(w.counts.runs, 16);
    const shardDirs: string[] = [];
    for (const i of [1, 2, 3]) {
      const r = chaos(['suite', file, '--shard', `${i}/3`, '--out', join(tmp, `shard${i}`), '--workers', '1']);
      assert.equal(r.code, 0, r.out + r.err);
      shardDirs.push(suiteDir(r.out));
    }
    const parts = shardDirs.map(summaryOf);
    const keys = parts.map(runKeys);
    const union = keys.flat();
    assert.equal(new Set(union).size, union.length, 'disjoint');
    assert.deepEqual(union.sort(), runKeys(w), 'union is the whole suite');
    assert.ok(keys.every((k) => k.length > 0));

    // Merge the shard outputs as CI downloads them: one folder per artifact.
    const dl = join(tmp, 'download');
    shardDirs.forEach((d, i) => cpSync(d, join(dl, `chaos-shard-${i + 1}`, 'suites', 'sharded', 'x'), { recursive: true }));
    const m = chaos(['suite', 'merge', dl, '--out', join(tmp, 'merged')]);
    assert.equal(m.code, 0, m.out + m.err);
    const merged = summaryOf(suiteDir(m.out));
    assert.deepEqual(merged.counts.verdicts, w.counts.verdicts);
    assert.deepEqual(merged.counts.outcomes, w.counts.outcomes);
    assert.deepEqual(merged.counts.cases, w.counts.cases);
    assert.deepEqual(runKeys(merged), runKeys(w));
    assert.deepEqual(merged.shards, [1, 2, 3]);
    // Same seed, same simulated run: the verdict of every run matches, seed by seed.
    const verdicts = (s: SuiteSummary) => s.cases.flatMap((c) => c.runs.map((r) => `${c.name}#${r.seed}=${r.verdict}:${r.kinds.join(',')}`)).sort();
    assert.deepEqual(verdicts(merged), verdicts(w));
    const mj = parseJunit(readFileSync(join(suiteDir(m.out), 'junit.xml'), 'utf8'));
    const wj = parseJunit(readFileSync(join(suiteDir(whole.out), 'junit.xml'), 'utf8'));
    for (const k of ['tests', 'failures', 'errors', 'skipped']) assert.equal(mj[k], wj[k], k);
    // The merged index links each run's report in its shard's folder.
    const html = readFileSync(join(suiteDir(m.out), 'index.html'), 'utf8');
    const hrefs = [...html.matchAll(/<a href="([^"]+)">/g)].map((x) => x[1]);
    assert.equal(hrefs.length, 16);
    for (const h of hrefs) assert.ok(existsSync(join(suiteDir(m.out), h)), h);

    // Merging again into the same tree (a Kubernetes volume): the earlier merge is no shard.
    assert.equal(chaos(['suite', 'merge', dl, '--out', dl]).code, 0);
    const again = chaos(['suite', 'merge', dl, '--out', dl]);
    assert.equal(again.code, 0, again.err);

    // A missing shard: its runs are "not run", and the merged suite cannot say it passed (3).
    const part = chaos(['suite', 'merge', join(dl, 'chaos-shard-1'), join(dl, 'chaos-shard-3'), '--out', join(tmp, 'merged2')]);
    assert.equal(part.code, 3, part.out + part.err);
    assert.match(part.err, /shard\(s\) 2 of 3 missing/);
    // The same shard twice, or a directory that is no suite output, is bad input.
    const twice = chaos(['suite', 'merge', join(dl, 'chaos-shard-1'), join(dl, 'chaos-shard-1', 'suites'), '--out', join(tmp, 'm3')]);
    assert.equal(twice.code, 3, twice.err);
    assert.deepEqual(summaryOf(suiteDir(twice.out)).shards, [1], 'the same directory found twice is merged once');
    // A copy of the same output (an artifact upload dereferencing `latest`) is merged once; two
    // different runs of one shard are refused.
    const dup = join(tmp, 'dup');
    cpSync(join(dl, 'chaos-shard-1'), join(dup, 'a'), { recursive: true });
    cpSync(join(dl, 'chaos-shard-1'), join(dup, 'b'), { recursive: true });
    assert.equal(chaos(['suite', 'merge', dup, '--out', join(tmp, 'm4')]).code, 3);
    const other = join(dup, 'b', 'suites', 'sharded', 'x', 'summary.json');
    writeFileSync(other, readFileSync(other, 'utf8').replace(/"startedAt": "[^"]+"/, '"startedAt": "2000-01-01T00:00:00.000Z"'));
    const d = chaos(['suite', 'merge', dup, '--out', join(tmp, 'm4')]);
    assert.equal(d.code, 2);
    assert.match(d.err.trim(), /^chaos: .*: shard 1\/3 is also in .*; expected each shard once$/);
    const none = chaos(['suite', 'merge', tmp + '/whole/suites/sharded/latest/runs', '--out', join(tmp, 'm5')]);
    assert.equal(none.code, 2);
    assert.equal(none.err.trim().split('\n').length, 1);
    assert.ok(readdirSync(join(tmp, 'merged', 'suites', 'sharded')).includes('latest'));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('bad suite input is one line and exit 2', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'chaos-suite-bad-'));
  try {
    writeFileSync(join(tmp, 'bad.yaml'), 'name: bad\ncases:\n  - name: a\n    nemesis: meteor\n');
    for (const argv of [
      ['suite', join(tmp, 'bad.yaml')],
      ['suite', join(tmp, 'missing.yaml')],
      ['suite', join(tmp, 'bad.yaml'), '--shard', '4/3'],
      ['suite', 'merge', join(tmp, 'nothing-here')],
      ['runs', '--out', join(tmp, 'no-runs')],
    ]) {
      const r = chaos(argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
      assert.equal(r.err.trim().split('\n').length, 1, `${argv.join(' ')}: ${r.err}`);
    }
    assert.match(chaos(['suite', join(tmp, 'bad.yaml')]).err, /bad\.yaml:3: case 'a': .*meteor/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
