// The System seam (DESIGN.md): everything the harness needs to know about a replicating system
// to boot it, drive it, hurt it and judge it, as data and small functions. Think Jepsen's `db`
// + `client` protocols, or a testcontainers product module: defaults over a generic container.
// The block store (nodes/blockstore), etcd (nodes/etcd) and Redis (nodes/redis) each export one;
// a user's own system is a module passed with `--system PATH` that exports one as `system` (or
// default).
//
// Nothing here names a node of a particular system: nodes are strings the system chooses.
import type { EventMeta } from './history/types.js';
import type { Rng } from './rng.js';

// ---- operations and clients -----------------------------------------------------------------

/** One operation a workload asks of a system. The history records `f`, `key` and `value` as
 *  given. Generic operations: `read`, `write` (value), `cas` (value = [expected, new]) on a
 *  key; `add` (value = element) and `read-set` for the set workload; systems add their own
 *  (the block store's `dr-snapshot`, `dr-restore`, `dr-status`). */
export interface Op {
  f: string;
  key?: string | number;
  value?: unknown;
}

/** A client's answer, classified by the system's own rule:
 *  - ok: it happened; `value` is what the history records (a read's value, a write's value);
 *  - fail: it definitely did not happen (a refusal the system guarantees had no effect);
 *  - info: it may or may not have happened (timeout, connection lost after sending).
 *  `meta` carries facts the checkers use (read source, version, epoch ...). */
export type Outcome =
  | { status: 'ok'; node: string; value?: unknown; meta?: EventMeta }
  | { status: 'fail'; node: string; error: string; meta?: EventMeta }
  | { status: 'info'; node: string; error: string; meta?: EventMeta };

/** A client bound to one node. `invoke` sends exactly one request and never retries: a retry
 *  hidden here would make one history operation two system operations. It never throws: a
 *  transport error is `fail` if nothing was sent, `info` otherwise. */
export interface Client {
  readonly node: string;
  invoke(op: Op): Promise<Outcome>;
  close(): Promise<void>;
}

/** What a node says about itself right now. `role` is the system's own word (`primary`,
 *  `partner`, `dr`, `leader`, `follower`, `replica` ...); the nemesis resolves role targets
 *  ("kill the leader") against it at the instant a fault starts. */
export interface NodeStatus {
  node: string;
  role: string;
  epoch?: number;
  version?: number;
  [extra: string]: unknown;
}

// ---- containers -----------------------------------------------------------------------------

/** An image built offline (no registry is reachable): `ensure` builds it unless a tag with the
 *  same content hash exists, and returns the tag. */
export interface ImageSpec {
  /** A short name for messages (`chaos-blockstore`, `chaos-etcd`). */
  name: string;
  ensure(): Promise<string>;
}

/** How one node runs as a container. The runtime adds the run's network, labels and volumes;
 *  the image needs nothing installed for faults (partitions come from a helper container in
 *  the node's network namespace). */
export interface ContainerSpec {
  image: ImageSpec;
  command: string[];
  env?: Record<string, string>;
  /** The port clients use inside the container; the runtime publishes it on 127.0.0.1 only. */
  clientPort: number;
  /** Other ports peers use (documentation; peers reach each other on the run's network). */
  peerPorts?: number[];
  /** Where the node's own data volume is mounted: it survives kill / start and pause, and is
   *  removed with the node (destroy) and at the end of the run. */
  dataDir?: string;
  /** Volumes several nodes mount (the block store's shared backend): name -> mount path. A
   *  shared volume is removed when the last node that mounts it is destroyed. */
  sharedVolumes?: Record<string, string>;
  /** Ready when a line of the container's output matches (checked after every start). */
  readyLog: RegExp;
  /** How long a start may take to be ready (ms); 30 s when absent. */
  startupTimeoutMs?: number;
  /** The signal that stops the node cleanly at teardown (SIGTERM when absent). */
  stopSignal?: string;
}

/** What a system sees of the cluster when it describes its containers. */
export interface ClusterInfo {
  runId: string;
  nodes: readonly string[];
  /** The node's address on the run's network (a DNS name in docker, the node name in sim). */
  host(node: string): string;
  bugs: readonly string[];
  params: Readonly<Record<string, unknown>>;
  seed: number;
}

// ---- capabilities ---------------------------------------------------------------------------

/** The generic fault surface every runtime offers for any container, plus what a capability
 *  needs to do its own work. */
export interface FaultSurface {
  readonly kind: 'docker' | 'sim';
  now(): number;
  sleep(ms: number): Promise<void>;
  client(node: string): Client;
  status(node: string): Promise<NodeStatus | null>;
  kill(node: string): Promise<void>;
  start(node: string): Promise<void>;
  pause(node: string): Promise<void>;
  resume(node: string): Promise<void>;
  cut(from: string, to: string): Promise<void>;
  heal(from: string, to: string): Promise<void>;
  /** Removes a node and its own data volume for good. */
  destroy(node: string): Promise<void>;
  /** The cluster's nodes that are not destroyed (a cluster-scope capability acts on them). */
  liveNodes?(): string[];
  /** The node's address on the run's network, as peers reach it (docker: its container name;
   *  what ClusterInfo.host gave). A capability that repoints replicas needs it. */
  host?(node: string): string;
  /** docker only: runs argv in the node's container (which must be running). */
  exec?(node: string, argv: string[]): Promise<{ code: number; output: string }>;
  /** docker only: writes a file into the node's container, running or stopped. */
  putFile?(node: string, path: string, content: Buffer | string): Promise<void>;
  /** sim only: crash a node; `power` also drops every unsynced disk append. */
  crash?(node: string, how: 'process' | 'power'): Promise<void>;
  /** The coverage marks the nodes counted so far, summed over the cluster (systems with marks). */
  coverage?(): Promise<Record<string, number>>;
  /** Impairs (or, with null, restores) the one-way link from -> to: `tc netem` on the sender's
   *  egress on docker, the simulated network in sim. Only node-to-node traffic is impaired. */
  netem?(from: string, to: string, impairment: LinkImpairment | null): Promise<void>;
}

/** A link impairment in `tc netem`'s terms: an added delay with uniform jitter, and chances
 *  (0..1) that a packet is lost, duplicated, or sent at once, overtaking held-back ones. */
export interface LinkImpairment {
  delayMs?: number;
  jitterMs?: number;
  lossP?: number;
  dupP?: number;
  reorderP?: number;
}

/** How a capability changed who serves: clients route by this from then on. */
export interface ViewChange {
  /** The node that now takes writes. */
  primary?: string;
  /** The nodes that may take writes from now on (a refused write tries the next). */
  candidates?: string[];
  /** The nodes reads may go to from now on. */
  readNodes?: string[];
  /** Nodes that are gone for good. */
  destroyed?: string[];
  /** Extra facts recorded on the fault's stop event (e.g. the cut a promoted image stands at). */
  record?: Record<string, unknown>;
}

/** A fault beyond the generic ones (kill, pause, partitions), declared by the system; the
 *  nemesis draws only the faults a system declares. */
export interface FaultCapability {
  /** The fault kind, as `--nemesis` and the history name it: `lose-journal`, `site-loss`,
   *  `failover`, `kill-unsynced` ... */
  kind: string;
  description: string;
  /** `node`: acts on `targets` (node names, or roles resolved when the fault starts);
   *  `cluster`: acts on the cluster as a whole and stands alone in the plan. */
  scope: 'node' | 'cluster';
  /** Roles or nodes the planner draws targets from (node scope); repeats weigh the draw. */
  targets?: readonly string[];
  /** Instant faults have no duration and no heal (lose-journal, failover, site-loss). */
  instant: boolean;
  /** Once per run, late, and the last fault of the plan (site loss ends the old site). */
  once?: boolean;
  /** The runtimes it works in. */
  runtimes: readonly ('docker' | 'sim')[];
  /** Draws the fault's own parameters when a plan is drawn (from the plan's seeded stream);
   *  they travel in the plan step as `args` and come back to apply and heal. */
  draw?(rng: Rng): Record<string, unknown>;
  apply(rt: FaultSurface, targets: string[], args?: Readonly<Record<string, unknown>>): Promise<ViewChange | void>;
  heal?(rt: FaultSurface, targets: string[], args?: Readonly<Record<string, unknown>>): Promise<void>;
}

/** Named partition shapes beyond the generic ones (isolate, halves, one-way): each gives the
 *  one-way links to drop and the side it calls isolated. */
export type PartitionShapeFn = (nodes: readonly string[], draw: SeededDraw) => { targets: string[]; links: [string, string][] };

/** The seeded choices a shape may make (from the run's nemesis stream, never Math.random). */
export interface SeededDraw {
  pick<T>(xs: readonly T[]): T;
  shuffle<T>(xs: T[]): T[];
}

// ---- workloads and checkers -----------------------------------------------------------------

export interface WorkloadSupport {
  /** Fault kinds of this workload's default nemesis. */
  nemesis: readonly string[];
  concurrency: number;
  /** Mean think time between a process's ops (ms) on docker. */
  thinkMs: number;
  /** Keys the register workload spreads over (blocks for the block store). */
  keys?: number;
  /** Node parameters this workload wants unless the config says otherwise. */
  params?: Record<string, unknown>;
  /** Coverage marks this workload cannot reach, each with the reason (a sweep lists them
   *  apart from the marks it missed). */
  unreachableMarks?: Readonly<Record<string, string>>;
}

/** The checkers that judge a run of this system, by name (checkers/index.ts resolves them),
 *  and the ones left out with the reason (not reported `unknown`: never observable). */
export interface CheckerSelection {
  use: string[];
  skipped: Record<string, string>;
  /** Facts the named checkers read from their run context (e.g. `parts`: which node is the
   *  remote replica the latency checker judges). */
  context?: Record<string, unknown>;
}

export interface Topology {
  primary: string;
  candidates: string[];
  readNodes: string[];
  named?: Record<string, string>;
}

// ---- the system -----------------------------------------------------------------------------

export interface System {
  /** `--system NAME`; names the image, the run directory's test name, docker resources. */
  name: string;
  description: string;
  /** Node names for a run; `count` when the system allows a choice (etcd: 3 or 5). */
  nodes(params: Readonly<Record<string, unknown>>): string[];
  /** Default node parameters, and a check of a user's `--param k=v` (throws InputError).
   *  `swarm` draws node parameters for one seed of a swarm (TigerBeetle's per-seed options:
   *  short and long leases, small and large journals ...), each a valid configuration; a
   *  user's `--param` still wins. */
  params: {
    defaults: Readonly<Record<string, unknown>>;
    parse(raw: Record<string, unknown>): Record<string, unknown>;
    swarm?(rng: Rng): Record<string, unknown>;
    /** The system's own timescale under these parameters (ms): how long a fault must last to
     *  change who serves (the block store's takeoverMs, a Raft election timeout). A swarm
     *  draws fault durations around it: shorter (the node comes back and recovers on its own),
     *  about as long, and longer (a takeover). */
    timescaleMs?(params: Readonly<Record<string, unknown>>): number;
  };
  /** Bug switches the system's nodes accept at start (`--bug NAME`). */
  bugs: readonly string[];
  /** Who serves at the start: where writes go first, which nodes may take writes, which serve
   *  reads, and nodes a workload addresses by their part (the block store's `dr`). */
  topology(nodes: readonly string[]): Topology;
  container(node: string, cluster: ClusterInfo): ContainerSpec;
  /** A client of one node at a host address (docker: 127.0.0.1 and the published port).
   *  `params` are the run's parsed node parameters (etcd's `reads=serializable` is a client
   *  choice, not a server flag). */
  client(node: string, at: { host: string; port: number }, opts: { timeoutMs: number; params?: Readonly<Record<string, unknown>> }): Client;
  /** One status probe (through a client of the node); null when the node does not answer. */
  status(client: Client): Promise<NodeStatus | null>;
  /** Role of a primary in status(): what "the primary" means when a plan targets it. */
  roles: { primary: string; others?: string[] };
  capabilities: readonly FaultCapability[];
  partitionShapes?: Readonly<Record<string, PartitionShapeFn>>;
  workloads: Readonly<Record<string, WorkloadSupport>>;
  checkers(config: Readonly<Record<string, unknown>>): CheckerSelection;
  /** Coverage marks (TigerBeetle's, Antithesis's "sometimes"): the named paths of the system's
   *  mechanisms a run can be seen to take. A run counts them (results.json `coverage`) and a
   *  sweep lists the ones no seed hit. */
  marks?: readonly string[];
  /** Systems that provide a sans-IO core can run in the simulator; opaque to the harness but
   *  for the sim runtime. */
  sim?: unknown;
}
