// What clients believe about the cluster's shape, shared by the nemesis (which changes it when
// a capability such as site loss or failover moves the primary) and the workload processes
// (which route by it). Each process also keeps its own guess of the primary among the
// candidates; `generation` tells it when to drop that guess.
import type { Topology, ViewChange } from '../../ground/system.js';

export class ClusterView {
  primary: string;
  /** Nodes that serve client reads (the block store's partner serves from its location cache). */
  readNodes: string[];
  /** The nodes clients flip between when the one they believe primary refuses a write. */
  pair: string[];
  /** Nodes a workload addresses by their part (the block store's dr). */
  readonly named: Readonly<Record<string, string>>;
  readonly destroyed = new Set<string>();
  generation = 0;
  /** The last fault that hit each node (the faultId a failover is blamed on). */
  readonly lastFault = new Map<string, number>();
  /** The node that acknowledged the latest ok write; a change is a failover completing. */
  writer: string | null = null;
  /** Names of faults in effect now (for the progress line). */
  readonly active = new Map<number, string>();

  constructor(topology: Topology) {
    this.primary = topology.primary;
    this.readNodes = [...topology.readNodes];
    this.pair = [...topology.candidates];
    this.named = { ...(topology.named ?? {}) };
  }

  /** Notes which node acked a write; returns the faultId to blame when the acking node changed
   *  (a takeover or a recovery completed: the new primary serves), else null. */
  acked(node: string): { faultId: number | null } | null {
    const prev = this.writer;
    this.writer = node;
    if (prev === null || prev === node) return null;
    const f = this.lastFault.get(prev);
    return { faultId: f ?? null };
  }

  /** A capability moved the primary or removed nodes: clients route by the new shape. */
  apply(change: ViewChange): void {
    for (const n of change.destroyed ?? []) this.destroyed.add(n);
    if (change.candidates) this.pair = [...change.candidates];
    if (change.readNodes) this.readNodes = [...change.readNodes];
    if (change.primary) this.primary = change.primary;
    this.pair = this.pair.filter((n) => !this.destroyed.has(n));
    this.readNodes = this.readNodes.filter((n) => !this.destroyed.has(n));
    this.generation++;
  }

  /** A node the workload addresses by its part, unless it is gone. */
  part(name: string): string | null {
    const n = this.named[name];
    return n && !this.destroyed.has(n) ? n : null;
  }
}
