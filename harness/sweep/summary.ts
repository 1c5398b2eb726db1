// The sweep's summary file and its one-line progress display.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SeedResult } from './seed-run.js';
import type { PoolOutcome } from './pool.js';
import type { SeedRange, Shard } from './range.js';

export interface SweepSummary {
  seeds: string;
  shard: string;
  workload: string;
  nemesis: string;
  bugs: string[];
  timeLimitS: number;
  concurrency: number;
  /** Mean think time (ms) of each client process. */
  thinkMs: number;
  ran: number;
  skipped: number;
  stoppedEarly: boolean;
  passed: number;
  failed: number;
  unknown: number;
  /** Lowest failing seed, and wall seconds from the sweep's start until it was known. */
  firstFailing: { seed: number; kinds: string[]; foundAfterS: number } | null;
  wallS: number;
  seedsPerMinute: number;
  simSecondsPerWallSecond: number;
  failing: Array<{ seed: number; kinds: string[]; dir?: string }>;
  unknownSeeds: Array<{ seed: number; errors: string[]; dir?: string }>;
  /** Coverage marks over the seeds run (systems with marks): how many seeds hit each, and the
   *  marks no seed hit (paths of the mechanisms this sweep never took). */
  coverage?: {
    seedsHitting: Record<string, number>;
    neverHit: string[];
    /** Marks this workload cannot reach, with the system's reason (not counted as missed). */
    unreachable?: Record<string, string>;
  };
}

/** Seeds that hit each mark, and the marks none hit; undefined when no seed reported marks. */
export function sweepCoverage(results: readonly SeedResult[], unreachable: Readonly<Record<string, string>> = {}): SweepSummary['coverage'] {
  const seen = results.filter((r) => r.coverage);
  if (seen.length === 0) return undefined;
  const seedsHitting: Record<string, number> = {};
  for (const r of seen) for (const [m, n] of Object.entries(r.coverage!)) seedsHitting[m] = (seedsHitting[m] ?? 0) + (n > 0 ? 1 : 0);
  const out = Object.fromEntries(Object.entries(unreachable).filter(([m]) => m in seedsHitting && seedsHitting[m] === 0));
  return { seedsHitting, neverHit: Object.keys(seedsHitting).filter((m) => seedsHitting[m] === 0 && !(m in out)), ...(Object.keys(out).length ? { unreachable: out } : {}) };
}

export function summarize(
  run: { range: SeedRange; shard: Shard; workload: string; nemesis: string; bugs: string[]; timeLimitS: number; concurrency: number; thinkMs: number; unreachableMarks?: Readonly<Record<string, string>> },
  out: PoolOutcome,
  wallS: number,
  foundAt: Map<number, number>,
): SweepSummary {
  const failing = out.results.filter((r) => r.valid === false);
  const unknown = out.results.filter((r) => r.valid === 'unknown');
  const simS = out.results.reduce((s, r) => s + r.simS, 0);
  const first = failing[0];
  const coverage = sweepCoverage(out.results, run.unreachableMarks);
  return {
    seeds: `${run.range.from}..${run.range.to}`,
    shard: `${run.shard.index}/${run.shard.count}`,
    workload: run.workload,
    nemesis: run.nemesis,
    bugs: run.bugs,
    timeLimitS: run.timeLimitS,
    concurrency: run.concurrency,
    thinkMs: run.thinkMs,
    ran: out.results.length,
    skipped: out.skipped,
    stoppedEarly: out.stoppedEarly,
    passed: out.results.length - failing.length - unknown.length,
    failed: failing.length,
    unknown: unknown.length,
    firstFailing: first ? { seed: first.seed, kinds: first.kinds, foundAfterS: round(foundAt.get(first.seed) ?? wallS) } : null,
    wallS: round(wallS),
    seedsPerMinute: round(wallS > 0 ? (out.results.length / wallS) * 60 : 0),
    simSecondsPerWallSecond: round(wallS > 0 ? simS / wallS : 0),
    failing: failing.map((r) => ({ seed: r.seed, kinds: r.kinds, ...(r.dir ? { dir: r.dir } : {}) })),
    unknownSeeds: unknown.map((r) => ({ seed: r.seed, errors: [...r.errors, ...(r.undecided ?? [])], ...(r.dir ? { dir: r.dir } : {}) })),
    ...(coverage ? { coverage } : {}),
  };
}

export function writeSummary(dir: string, s: SweepSummary): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'summary.json');
  writeFileSync(path, JSON.stringify(s, null, 2) + '\n');
  return path;
}

export function progressLine(r: SeedResult, done: number, total: number, failed: number, wallS: number): string {
  const rate = wallS > 0 ? (done / wallS) * 60 : 0;
  const eta = rate > 0 ? ((total - done) / rate) * 60 : 0;
  const last = r.valid === true ? 'ok' : r.valid === false ? `FAIL ${r.kinds.join(' ')}` : 'unknown';
  return `sweep ${done}/${total} seeds, ${failed} failing, ${rate.toFixed(0)} seeds/min, eta ${eta.toFixed(0)}s (seed ${r.seed}: ${last})`;
}

const round = (x: number) => Math.round(x * 100) / 100;
