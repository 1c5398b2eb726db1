// The run's verdict files: results.json (composed checkers), junit.xml, and report.html with
// its PNG charts. `rebuildReport` makes them again from a run directory alone.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { ComposedResult } from '../checkers/types.js';
import type { HistoryEvent } from '../ground/history/types.js';
import type { CheckerSelection } from '../ground/system.js';
import { InputError, mergeVerdicts, runVerdict, type Interruption } from '../ground/errors.js';
import { parseCoreCrashes, type CoreCrash } from '../ground/core-crash.js';
import { readRunHistory } from '../ground/history/run-history.js';
import { pairHistory } from '../ground/history/pair.js';
import { runCheckers, resultsJson } from '../checkers/compose.js';
import { runCheckerSet } from './checks.js';
import { renderJunit } from './junit.js';

/** A run's checkers give up with unknown after this long each (linearizability can explode). */
export const CHECK_TIMEOUT_MS = 60_000;
import { renderHtml } from './html.js';

export interface RunFacts {
  config: Record<string, unknown> & { test: string; seed: number; workload?: string; runtime?: string; bugs?: string[] };
  events: readonly HistoryEvent[];
  results: ComposedResult;
  errors?: readonly string[];
  reproduce?: string;
  /** Runtime ns when the final heal ended (convergence measures from it). */
  healNs?: number;
}

/** The checkers that judge a run, from its config: the system under test decides. */
export type SelectCheckers = (config: Record<string, unknown>) => CheckerSelection | Promise<CheckerSelection>;

export interface RunEnd {
  /** A signal cut the run short: the verdict can never be valid. */
  interrupted?: Interruption;
  /** Core exceptions read from the node logs (ground/core-crash.ts). */
  crashes?: readonly CoreCrash[];
}

/** Runs every selected checker over a run's history. A harness failure (the run itself broke)
 *  can only make the verdict worse: valid becomes unknown, never the other way round. */
export async function checkRun(events: readonly HistoryEvent[], config: Record<string, unknown>, select: SelectCheckers, errors: readonly string[] = [], healNs?: number, end: RunEnd = {}): Promise<ComposedResult> {
  const paired = pairHistory(events);
  const selection = await select(config);
  const set = await runCheckerSet(selection);
  let results: ComposedResult = await runCheckers(events, set.checkers, {
    paired,
    run: { ...config, ...(selection.context ?? {}), ...(healNs !== undefined ? { healNs } : {}) },
    timeoutMs: CHECK_TIMEOUT_MS,
  });
  if (Object.keys(set.skipped).length) results = { ...results, skipped: set.skipped } as ComposedResult;
  const broken = errors.filter((e) => e.startsWith('run:'));
  if (broken.length) {
    results = {
      ...results,
      checkers: { ...results.checkers, harness: { valid: 'unknown', anomalies: [], reason: broken.join('; ') } },
    };
    results.valid = mergeVerdicts(Object.values(results.checkers).map((c) => c.valid));
  }
  return applyRunEnd(results, end);
}

/** The run's own facts on top of the checkers: a core crash is a `core` checker violation; an
 *  interruption turns `valid` into `unknown` (the time that did not run proves nothing). */
export function applyRunEnd(results: ComposedResult, end: RunEnd): ComposedResult {
  const out: ComposedResult = { ...results, checkers: { ...results.checkers } };
  const crashes = end.crashes ?? [];
  if (crashes.length) {
    out.checkers.core = {
      valid: false,
      anomalies: crashes.map((c) => ({
        kind: 'core-crash',
        message: `node ${c.node}: the core threw on input ${c.input}: ${c.stack.split('\n')[0]}`,
        events: [],
        node: c.node,
        input: c.input,
        stack: c.stack,
      })),
    };
    out.valid = false;
  }
  if (end.interrupted) {
    out.interrupted = end.interrupted;
    if (out.valid === true) out.valid = 'unknown';
  }
  out.verdict = runVerdict(out.valid, { interrupted: Boolean(out.interrupted), crashed: out.checkers.core?.valid === false });
  return out;
}

/** Core crash markers in a run directory's node logs. */
export function crashesIn(dir: string): CoreCrash[] {
  const out: CoreCrash[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(join(dir, 'nodes')).filter((f) => f.endsWith('.log')).sort();
  } catch {
    return out;
  }
  for (const f of names) out.push(...parseCoreCrashes(readFileSync(join(dir, 'nodes', f), 'utf8'), f.slice(0, -4)));
  return out;
}

export async function writeReports(dir: string, facts: RunFacts, opts: { html?: boolean } = {}): Promise<void> {
  const extra = { ...(facts.healNs !== undefined ? { healNs: facts.healNs } : {}), ...(facts.errors?.length ? { errors: facts.errors } : {}) };
  writeFileSync(join(dir, 'results.json'), resultsJson({ ...facts.results, ...extra }));
  writeFileSync(join(dir, 'junit.xml'), renderJunit({ test: facts.config.test, seed: facts.config.seed, run: basename(resolve(dir)) }, facts.results, facts.errors));
  if (opts.html === false) return;
  const charts: { latency?: string; throughput?: string } = {};
  const errors = [...(facts.errors ?? [])];
  try {
    const { latencyChart, throughputChart } = await import('./charts.js');
    writeFileSync(join(dir, 'latency.png'), await latencyChart(facts.events));
    charts.latency = 'latency.png';
    writeFileSync(join(dir, 'throughput.png'), await throughputChart(facts.events));
    charts.throughput = 'throughput.png';
  } catch (e) {
    // A report without charts beats no report (canvas missing its native libraries).
    errors.push(`charts: ${(e as Error).message.split('\n')[0]}`);
  }
  writeFileSync(join(dir, 'report.html'), renderHtml({ ...facts, errors, charts }));
}

/** The run history reader every command shares (ground/history/run-history.ts). */
export const readHistory = readRunHistory;

/** `chaos report RUN_DIR`: checks the recorded history again and rewrites every report file. */
export async function rebuildReport(dir: string, select: SelectCheckers, reproduce?: (config: Record<string, unknown>) => string): Promise<ComposedResult> {
  const cfgPath = join(dir, 'config.json');
  const histPath = join(dir, 'history.jsonl');
  if (!existsSync(cfgPath) || !existsSync(histPath)) {
    throw new InputError('not a run directory; expected config.json and history.jsonl in it', dir);
  }
  let config: RunFacts['config'];
  try {
    config = JSON.parse(readFileSync(cfgPath, 'utf8'));
  } catch {
    throw new InputError('config.json is not JSON; expected a run config', cfgPath);
  }
  if (typeof config?.test !== 'string' || typeof config?.seed !== 'number') throw new InputError('config.json lacks test and seed; expected a run config', cfgPath);
  const events = readHistory(histPath);
  let prevErrors: string[] = [];
  let healNs: number | undefined;
  let interrupted: Interruption | undefined;
  try {
    const prev = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    if (typeof prev.healNs === 'number') healNs = prev.healNs;
    if (prev.interrupted && typeof prev.interrupted === 'object') interrupted = prev.interrupted as Interruption;
    if (Array.isArray(prev.errors)) prevErrors = prev.errors.filter((e: unknown) => typeof e === 'string' && !e.startsWith('charts:'));
  } catch {
    // no earlier results: the run died before checking
  }
  const results = await checkRun(events, config, select, prevErrors, healNs, { interrupted, crashes: crashesIn(dir) });
  await writeReports(dir, { config, events, results, errors: prevErrors, healNs, reproduce: reproduce?.(config) });
  return results;
}
