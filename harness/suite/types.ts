// What a suite records about each run: plain data, the same in summary.json, junit.xml and
// index.html, and what `chaos suite merge` reads back from each shard.
import type { Verdict } from '../../ground/errors.js';

export interface CheckerLine {
  valid: Verdict;
  anomalies: number;
  /** Anomaly kinds, sorted, unique. */
  kinds: string[];
  /** Why a checker could not decide. */
  reason?: string;
}

export interface RunRecord {
  case: string;
  seed: number;
  runtime: 'sim' | 'docker';
  /** `error`: the harness itself failed to run it (exit 4 territory), no verdict at all. */
  verdict: Verdict | 'error';
  checkers: Record<string, CheckerLine>;
  /** Anomalies over all checkers, and `checker:kind` for each kind found. */
  anomalies: number;
  kinds: string[];
  /** A few lines naming what the checkers found (the first anomalies' messages). */
  summary: string;
  /** The command line that reproduces the run (`chaos replay DIR` when flags cannot). */
  reproduce: string;
  /** Harness errors met on the way (a refused fault, a cluster that never recovered). */
  errors: string[];
  durationMs: number;
  startedAt: string;
  /** How many times the seed ran (unknown: retry runs it again). */
  attempts: number;
  /** Run directory and its report, absolute while running; relative to the suite directory
   *  in summary.json. Absent when the run was removed (keep: failing) or never made. */
  dir?: string;
  report?: string;
}

/** A run judged against its case's expectation. */
export type Outcome = 'met' | 'unmet' | 'unknown' | 'accepted' | 'error';

export interface JudgedRun extends RunRecord {
  outcome: Outcome;
  /** Why, in one sentence (the junit message leads with it). */
  note: string;
}

export interface CaseResult {
  name: string;
  runtime: 'sim' | 'docker';
  workload: string;
  bugs: string[];
  /** `valid`, or `invalid by a, b (any|every)`. */
  expect: string;
  unknownRule: string;
  outcome: Exclude<Outcome, 'accepted'>;
  note: string;
  runs: JudgedRun[];
}

export interface VerdictCounts {
  valid: number;
  invalid: number;
  unknown: number;
  error: number;
}

export interface OutcomeCounts {
  met: number;
  unmet: number;
  unknown: number;
  accepted: number;
  error: number;
}
