// The runtime seam (DESIGN.md): one interface, two worlds (docker containers, the
// deterministic simulator). The nemesis and the workloads speak only to this.
import type { BlockClient } from '../../nodes/blockstore/client/types.js';
import type { BugSwitch, NodeName, NodeParams, NodeStatus } from '../../nodes/blockstore/core/types.js';

export interface ClusterSpec {
  runId: string;
  nodes: readonly NodeName[];
  bugs: readonly BugSwitch[];
  params: NodeParams;
  /** Per-op client timeout (ms of the runtime's clock). */
  clientTimeoutMs: number;
  /** Where node logs go (the run directory's nodes/). */
  logDir: string;
  seed: number;
}

export interface Runtime {
  readonly kind: 'docker' | 'sim';
  /** Ns since run start on the runtime's clock (virtual in sim, monotonic wall in docker). */
  now(): number;
  /** Waits ms of the runtime's clock. Workloads must wait only through this. */
  sleep(ms: number): Promise<void>;
  up(spec: ClusterSpec): Promise<void>;
  /** Stops and removes everything the run made, on error too. Idempotent. */
  down(): Promise<void>;
  /** A client bound to one node; each process of a workload gets its own. */
  client(node: NodeName): BlockClient;

  kill(node: NodeName): Promise<void>; // SIGKILL
  /** Kill with the node's unsynced disk tail dropped. */
  killUnsynced(node: NodeName): Promise<void>;
  start(node: NodeName): Promise<void>; // restart after kill, same volumes
  pause(node: NodeName): Promise<void>; // freeze
  resume(node: NodeName): Promise<void>;
  /** Drop traffic from `from` to `to` (one way). */
  cut(from: NodeName, to: NodeName): Promise<void>;
  /** Restore traffic from `from` to `to`. */
  heal(from: NodeName, to: NodeName): Promise<void>;
  /** The node's lose-journal hook: drops its replication journal and unsynced tail. */
  loseJournal(node: NodeName): Promise<void>;
  /** Destroy a node and its volumes (the shared backend goes with the last of a/b). */
  destroy(node: NodeName): Promise<void>;
  /** Site-loss recovery: start a new primary from dr's latest consistent image (e.g. by
   *  promoting dr). Returns the node that now serves as primary (clients go there) and the
   *  version cut of the image it started from, as the node itself reports it. */
  recoverFromDr(): Promise<Recovered>;
  /** The node's log so far (for the run directory's nodes/<name>.log). */
  logs(node: NodeName): Promise<string>;
  status(node: NodeName): Promise<NodeStatus | null>;
  /** Heal every fault: links, pauses, dead nodes restarted. Idempotent. */
  healAll(): Promise<void>;
}

/** The outcome of site-loss recovery: the new primary and the cut its image stands at (the
 *  newest version the new era inherits; absent when the node did not say). */
export interface Recovered {
  primary: NodeName;
  cut?: number;
}

/** Factories the run loop picks from (harness/run selects; each runtime module exports one). */
export type RuntimeFactory = (opts: { seed: number; runId: string }) => Runtime | Promise<Runtime>;

// ---- the generic seam (issue 10) ------------------------------------------------------------
// What the runtime becomes once every system goes through ground/system.ts: the generic
// lifecycle and fault surface over string node names, nothing of any one system. The block
// store moves onto it; `Runtime` above goes away then.
import type { FaultSurface, System } from '../../ground/system.js';

export interface SystemClusterSpec {
  runId: string;
  system: System;
  nodes: readonly string[];
  bugs: readonly string[];
  params: Readonly<Record<string, unknown>>;
  /** Per-op client timeout (ms of the runtime's clock). */
  clientTimeoutMs: number;
  /** Where node logs go (the run directory's nodes/). */
  logDir: string;
  seed: number;
}

export interface SystemRuntime extends FaultSurface {
  up(spec: SystemClusterSpec): Promise<void>;
  /** Stops and removes everything this run made (and nothing else), on error too. Idempotent. */
  down(): Promise<void>;
  /** The node's log so far (for the run directory's nodes/<name>.log). */
  logs(node: string): Promise<string>;
  /** Heal every generic fault: links, pauses, dead nodes restarted. Idempotent. */
  healAll(): Promise<void>;
}
