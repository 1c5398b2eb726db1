// The `sim` runtime: the Runtime seam over a SimWorld. Fault hooks act at the current virtual
// instant; only waiting (sleep, client replies, status probes) lets virtual time pass. The
// simulator runs systems that provide a sans-IO core (System.sim.createCore): today the block
// store, whose effects (messages, timers, record files, fsync) the world carries out.
import type { Client, LinkImpairment, NodeStatus, System } from '../../../ground/system.js';
import { InputError } from '../../../ground/errors.js';
import type { BugSwitch, NodeName, NodeParams } from '../../../nodes/blockstore/core/types.js';
import { BlockstoreClient } from '../../../nodes/blockstore/client/generic.js';
import type { ClusterSpec, Runtime, RuntimeFactory } from '../types.js';
import { SimClient } from './client.js';
import type { NetParams } from './network.js';
import { SimWorld, type CoreFactory, type DiskParams, type SimLayout } from './world.js';

const MS = 1_000_000;

export interface SimOptions {
  seed: number;
  runId: string;
  /** The node core to run; the system's own unless a test swaps it. */
  createCore?: CoreFactory;
  net?: Partial<NetParams>;
  disk?: Partial<DiskParams>;
}

/** What a system gives the simulator: its sans-IO node core and where its nodes sit. */
export interface SimSupport {
  createCore: CoreFactory;
  layout: SimLayout;
}

/** The system's sans-IO core, or one line (exit 2) saying the simulator cannot run it. */
export function simSupport(system: System): SimSupport {
  const s = system.sim as Partial<SimSupport> | undefined;
  if (!s || typeof s.createCore !== 'function' || !s.layout) {
    throw new InputError(`system '${system.name}' has no sans-IO core the simulator can run; expected --runtime docker`, '--runtime sim');
  }
  return s as SimSupport;
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
    const support = simSupport(spec.system);
    const createCore = this.opts.createCore ?? support.createCore;
    this.spec = spec;
    const params = spec.params as unknown as NodeParams;
    this.world = new SimWorld({
      // The cluster spec's seed wins: it is the run's seed, recorded in its config.
      seed: spec.seed ?? this.opts.seed,
      nodes: spec.nodes as NodeName[],
      bugs: spec.bugs as BugSwitch[],
      params,
      createCore,
      layout: support.layout,
      // A test's own parameters win; else the run's (its swarm draw), else the defaults.
      net: this.opts.net ?? (spec.sim?.net as Partial<NetParams> | undefined),
      disk: this.opts.disk ?? (spec.sim?.disk as Partial<DiskParams> | undefined),
    });
    // Standing clock rates (a swarm's drifting clocks) hold from each node's first start.
    for (const [n, rate] of Object.entries(spec.sim?.clocks ?? {})) this.world.skewClock(n as NodeName, 0, rate);
    for (const n of spec.nodes) this.world.start(n as NodeName);
    // Let the first heartbeats and handshakes happen before the workload starts.
    await this.sleep(Math.max(1, params.heartbeatMs ?? 1));
  }

  async down(): Promise<void> {
    if (this.downed) return;
    this.downed = true;
    this.world?.sched.stop();
  }

  /** The transport underneath the system's client: requests travel the simulated network. */
  private transport(node: string): SimClient {
    return new SimClient(this.w(), node as NodeName, this.spec!.clientTimeoutMs);
  }

  client(node: string): Client {
    return new BlockstoreClient(this.transport(node));
  }

  async kill(node: string): Promise<void> {
    this.w().crash(node as NodeName, 'process');
  }

  async crash(node: string, how: 'process' | 'power'): Promise<void> {
    this.w().crash(node as NodeName, how);
  }

  async start(node: string): Promise<void> {
    this.w().start(node as NodeName);
  }

  async pause(node: string): Promise<void> {
    this.w().pause(node as NodeName);
  }

  async resume(node: string): Promise<void> {
    this.w().resume(node as NodeName);
  }

  async cut(from: string, to: string): Promise<void> {
    this.w().net.cut(from as NodeName, to as NodeName);
  }

  async heal(from: string, to: string): Promise<void> {
    this.w().net.heal(from as NodeName, to as NodeName);
  }

  async netem(from: string, to: string, impairment: LinkImpairment | null): Promise<void> {
    if (impairment) this.w().netem(from as NodeName, to as NodeName, impairment);
    else this.w().healNetem(from as NodeName, to as NodeName);
  }

  async destroy(node: string): Promise<void> {
    this.w().destroy(node as NodeName);
  }

  async coverage(): Promise<Record<string, number>> {
    return this.world ? this.world.marks() : {};
  }

  async logs(node: string): Promise<string> {
    return this.world ? this.world.logs(node as NodeName) : '';
  }

  async status(node: string): Promise<NodeStatus | null> {
    const w = this.w();
    if (w.node(node as NodeName).state !== 'up') return null;
    return this.spec!.system.status(this.client(node));
  }

  async healAll(): Promise<void> {
    const w = this.w();
    w.net.healAll();
    // Clock skew, disk errors and other injected faults end with the run's faults too.
    w.healInjected();
    for (const [name, n] of w.nodes) {
      if (n.paused) w.resume(name);
      if (n.state === 'down') w.start(name);
    }
  }
}

export const createSimRuntime: RuntimeFactory = (opts) => new SimRuntime(opts);
