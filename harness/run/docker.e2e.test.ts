// End to end on real containers: the same workloads, nemesis and checkers as the sim e2e, in
// short runs (6 s of workload each) to fit the CI budget. Skipped with a clear reason when no
// Docker engine answers, unless CI is set (then a missing engine is a failure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUG_CASES, MIXED, allValid, runOnce, verdicts } from './testing/e2e.js';
import { isDockerAvailable } from '../runtime/docker/engine.js';

const TIME_S = 6;
const MAX_SEEDS = 2;

/** Switches whose window real timing opens only sometimes in a 6-second container run (seen
 *  found in about half the seeds or fewer on this 2-core machine): they run one seed, print
 *  their outcome (node:test todo) and do not fail the suite. The sim e2e finds each of them
 *  within its seed bound; `chaos sweep` or longer docker runs find them on containers. */
const DOCKER_TODO: Record<string, string> = {
  'ack-before-invalidate': 'found in about half the 6 s container runs: the stale window is b\'s remaining lease after a partition',
  'ack-without-partner': 'found in about half the 6 s container runs: the stale window is b\'s remaining lease after a is cut off',
  'skip-missing-data': 'found in about a third of the 6 s container runs: needs dr far enough behind for metadata-only entries',
  'volatile-bitmap': 'needs a primary crash while a bitmap resync is pending; rarely lines up in 6 s on containers',
  'ack-before-fsync': 'the ack-to-fsync gap on a real disk is sub-millisecond; a kill-unsynced rarely lands inside it in 6 s',
};

const available = await isDockerAvailable();
const skip = !available && !process.env.CI ? 'no Docker engine answers (start dockerd, or set CI to make this a failure)' : false;

test('docker: an engine answers (CI requires one)', { skip }, () => {
  assert.ok(available, 'CI is set but no Docker engine answers');
});

for (const workload of ['register', 'failover', 'dr'] as const) {
  test(`docker: ${workload} with no bug switch and mixed faults is valid`, { skip }, async () => {
    const r = await runOnce('docker', { workload, nemesis: MIXED, seed: 1, timeLimitS: TIME_S });
    assert.deepEqual(r.errors, [], 'harness errors');
    assert.ok(allValid(r.results), verdicts(r.results));
  });
}

for (const c of BUG_CASES) {
  const nemesis = c.dockerNemesis ?? c.nemesis;
  const seeds = DOCKER_TODO[c.bug] ? 1 : MAX_SEEDS;
  test(`docker: ${c.bug} is found by ${c.checker} (${c.workload}, nemesis ${nemesis ?? 'default'}) within ${seeds} seed${seeds > 1 ? 's' : ''}`, { skip, todo: DOCKER_TODO[c.bug] }, async () => {
    const tried: string[] = [];
    for (let seed = 1; seed <= seeds; seed++) {
      const r = await runOnce('docker', { workload: c.workload, nemesis, bug: [c.bug], seed, timeLimitS: TIME_S, params: c.params });
      if (r.results.checkers[c.checker]?.valid === false) return;
      tried.push(`seed ${seed}: ${verdicts(r.results)}${r.errors.length ? ` errors: ${r.errors.join('; ')}` : ''}`);
    }
    assert.fail(`${c.bug} not found by ${c.checker}:\n${tried.join('\n')}`);
  });
}
