// `chaos sweep --seeds A..B [--workers K] [--shard i/n] [--keep-going] ...`: many seeds of one
// run shape on the simulator. Prints a progress line, writes summary.json (failing seeds with
// their anomaly kinds) under <out>/sweeps/, and exits 1 if any seed failed, 3 if any ended
// unknown, 0 otherwise.
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError, EXIT } from '../../ground/errors.js';
import { stamp } from '../run/run-dir.js';
import { installLifecycle } from '../run/lifecycle.js';
import { seedConfig, type SweepRunOptions } from '../sweep/seed-run.js';
import { parseSeeds, parseShard, shardSeeds } from '../sweep/range.js';
import { runPool } from '../sweep/pool.js';
import { progressLine, summarize, writeSummary } from '../sweep/summary.js';
import { loadSystem, systemRef } from '../systems/load.js';
import { simSupport } from '../runtime/sim/index.js';

export default async function sweep(_args: string[], opts: Record<string, unknown>): Promise<number> {
  const range = parseSeeds(String(opts.seeds ?? '1..100'));
  const shard = parseShard(opts.shard as string | undefined);
  const workers = opts.workers === undefined ? Math.max(1, availableParallelism()) : Number(opts.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) throw new InputError(`'${String(opts.workers)}' is not a worker count; expected a whole number 1..256`, '--workers');
  const seeds = shardSeeds(range, shard);
  const outRoot = String(opts.out ?? 'runs');
  const sweepDir = resolve(join(outRoot, 'sweeps', `${stamp(new Date())}-seeds${range.from}..${range.to}${shard.count > 1 ? `-shard${shard.index}of${shard.count}` : ''}`));
  const system = await loadSystem(opts.system as string | undefined);
  simSupport(system);
  const runOpts: SweepRunOptions = {
    system: systemRef(opts.system as string | undefined),
    workload: opts.workload as string | undefined,
    nemesis: opts.nemesis as string | undefined,
    timeLimit: opts.timeLimit as string | undefined,
    bug: (opts.bug as string[] | undefined) ?? [],
    concurrency: opts.concurrency as string | undefined,
    thinkMs: opts.thinkMs as string | undefined,
    outDir: join(sweepDir, 'runs'),
    origin: { summary: join(sweepDir, 'summary.json'), seeds: `${range.from}..${range.to}` },
  };
  // Validate the shared options once, here, so bad flags are one line and exit 2, not N worker errors.
  const probe = seedConfig(runOpts, seeds[0] ?? range.from, system);
  const json = Boolean(opts.json);
  const tty = process.stderr.isTTY && !json;
  process.stderr.write(
    `chaos sweep: ${seeds.length} seed(s) of ${range.from}..${range.to}${shard.count > 1 ? ` (shard ${shard.index}/${shard.count})` : ''} on the sim runtime, ` +
      `workload ${probe.workload}, nemesis ${probe.swarm ? 'swarm (each seed draws its fault mix, node parameters and density)' : probe.nemesis.join(',') || 'none'}, ${probe.timeLimitS}s each, ` +
      `${probe.swarm?.concurrency !== undefined ? 'clients and think time per seed' : `${probe.concurrency} clients (think ${probe.thinkMs} ms)`}, ` +
      `${probe.bugs.length ? `bugs ${probe.bugs.join(',')}` : 'no bug switch'}, ${Math.min(workers, Math.max(1, seeds.length))} worker(s)\n`,
  );
  const t0 = performance.now();
  const foundAt = new Map<number, number>();
  let failed = 0;
  const every = Math.max(1, Math.floor(seeds.length / 20));
  const life = installLifecycle({ command: 'chaos sweep', beforeMessage: () => tty && process.stderr.write('\n') });
  const outcome = await runPool(runOpts, seeds, {
    signal: life.signal,
    workers,
    keepGoing: Boolean(opts.keepGoing),
    onResult: (r, done, total) => {
      const wallS = (performance.now() - t0) / 1000;
      if (r.valid === false) {
        failed++;
        foundAt.set(r.seed, wallS);
      }
      const line = progressLine(r, done, total, failed, wallS);
      if (tty) process.stderr.write(`\r\x1b[2K${line}`);
      else if (!json && (r.valid !== true || done % every === 0 || done === total)) process.stderr.write(line + '\n');
    },
  });
  life.dispose();
  const interrupted = life.received();
  if (tty) process.stderr.write('\n');
  const wallS = (performance.now() - t0) / 1000;
  const summary = summarize(
    { range, shard, workload: probe.workload, nemesis: probe.swarm ? 'swarm' : probe.nemesis.join(',') || 'none', bugs: [...probe.bugs], timeLimitS: probe.timeLimitS, concurrency: probe.concurrency, thinkMs: probe.thinkMs, unreachableMarks: system.workloads[probe.workload]?.unreachableMarks },
    outcome,
    wallS,
    foundAt,
  );
  if (interrupted) Object.assign(summary, { interrupted, verdict: summary.failed > 0 ? 'invalid' : 'interrupted' });
  const path = writeSummary(sweepDir, summary);
  if (json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  else {
    for (const f of summary.failing) process.stdout.write(`FAIL seed ${f.seed}: ${f.kinds.join(', ')}${f.dir ? `  (${f.dir})` : ''}\n`);
    for (const u of summary.unknownSeeds) process.stdout.write(`UNKNOWN seed ${u.seed}: ${u.errors.join('; ') || 'a checker could not decide'}\n`);
    if (summary.coverage) {
      const marks = Object.keys(summary.coverage.seedsHitting).length;
      const { neverHit, unreachable = {} } = summary.coverage;
      const reachable = marks - Object.keys(unreachable).length;
      process.stdout.write(`coverage: ${reachable - neverHit.length} of ${reachable} reachable marks hit${neverHit.length ? `; never hit: ${neverHit.join(', ')}` : ''}\n`);
      for (const [m, why] of Object.entries(unreachable)) process.stdout.write(`  not reachable by workload ${probe.workload}: ${m} (${why})\n`);
    }
    process.stdout.write(
      `${summary.ran} seed(s) run${summary.skipped ? `, ${summary.skipped} skipped after the first failure (--keep-going runs them)` : ''}: ` +
        `${summary.passed} passed, ${summary.failed} failed, ${summary.unknown} unknown in ${summary.wallS}s ` +
        `(${summary.seedsPerMinute} seeds/min, ${summary.simSecondsPerWallSecond} sim-s per wall-s). Summary: ${path}\n`,
    );
  }
  if (interrupted && !json) process.stdout.write(`INTERRUPTED by ${interrupted} after ${summary.ran} of ${seeds.length} seed(s); the seeds not run prove nothing\n`);
  // Interrupted is never a pass: exit 3 unless a seed already failed (1).
  return summary.failed > 0 ? EXIT.invalid : interrupted ? EXIT.interrupted : summary.unknown > 0 ? EXIT.unknown : EXIT.valid;
}
