// What clients believe about the cluster's shape, shared by the nemesis (which changes it on
// site loss) and the workload processes (which route by it). Each process also keeps its own
// guess of the primary between a and b; `generation` tells it when to drop that guess.
import type { NodeName } from '../../nodes/blockstore/core/types.js';

export class ClusterView {
  primary: NodeName = 'a';
  /** Nodes that serve client reads (a's partner b serves from its location cache). */
  readNodes: NodeName[] = ['a', 'b'];
  /** The HA pair clients flip between when the primary refuses; a single node after site loss. */
  pair: NodeName[] = ['a', 'b'];
  readonly destroyed = new Set<NodeName>();
  generation = 0;
  /** The last fault that hit each node (the faultId a failover is blamed on). */
  readonly lastFault = new Map<NodeName, number>();
  /** The node that acknowledged the latest ok write; a change is a failover completing. */
  writer: NodeName | null = null;
  /** Names of faults in effect now (for the progress line). */
  readonly active = new Map<number, string>();

  /** Notes which node acked a write; returns the faultId to blame when the acking node changed
   *  (a takeover or a site-loss recovery completed: the new primary serves), else null. */
  acked(node: NodeName): { faultId: number | null } | null {
    const prev = this.writer;
    this.writer = node;
    if (prev === null || prev === node) return null;
    const f = this.lastFault.get(prev);
    return { faultId: f ?? null };
  }

  siteLost(newPrimary: NodeName): void {
    this.primary = newPrimary;
    this.readNodes = [newPrimary];
    this.pair = [newPrimary];
    this.destroyed.add('a');
    this.destroyed.add('b');
    this.generation++;
  }
}
