// The one place a suite touches the run loop: one seed of one case, start to end, boiled down
// to a RunRecord. Docker runs call it in-process, sim runs on worker threads (worker.ts);
// when the run loop moves onto the System seam only this file should need to follow.
import { rmSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import { executeRun } from '../run/execute.js';
import { createRuntime } from '../run/runtime-select.js';
import { reproduceCommand } from '../run/config.js';
import type { ComposedResult } from '../../checkers/types.js';
import { caseConfig, caseSystem, type SuiteCase } from './schema.js';
import type { CheckerLine, RunRecord } from './types.js';
import { join } from 'node:path';

export interface RunCaseOptions {
  /** Runs root of this suite: runs land in <outDir>/<case>/<stamp>-seed<N>/. */
  outDir: string;
  /** Write report.html and its charts (canvas is not safe in worker threads: sim workers
   *  leave it to the main thread, see runner.ts). */
  html: boolean;
  /** Remove the run directory when the run met a `valid` expectation (suite keep: failing). */
  dropPassing: boolean;
  signal?: AbortSignal;
  attempt?: number;
}

export async function runCase(c: SuiteCase, seed: number, o: RunCaseOptions): Promise<RunRecord> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const base = { case: c.name, seed, runtime: c.runtime, startedAt, attempts: o.attempt ?? 1 } as const;
  let config, system;
  try {
    system = await caseSystem(c);
    config = caseConfig(c, seed, system);
  } catch (e) {
    return harnessFailure(base, t0, `config: ${(e as Error).message}`, '');
  }
  // Flags cannot carry node parameters or a given plan yet; config.json can.
  const flagsReproduce = c.params || c.plan ? undefined : reproduceCommand(config);
  let outcome;
  try {
    const runtime = await createRuntime(config.runtime, { seed, runId: `suite-${c.name}-s${seed}-${process.pid}-${threadId}-${o.attempt ?? 1}`.toLowerCase() });
    outcome = await executeRun(config, { runtime, system, outDir: o.outDir, skipHtml: !o.html, signal: o.signal });
  } catch (e) {
    return harnessFailure(base, t0, `run: ${(e as Error).message}`, flagsReproduce ?? '');
  }
  const { results, errors, dir } = outcome;
  const durationMs = Math.round(performance.now() - t0);
  // A run only `chaos replay DIR` can reproduce keeps its directory.
  const drop = o.dropPassing && results.valid === true && c.expect.verdict === 'valid' && flagsReproduce !== undefined;
  if (drop) rmSync(dir, { recursive: true, force: true });
  return {
    ...base,
    verdict: results.valid,
    ...checkerFacts(results),
    reproduce: flagsReproduce ?? `chaos replay ${dir}`,
    errors,
    durationMs,
    ...(drop ? {} : { dir, report: join(dir, o.html ? 'report.html' : 'results.json') }),
  };
}

function harnessFailure(base: Pick<RunRecord, 'case' | 'seed' | 'runtime' | 'startedAt' | 'attempts'>, t0: number, error: string, reproduce: string): RunRecord {
  return { ...base, verdict: 'error', checkers: {}, anomalies: 0, kinds: [], summary: error, reproduce, errors: [error], durationMs: Math.round(performance.now() - t0) };
}

const SUMMARY_ANOMALIES = 3;

export function checkerFacts(r: ComposedResult): Pick<RunRecord, 'checkers' | 'anomalies' | 'kinds' | 'summary'> {
  const checkers: Record<string, CheckerLine> = {};
  const kinds = new Set<string>();
  const lines: string[] = [];
  let anomalies = 0;
  for (const name of Object.keys(r.checkers).sort()) {
    const x = r.checkers[name];
    const ks = [...new Set(x.anomalies.map((a) => a.kind))].sort();
    checkers[name] = { valid: x.valid, anomalies: x.anomalies.length, kinds: ks, ...(x.reason ? { reason: x.reason } : {}) };
    anomalies += x.anomalies.length;
    for (const k of ks) kinds.add(`${name}:${k}`);
    if (x.valid === false) {
      lines.push(`${name}: ${x.anomalies.length} anomal${x.anomalies.length === 1 ? 'y' : 'ies'} (${ks.join(', ') || 'no detail'})`);
      for (const a of x.anomalies.slice(0, SUMMARY_ANOMALIES)) lines.push(`  ${a.kind}: ${a.message}`);
    } else if (x.valid === 'unknown') lines.push(`${name}: unknown (${x.reason ?? 'no verdict'})`);
  }
  return { checkers, anomalies, kinds: [...kinds].sort(), summary: lines.join('\n') };
}
