// etcd 3.4 from Debian's etcd-server package as a System (ground/system.ts): a 3-node cluster
// (`--param nodes=5` for five), the register workload over several keys through the KV API
// (read = range, write = put, cas = txn comparing the value, then put), checked as a
// cas-register per key, initially null. Reads are linearizable unless `--param
// reads=serializable`, which etcd documents as possibly stale; Jepsen's etcd 3.4.3 analysis
// found KV operations strict serializable under partitions, kills, pauses and clock skew.
import { InputError } from '../../ground/errors.js';
import type { Client, ClusterInfo, ContainerSpec, NodeStatus, System } from '../../ground/system.js';
import { binaryImage } from '../image/binary.js';
import { EtcdClient } from './client.js';

export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;

export const etcdImage = binaryImage({
  repo: 'chaos-etcd',
  debs: ['etcd-server'],
  binaries: ['/usr/bin/etcd', '/bin/sh'],
  dirs: ['/data'],
  entrypoint: ['/usr/bin/etcd'],
});

function parseParams(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...DEFAULTS };
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'nodes') {
      const n = Number(v);
      if (n !== 3 && n !== 5) throw new InputError(`--param nodes=${String(v)}: etcd runs with 3 or 5 nodes`);
      out.nodes = n;
    } else if (k === 'reads') {
      if (v !== 'linearizable' && v !== 'serializable') throw new InputError(`--param reads=${String(v)}: expected linearizable or serializable`);
      out.reads = v;
    } else if (k === 'heartbeat-ms' || k === 'election-ms') {
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0) throw new InputError(`--param ${k}=${String(v)}: expected a positive integer (ms)`);
      out[k] = n;
    } else {
      throw new InputError(`--param ${k}: etcd takes nodes, reads, heartbeat-ms, election-ms`);
    }
  }
  return out;
}

const DEFAULTS: Readonly<Record<string, unknown>> = { nodes: 3, reads: 'linearizable', 'heartbeat-ms': 100, 'election-ms': 1000 };

function names(params: Readonly<Record<string, unknown>>): string[] {
  const n = Number(params.nodes ?? 3);
  return Array.from({ length: n }, (_, i) => `n${i + 1}`);
}

/** etcd's command line for one member of a fresh cluster; on a restart the data dir exists and
 *  etcd ignores the initial-cluster flags. */
export function etcdArgs(node: string, cluster: ClusterInfo): string[] {
  const peer = (n: string) => `http://${cluster.host(n)}:${ETCD_PEER_PORT}`;
  const p = cluster.params;
  return [
    '--name', node,
    '--data-dir', '/data/etcd',
    '--listen-client-urls', `http://0.0.0.0:${ETCD_CLIENT_PORT}`,
    '--advertise-client-urls', `http://${cluster.host(node)}:${ETCD_CLIENT_PORT}`,
    '--listen-peer-urls', `http://0.0.0.0:${ETCD_PEER_PORT}`,
    '--initial-advertise-peer-urls', peer(node),
    '--initial-cluster', cluster.nodes.map((n) => `${n}=${peer(n)}`).join(','),
    '--initial-cluster-state', 'new',
    '--initial-cluster-token', `chaos-${cluster.runId}`.slice(0, 64),
    '--heartbeat-interval', String(p['heartbeat-ms'] ?? 100),
    '--election-timeout', String(p['election-ms'] ?? 1000),
    '--logger', 'zap',
    '--log-outputs', 'stderr',
  ];
}

export const system: System = {
  name: 'etcd',
  description: "etcd 3.4 (Debian's etcd-server), raft-replicated key-value store; register/cas workload over the v3 JSON gateway",
  nodes: names,
  params: { defaults: DEFAULTS, parse: parseParams },
  bugs: [],
  topology: (nodes) => ({ primary: nodes[0]!, candidates: [...nodes], readNodes: [...nodes] }),
  container(node: string, cluster: ClusterInfo): ContainerSpec {
    return {
      image: etcdImage,
      command: etcdArgs(node, cluster),
      clientPort: ETCD_CLIENT_PORT,
      peerPorts: [ETCD_PEER_PORT],
      dataDir: '/data',
      // Up, not yet serving: etcd prints this once its listeners are open, before it has
      // joined through raft. 'serving client traffic' comes only once the member reached a
      // leader, which a member restarted into a partition never does; its start must still
      // end (its clients then see timeouts, which is the truth). The runtime waits for a
      // leader (roles.primary) after boot.
      readyLog: /now serving peer\/client\/metrics/,
      startupTimeoutMs: 30_000,
    };
  },
  client(node, at, opts): Client {
    return new EtcdClient(node, at, { timeoutMs: opts.timeoutMs, serializableReads: opts.params?.reads === 'serializable' });
  },
  async status(client: Client): Promise<NodeStatus | null> {
    return client instanceof EtcdClient ? client.status() : null;
  },
  roles: { primary: 'leader', others: ['follower', 'candidate'] },
  capabilities: [],
  workloads: {
    register: { nemesis: ['partition', 'kill', 'pause'], concurrency: 5, thinkMs: 20, keys: 5 },
  },
  checkers: () => ({ use: ['linearizability', 'stats'], skipped: { latency: "the latency checker measures the block store's dr link" } }),
};

export default system;
