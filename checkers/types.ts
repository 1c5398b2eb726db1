// The checker seam (DESIGN.md): (history, context) -> verdict, anomalies, stats.
import type { Interruption, RunVerdict, Verdict } from '../ground/errors.js';
import type { HistoryEvent } from '../ground/history/types.js';
import type { Paired } from '../ground/history/pair.js';

export interface Anomaly {
  /** A stable kind name, e.g. `stale-cache-read`, `lost-write`, `torn-dr-image`, `nonlinearizable`. */
  kind: string;
  /** One human sentence naming the ops and nodes involved. */
  message: string;
  /** History indexes of the events involved, so a report can draw them. */
  events: number[];
  [detail: string]: unknown;
}

export interface CheckerResult {
  valid: Verdict;
  anomalies: Anomaly[];
  /** Why the verdict is `unknown` (missing fields, a limit hit). */
  reason?: string;
  stats?: Record<string, unknown>;
}

export interface CheckContext {
  events: readonly HistoryEvent[];
  paired: Paired;
  /** Run facts a checker may need: which nodes ran, bug switches, workload, time limit ... */
  run?: Record<string, unknown>;
  /** Give up with `unknown` after this many ms. */
  timeoutMs?: number;
}

export type Checker = (ctx: CheckContext) => CheckerResult | Promise<CheckerResult>;

/** results.json's shape: Jepsen's composition, false over unknown over true. */
export interface ComposedResult {
  valid: Verdict;
  checkers: Record<string, CheckerResult>;
  /** The run's own verdict (ground/errors.ts runVerdict): adds `interrupted` and `crash` to the
   *  checkers' composition. Absent for a bare checker composition (`chaos check`). */
  verdict?: RunVerdict;
  /** Set when a signal cut the run short. */
  interrupted?: Interruption;
  /** Coverage marks the run hit, by name, every mark of the system listed (0: never hit). */
  coverage?: Record<string, number>;
}
