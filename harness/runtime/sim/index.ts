// The `sim` runtime: the Runtime seam over a SimWorld. Fault hooks act at the current virtual
// instant; only waiting (sleep, client replies, admin requests) lets virtual time pass.
import type { BlockClient } from '../../../nodes/blockstore/client/types.js';
import type { NodeName, NodeStatus } from '../../../nodes/blockstore/core/types.js';
import { createNode } from '../../../nodes/blockstore/core/index.js';
import type { ClusterSpec, Recovered, Runtime, RuntimeFactory } from '../types.js';
import { SimClient } from './client.js';
import type { NetParams } from './network.js';
import { SimWorld, type CoreFactory, type DiskParams } from './world.js';

const MS = 1_000_000;

export interface SimOptions {
  seed: number;
  runId: string;
  /** The node core to run; the real one (nodes/core) unless a test swaps it. */
  createCore?: CoreFactory;
  net?: Partial<NetParams>;
  disk?: Partial<DiskParams>;
}

export class SimRuntime implements Runtime {
  readonly kind = 'sim' as const;
  private world: SimWorld | null = null;
  private spec: ClusterSpec | null = null;
  private downed = false;

  constructor(private readonly opts: SimOptions) {}

  private w(): SimWorld {
    if (!this.world) throw new Error('sim runtime: up() first');
    return this.world;
  }

  /** The world behind the seam, for tests and benchmarks. */
  get simWorld(): SimWorld {
    return this.w();
  }

  now(): number {
    return this.world ? this.world.sched.now() : 0;
  }

  /** Events the scheduler has run (0 before up). */
  events(): number {
    return this.world ? this.world.sched.events : 0;
  }

  sleep(ms: number): Promise<void> {
    return this.w().sched.sleep(Math.round(ms * MS));
  }

  async up(spec: ClusterSpec): Promise<void> {
    if (this.world) throw new Error('sim runtime: up() called twice');
    const createCore = this.opts.createCore ?? createNode;
    this.spec = spec;
    this.world = new SimWorld({
      // The cluster spec's seed wins: it is the run's seed, recorded in its config.
      seed: spec.seed ?? this.opts.seed,
      nodes: spec.nodes,
      bugs: spec.bugs,
      params: spec.params,
      createCore,
      net: this.opts.net,
      disk: this.opts.disk,
    });
    for (const n of spec.nodes) this.world.start(n);
    // Let the first heartbeats and handshakes happen before the workload starts.
    await this.sleep(Math.max(1, spec.params.heartbeatMs));
  }

  async down(): Promise<void> {
    if (this.downed) return;
    this.downed = true;
    this.world?.sched.stop();
  }

  client(node: NodeName): BlockClient {
    return new SimClient(this.w(), node, this.spec!.clientTimeoutMs);
  }

  async kill(node: NodeName): Promise<void> {
    this.w().crash(node, 'process');
  }

  async killUnsynced(node: NodeName): Promise<void> {
    this.w().crash(node, 'power');
  }

  async start(node: NodeName): Promise<void> {
    this.w().start(node);
  }

  async pause(node: NodeName): Promise<void> {
    this.w().pause(node);
  }

  async resume(node: NodeName): Promise<void> {
    this.w().resume(node);
  }

  async cut(from: NodeName, to: NodeName): Promise<void> {
    this.w().net.cut(from, to);
  }

  async heal(from: NodeName, to: NodeName): Promise<void> {
    this.w().net.heal(from, to);
  }

  async loseJournal(node: NodeName): Promise<void> {
    // The node's own admin hook, as in docker; a node that is down has nothing to lose.
    if (this.w().node(node).state !== 'up') return;
    await this.client(node).loseJournal();
  }

  async destroy(node: NodeName): Promise<void> {
    this.w().destroy(node);
  }

  async recoverFromDr(): Promise<Recovered> {
    const w = this.w();
    if (w.node('dr').state === 'down') w.start('dr');
    const c = new SimClient(w, 'dr', this.spec!.clientTimeoutMs);
    const r = await c.promote();
    if (r.status !== 'ok') throw new Error(`sim: promote on dr failed: ${r.error}`);
    return { primary: 'dr', ...(r.cut !== undefined ? { cut: r.cut } : {}) };
  }

  async logs(node: NodeName): Promise<string> {
    return this.world ? this.world.logs(node) : '';
  }

  async status(node: NodeName): Promise<NodeStatus | null> {
    const w = this.w();
    if (w.node(node).state !== 'up') return null;
    const r = await this.client(node).status();
    return r.status === 'ok' ? r.info : null;
  }

  async healAll(): Promise<void> {
    const w = this.w();
    w.net.healAll();
    for (const [name, n] of w.nodes) {
      if (n.paused) w.resume(name);
      if (n.state === 'down') w.start(name);
    }
  }
}

export const createSimRuntime: RuntimeFactory = (opts) => new SimRuntime(opts);
