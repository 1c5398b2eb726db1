// The run's verdict files: results.json (composed checkers), junit.xml, and report.html (its
// drawings are inline SVG). `rebuildReport` makes them again from a run directory alone.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { ComposedResult } from '../checkers/types.js';
import type { HistoryEvent } from '../ground/history/types.js';
import { InputError, mergeVerdicts } from '../ground/errors.js';
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
  /** Links the report shows beside the verdict (besides those found in the run directory). */
  links?: readonly { label: string; href: string }[];
}

/** Runs every checker over a run's history. A harness failure (the run itself broke) can
 *  only make the verdict worse: valid becomes unknown, never the other way round. */
export async function checkRun(events: readonly HistoryEvent[], config: Record<string, unknown>, errors: readonly string[] = [], healNs?: number): Promise<ComposedResult> {
  const paired = pairHistory(events);
  const set = await runCheckerSet(config);
  let results: ComposedResult = await runCheckers(events, set.checkers, {
    paired,
    run: { ...config, ...(healNs !== undefined ? { healNs } : {}) },
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
  return results;
}

export async function writeReports(dir: string, facts: RunFacts, opts: { html?: boolean } = {}): Promise<void> {
  const extra = { ...(facts.healNs !== undefined ? { healNs: facts.healNs } : {}), ...(facts.errors?.length ? { errors: facts.errors } : {}) };
  writeFileSync(join(dir, 'results.json'), resultsJson({ ...facts.results, ...extra }));
  writeFileSync(join(dir, 'junit.xml'), renderJunit(facts.config.test, facts.config.seed, facts.results, facts.errors));
  if (opts.html === false) return;
  writeFileSync(join(dir, 'report.html'), renderHtml({ ...facts, links: [...originLinks(dir), ...(facts.links ?? [])] }));
}

/** Links from a run to where it came from and went, read from files in and beside the run
 *  directory (so `chaos report DIR` finds them again): shrink.json's `from` (a shrunk run),
 *  origin.json (a sweep's failing seed: its summary), and DIR-shrunk beside it. */
export function originLinks(dir: string): { label: string; href: string }[] {
  const out: { label: string; href: string }[] = [];
  const rel = (p: string) => relative(resolve(dir), resolve(dir, p)).split('\\').join('/');
  const json = (f: string): Record<string, unknown> | null => {
    try {
      return JSON.parse(readFileSync(join(dir, f), 'utf8'));
    } catch {
      return null;
    }
  };
  const shrunk = json('shrink.json');
  if (shrunk && typeof shrunk.from === 'string') {
    const what = typeof shrunk.target === 'string' ? ` while keeping ${shrunk.target}` : '';
    out.push({ label: `shrunk from ${basename(shrunk.from)}${what}`, href: `${rel(shrunk.from)}/report.html` });
    out.push({ label: 'shrink.json (what was removed)', href: 'shrink.json' });
  }
  const origin = json('origin.json');
  if (origin && typeof origin.summary === 'string') {
    out.push({ label: `found by a sweep (${typeof origin.seeds === 'string' ? `seeds ${origin.seeds}` : 'summary'})`, href: rel(origin.summary) });
  }
  const parent = dirname(resolve(dir));
  for (let i = 1; i < 10; i++) {
    const s = `${resolve(dir)}-shrunk${i === 1 ? '' : `-${i}`}`;
    if (!existsSync(s)) break;
    out.push({ label: `shrunk run ${basename(s)}`, href: `${rel(join(parent, basename(s)))}/report.html` });
  }
  return out;
}

export function readHistory(path: string): HistoryEvent[] {
  const text = readFileSync(path, 'utf8');
  const out: HistoryEvent[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as HistoryEvent);
    } catch {
      // A run killed mid-write may leave a torn last line; anything earlier is bad input.
      if (i >= lines.length - 2) break;
      throw new InputError('not a JSON history event; expected one JSON object per line', `${path}:${i + 1}`);
    }
  }
  return out;
}

/** report.html alone, from a run directory that already holds its verdict (results.json): for
 *  runs recorded without the page (sweep seeds, shrunk runs) once they turn out to matter. */
export function writeHtmlFromDir(dir: string, reproduce?: string): string {
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as RunFacts['config'];
  const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as ComposedResult & { errors?: unknown };
  const errors = Array.isArray(results.errors) ? results.errors.filter((e): e is string => typeof e === 'string') : [];
  const events = readHistory(join(dir, 'history.jsonl'));
  const path = join(dir, 'report.html');
  writeFileSync(path, renderHtml({ config, events, results, errors, reproduce, links: originLinks(dir) }));
  return path;
}

/** `chaos report RUN_DIR`: checks the recorded history again and rewrites every report file. */
export async function rebuildReport(dir: string, reproduce?: (config: Record<string, unknown>) => string): Promise<ComposedResult> {
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
  try {
    const prev = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    if (typeof prev.healNs === 'number') healNs = prev.healNs;
    if (Array.isArray(prev.errors)) prevErrors = prev.errors.filter((e: unknown) => typeof e === 'string' && !e.startsWith('charts:'));
  } catch {
    // no earlier results: the run died before checking
  }
  const results = await checkRun(events, config, prevErrors, healNs);
  await writeReports(dir, { config, events, results, errors: prevErrors, healNs, reproduce: reproduce?.(config) });
  return results;
}
