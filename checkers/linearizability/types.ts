// Shapes of the linearizability checker's API and of its counterexamples.
import type { Verdict } from '../../ground/errors.js';
import type { Operation } from '../../ground/history/types.js';

export const MODELS = ['register', 'cas-register', 'etcd-cas-register', 'kv'] as const;
export type ModelName = (typeof MODELS)[number];

export interface CheckOptions {
  model: ModelName;
  /** Initial register value (register / cas-register); default null (absent). */
  initial?: unknown;
  /** Give up with `unknown` after this many ms (whole history). */
  timeoutMs?: number;
  /** knossos: an ok read of nil is an unknown read and constrains nothing (EDN histories).
   *  Otherwise a read of null means the register was absent. */
  nilReadIsUnknown?: boolean;
  /** Skip ops whose f the model does not know (harness histories carry dr-snapshot etc.);
   *  otherwise such an op is bad input. */
  ignoreOtherF?: boolean;
  /** `file:line` of history event i, for input errors. */
  locate?: (i: number) => string;
  /** Worker threads for independent keys: 0 = never, 'auto' = when the history is big enough. */
  workers?: number | 'auto';
}

/** One operation as a report draws it: history indexes of its invocation and completion. */
export interface OpRef {
  index: number;
  completeIndex: number;
  process: Operation['process'];
  f: string;
  key?: string | number | null;
  input: unknown;
  output: unknown;
  status: Operation['status'];
}

/** Bounded in size whatever the history's length: the stuck op, the end of the prefix before it,
 *  and (some of) the ops that overlap it. */
export interface Counterexample {
  key?: string | number | null;
  /** The operation no order can fit: its completion was reached with it unlinearized. */
  op: OpRef;
  /** Length of the longest linearizable prefix found. */
  prefixLength: number;
  /** The last ops of that prefix (at most 8), in linearization order, with the model state after each. */
  prefix: { op: OpRef; state: unknown }[];
  /** Model state after the prefix, the state `op` could not be applied to. */
  state: unknown;
  /** Ops whose intervals overlap `op`'s (candidates for other orders): the first 32 by call. */
  concurrent: OpRef[];
  /** How many ops overlap `op` in all. */
  concurrentCount: number;
}

export interface LinResult {
  valid: Verdict;
  model: ModelName;
  /** Client operations considered (after dropping failed ops and unknown reads). */
  ops: number;
  partitions: number;
  ms: number;
  counterexample?: Counterexample;
  reason?: string;
}
