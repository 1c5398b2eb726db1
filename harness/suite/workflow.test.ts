// The GitHub Actions workflow (.github/workflows/chaos.yml) parses as YAML, and its commands
// are the ones run here: each shard job's `run` line for shards 1..3 (with GitHub's
// expressions filled in as Actions would), the artifact hand-over as upload/download-artifact
// lay it out, and the merge job's `run` line. `.ci/run` runs the shipped CI suite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { loadSuite } from './schema.js';
import { expand } from './expand.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
type Step = { name?: string; uses?: string; run?: string; with?: Record<string, unknown>; if?: string };
type Job = { steps: Step[]; needs?: string; if?: string; strategy?: { matrix: { shard: number[] } } };

const wf = parse(readFileSync(join(ROOT, '.github/workflows/chaos.yml'), 'utf8')) as { on: unknown; env: Record<string, string | number>; jobs: Record<string, Job> };

/** GitHub's `${{ ... }}` for the expressions this workflow uses. */
function expr(s: string, ctx: Record<string, string>): string {
  return s.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, e: string) => {
    if (!(e in ctx)) throw new Error(`unexpected expression ${e}`);
    return ctx[e];
  });
}
const chaosRuns = (job: Job) => job.steps.filter((s) => s.run?.includes('bin/chaos.mjs')).map((s) => s.run!.trim());

test('the workflow: a matrix of shards running the CI suite, artifacts uploaded, a merge job', () => {
  assert.equal(wf.env.SUITE, "${{ inputs.suite || 'suites/ci.yaml' }}");
  const { shard, merge } = wf.jobs;
  assert.deepEqual(shard.strategy!.matrix.shard, Array.from({ length: Number(wf.env.SHARDS) }, (_, i) => i + 1));
  assert.deepEqual(chaosRuns(shard), ['node bin/chaos.mjs suite "$SUITE" --shard "${{ matrix.shard }}/$SHARDS" --out "$CHAOS_OUT"']);
  const upload = shard.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
  assert.equal(upload.if, 'always()', 'a failing shard still uploads its junit and index');
  assert.equal(merge.needs, 'shard');
  assert.equal(merge.if, 'always()', 'the merge runs when a shard failed');
  assert.deepEqual(chaosRuns(merge), ['node bin/chaos.mjs suite merge shards --out "$CHAOS_OUT"']);
  const download = merge.steps.find((s) => s.uses?.startsWith('actions/download-artifact@'))!;
  assert.equal(download.with!.path, 'shards');
  assert.match(String(upload.with!.name), /^chaos-shard-\$\{\{ matrix\.shard \}\}$/);
  assert.equal(download.with!.pattern, 'chaos-shard-*');
  // The shipped suite the workflow runs by default exists and is valid.
  assert.ok(loadSuite(join(ROOT, 'suites/ci.yaml')).cases.length > 0);
  // .ci/run runs the same suite after the unit tests.
  const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8');
  assert.match(ci, /npm test\n(.*\n)*node bin\/chaos\.mjs suite suites\/ci\.yaml /);
});

const SMALL = `
name: wf
defaults: {time-limit: 2}
cases:
  - {name: reg, workload: register, seeds: 1..4}
  - {name: fo, workload: failover, seeds: 1..2}
  - {name: nif, workload: failover, nemesis: workload, bugs: [no-index-replication], time-limit: 5, seeds: 1..2, expect: {invalid: [durability]}}
`;

test("the workflow's own commands, run for shards 1..3 and merged, judge the whole suite", () => {
  const tmp = mkdtempSync(join(tmpdir(), 'chaos-wf-'));
  try {
    const suite = join(tmp, 'wf.yaml');
    writeFileSync(suite, SMALL);
    const shell = (cmd: string, cwd: string, env: Record<string, string>) => {
      const r = spawnSync('bash', ['-eo', 'pipefail', '-c', cmd], { cwd, encoding: 'utf8', env: { ...process.env, ...env, FORCE_COLOR: '0' } });
      return { code: r.status ?? -1, out: r.stdout + r.stderr };
    };
    // Each job is its own machine: a checkout (bin/ is what the commands call) and its own out dir.
    const checkout = (name: string) => {
      const d = join(tmp, name);
      mkdirSync(d);
      symlinkSync(join(ROOT, 'bin'), join(d, 'bin'));
      return d;
    };
    const env = { SUITE: suite, SHARDS: String(wf.env.SHARDS), CHAOS_OUT: String(wf.env.CHAOS_OUT) };
    const mergeJob = checkout('merge-job');
    for (const i of wf.jobs.shard.strategy!.matrix.shard) {
      const job = checkout(`shard-job-${i}`);
      const [cmd] = chaosRuns(wf.jobs.shard);
      const r = shell(expr(cmd, { 'matrix.shard': String(i) }), job, env);
      assert.equal(r.code, 0, r.out);
      // upload-artifact of `${{ env.CHAOS_OUT }}/suites/`, downloaded by pattern into shards/<name>/.
      const upload = wf.jobs.shard.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
      const from = join(job, expr(String(upload.with!.path), { 'env.CHAOS_OUT': env.CHAOS_OUT }));
      const name = expr(String(upload.with!.name), { 'matrix.shard': String(i) });
      // Artifacts hold files, not links: `latest` arrives as a second copy of the shard's output.
      cpSync(from, join(mergeJob, 'shards', name), { recursive: true, dereference: true });
    }
    const [mergeCmd] = chaosRuns(wf.jobs.merge);
    const m = shell(mergeCmd, mergeJob, env);
    assert.equal(m.code, 0, m.out);
    const dir = join(mergeJob, /^junit: (\S+)\/junit\.xml/m.exec(m.out)![1]);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    assert.deepEqual(summary.shards, [1, 2, 3]);
    assert.equal(summary.counts.runs, expand(loadSuite(suite)).length);
    assert.deepEqual(summary.counts.cases, { met: 3, unmet: 0, unknown: 0, error: 0 });
    const xml = readFileSync(join(dir, 'junit.xml'), 'utf8');
    assert.equal(XMLValidator.validate(xml), true);
    const junit = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => ['testsuite', 'testcase'].includes(n) }).parse(xml).testsuites;
    assert.deepEqual(junit.testsuite.map((s: { name: string; testcase: unknown[] }) => [s.name, s.testcase.length]), [['reg', 4], ['fo', 2], ['nif', 2]]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
