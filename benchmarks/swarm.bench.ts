// bench:swarm — what a default sweep (`chaos sweep --seeds 1..N --workload W`, no other flag:
// the swarm nemesis) reaches, per workload, on 2 worker threads:
// 1. coverage: the marks no seed of 1..SWARM_BENCH_COVERAGE (default 100) hit;
// 2. switches: for each bug switch, the first failing seed within 1..SWARM_BENCH_HUNT (default
//    100) and the checkers that named it; a switch counts as found when some workload finds it;
// 3. clean: SWARM_BENCH_CLEAN (default 0; the issue's figure is 2,000) seeds per workload with
//    no switch, every failing or unknown seed listed.
// Env: SWARM_BENCH_WORKLOADS (default register,failover,dr), SWARM_BENCH_BUGS (default all),
//      SWARM_BENCH_PHASES (default coverage,switches,clean), SWARM_BENCH_WORKERS (default 2).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPool } from '../harness/sweep/pool.js';
import { sweepCoverage } from '../harness/sweep/summary.js';
import { BUG_SWITCHES } from '../nodes/blockstore/core/types.js';
import { blockstore } from '../nodes/blockstore/system.js';

const env = process.env;
const workloads = (env.SWARM_BENCH_WORKLOADS ?? 'register,failover,dr').split(',');
const bugs = env.SWARM_BENCH_BUGS ? env.SWARM_BENCH_BUGS.split(',') : [...BUG_SWITCHES];
const phases = (env.SWARM_BENCH_PHASES ?? 'coverage,switches,clean').split(',');
const coverageSeeds = Number(env.SWARM_BENCH_COVERAGE ?? 100);
const huntSeeds = Number(env.SWARM_BENCH_HUNT ?? 100);
const cleanSeeds = Number(env.SWARM_BENCH_CLEAN ?? 0);
const workers = Number(env.SWARM_BENCH_WORKERS ?? 2);
const out = mkdtempSync(join(tmpdir(), 'chaos-bench-swarm-'));
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
const perMin = (n: number, ms: number) => Math.round((n / ms) * 60_000);

async function sweep(workload: string, seeds: number[], bug: string[], keepGoing: boolean) {
  const t0 = performance.now();
  const r = await runPool({ outDir: join(out, workload, bug.join('+') || 'none'), workload, bug }, seeds, { workers, keepGoing });
  return { ...r, wallMs: performance.now() - t0 };
}

try {
  let allOk = true;
  if (phases.includes('coverage')) {
    console.log(`coverage: default sweeps of seeds 1..${coverageSeeds}, no switch`);
    for (const w of workloads) {
      const r = await sweep(w, range(1, coverageSeeds), [], true);
      const cov = sweepCoverage(r.results, blockstore.workloads[w]?.unreachableMarks);
      const fails = r.results.filter((x) => x.valid !== true).map((x) => `${x.seed}:${x.valid}`);
      const marks = cov ? Object.keys(cov.seedsHitting).length - Object.keys(cov.unreachable ?? {}).length : 0;
      const rarest = cov ? Object.entries(cov.seedsHitting).sort((a, b) => a[1] - b[1]).slice(0, 4).map(([m, n]) => `${m} ${n}`).join(', ') : '';
      console.log(`  ${w.padEnd(9)} ${marks - (cov?.neverHit.length ?? 0)}/${marks} reachable marks hit${cov?.neverHit.length ? ` (never: ${cov.neverHit.join(', ')})` : ''}${cov?.unreachable ? ` (not reachable: ${Object.keys(cov.unreachable).join(', ')})` : ''}; rarest: ${rarest}; ${fails.length ? `NOT VALID: ${fails.join(' ')}` : 'all valid'}; ${perMin(r.results.length, r.wallMs)} seeds/min`);
      if (fails.length) allOk = false;
    }
  }
  if (phases.includes('switches')) {
    console.log(`switches: default sweeps of seeds 1..${huntSeeds} with one switch, stopping at the first failing seed`);
    for (const b of bugs) {
      const found: string[] = [];
      for (const w of workloads) {
        const r = await sweep(w, range(1, huntSeeds), [b], false);
        const f = r.results.filter((x) => x.valid === false).sort((x, y) => x.seed - y.seed)[0];
        found.push(f ? `${w} seed ${f.seed} (${[...new Set(f.kinds.map((k) => k.split(':')[0]))].join('+')})` : `${w} -`);
      }
      const any = found.some((s) => !s.endsWith(' -'));
      if (!any) allOk = false;
      console.log(`  ${b.padEnd(22)} ${any ? 'found ' : 'MISSED'}  ${found.join('; ')}`);
    }
  }
  if (phases.includes('clean') && cleanSeeds > 0) {
    console.log(`clean: default sweeps of seeds 1..${cleanSeeds}, no switch`);
    for (const w of workloads) {
      const r = await sweep(w, range(1, cleanSeeds), [], true);
      const bad = r.results.filter((x) => x.valid !== true);
      const simS = r.results.reduce((s, x) => s + x.simS, 0);
      console.log(`  ${w.padEnd(9)} ${r.results.length - bad.length}/${r.results.length} valid in ${(r.wallMs / 1000).toFixed(0)} s (${perMin(r.results.length, r.wallMs)} seeds/min, ${Math.round(simS / (r.wallMs / 1000))} sim-s per wall-s)${bad.length ? `; NOT VALID: ${bad.map((x) => `${x.seed}:${x.valid}:${x.kinds.join('+')}`).join(' ')}` : ''}`);
      if (bad.length) allOk = false;
    }
  }
  console.log(allOk ? 'bench:swarm: every figure met' : 'bench:swarm: some figure NOT met (above)');
} finally {
  rmSync(out, { recursive: true, force: true });
}
