// What clients believe about the cluster's shape, shared by the nemesis (which changes it on
// site loss) and the workload processes (which route by it). Each process also keeps its own
// guess of the primary between a and b; `generation` tells it when to drop that guess.
import type { NodeName } from '../../nodes/core/types.js';

export class ClusterView {
  primary: NodeName = 'a';
  /** Nodes that serve client reads (a's partner b serves from its location cache). */
  readNodes: NodeName[] = ['a', 'b'];
  /** The HA pair clients flip between when the primary refuses; a single node after site loss. */
  pair: NodeName[] = ['a', 'b'];
  readonly destroyed = new Set<NodeName>();
  generation = 0;
  /** Names of faults in effect now (for the progress line). */
  readonly active = new Map<number, string>();

  siteLost(newPrimary: NodeName): void {
    this.primary = newPrimary;
    this.readNodes = [newPrimary];
    this.pair = [newPrimary];
    this.destroyed.add('a');
    this.destroyed.add('b');
    this.generation++;
  }
}
