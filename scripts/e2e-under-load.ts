// Found rate of the docker end-to-end bug cases under CPU load: each case's docker shape
// (harness/run/testing/e2e.ts) run for --trials seeds, with --load busy processes beside it.
// Prints, per switch, how many single runs found it, and what that means for the test's
// retry policy (the chance that all of its seeds miss, if runs were independent).
//
//   node --import tsx scripts/e2e-under-load.ts [--trials 4] [--load 2] [--only ack-before-fsync,...]
import { loadavg } from 'node:os';
import { BUG_CASES, runOnce } from '../harness/run/testing/e2e.js';
import { seedsFor, DOCKER_TIME_S } from '../harness/run/testing/e2e-policy.js';
import { startCpuLoad } from './cpu-load.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const trials = Number(arg('trials') ?? 4);
const load = Number(arg('load') ?? 2);
const only = arg('only')?.split(',');
const cases = BUG_CASES.filter((c) => !only || only.includes(c.bug));
process.stdout.write(`e2e under load: ${cases.length} case(s) x ${trials} trial(s), ${load} CPU hog(s); load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
const hogs = startCpuLoad(load);
let allRuns = 0;
let allFound = 0;
try {
  for (const c of cases) {
    const d = c.docker ?? {};
    const params = c.params || d.params ? { ...c.params, ...d.params } : undefined;
    let found = 0;
    const loads: number[] = [];
    const t0 = performance.now();
    for (let seed = 1; seed <= trials; seed++) {
      const r = await runOnce('docker', { workload: c.workload, nemesis: d.nemesis ?? c.nemesis, bug: [c.bug], seed, timeLimitS: d.timeLimitS ?? DOCKER_TIME_S, concurrency: d.concurrency, thinkMs: d.thinkMs, params, plan: d.plan });
      if (r.results.checkers[c.checker]?.valid === false) found++;
      loads.push(loadavg()[0]);
    }
    allRuns += trials;
    allFound += found;
    const p = found / trials;
    const seeds = seedsFor(c);
    const miss = Math.pow(1 - p, seeds);
    process.stdout.write(
      `${c.bug.padEnd(22)} found in ${found}/${trials} runs (${(100 * p).toFixed(0)}%); the test tries up to ${seeds} seed(s): miss chance ${(100 * miss).toFixed(1)}%; ` +
        `${((performance.now() - t0) / 1000 / trials).toFixed(1)} s/run; load ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}\n`,
    );
  }
} finally {
  hogs.stop();
}
process.stdout.write(`total: found in ${allFound}/${allRuns} single runs; load average now ${loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
