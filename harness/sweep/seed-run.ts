// One seed of a sweep: build the run's config as `chaos run --runtime sim --seed N` would,
// run it on the simulator without the HTML report, and boil the verdict down to the
// anomaly kinds. A passing seed's run directory is removed (a sweep of thousands of seeds
// would otherwise leave gigabytes); failing and unknown ones stay for replay and shrink.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildConfig, reproduceCommand, type RunConfig, type RunOptions } from '../run/config.js';
import { writeHtmlFromDir } from '../../reports/index.js';
import { executeRun } from '../run/execute.js';
import type { ComposedResult } from '../../checkers/types.js';
import type { Verdict } from '../../ground/errors.js';
import type { System } from '../../ground/system.js';
import { SimRuntime } from '../runtime/sim/index.js';
import { loadSystem } from '../systems/load.js';

/** The options every seed shares (the CLI's run-shaped flags). */
export interface SweepRunOptions {
  /** The system under test, as a config names it (a sweep runs only systems with a sans-IO core). */
  system?: string;
  workload?: string;
  nemesis?: string;
  timeLimit?: string | number;
  bug?: string[];
  concurrency?: string | number;
  thinkMs?: string | number;
  /** Node parameters other than the defaults (a longer lease widens a cache bug's window). */
  params?: Record<string, unknown>;
  /** Where failing runs are kept (runs/<test>/<stamp>-seed<N>/ beneath it). */
  outDir: string;
  /** Keep passing runs too. */
  keepPassing?: boolean;
  /** The sweep's summary file and seed range: a kept seed's report links back to it. */
  origin?: { summary: string; seeds: string };
}

export interface SeedResult {
  seed: number;
  valid: Verdict;
  /** `checker:kind` for every anomaly kind found, sorted, unique. */
  kinds: string[];
  /** Run directory (absent for passing seeds unless kept). */
  dir?: string;
  /** Simulated seconds the run took, and wall ms: in all, and up to its checkers (the
   *  simulation itself: up, workload under faults, heal, final reads). */
  simS: number;
  wallMs: number;
  simWallMs?: number;
  /** Events the simulator ran, and client ops in the history (benchmark figures). */
  events?: number;
  ops?: number;
  errors: string[];
  /** Checkers that could not decide, with their reasons (why a seed is `unknown`). */
  undecided?: string[];
  /** Coverage marks the run hit (systems with marks). */
  coverage?: Record<string, number>;
}

export function anomalyKinds(results: ComposedResult): string[] {
  const kinds = new Set<string>();
  for (const [name, r] of Object.entries(results.checkers)) {
    for (const a of r.anomalies) kinds.add(`${name}:${a.kind}`);
    if (r.valid === false && r.anomalies.length === 0) kinds.add(`${name}:invalid`);
  }
  return [...kinds].sort();
}

export function seedConfig(opts: SweepRunOptions, seed: number, system: System): RunConfig {
  const o: RunOptions = {
    runtime: 'sim',
    ...(opts.system ? { system: opts.system } : {}),
    workload: opts.workload,
    nemesis: opts.nemesis,
    timeLimit: opts.timeLimit,
    bug: opts.bug,
    concurrency: opts.concurrency,
    thinkMs: opts.thinkMs,
    ...(opts.params ? { params: opts.params } : {}),
    seed,
  };
  return buildConfig(o, system);
}

/** Runs one config on a fresh simulator. `discard`: as executeRun's (the run leaves nothing
 *  on disk when it says so). */
export async function runOnSim(
  config: RunConfig,
  outDir: string,
  discard?: (results: ComposedResult) => boolean,
): Promise<{ dir: string; discarded?: true; results: ComposedResult; errors: string[]; simS: number; wallMs: number; simWallMs: number; events: number; ops: number }> {
  const system = await loadSystem(config.system, 'config: system');
  const runtime = new SimRuntime({ seed: config.seed, runId: `${config.test}-${config.seed}` });
  const t0 = performance.now();
  let simEnd = 0;
  const out = await executeRun(config, { runtime, system, outDir, skipHtml: true, discard, onProgress: (p) => void (p.phase === 'check' && !simEnd && (simEnd = performance.now())) });
  const t1 = performance.now();
  const ops = Object.values((out.results.checkers.stats?.stats?.ops ?? {}) as Record<string, { total?: number }>).reduce((a, x) => a + (x.total ?? 0), 0);
  return { ...out, simS: runtime.now() / 1e9, wallMs: t1 - t0, simWallMs: (simEnd || t1) - t0, events: runtime.events(), ops };
}

export async function runSeed(opts: SweepRunOptions, seed: number): Promise<SeedResult> {
  const config = seedConfig(opts, seed, await loadSystem(opts.system));
  // A passing seed leaves nothing behind unless the caller keeps passing runs (keepPassing).
  const r = await runOnSim(config, opts.outDir, (res) => !opts.keepPassing && res.valid === true);
  const kinds = anomalyKinds(r.results);
  const keep = !r.discarded;
  if (keep && r.results.valid !== true) {
    // a failing seed is a run someone will open: give it its report, linked to the sweep
    if (opts.origin) writeFileSync(join(r.dir, 'origin.json'), JSON.stringify({ from: 'sweep', ...opts.origin }, null, 2) + '\n');
    writeHtmlFromDir(r.dir, reproduceCommand(config));
  }
  return {
    seed,
    valid: r.results.valid,
    kinds,
    ...(keep ? { dir: r.dir } : {}),
    simS: r.simS,
    wallMs: r.wallMs,
    simWallMs: r.simWallMs,
    events: r.events,
    ops: r.ops,
    errors: r.errors,
    ...(r.results.coverage ? { coverage: r.results.coverage } : {}),
    undecided: Object.entries(r.results.checkers)
      .filter(([, c]) => c.valid === 'unknown')
      .map(([name, c]) => `${name}: ${c.reason ?? 'undecided'}`),
  };
}
