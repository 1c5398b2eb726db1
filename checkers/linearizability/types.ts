// Shapes of the linearizability checker's API and of its counterexamples.
import type { Verdict } from '../../ground/errors.js';
import type { Operation } from '../../ground/history/types.js';

export const MODELS = ['register', 'cas-register', 'etcd-cas-register', 'kv'] as const;
export type ModelName = (typeof MODELS)[number];

/** One operation as a user model's step sees it. `fail` ops never reach a model (they did not
 *  happen); `info` and `open` ops may take effect at any point after their call, or never, and
 *  carry no output (undefined): step must accept that. */
export interface ModelOp {
  f: string;
  key?: string | number | null;
  input: unknown;
  output: unknown;
  status: 'ok' | 'info' | 'open';
}

/** A model written by a user (porcupine's Model, in JavaScript), loaded with `--model PATH`.
 *  States are values the model owns and must not mutate; step returns the next state, or
 *  undefined when the op cannot take effect in `state`. */
export interface UserModel<S = unknown> {
  name?: string;
  init(): S;
  step(state: S, op: ModelOp): S | undefined;
  equal(a: S, b: S): boolean;
  /** The independent sub-history an op belongs to (P-compositionality); default: op.key. */
  partition?(op: ModelOp): string | number | null | undefined;
  /** A state as a plain value for counterexamples; default: the state itself. */
  describe?(state: S): unknown;
  /** A value equal states share (buckets states before `equal` confirms); default JSON text. */
  hash?(state: S): string | number;
}

/** A user model loaded from a module, with where it came from (workers load it again). */
export interface LoadedModel {
  name: string;
  path: string;
  impl: UserModel;
}

export const modelName = (m: ModelName | LoadedModel): string => (typeof m === 'string' ? m : m.name);

export interface CheckOptions {
  model: ModelName | LoadedModel;
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
  /** Memory the search's memo may take before the verdict is `unknown` (all keys, all threads);
   *  default 512 MiB. */
  memoLimitBytes?: number;
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
  model: string;
  /** Client operations considered (after dropping failed ops and unknown reads). */
  ops: number;
  partitions: number;
  ms: number;
  counterexample?: Counterexample;
  reason?: string;
}
