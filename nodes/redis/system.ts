// Redis 7.0 from Debian's redis-server package as a System (ground/system.ts): a primary (n1)
// and two replicas with Redis's asynchronous replication. Failover is a capability, done as
// Sentinel does it: promote the replica furthest along (`REPLICAOF NO ONE`) and repoint the
// others at it, persisting each node's new role in its config file so a restart keeps it.
// Replication being asynchronous, a failover while the old primary is cut off from its
// replicas throws away what it acknowledged meanwhile; the set checker names those elements.
import { InputError } from '../../ground/errors.js';
import type { CheckerSelection, Client, ClusterInfo, ContainerSpec, FaultCapability, FaultSurface, NodeStatus, System, ViewChange } from '../../ground/system.js';
import { binaryImage } from '../image/binary.js';
import { RedisClient } from './client.js';
import { RedisError } from './resp.js';

export const REDIS_PORT = 6379;
export const REDIS_CONF = '/data/redis.conf';

export const redisImage = binaryImage({
  repo: 'chaos-redis',
  debs: ['redis-server', 'redis-tools', 'libjemalloc2', 'liblzf1'],
  binaries: ['/usr/bin/redis-server', '/bin/sh'],
  dirs: ['/data'],
  // The command is a small script: write the config on the first start only (a failover
  // rewrites it), then become redis-server.
  entrypoint: ['/bin/sh', '-c'],
});

/** A node's config: a replica of `primaryHost`, or a primary when null. */
export function redisConf(primaryHost: string | null): string {
  const lines = [
    `port ${REDIS_PORT}`,
    'bind 0.0.0.0',
    'protected-mode no',
    'dir /data',
    // Every acknowledged write is in the AOF (written before the reply); a kill loses nothing,
    // so what a run loses is replication's doing, not persistence's.
    'appendonly yes',
    'appendfsync everysec',
    'replica-read-only yes',
    // A full resync starts at once rather than after diskless sync's 5 s gathering delay.
    'repl-diskless-sync-delay 0',
    'repl-timeout 5',
    'repl-ping-replica-period 1',
  ];
  if (primaryHost) lines.push(`replicaof ${primaryHost} ${REDIS_PORT}`);
  return lines.join('\n') + '\n';
}

function startScript(primaryHost: string | null): string {
  const quoted = redisConf(primaryHost).trimEnd().split('\n').map((l) => `'${l}'`).join(' ');
  return `[ -f ${REDIS_CONF} ] || printf '%s\\n' ${quoted} > ${REDIS_CONF}; exec /usr/bin/redis-server ${REDIS_CONF}`;
}

function names(params: Readonly<Record<string, unknown>>): string[] {
  const n = Number(params.nodes ?? 3);
  return Array.from({ length: n }, (_, i) => `n${i + 1}`);
}

const DEFAULTS: Readonly<Record<string, unknown>> = { nodes: 3 };

function parseParams(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...DEFAULTS };
  for (const [k, v] of Object.entries(raw)) {
    if (k !== 'nodes') throw new InputError(`--param ${k}: redis takes nodes`);
    const n = Number(v);
    if (!Number.isInteger(n) || n < 2 || n > 9) throw new InputError(`--param nodes=${String(v)}: expected 2..9 (one primary, the rest replicas)`);
    out.nodes = n;
  }
  return out;
}

async function tryCommand(c: Client, args: (string | number)[]): Promise<boolean> {
  if (!(c instanceof RedisClient)) return false;
  try {
    const r = await c.command(args);
    return !(r instanceof RedisError);
  } catch {
    return false;
  }
}

/** Sentinel's failover, from the harness (which reaches every node from the host, so a node
 *  cut off from its peers is still repointed at once). Node-scoped: it fails over away from
 *  its target, the primary when the fault starts, so the nemesis may draw it while that
 *  primary is cut off from its replicas: the case where asynchronous replication loses writes. */
export const failover: FaultCapability = {
  kind: 'failover',
  description: 'promote the most advanced replica (REPLICAOF NO ONE) and repoint the others, the old primary included, at it, as Sentinel does',
  scope: 'node',
  targets: ['primary'],
  instant: true,
  runtimes: ['docker'],
  async apply(rt: FaultSurface, targets: string[]): Promise<ViewChange> {
    const all = rt.liveNodes?.() ?? [];
    if (all.length === 0) throw new Error('redis failover: the runtime names no nodes (FaultSurface.liveNodes)');
    const statuses = (await Promise.all(all.map((n) => rt.status(n).catch(() => null)))).filter((s): s is NodeStatus => s !== null);
    // Away from the target (the primary when the fault started); with none, from every master.
    const old = targets.length > 0 ? targets : statuses.filter((s) => s.role === 'master').map((s) => s.node);
    const replicas = statuses
      .filter((s) => !old.includes(s.node) && s.role === 'replica')
      .sort((a, b) => (b.version ?? 0) - (a.version ?? 0) || (a.node < b.node ? -1 : 1));
    const chosen = replicas[0];
    if (!chosen) throw new Error(`redis failover: no replica answers besides ${old.join(', ')} (statuses: ${JSON.stringify(statuses.map((s) => [s.node, s.role]))})`);
    const next = chosen.node;
    const host = rt.host?.(next) ?? next;
    const promote = rt.client(next);
    try {
      if (!(await tryCommand(promote, ['REPLICAOF', 'NO', 'ONE']))) throw new Error(`redis failover: ${next} did not accept REPLICAOF NO ONE`);
    } finally {
      await promote.close();
    }
    // Persist roles for restarts: the config file is read at every start.
    if (rt.putFile) await rt.putFile(next, REDIS_CONF, redisConf(null));
    const unreached: string[] = [];
    await Promise.all(all.filter((n) => n !== next).map(async (n) => {
      if (rt.putFile) await rt.putFile(n, REDIS_CONF, redisConf(host)).catch(() => {});
      const c = rt.client(n);
      try {
        if (!(await tryCommand(c, ['REPLICAOF', host, REDIS_PORT]))) unreached.push(n);
      } finally {
        await c.close();
      }
    }));
    return { primary: next, candidates: [next], readNodes: [next], record: { from: old, to: next, offset: chosen.version, unreached } };
  },
};

const LATENCY_SKIP = "the latency checker measures the block store's dr link";

export const system: System = {
  name: 'redis',
  description: "Redis 7.0 (Debian's redis-server), a primary and asynchronous replicas; register and set workloads; failover as Sentinel does it",
  nodes: names,
  params: { defaults: DEFAULTS, parse: parseParams },
  bugs: [],
  // Reads go to the primary only: a replica's reads lag by design, which is not news.
  topology: (nodes) => ({ primary: nodes[0]!, candidates: [nodes[0]!], readNodes: [nodes[0]!] }),
  container(node: string, cluster: ClusterInfo): ContainerSpec {
    const primary = cluster.nodes[0]!;
    return {
      image: redisImage,
      command: [startScript(node === primary ? null : cluster.host(primary))],
      clientPort: REDIS_PORT,
      dataDir: '/data',
      readyLog: /Ready to accept connections/,
      startupTimeoutMs: 20_000,
    };
  },
  client: (node, at, opts) => new RedisClient(node, at, opts.timeoutMs),
  status: async (client) => (client instanceof RedisClient ? client.status() : null),
  roles: { primary: 'master', others: ['replica'] },
  capabilities: [failover],
  workloads: {
    register: { nemesis: ['partition', 'kill', 'pause'], concurrency: 5, thinkMs: 20, keys: 5 },
    set: { nemesis: ['partition', 'failover'], concurrency: 5, thinkMs: 10, keys: 1 },
  },
  checkers: (config): CheckerSelection => config.workload === 'set'
    ? { use: ['set', 'stats'], skipped: { linearizability: 'the set workload has no register ops', latency: LATENCY_SKIP } }
    : { use: ['linearizability', 'stats'], skipped: { set: 'the register workload adds no set elements', latency: LATENCY_SKIP } },
};

export default system;
