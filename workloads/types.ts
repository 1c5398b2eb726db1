// What a workload gets from the run loop. Workloads wait only through runtime.sleep and read
// time only through runtime.now, so under the sim runtime a run is a function of its seed.
// They talk to nodes only through the system's clients (ground/system.ts): nothing here knows
// which system runs.
import type { FaultSurface } from '../ground/system.js';
import type { HistoryWriter } from '../ground/history/writer.js';
import type { Rng } from '../ground/rng.js';

export interface OpCounts {
  invoked: number;
  ok: number;
  fail: number;
  info: number;
}

/** Who serves, as the clients believe it (harness/nemesis/view.ts keeps it). */
export interface RoutingView {
  /** Where writes go; a final-phase status probe updates it. */
  primary: string;
  readonly readNodes: readonly string[];
  readonly pair: readonly string[];
  readonly generation: number;
  acked(node: string): { faultId: number | null } | null;
  /** A node the workload addresses by its part (the block store's dr), unless it is gone. */
  part(name: string): string | null;
}

export interface WorkloadContext {
  runtime: Pick<FaultSurface, 'now' | 'sleep' | 'client' | 'status'>;
  history: HistoryWriter;
  view: RoutingView;
  /** The status role that means primary (the system's roles.primary). */
  primaryRole: string;
  /** The workload's stream; each process forks its own from it. */
  rng: Rng;
  concurrency: number;
  /** Mean think time between a process's ops (ms). */
  thinkMs: number;
  /** Keys (blocks) the workload spreads over. */
  keys: number;
  /** Runtime ns at which processes stop invoking. */
  endNs: number;
  /** Shared op budget (opLimit); Infinity when unlimited. */
  budget: { left: number };
  counts: OpCounts;
  /** Keys some write, cas or add was invoked on: the final reads cover exactly these. */
  touched: Set<number>;
  /** Called after every completion (progress display). */
  onOp?: () => void;
  /** Set by the run loop to end the workload early (an error elsewhere, a signal). */
  aborted: { value: boolean };
}

/** After every fault is healed and a primary serves: read back what the run wrote. */
export interface FinalContext {
  /** The first process id free for final readers. */
  firstProcess: number;
  deadlineNs: number;
}

export interface Workload {
  name: string;
  description: string;
  /** Operations the system's client must know. */
  ops: readonly string[];
  run(ctx: WorkloadContext): Promise<void>;
  /** Reads back (recorded with meta.final) what the checkers judge after the heal; returns
   *  the problems met (keys never read back), which make the verdict unknown at worst. */
  final(ctx: WorkloadContext, fin: FinalContext): Promise<string[]>;
}
