// What a workload gets from the run loop. Workloads wait only through runtime.sleep and read
// time only through runtime.now, so under the sim runtime a run is a function of its seed.
import type { Runtime } from '../harness/runtime/types.js';
import type { HistoryWriter } from '../ground/history/writer.js';
import type { ClusterView } from '../harness/nemesis/view.js';
import type { Rng } from '../ground/rng.js';
import type { NemesisKind } from '../harness/nemesis/plan.js';

export interface OpCounts {
  invoked: number;
  ok: number;
  fail: number;
  info: number;
}

export interface WorkloadContext {
  runtime: Runtime;
  history: HistoryWriter;
  view: ClusterView;
  /** The workload's stream; each process forks its own from it. */
  rng: Rng;
  concurrency: number;
  /** Mean think time between a process's ops (ms). */
  thinkMs: number;
  /** Number of blocks in the volume. */
  blocks: number;
  /** Runtime ns at which processes stop invoking. */
  endNs: number;
  /** Shared op budget (opLimit); Infinity when unlimited. */
  budget: { left: number };
  counts: OpCounts;
  /** Blocks some write or cas was invoked on: the final reads cover exactly these. */
  touched: Set<number>;
  /** Called after every completion (progress display). */
  onOp?: () => void;
  /** Set by the run loop to end the workload early (an error elsewhere). */
  aborted: { value: boolean };
}

export interface WorkloadDefaults {
  nemesis: readonly NemesisKind[];
  concurrency: number;
  thinkMs: number;
  /** Node parameters this workload wants unless the config says otherwise (e.g. more blocks). */
  params?: { blocks?: number };
}

export interface Workload {
  name: string;
  defaults: WorkloadDefaults;
  /** Whether the run snapshots dr at the end (convergence / dr-prefix). */
  finalDr: boolean;
  run(ctx: WorkloadContext): Promise<void>;
}
