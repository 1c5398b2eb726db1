// `chaos runs`: every run directory under a runs root (single runs, sweeps' kept runs, suites'
// runs), its verdict and shape read from config.json and results.json, as a list, as
// <root>/index.html, and as <root>/latest pointing at the last run that finished.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { pointLatest } from '../run/run-dir.js';
import type { Verdict } from '../../ground/errors.js';
import { durationText, renderIndex, verdictCell, type Cell } from './index-html.js';

export interface RunEntry {
  /** Absolute directory, and relative to the root. */
  dir: string;
  path: string;
  test: string;
  system: string;
  runtime: string;
  workload: string;
  seed: number | null;
  bugs: string[];
  /** undefined: no results.json (under way, or the harness died before checking). */
  verdict?: Verdict;
  anomalies: number;
  kinds: string[];
  /** When the run started (config.json is written first), and how long until its history
   *  was closed (wall clock: workload, heal, final reads; checking not included). */
  startedMs: number;
  durationMs?: number;
  finishedMs?: number;
  report?: string;
}

const MAX_DEPTH = 8;

export function listRuns(root: string): RunEntry[] {
  const out: RunEntry[] = [];
  const walk = (d: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    if (names.includes('config.json') && (names.includes('history.jsonl') || names.includes('results.json'))) {
      const e = entry(root, d);
      if (e) out.push(e);
      return;
    }
    if (depth >= MAX_DEPTH) return;
    for (const n of names.sort()) {
      if (n === 'latest' || n === 'nodes') continue;
      const p = join(d, n);
      try {
        if (statSync(p).isDirectory()) walk(p, depth + 1);
      } catch {
        // vanished while listing (a sweep removing a passing seed)
      }
    }
  };
  walk(root, 0);
  return out.sort((a, b) => b.startedMs - a.startedMs || a.path.localeCompare(b.path));
}

function entry(root: string, dir: string): RunEntry | null {
  let config: Record<string, unknown>;
  let started: number;
  try {
    config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    started = statSync(join(dir, 'config.json')).mtimeMs;
  } catch {
    return null;
  }
  const e: RunEntry = {
    dir,
    path: relative(root, dir).split(sep).join('/'),
    test: String(config.test ?? ''),
    system: typeof config.system === 'string' ? config.system : 'blockstore',
    runtime: String(config.runtime ?? ''),
    workload: String(config.workload ?? ''),
    seed: typeof config.seed === 'number' ? config.seed : null,
    bugs: Array.isArray(config.bugs) ? config.bugs.map(String) : [],
    anomalies: 0,
    kinds: [],
    startedMs: started,
  };
  const res = join(dir, 'results.json');
  if (existsSync(res)) {
    try {
      const r = JSON.parse(readFileSync(res, 'utf8')) as { valid?: Verdict; checkers?: Record<string, { anomalies?: { kind?: string }[] }> };
      e.verdict = r.valid === true || r.valid === false || r.valid === 'unknown' ? r.valid : 'unknown';
      const kinds = new Set<string>();
      for (const [name, c] of Object.entries(r.checkers ?? {})) {
        for (const a of c.anomalies ?? []) {
          e.anomalies++;
          kinds.add(`${name}:${a.kind}`);
        }
      }
      e.kinds = [...kinds].sort();
      // history.jsonl is closed when the run ends (before checking) and never rewritten, unlike
      // results.json (chaos report rebuilds it): its mtime is when the run finished.
      const hist = join(dir, 'history.jsonl');
      e.finishedMs = existsSync(hist) ? statSync(hist).mtimeMs : statSync(res).mtimeMs;
      e.durationMs = Math.max(0, e.finishedMs - started);
    } catch {
      // torn results.json: listed as unfinished
    }
  }
  if (existsSync(join(dir, 'report.html'))) e.report = `${e.path}/report.html`;
  else if (e.verdict !== undefined) e.report = `${e.path}/results.json`;
  return e;
}

export function writeRunsIndex(root: string, runs: readonly RunEntry[]): string {
  const rows: Record<string, Cell>[] = runs.map((r) => ({
    when: { text: new Date(r.startedMs).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z'), sort: r.startedMs },
    verdict: verdictCell(r.verdict),
    system: { text: r.system },
    runtime: { text: r.runtime },
    workload: { text: r.workload },
    seed: { text: r.seed === null ? '' : String(r.seed), sort: r.seed ?? -1 },
    bugs: { text: r.bugs.join(' ') },
    anomalies: { text: String(r.anomalies), sort: r.anomalies, title: r.kinds.join(' ') },
    duration: r.durationMs === undefined ? { text: '', sort: -1 } : { text: durationText(r.durationMs), sort: r.durationMs },
    dir: r.report ? { text: r.path, href: r.report } : { text: r.path },
  }));
  const n = (v: RunEntry['verdict']) => runs.filter((r) => r.verdict === v).length;
  const html = renderIndex({
    title: `chaos runs: ${root}`,
    lines: [`${runs.length} runs: ${n(true)} valid, ${n(false)} invalid, ${n('unknown')} unknown, ${n(undefined)} unfinished. Rewritten by chaos runs.`],
    columns: [
      { key: 'when', label: 'started' },
      { key: 'verdict', label: 'verdict' },
      { key: 'system', label: 'system' },
      { key: 'runtime', label: 'runtime' },
      { key: 'workload', label: 'workload' },
      { key: 'seed', label: 'seed', numeric: true },
      { key: 'bugs', label: 'bug switches' },
      { key: 'anomalies', label: 'anomalies', numeric: true },
      { key: 'duration', label: 'duration', numeric: true },
      { key: 'dir', label: 'run directory' },
    ],
    rows,
    selectBy: 'verdict',
  });
  const path = join(root, 'index.html');
  writeFileSync(path, html);
  return path;
}

/** Points <root>/latest at the run that finished last; returns it (undefined: none finished). */
export function pointLatestFinished(root: string, runs: readonly RunEntry[]): RunEntry | undefined {
  const last = runs.filter((r) => r.finishedMs !== undefined).sort((a, b) => b.finishedMs! - a.finishedMs!)[0];
  if (last) pointLatest(root, last.dir);
  return last;
}
