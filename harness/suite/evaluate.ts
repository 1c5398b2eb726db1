// Judging runs against their case's expectation, and the suite's exit status. Pure: summary,
// junit, index and merge all derive from these functions, so a merged suite is judged exactly
// as an unsharded one.
import { EXIT } from '../../ground/errors.js';
import type { SuiteCase } from './schema.js';
import type { CaseResult, JudgedRun, Outcome, OutcomeCounts, RunRecord, VerdictCounts } from './types.js';

/** Exit 4: a harness failure (a run the harness could not carry out at all). */
export const EXIT_HARNESS = 4;

export function describeExpect(c: Pick<SuiteCase, 'expect'>): string {
  return c.expect.verdict === 'valid' ? 'valid' : `invalid by ${c.expect.checkers.join(' or ')} (${c.expect.find} seed)`;
}

/** Whether a run found the case's planted bug: invalid, with a named checker among the violated. */
function found(c: SuiteCase, r: RunRecord): boolean {
  return c.expect.verdict === 'invalid' && r.verdict === false && c.expect.checkers.some((n) => r.checkers[n]?.valid === false);
}

function violated(r: RunRecord): string[] {
  return Object.keys(r.checkers).filter((n) => r.checkers[n].valid === false);
}

/** A run whose verdict is unknown, under the case's rule. */
function unknownRun(c: SuiteCase, r: RunRecord): { outcome: Outcome; note: string } {
  const why = Object.entries(r.checkers).filter(([, x]) => x.valid === 'unknown').map(([n, x]) => `${n}: ${x.reason ?? 'no verdict'}`).join('; ') || r.errors.join('; ') || 'no verdict';
  const tries = r.attempts > 1 ? ` after ${r.attempts} attempts` : '';
  if (c.unknown === 'pass') return { outcome: 'accepted', note: `unknown${tries}, accepted by the case's rule (unknown: pass): ${why}` };
  if (c.unknown === 'fail') return { outcome: 'unmet', note: `unknown, failed by the case's rule (unknown: fail): ${why}` };
  return { outcome: 'unknown', note: `unknown${tries} (unknown: ${c.unknown}): ${why}` };
}

function judgeOne(c: SuiteCase, r: RunRecord): { outcome: Outcome; note: string } {
  if (r.verdict === 'error') return { outcome: 'error', note: `harness failure: ${r.errors.join('; ')}` };
  if (r.verdict === 'unknown') return unknownRun(c, r);
  if (c.expect.verdict === 'valid') {
    return r.verdict === true
      ? { outcome: 'met', note: 'valid, as expected' }
      : { outcome: 'unmet', note: `expected valid; ${violated(r).join(', ')} found violations` };
  }
  if (found(c, r)) return { outcome: 'met', note: `invalid by ${violated(r).join(', ')}, as expected` };
  const got = r.verdict === true ? 'the run was valid' : `only ${violated(r).join(', ')} found violations`;
  return { outcome: 'unmet', note: `expected invalid by ${c.expect.checkers.join(' or ')}; ${got}` };
}

/** Judges one case's runs (the runs of the case this shard or merge holds). */
export function judgeCase(c: SuiteCase, records: readonly RunRecord[]): CaseResult {
  const runs = [...records].sort((a, b) => a.seed - b.seed);
  let judged: JudgedRun[] = runs.map((r) => ({ ...r, ...judgeOne(c, r) }));
  if (c.expect.verdict === 'invalid' && c.expect.find === 'any') {
    const finder = runs.find((r) => found(c, r));
    if (finder) {
      // One seed finding the planted bug is the case's point; the others just did not hit it.
      judged = judged.map((j) => (j.outcome !== 'unmet' && j.outcome !== 'unknown' ? j : { ...j, outcome: 'met', note: `not found by this seed (${j.note}); seed ${finder.seed} found it` }));
    } else {
      // Nobody found it. If some seed ended unknown, that unknown may have hidden the find.
      const standing = judged.some((j) => j.outcome === 'unknown');
      if (standing) judged = judged.map((j) => (j.outcome === 'unmet' && j.verdict !== 'unknown' ? { ...j, outcome: 'unknown', note: `${j.note}; no seed of the case found it, and some ended unknown` } : j));
      else judged = judged.map((j) => (j.outcome === 'unmet' ? { ...j, note: `${j.note}; no seed of the case found it` } : j));
    }
  }
  const has = (o: Outcome) => judged.some((j) => j.outcome === o);
  const outcome: CaseResult['outcome'] = has('unmet') ? 'unmet' : has('error') ? 'error' : has('unknown') ? 'unknown' : 'met';
  const count = (o: Outcome) => judged.filter((j) => j.outcome === o).length;
  const note =
    outcome === 'met' ? `${judged.length} run(s) met ${describeExpect(c)}${count('accepted') ? ` (${count('accepted')} unknown accepted)` : ''}`
      : outcome === 'unmet' ? `${count('unmet')} of ${judged.length} run(s) did not meet ${describeExpect(c)}`
        : outcome === 'error' ? `${count('error')} run(s) failed in the harness`
          : `${count('unknown')} of ${judged.length} run(s) ended unknown`;
  return {
    name: c.name,
    runtime: c.runtime,
    workload: c.workload,
    bugs: c.bugs,
    expect: describeExpect(c),
    unknownRule: c.unknown,
    outcome,
    note,
    runs: judged,
  };
}

/** 0 every case met its expectation, 1 one did not, 4 the harness failed a run (and nothing
 *  was unmet), 3 only unknowns stood in the way. */
export function suiteExit(cases: readonly Pick<CaseResult, 'outcome'>[]): number {
  if (cases.some((c) => c.outcome === 'unmet')) return EXIT.invalid;
  if (cases.some((c) => c.outcome === 'error')) return EXIT_HARNESS;
  if (cases.some((c) => c.outcome === 'unknown')) return EXIT.unknown;
  return EXIT.valid;
}

export function verdictCounts(runs: readonly RunRecord[]): VerdictCounts {
  const n = { valid: 0, invalid: 0, unknown: 0, error: 0 };
  for (const r of runs) n[r.verdict === true ? 'valid' : r.verdict === false ? 'invalid' : r.verdict === 'unknown' ? 'unknown' : 'error']++;
  return n;
}

export function outcomeCounts(runs: readonly JudgedRun[]): OutcomeCounts {
  const n = { met: 0, unmet: 0, unknown: 0, accepted: 0, error: 0 };
  for (const r of runs) n[r.outcome]++;
  return n;
}
