// `npm run bench:suite [FILE]`: runs a suite (default suites/ci.yaml, the one .ci/run runs and
// whose target is under 10 minutes on a 2-core machine) through the real CLI and prints its
// wall time, the sim and docker runs' summed durations, and the load average before and after
// (the machine may be shared: read the figures beside it).
import { spawnSync } from 'node:child_process';
import { loadavg, availableParallelism, tmpdir } from 'node:os';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const file = process.argv[2] ?? 'suites/ci.yaml';
const BIN = fileURLToPath(new URL('../bin/chaos.mjs', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'chaos-bench-suite-'));
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const before = load();
const t0 = performance.now();
const r = spawnSync(process.execPath, [BIN, 'suite', file, '--out', out, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 28 });
const wallS = (performance.now() - t0) / 1000;
const after = load();
try {
  const s = JSON.parse(r.stdout);
  const runs = s.cases.flatMap((c: { runs: { runtime: string; durationMs: number }[] }) => c.runs);
  const sum = (rt: string) => runs.filter((x: { runtime: string }) => x.runtime === rt).reduce((a: number, x: { durationMs: number }) => a + x.durationMs, 0) / 1000;
  const n = (rt: string) => runs.filter((x: { runtime: string }) => x.runtime === rt).length;
  console.log(`suite ${file}: exit ${r.status}, ${runs.length} runs, ${availableParallelism()} cores`);
  console.log('| | figure |\n| --- | --- |');
  console.log(`| wall, whole suite (CLI start to exit) | ${wallS.toFixed(1)} s |`);
  console.log(`| sim runs | ${n('sim')}, ${sum('sim').toFixed(1)} s summed over worker threads |`);
  console.log(`| docker runs | ${n('docker')}, ${sum('docker').toFixed(1)} s summed |`);
  console.log(`| cases met / unmet / unknown | ${s.counts.cases.met} / ${s.counts.cases.unmet} / ${s.counts.cases.unknown} |`);
  console.log(`| load average (1, 5, 15 min) before / after | ${before} / ${after} |`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
