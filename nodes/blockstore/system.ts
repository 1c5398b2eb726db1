// The block store as one System among others (ground/system.ts): nodes a (primary), b (its
// failover partner) and dr (the remote site), the server image built from this checkout, the
// TCP client, the faults only this system has (kill with the unsynced tail dropped, journal
// loss, site loss with recovery from dr), its workloads and the checkers that judge them.
import { z } from 'zod';
import { InputError } from '../../ground/errors.js';
import type { CheckerSelection, ClusterInfo, ContainerSpec, FaultCapability, FaultSurface, NodeStatus, System } from '../../ground/system.js';
import { BUG_SWITCHES, MARKS, type NodeName, type NodeParams } from './core/types.js';
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

async function admin(rt: FaultSurface, node: string, f: string): Promise<Record<string, unknown>> {
  const r = await rt.client(node).invoke({ f });
  if (r.status !== 'ok') throw new Error(`${f} on ${node}: ${r.error}`);
  return (r.value ?? {}) as Record<string, unknown>;
}

const capabilities: FaultCapability[] = [
  {
    kind: 'kill-unsynced',
    description: 'SIGKILL with the node\'s un-fsynced disk tail dropped (a power loss)',
    scope: 'node',
    // Both hurt what a node has not yet synced or shipped; the primary holds most of that.
    targets: ['primary', 'primary', 'partner'],
    instant: false,
    runtimes: ['docker', 'sim'],
    async apply(rt, targets) {
      for (const n of targets) {
        if (rt.crash) await rt.crash(n, 'power');
        else {
          // The marker makes the next start (the heal, or healAll) run with --drop-unsynced.
          await rt.putFile!(n, DROP_MARKER, '');
          await rt.kill(n);
        }
      }
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
      for (const n of targets) if (await rt.status(n)) await admin(rt, n, 'lose-journal');
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
    const alone = plan.some((s, i) => s.kind !== 'site-loss' && (s.targets ?? []).includes(DR) && (s.durationMs ?? 0) >= 500 &&
      !plan.some((o, j) => j !== i && (o.at ?? 0) < (s.at ?? 0) + (s.durationMs ?? 0) && (s.at ?? 0) < (o.at ?? 0) + Math.max(o.durationMs ?? 0, 1)));
    if (!alone) skipped.latency = 'no fault in the plan cuts dr off alone for 500 ms or more: dr\'s effect on write latency is not observable';
    if (plan.some((s) => s.kind === 'site-loss')) {
      skipped.convergence = 'the site was lost: dr became the primary, there is no dr left to converge';
      // Only the dr workload samples dr during the run; the others image dr once, at the end,
      // and after a site loss there is no dr to image.
      if (config.workload !== 'dr') skipped['dr-prefix'] = 'the site was lost and this workload images dr only at the end: there is no dr image to judge';
    }
  }
  return { use: use.filter((n) => !(n in skipped)), skipped, context: { parts: { dr: DR } } };
}

export const blockstore: System = {
  name: 'blockstore',
  description: 'the replicating block store of ../shared/SYSTEM.md: a primary a, its failover partner b, a remote dr site',
  nodes: () => [...NODES],
  params: { defaults: DEFAULT_PARAMS as unknown as Record<string, unknown>, parse: (raw) => parseParams(raw) as unknown as Record<string, unknown> },
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
    register: { nemesis: ['partition', 'kill', 'pause'], concurrency: 10, thinkMs: 10, keys: 4 },
    failover: { nemesis: ['kill', 'kill-unsynced', 'pause', 'partition-primary-partner'], concurrency: 8, thinkMs: 10, keys: 1024, params: { blocks: 1024 } },
    dr: { nemesis: ['partition-site-dr', 'kill', 'lose-journal'], concurrency: 6, thinkMs: 10, keys: 256, params: { blocks: 256 } },
  },
  checkers: blockstoreCheckers,
  marks: MARKS,
  sim: { createCore: createNode, layout: SIM_LAYOUT },
};

export default blockstore;
