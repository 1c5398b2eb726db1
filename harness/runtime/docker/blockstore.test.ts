// The block store's image on the generic runtime (cluster.ts), through a minimal System written
// here: the runtime must be able to run it once the block store moves onto it (a and b share a
// backend volume, dr does not; no node holds NET_ADMIN; partitions come from the helpers).
import assert from 'node:assert/strict';
import { after, before, describe, it, test } from 'node:test';
import Docker from 'dockerode';
import type { Client, ClusterInfo, ContainerSpec, Outcome, System } from '../../../ground/system.js';
import { connectClient, type TcpBlockClient } from '../../../nodes/blockstore/client/tcp.js';
import { ensureImage } from '../../../nodes/image/build.js';
import { ContainerRuntime } from './cluster.js';
import { isDockerAvailable } from './engine.js';
import { droppedPackets, leftovers, until } from './testkit.js';

const available = await isDockerAvailable();
const skip = available ? false : 'no docker engine answers (run scripts/setup.sh to install and start one)';
if (!available && process.env.CI) {
  test('docker engine is required in CI', () => assert.fail('no docker engine answers; CI must run scripts/setup.sh first'));
}

const ROLE: Record<string, string> = { a: 'primary', b: 'partner', dr: 'dr' };
const image = { name: 'chaos-node', ensure: () => ensureImage().then((r) => r.tag) };

class BlockAdapter implements Client {
  constructor(readonly node: string, private readonly c: TcpBlockClient) {}
  async invoke(op: { f: string; key?: string | number; value?: unknown }): Promise<Outcome> {
    const r = op.f === 'write' ? await this.c.write(Number(op.key), String(op.value)) : await this.c.read(Number(op.key));
    if (r.status !== 'ok') return r;
    return { status: 'ok', node: r.node, value: 'value' in r ? r.value : op.value };
  }
  status() {
    return this.c.status();
  }
  close() {
    return this.c.close();
  }
}

const blockstore: System = {
  name: 'blockstore-on-cluster',
  description: 'the block store image, driven through the generic runtime',
  nodes: () => ['a', 'b', 'dr'],
  params: { defaults: {}, parse: (r) => r },
  bugs: [],
  topology: () => ({ primary: 'a', candidates: ['a', 'b'], readNodes: ['a', 'b'] }),
  container(node: string, cluster: ClusterInfo): ContainerSpec {
    const args = ['--name', node, '--role', ROLE[node]!, '--data', '/data/local', '--listen', '0.0.0.0:7000'];
    if (node !== 'dr') args.push('--backend', '/data/backend');
    for (const p of cluster.nodes) if (p !== node) args.push('--peer', `${p}=${cluster.host(p)}:7000`);
    return {
      image,
      command: args,
      clientPort: 7000,
      dataDir: '/data/local',
      ...(node !== 'dr' ? { sharedVolumes: { backend: '/data/backend' } } : {}),
      readyLog: /^ready \S+ \S+/m,
    };
  },
  client: (node, at, opts) => new BlockAdapter(node, connectClient({ host: at.host, port: at.port, node: node as 'a', timeoutMs: opts.timeoutMs })),
  status: async (c) => {
    const r = await (c as BlockAdapter).status();
    return r.status === 'ok' ? r.info : null;
  },
  roles: { primary: 'primary' },
  capabilities: [],
  workloads: {},
  checkers: () => ({ use: [], skipped: {} }),
};

describe('the block store on the generic docker runtime', { skip }, () => {
  const docker = new Docker();
  const runId = `test-bs-cluster-${process.pid}`;
  let rt: ContainerRuntime;

  before(async () => {
    rt = new ContainerRuntime({ runId });
    await rt.up({ runId, system: blockstore, nodes: ['a', 'b', 'dr'], bugs: [], params: {}, clientTimeoutMs: 1000, logDir: '/tmp', seed: 1 });
  });

  after(async () => {
    await rt?.down();
    assert.deepEqual(await leftovers(docker, runId), { containers: 0, networks: 0, volumes: 0 });
  });

  it('a and b share the backend volume, dr has its own data only, nobody holds NET_ADMIN', async () => {
    const mounts = async (n: string) => (await docker.getContainer(rt.where(n).id).inspect()).Mounts.map((m) => `${m.Name}:${m.Destination}`).sort();
    const [a, b, dr] = await Promise.all(['a', 'b', 'dr'].map(mounts));
    const backend = a!.find((m) => m.endsWith(':/data/backend'));
    assert.ok(backend && b!.includes(backend), `a and b mount one backend (${a}; ${b})`);
    assert.ok(!dr!.some((m) => m.endsWith(':/data/backend')));
    for (const n of ['a', 'b', 'dr']) assert.ok(!((await docker.getContainer(rt.where(n).id).inspect()).HostConfig.CapAdd ?? []).includes('NET_ADMIN'));
  });

  it('serves writes, and a helper-made cut of a<->b drops their traffic until healed', async () => {
    const w = await until('a takes a write', 15_000, async () => {
      const o = await rt.client('a').invoke({ f: 'write', key: 1, value: 'x' });
      return o.status === 'ok' ? o : null;
    });
    assert.equal(w.status, 'ok');
    await Promise.all([rt.cut('a', 'b'), rt.cut('b', 'a')]);
    await rt.sleep(500);
    const dropped = droppedPackets(await rt.ruleCounters('b')) + droppedPackets(await rt.ruleCounters('a'));
    assert.ok(dropped > 0, 'heartbeats between a and b hit the DROP rules');
    await rt.healAll();
    assert.deepEqual(await rt.rules('a'), []);
  });

  it('the shared backend goes with the last of a and b to be destroyed', async () => {
    const name = (await docker.getContainer(rt.where('a').id).inspect()).Mounts.find((m) => m.Destination === '/data/backend')!.Name!;
    await rt.destroy('a');
    assert.ok(await docker.getVolume(name).inspect().then(() => true, () => false), 'b still uses it');
    await rt.destroy('b');
    assert.equal(await docker.getVolume(name).inspect().then(() => true, () => false), false);
  });
});
