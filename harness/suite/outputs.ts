// A suite directory's three files, all from the same judged runs: summary.json (what merge
// reads back), junit.xml and index.html. Paths inside summary.json are relative to its own
// directory, so a shard's output can be moved (an uploaded and downloaded CI artifact).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { InputError } from '../../ground/errors.js';
import type { Shard } from '../sweep/range.js';
import type { Suite } from './schema.js';
import type { CaseResult, JudgedRun, OutcomeCounts, RunRecord, VerdictCounts } from './types.js';
import { judgeCase, outcomeCounts, suiteExit, verdictCounts } from './evaluate.js';
import { renderSuiteJunit } from './junit.js';
import { durationText, renderIndex, verdictCell, type Cell } from './index-html.js';
import type { RunSpec } from './expand.js';

export const SUMMARY_KIND = 'chaos-suite-summary';

export interface SuiteSummary {
  kind: typeof SUMMARY_KIND;
  version: 1;
  suite: string;
  file: string;
  /** Hash of the normalised cases: shards of one suite file agree on it. */
  fingerprint: string;
  /** The shard count and the shard indexes this output holds (1..n for a whole or merged run). */
  shardCount: number;
  shards: number[];
  startedAt: string;
  wallS: number;
  exit: number;
  interrupted: boolean;
  counts: {
    planned: number;
    runs: number;
    notRun: number;
    verdicts: VerdictCounts;
    outcomes: OutcomeCounts;
    cases: { met: number; unmet: number; unknown: number; error: number };
  };
  cases: CaseResult[];
  /** Planned runs that never ran (the suite was interrupted). */
  notRun: Array<{ case: string; seed: number }>;
  /** The normalised suite, so merge judges exactly as the shards did. */
  spec: Suite;
}

export function fingerprint(s: Suite): string {
  return createHash('sha256').update(JSON.stringify({ name: s.name, keep: s.keep, cases: s.cases })).digest('hex').slice(0, 16);
}

export interface SuiteState {
  spec: Suite;
  shardCount: number;
  shards: number[];
  startedAt: string;
  wallS: number;
  interrupted: boolean;
  /** Runs with absolute dir/report paths. */
  records: RunRecord[];
  notRun: RunSpec[] | Array<{ case: string; seed: number }>;
}

/** Judges every case that has runs (or planned runs) here, in the file's order. */
export function judgeAll(spec: Suite, records: readonly RunRecord[], notRun: readonly { case: string }[]): CaseResult[] {
  const out: CaseResult[] = [];
  for (const c of spec.cases) {
    const mine = records.filter((r) => r.case === c.name);
    const missing = notRun.filter((n) => n.case === c.name).length;
    if (!mine.length && !missing) continue;
    const r = judgeCase(c, mine);
    // Runs that never ran leave a case undecided, unless one run already settled it (a
    // find-any case whose bug was found, or a run that failed its expectation).
    const settled = r.outcome === 'unmet' || (c.expect.verdict === 'invalid' && c.expect.find === 'any' && r.outcome === 'met' && mine.length > 0);
    out.push(missing && !settled && r.outcome !== 'error' ? { ...r, outcome: 'unknown', note: `${missing} of ${missing + mine.length} run(s) not run${mine.length ? `; ${r.note}` : ''}` } : r);
  }
  return out;
}

/** Interrupted runs leave cases unjudged: they count as unknown. */
export function exitOf(cases: readonly CaseResult[], interrupted: boolean, notRun: number): number {
  const e = suiteExit(cases);
  return e === 0 && (interrupted || notRun > 0) ? 3 : e;
}

export function writeSuiteOutputs(dir: string, st: SuiteState): SuiteSummary {
  mkdirSync(dir, { recursive: true });
  const cases = judgeAll(st.spec, st.records, st.notRun);
  const runs = cases.flatMap((c) => c.runs);
  const rel = (p?: string) => (p === undefined ? undefined : relative(dir, p) || '.');
  const relCases: CaseResult[] = cases.map((c) => ({ ...c, runs: c.runs.map((r) => ({ ...r, ...(r.dir ? { dir: rel(r.dir) } : {}), ...(r.report ? { report: rel(r.report) } : {}) })) }));
  const caseCount = (o: CaseResult['outcome']) => cases.filter((c) => c.outcome === o).length;
  const summary: SuiteSummary = {
    kind: SUMMARY_KIND,
    version: 1,
    suite: st.spec.name,
    file: st.spec.file,
    fingerprint: fingerprint(st.spec),
    shardCount: st.shardCount,
    shards: [...st.shards].sort((a, b) => a - b),
    startedAt: st.startedAt,
    wallS: Math.round(st.wallS * 100) / 100,
    exit: exitOf(cases, st.interrupted, st.notRun.length),
    interrupted: st.interrupted,
    counts: {
      planned: runs.length + st.notRun.length,
      runs: runs.length,
      notRun: st.notRun.length,
      verdicts: verdictCounts(runs),
      outcomes: outcomeCounts(runs),
      cases: { met: caseCount('met'), unmet: caseCount('unmet'), unknown: caseCount('unknown'), error: caseCount('error') },
    },
    cases: relCases,
    notRun: st.notRun.map((n) => ({ case: n.case, seed: n.seed })),
    spec: st.spec,
  };
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  writeFileSync(join(dir, 'junit.xml'), renderSuiteJunit(cases, { suite: st.spec.name, wallS: st.wallS, attachment: (r) => (r.report ? attachmentPath(r.report) : undefined) }));
  writeFileSync(join(dir, 'index.html'), renderSuiteIndex(summary, relCases));
  return summary;
}

/** [[ATTACHMENT|...]] paths: relative to the working directory (the CI workspace, which is
 *  what Jenkins and GitLab resolve them against) when the report is under it, else absolute. */
export function attachmentPath(abs: string): string {
  const r = relative(process.cwd(), abs);
  return r && !r.startsWith('..') && !isAbsolute(r) ? r.split(sep).join('/') : resolve(abs);
}

function renderSuiteIndex(s: SuiteSummary, cases: readonly CaseResult[]): string {
  const rows: Record<string, Cell>[] = [];
  for (const c of cases) {
    for (const r of c.runs) rows.push(runRow(c, r));
  }
  for (const n of s.notRun) rows.push({ case: { text: n.case }, seed: { text: String(n.seed), sort: n.seed }, outcome: { text: 'not run', tone: 'unk' }, verdict: verdictCell(undefined) });
  const c = s.counts;
  const shardText = s.shardCount > 1 ? (s.shards.length === s.shardCount ? `all ${s.shardCount} shards merged` : `shard ${s.shards.join(',')} of ${s.shardCount}`) : 'unsharded';
  return renderIndex({
    title: `chaos suite ${s.suite}`,
    lines: [
      `${s.file}, ${shardText}, started ${s.startedAt}, ${durationText(s.wallS * 1000)} wall; exit ${s.exit}${s.interrupted ? ' (interrupted)' : ''}`,
      `${c.runs} runs: ${c.verdicts.valid} valid, ${c.verdicts.invalid} invalid, ${c.verdicts.unknown} unknown, ${c.verdicts.error} harness errors${c.notRun ? `, ${c.notRun} not run` : ''}`,
      `${cases.length} cases: ${c.cases.met} met their expectation, ${c.cases.unmet} did not, ${c.cases.unknown} unknown, ${c.cases.error} harness failures`,
    ],
    columns: [
      { key: 'case', label: 'case' },
      { key: 'seed', label: 'seed', numeric: true },
      { key: 'runtime', label: 'runtime' },
      { key: 'expect', label: 'expected' },
      { key: 'verdict', label: 'verdict' },
      { key: 'outcome', label: 'outcome' },
      { key: 'anomalies', label: 'anomalies', numeric: true },
      { key: 'kinds', label: 'anomaly kinds' },
      { key: 'duration', label: 'duration', numeric: true },
      { key: 'report', label: 'report' },
      { key: 'reproduce', label: 'reproduce' },
    ],
    rows,
    selectBy: 'outcome',
  });
}

function runRow(c: CaseResult, r: JudgedRun): Record<string, Cell> {
  const tone = r.outcome === 'met' ? 'ok' : r.outcome === 'unmet' ? 'bad' : r.outcome === 'error' ? 'err' : 'unk';
  const href = (p: string) => p.split(sep).join('/');
  return {
    case: { text: c.name },
    seed: { text: String(r.seed), sort: r.seed },
    runtime: { text: r.runtime },
    expect: { text: c.expect },
    verdict: verdictCell(r.verdict),
    outcome: { text: r.outcome, tone, title: r.note },
    anomalies: { text: String(r.anomalies), sort: r.anomalies },
    kinds: { text: r.kinds.join(' ') },
    duration: { text: durationText(r.durationMs), sort: r.durationMs },
    report: r.report ? { text: r.report.endsWith('.html') ? 'report' : 'results', href: href(r.report) } : { text: 'removed (passed)' },
    reproduce: { text: r.reproduce },
  };
}

/** Reads a suite output back (merge). `where` names the directory in messages. */
export function readSummary(dir: string): SuiteSummary {
  const path = join(dir, 'summary.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'no summary.json; expected the output directory of chaos suite' : 'summary.json is not JSON; expected the output of chaos suite', code === 'ENOENT' ? dir : path);
  }
  const s = raw as Partial<SuiteSummary>;
  if (s?.kind !== SUMMARY_KIND || s.version !== 1 || !Array.isArray(s.cases) || !s.spec || !Array.isArray(s.shards)) {
    throw new InputError('not a chaos suite summary (version 1); expected the output of chaos suite', path);
  }
  return s as SuiteSummary;
}

/** A summary's runs with their paths made absolute again. */
export function recordsOf(dir: string, s: SuiteSummary): RunRecord[] {
  const abs = (p?: string) => (p === undefined ? undefined : resolve(dir, p));
  return s.cases.flatMap((c) =>
    c.runs.map(({ outcome: _o, note: _n, ...r }) => ({ ...r, ...(r.dir ? { dir: abs(r.dir) } : {}), ...(r.report ? { report: abs(r.report) } : {}) })),
  );
}
