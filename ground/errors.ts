// Bad input must end in one clear line and exit status 2, never a stack trace.
// Code that detects bad input throws InputError; the CLI prints `message` alone and exits 2.

export class InputError extends Error {
  /** `where` is `file:line` (or just a flag name); `message` says what was expected. */
  constructor(message: string, readonly where?: string) {
    super(where ? `${where}: ${message}` : message);
    this.name = 'InputError';
  }
}

/** Exit statuses of the CLI contract (DESIGN.md). */
export const EXIT = { valid: 0, invalid: 1, input: 2, unknown: 3, interrupted: 3, harness: 4 } as const;

/** Jepsen's priority when composing verdicts: false over unknown over true. */
export type Verdict = true | false | 'unknown';
export function mergeVerdicts(vs: Iterable<Verdict>): Verdict {
  let out: Verdict = true;
  for (const v of vs) {
    if (v === false) return false;
    if (v === 'unknown') out = 'unknown';
  }
  return out;
}
export function exitFor(v: Verdict): number {
  return v === true ? EXIT.valid : v === false ? EXIT.invalid : EXIT.unknown;
}

/**
 * A run's own verdict, beyond what the checkers say. `interrupted`: a signal cut the run short,
 * so a clean history proves nothing about the time that did not run (never `valid`; exit 3).
 * `crash`: a node's core threw, a bug in the system under test found by the harness itself
 * (exit 1, like any violation). A violation found in a partial history is still a violation.
 * Priority: crash, invalid, interrupted, unknown, valid.
 */
/** What a signal cut short: results.json, the report, junit and the last line all say it. */
export interface Interruption {
  signal: string;
  /** The run's phase when the signal came (up, workload, heal, final, check). */
  phase: string;
  /** Seconds of workload that ran, of `plannedS`. */
  ranS: number;
  plannedS: number;
  faultsStarted: number;
  faultsPlanned: number;
}

export type RunVerdict = 'valid' | 'invalid' | 'unknown' | 'interrupted' | 'crash';
export function runVerdict(v: Verdict, facts: { interrupted?: boolean; crashed?: boolean } = {}): RunVerdict {
  if (facts.crashed) return 'crash';
  if (v === false) return 'invalid';
  if (facts.interrupted) return 'interrupted';
  return v === true ? 'valid' : 'unknown';
}
export function exitForRun(v: RunVerdict): number {
  switch (v) {
    case 'valid': return EXIT.valid;
    case 'invalid': case 'crash': return EXIT.invalid;
    case 'interrupted': return EXIT.interrupted;
    default: return EXIT.unknown;
  }
}

/** A failure of the harness itself (not of the system under test, not of the input): exit 4. */
export class HarnessError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HarnessError';
  }
}
