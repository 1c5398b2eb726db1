// Sweeps on the simulator with the real node core: every bug switch of SYSTEM.md is found
// (by the checker of its invariant) within a bounded number of seeds, a sweep with no switch
// finds nothing, and the worker-thread pool gives the same verdicts as an inline sweep.
// Each switch's default sweep (the swarm nemesis, no other flag) stops at its first failure,
// capped at CHAOS_SWEEP_CAP seeds (default 100, the bound issue 14 sets; bench:swarm measures
// where each is found and runs the 2,000-seed no-switch sweeps).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPool } from './pool.js';
import { SWITCH_HUNTS, huntOptions, namesChecker } from './switches.js';

const CAP = Number(process.env.CHAOS_SWEEP_CAP ?? 100);
const out = mkdtempSync(join(tmpdir(), 'chaos-sweep-test-'));
test.after(() => rmSync(out, { recursive: true, force: true }));
const seeds = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

for (const h of SWITCH_HUNTS) {
  test(`a default sweep of ${h.workload} finds ${h.bug} within ${CAP} seeds`, async (t) => {
    const t0 = performance.now();
    const r = await runPool(
      huntOptions(h, out),
      seeds(1, CAP),
      // A switch may break more than its own invariant (a write acked before b has its mirror is
      // also lost in a takeover); the hunt goes on until the switch's own checker names it.
      { workers: 1, keepGoing: false, inline: true, stopWhen: (x) => x.valid === false && namesChecker(h, x.kinds) },
    );
    const first = r.results.find((x) => x.valid === false && namesChecker(h, x.kinds));
    const others = r.results.filter((x) => x.valid === false && x !== first).map((x) => `${x.seed}: ${x.kinds.join(',')}`);
    assert.ok(first, `${h.bug}: no seed in 1..${CAP} failed on the ${h.checker} checker (other failures: ${others.join('; ') || 'none'})`);
    t.diagnostic(
      `${h.bug}: first failing seed ${first.seed} (${first.kinds.join(', ')}) after ${((performance.now() - t0) / 1000).toFixed(1)}s` +
        (others.length ? `; earlier seeds failed on other checkers: ${others.join('; ')}` : ''),
    );
  });
}

test('a sweep with no bug switch finds nothing, and its passing seeds leave nothing on disk', async () => {
  for (const workload of ['register', 'failover', 'dr'] as const) {
    const own = join(out, `clean-${workload}`);
    const r = await runPool({ outDir: own, workload, timeLimit: 4 }, seeds(500, 4), { workers: 1, keepGoing: true, inline: true });
    const bad = r.results.filter((x) => x.valid === false);
    assert.deepEqual(bad.map((x) => `${x.seed}: ${x.kinds.join(',')}`), [], `${workload}: no-switch seeds failed`);
    const left = existsSync(own) ? readdirSync(own, { recursive: true }).map(String) : [];
    assert.deepEqual(left.filter((f) => /seed\d/.test(f) || statSync(join(own, f)).isFile()), [], `${workload}: no run directory, no file`);
  }
});

test('a failing seed keeps its run directory, its history written whole once the verdict is in', async () => {
  const r = await runPool({ outDir: join(out, 'kept'), workload: 'failover', bug: ['no-index-replication'] }, seeds(1, 3), { workers: 1, keepGoing: false, inline: true });
  const failed = r.results.find((x) => x.valid === false);
  assert.ok(failed?.dir, 'some seed of 1..3 fails (bench:swarm: seed 1) and names its directory');
  const lines = readFileSync(join(failed.dir, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { index: number });
  assert.deepEqual(lines.map((e) => e.index), lines.map((_, i) => i), 'every event, in order');
  for (const f of ['config.json', 'results.json', 'junit.xml', 'report.html']) assert.ok(existsSync(join(failed.dir, f)), f);
  assert.equal(JSON.parse(readFileSync(join(failed.dir, 'results.json'), 'utf8')).valid, false);
});

test('worker threads give the same verdicts as an inline sweep, and stop early after a failure', async () => {
  // Seeds 1 and 3 fail (and 10, 12): the pooled verdicts are compared on a mix, and the early
  // stop comes at seed 1 with most seeds still untaken, however the two workers are timed. (It
  // was vault-no-flush at 3 s, first failing at seed 10 of 12: under load both workers had
  // sometimes taken the last seeds by then, and nothing was left to skip.)
  const opts = { outDir: out, workload: 'failover', bug: ['no-index-replication'] };
  const inline = await runPool(opts, seeds(1, 4), { workers: 1, keepGoing: true, inline: true });
  const pooled = await runPool(opts, seeds(1, 4), { workers: 2, keepGoing: true });
  assert.deepEqual(
    pooled.results.map((x) => [x.seed, x.valid, x.kinds]),
    inline.results.map((x) => [x.seed, x.valid, x.kinds]),
  );
  assert.deepEqual(inline.results.filter((x) => x.valid === false).map((x) => x.seed), [1, 3], 'the comparison covers failing seeds too');
  const early = await runPool(opts, seeds(1, 12), { workers: 2, keepGoing: false });
  assert.ok(early.stoppedEarly && early.skipped >= 6, `seeds after the first failure were skipped (${early.skipped})`);
});
