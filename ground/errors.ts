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
export const EXIT = { valid: 0, invalid: 1, input: 2, unknown: 3 } as const;

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
