// The block store as one System among others (ground/system.ts): nodes a (primary), b (its
// failover partner) and dr (the remote site), the server image built from this checkout, the
// TCP client, the faults only this system has (kill with the unsynced tail dropped, journal
// loss, site loss with recovery from dr), its workloads and the checkers that judge them.
import { z } from 'zod';
import { InputError } from '../../ground/errors.js';
import type { Rng } from '../../ground/rng.js';
import type { CheckerSelection, ClusterInfo, ContainerSpec, FaultCapability, FaultSurface, NodeStatus, System } from '../../ground/system.js';
import { BUG_SWITCHES, CLOCK_DRIFT_BOUND, MARKS, type NodeName, type NodeParams } from './core/types.js';
import { createNode } from './core/index.js';
import { connectClient } from './client/tcp.js';
import { BlockstoreClient } from './client/generic.js';

const A = 'a';
const B = 'b';
const DR = 'dr';
const NODES = [A, B, DR] as const;
const ROLE: Record<NodeName, 'primary' | 'partner' | 'dr'> = { a: 'primary', b: 'partner', dr: 'dr' };

/** Where each node sits in the simulator: its role at first start, and whether it mounts the
 *  shared backend (the primary site's storage; dr has its own volume only). */
export const SIM_LAYOUT = {
  role: (name: string) => ROLE[name as NodeName],
  mountsBackend: (name: string) => name !== DR,
};

/** Port every server listens on inside its container. */
export const NODE_PORT = 7000;
/** The server's own request to drop its unsynced tail at its next start (server/README.md). */
const DROP_MARKER = '/data/local/.drop-unsynced';

/** Harness defaults: leases short enough that a 30 s run sees several takeovers. */
export const DEFAULT_PARAMS: NodeParams = {
  blocks: 64,
  maxValueBytes: 64,
  leaseMs: 400,
  takeoverMs: 1000,
  heartbeatMs: 100,
  barrierMs: 200,
  barrierWrites: 32,
  journalCapacity: 1024,
  retryMs: 100,
};

const ParamsSchema = z
  .object({
    blocks: z.number().int().positive(),
    maxValueBytes: z.number().int().positive(),
    leaseMs: z.number().positive(),
    takeoverMs: z.number().positive(),
    heartbeatMs: z.number().positive(),
    barrierMs: z.number().positive(),
    barrierWrites: z.number().int().positive(),
    journalCapacity: z.number().int().positive(),
    retryMs: z.number().positive(),
  })
  .strict();

export function parseParams(raw: Record<string, unknown>): NodeParams {
  const known = Object.keys(DEFAULT_PARAMS);
  for (const k of Object.keys(raw)) {
    if (!known.includes(k)) throw new InputError(`unknown node parameter '${k}'; expected one of ${known.join(', ')}`);
  }
  const r = ParamsSchema.safeParse({ ...DEFAULT_PARAMS, ...raw });
  if (!r.success) {
    const i = r.error.issues[0];
    throw new InputError(`${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}; expected block-store parameters (positive numbers, takeoverMs above leaseMs)`);
  }
  // b must not take over while a may still hold its lease.
  if (r.data.takeoverMs <= r.data.leaseMs) throw new InputError(`takeoverMs (${r.data.takeoverMs}) must exceed leaseMs (${r.data.leaseMs})`);
  return r.data;
}

const PARAM_FLAG: Record<keyof NodeParams, string> = {
  blocks: 'blocks',
  maxValueBytes: 'max-value-bytes',
  leaseMs: 'lease-ms',
  takeoverMs: 'takeover-ms',
  heartbeatMs: 'heartbeat-ms',
  barrierMs: 'barrier-ms',
  barrierWrites: 'barrier-writes',
  journalCapacity: 'journal-capacity',
  retryMs: 'retry-ms',
};

/** The server's command line for one node (server/README.md). */
export function serverArgs(name: string, cluster: Pick<ClusterInfo, 'nodes' | 'bugs' | 'params' | 'host'>): string[] {
  const args = ['--name', name, '--role', ROLE[name as NodeName], '--data', '/data/local', '--listen', `0.0.0.0:${NODE_PORT}`];
  if (name !== DR) args.push('--backend', '/data/backend');
  for (const p of cluster.nodes) if (p !== name) args.push('--peer', `${p}=${cluster.host(p)}:${NODE_PORT}`);
  for (const b of cluster.bugs) args.push('--bug', b);
  const params = cluster.params as Partial<NodeParams>;
  for (const [k, flag] of Object.entries(PARAM_FLAG) as [keyof NodeParams, string][]) {
    if (params[k] !== undefined) args.push(`--${flag}`, String(params[k]));
  }
  return args;
}

/** The node image, built from this checkout on first use (nodes/image); CHAOS_NODE_IMAGE names
 *  one to use as is. */
const image = {
  name: 'chaos-node',
  async ensure(): Promise<string> {
    if (process.env.CHAOS_NODE_IMAGE) return process.env.CHAOS_NODE_IMAGE;
    const { ensureImage } = await import('../image/build.js');
    return (await ensureImage()).tag;
  },
};

async function admin(rt: FaultSurface, node: string, f: string, value?: unknown): Promise<Record<string, unknown>> {
  const r = await rt.client(node).invoke({ f, ...(value !== undefined ? { value } : {}) });
  if (r.status !== 'ok') throw new Error(`${f} on ${node}: ${r.error}`);
  return (r.value ?? {}) as Record<string, unknown>;
}

/** The request on each target that is up: a node that is down has no shell to ask, and
 *  nothing of what the request changes (its memory, its clock rate) to lose. */
async function adminWhereUp(rt: FaultSurface, targets: string[], f: string, value?: unknown): Promise<void> {
  for (const n of targets) if (await rt.status(n)) await admin(rt, n, f, value);
}

const capabilities: FaultCapability[] = [
  {
    kind: 'kill-unsynced',
    description: 'SIGKILL with the node\'s un-fsynced disk tail dropped (a power loss)',
    scope: 'node',
    // Every node holds something it has not yet synced or shipped; the primary holds most
    // (an acked write inside its oplog fsync is lost only there).
    targets: ['primary', 'primary', 'primary', 'partner', DR],
    instant: false,
    runtimes: ['docker', 'sim'],
    async apply(rt, targets) {
      for (const n of targets) await powerLoss(rt, n);
    },
    async heal(rt, targets) {
      for (const n of targets) await rt.start(n);
    },
  },
  {
    kind: 'lose-journal',
    description: 'the node drops its replication journal and unsynced tail (its own admin hook)',
    scope: 'node',
    targets: ['primary', 'primary', 'partner'],
    instant: true,
    runtimes: ['docker', 'sim'],
    async apply(rt, targets) {
      // A node that is down has nothing to lose.
      await adminWhereUp(rt, targets, 'lose-journal');
    },
  },
  {
    kind: 'clock-skew',
    description: 'the node\'s clock runs fast or slow (within the leases\' drift bound) and starts off by an offset at its next start',
    scope: 'node',
    instant: false,
    runtimes: ['docker', 'sim'],
    draw(rng) {
      // Any two rates drawn here differ by at most CLOCK_DRIFT_BOUND ((1+h)/(1-h) <= 1 + bound),
      // the bound the lease arithmetic tolerates: a correct node must stay correct under it.
      const h = (CLOCK_DRIFT_BOUND / (2 + CLOCK_DRIFT_BOUND)) * 0.95;
      return { rate: Math.round((1 - h + rng.float() * 2 * h) * 1e4) / 1e4, offsetMs: rng.int(-5000, 5000) };
    },
    async apply(rt, targets, args) {
      const { rate, offsetMs } = clockArgs(args);
      await adminWhereUp(rt, targets, 'clock-skew', { offsetMs, rate });
    },
    async heal(rt, targets, args) {
      // The rate comes back to 1; the offset stays (harmless: no node compares clocks).
      await adminWhereUp(rt, targets, 'clock-skew', { offsetMs: clockArgs(args).offsetMs, rate: 1 });
    },
  },
  {
    kind: 'corrupt-journal',
    description: 'a bit flipped in, or the last record torn off, the node\'s replication journal, then a crash: the restart must detect it and fall back to a bitmap resync',
    scope: 'node',
    instant: false,
    runtimes: ['docker', 'sim'],
    draw: (rng) => ({ how: rng.pick(['flip', 'torn']), seed: rng.int(0, 1_000_000) }),
    async apply(rt, targets, args) {
      const how = args?.how === 'torn' ? 'torn' : 'flip';
      for (const n of targets) {
        if (!(await rt.status(n))) continue;
        await admin(rt, n, 'corrupt-journal', { how, seed: typeof args?.seed === 'number' ? args.seed : 0 });
        // The running node keeps its journal in memory: the corruption is read at its next start.
        await rt.kill(n);
      }
    },
    async heal(rt, targets) {
      for (const n of targets) if (!(await rt.status(n))) await rt.start(n);
    },
  },
  {
    kind: 'disk-errors',
    description: 'the node\'s next fsyncs (or local appends) fail with EIO or ENOSPC: nothing may be acknowledged that was not durable',
    scope: 'node',
    instant: false,
    runtimes: ['docker', 'sim'],
    draw(rng) {
      const op = rng.pick(['fsync', 'fsync', 'append'] as const);
      const volume = op === 'append' ? 'local' : rng.pick(['local', 'backend', undefined]);
      // Half the time the failing disk's machine then loses power and comes straight back: what
      // a failed fsync left volatile (fsyncgate) is gone, before a destage or a takeover can
      // cover for it.
      const powerCycleAfterMs = rng.bool() ? rng.pick([20, 60, 150, 300]) : undefined;
      return { op, code: rng.pick(['EIO', 'ENOSPC']), count: rng.pick([1, 2, 5, 20]), ...(volume ? { volume } : {}), ...(powerCycleAfterMs ? { powerCycleAfterMs } : {}) };
    },
    async apply(rt, targets, args) {
      const { powerCycleAfterMs, ...fault } = args ?? {};
      for (const n of targets) {
        if (!(await rt.status(n))) continue;
        await admin(rt, n, 'disk-errors', fault);
        if (typeof powerCycleAfterMs !== 'number') continue;
        // Holds the plan for these few ms: the power cycle belongs to this fault.
        await rt.sleep(powerCycleAfterMs);
        await powerLoss(rt, n);
        await rt.start(n);
      }
    },
    async heal(rt, targets, args) {
      const { powerCycleAfterMs: _, ...fault } = args ?? {};
      await adminWhereUp(rt, targets, 'disk-errors', { ...fault, count: 0 });
    },
  },
  {
    kind: 'site-loss',
    description: 'a and b destroyed with their volumes; dr is promoted from its latest consistent image',
    scope: 'cluster',
    instant: true,
    once: true,
    runtimes: ['docker', 'sim'],
    async apply(rt) {
      for (const n of [A, B]) await rt.destroy(n);
      if (!(await rt.status(DR))) await rt.start(DR);
      // The cut dr's image stands at is what the new era inherits (durability and dr-prefix
      // judge old writes against it): the one the promote itself reports, not a status read
      // before it, which can be ahead of dr's latest consistent image or behind a barrier.
      const r = await rt.client(DR).invoke({ f: 'promote' });
      if (r.status !== 'ok') throw new Error(`promote dr: ${r.error}`);
      const cut = (r.value as { cut?: number } | undefined)?.cut;
      return { primary: DR, candidates: [DR], readNodes: [DR], destroyed: [A, B], record: { primary: DR, ...(cut !== undefined ? { cut } : {}) } };
    },
  },
];

/** A power loss: the node dies and its un-fsynced disk tail with it (sim: the world drops it;
 *  docker: the marker makes the next start run with --drop-unsynced). */
async function powerLoss(rt: FaultSurface, n: string): Promise<void> {
  if (rt.crash) return rt.crash(n, 'power');
  await rt.putFile!(n, DROP_MARKER, '');
  await rt.kill(n);
}

function clockArgs(args: Readonly<Record<string, unknown>> | undefined): { rate: number; offsetMs: number } {
  const rate = typeof args?.rate === 'number' && args.rate > 0 ? args.rate : 1;
  const offsetMs = typeof args?.offsetMs === 'number' ? args.offsetMs : 0;
  return { rate, offsetMs };
}

/** Node parameters for one swarm seed: leases from the harness's short default to long ones
 *  (a long lease is what a stale partner cache needs to show), takeover a few leases later,
 *  heartbeats, journals small enough to overflow at a sparse write rate or as large as the
 *  default, barriers closing every few writes or rarely. Every draw is a valid configuration
 *  (takeoverMs above leaseMs, heartbeats well inside a lease). */
function swarmParams(rng: Rng): Record<string, unknown> {
  const leaseMs = rng.pick([400, 400, 1000, 2500]);
  return {
    leaseMs,
    takeoverMs: Math.round(leaseMs * rng.pick([1.5, 2.5, 4])),
    heartbeatMs: rng.pick([50, 100, 100, 200].filter((h) => h * 2 <= leaseMs)),
    journalCapacity: rng.pick([16, 64, 256, 1024, 1024]),
    barrierWrites: rng.pick([4, 32, 32, 128]),
    barrierMs: rng.pick([50, 200, 200, 1000]),
  };
}

/** Which checkers judge a run, from its config. A checker whose invariant the run gives no
 *  chance to observe is left out (and named in `skipped`), not reported unknown: latency needs
 *  a window where dr alone is cut off; convergence needs dr to stay dr. */
export function blockstoreCheckers(config: Readonly<Record<string, unknown>>): CheckerSelection {
  const use = ['linearizability', 'cache-invalidation', 'durability', 'dr-prefix', 'convergence', 'latency', 'stats'];
  const skipped: Record<string, string> = {};
  const plan = Array.isArray(config.plan) ? (config.plan as { kind?: string; targets?: string[]; at?: number; durationMs?: number }[]) : null;
  if (plan) {
    // The latency checker compares writes while dr alone is cut off with fault-free writes:
    // it needs a dr fault that nothing else overlaps, long enough to see writes in.
    // It needs enough writes in that window to judge (5): the window must be long enough for
    // about four times that at the run's density, writes being at least 30% of every workload's ops.
    const concurrency = typeof config.concurrency === 'number' ? config.concurrency : 1;
    const thinkMs = typeof config.thinkMs === 'number' ? Math.max(1, config.thinkMs) : 10;
    const longEnough = Math.max(500, (20 / (concurrency * 0.3)) * thinkMs);
    // And it must start once the pair has settled: writes in a run's first moments (b's first
    // lease and resync, a writing through alone until then) are slower by nature, and a dr
    // window there would compare them with steady ones.
    const params = (config.params ?? {}) as Partial<NodeParams>;
    const settledMs = Math.max(2000, 2 * (params.takeoverMs ?? DEFAULT_PARAMS.takeoverMs));
    const alone = plan.some((s, i) => s.kind !== 'site-loss' && (s.targets ?? []).includes(DR) && (s.durationMs ?? 0) >= longEnough && (s.at ?? 0) >= settledMs &&
      !plan.some((o, j) => j !== i && (o.at ?? 0) < (s.at ?? 0) + (s.durationMs ?? 0) && (s.at ?? 0) < (o.at ?? 0) + Math.max(o.durationMs ?? 0, 1)));
    if (!alone) skipped.latency = `no fault in the plan cuts dr off alone, ${settledMs} ms or more into the run, for ${Math.round(longEnough)} ms or more (about 20 writes at this run's density): dr's effect on write latency is not observable`;
    if (plan.some((s) => s.kind === 'site-loss')) {
      skipped.convergence = 'the site was lost: dr became the primary, there is no dr left to converge';
      // Only the dr workload samples dr during the run; the others image dr once, at the end,
      // and after a site loss there is no dr to image.
      if (config.workload !== 'dr') skipped['dr-prefix'] = 'the site was lost and this workload images dr only at the end: there is no dr image to judge';
    }
  }
  return { use: use.filter((n) => !(n in skipped)), skipped, context: { parts: { dr: DR } } };
}

const ONLY_DR_RESTORES = 'only the dr workload asks dr to restore an earlier barrier (dr-restore)';

export const blockstore: System = {
  name: 'blockstore',
  description: 'the replicating block store of ../shared/SYSTEM.md: a primary a, its failover partner b, a remote dr site',
  nodes: () => [...NODES],
  params: { defaults: DEFAULT_PARAMS as unknown as Record<string, unknown>, parse: (raw) => parseParams(raw) as unknown as Record<string, unknown>, swarm: swarmParams, timescaleMs: (p) => Number(p.takeoverMs) || DEFAULT_PARAMS.takeoverMs },
  bugs: BUG_SWITCHES,
  topology: () => ({ primary: A, candidates: [A, B], readNodes: [A, B], named: { dr: DR } }),
  container(node: string, cluster: ClusterInfo): ContainerSpec {
    return {
      image,
      command: serverArgs(node, cluster),
      clientPort: NODE_PORT,
      peerPorts: [NODE_PORT],
      dataDir: '/data/local',
      ...(node !== DR ? { sharedVolumes: { backend: '/data/backend' } } : {}),
      readyLog: /^ready \S+ \S+/,
    };
  },
  client: (node, at, opts) => new BlockstoreClient(connectClient({ host: at.host, port: at.port, node: node as NodeName, timeoutMs: opts.timeoutMs })),
  async status(client) {
    const r = await client.invoke({ f: 'status' });
    return r.status === 'ok' ? (r.value as NodeStatus) : null;
  },
  roles: { primary: 'primary', others: ['partner', 'dr'] },
  capabilities,
  partitionShapes: {
    // a cut off from its partner: the cache-invalidation and takeover paths.
    'primary-partner': () => ({ targets: [A], links: [[A, B], [B, A]] }),
    // the remote site cut off from the primary site: journal backlog, resync, latency.
    'site-dr': () => ({ targets: [DR], links: [[DR, A], [A, DR], [DR, B], [B, DR]] }),
  },
  workloads: {
    register: { nemesis: ['partition', 'kill', 'pause'], concurrency: 10, thinkMs: 10, keys: 4, unreachableMarks: { 'restore-earlier-barrier': ONLY_DR_RESTORES } },
    failover: { nemesis: ['kill', 'kill-unsynced', 'pause', 'partition-primary-partner'], concurrency: 8, thinkMs: 10, keys: 1024, params: { blocks: 1024 }, unreachableMarks: { 'restore-earlier-barrier': ONLY_DR_RESTORES } },
    dr: { nemesis: ['partition-site-dr', 'kill', 'lose-journal'], concurrency: 6, thinkMs: 10, keys: 256, params: { blocks: 256 } },
  },
  checkers: blockstoreCheckers,
  marks: MARKS,
  sim: { createCore: createNode, layout: SIM_LAYOUT },
};

export default blockstore;
