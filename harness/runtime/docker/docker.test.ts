// Integration tests on real containers, the block store through the generic runtime with its
// own System: every fault must verifiably take effect and be healed (partitions from the helper
// in each node's network namespace), the block store's capabilities must work on containers,
// and nothing of a run may outlive it. One cluster serves the fault cases (booting costs
// seconds on this machine); the cleanup cases make their own resources.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { after, before, describe, it, test } from 'node:test';
import Docker from 'dockerode';
import type { NodeName } from '../../../nodes/blockstore/core/types.js';
import { removeChaosResources } from './cleanup.js';
import { execIn } from './dockerio.js';
import { isDockerAvailable } from './engine.js';
import { createContainerRuntime, type ContainerRuntime } from './cluster.js';
import { blockstore, NODE_PORT } from '../../../nodes/blockstore/system.js';

/** One of the block store's own faults, as the nemesis would apply it. */
const cap = (kind: string) => blockstore.capabilities.find((c) => c.kind === kind)!;
import { LABEL, ownerLabels } from './ownership.js';

const available = await isDockerAvailable();
const skip = available ? false : 'no docker engine answers (run scripts/setup.sh to install and start one)';
if (!available && process.env.CI) {
  test('docker engine is required in CI', () => assert.fail('no docker engine answers; CI must run scripts/setup.sh first'));
}

const docker = new Docker();
const runId = `test-docker-${process.pid}`;

async function leftovers(run: string): Promise<{ containers: number; networks: number; volumes: number }> {
  const label = [`${LABEL.run}=${run}`];
  const containers = await docker.listContainers({ all: true, filters: { label } });
  const networks = await docker.listNetworks({ filters: { label } });
  const volumes = (await docker.listVolumes({ filters: { label } })).Volumes ?? [];
  return { containers: containers.length, networks: networks.length, volumes: volumes.length };
}

/** Opens TCP from the host; 'refused' when nothing accepts on the port. */
function hostConnect(port: number, timeoutMs = 1000): Promise<'connected' | 'refused' | 'timeout' | string> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => { s.destroy(); resolve('timeout'); }, timeoutMs);
    s.once('connect', () => { clearTimeout(timer); s.destroy(); resolve('connected'); });
    s.once('error', (e: NodeJS.ErrnoException) => { clearTimeout(timer); resolve(e.code === 'ECONNREFUSED' ? 'refused' : e.code ?? e.message); });
  });
}

describe('docker runtime on real containers', { skip }, () => {
  let rt: ContainerRuntime;

  /** Opens TCP from inside `from`'s container to `to`'s server over the run's network. */
  async function probe(from: NodeName, to: NodeName, timeoutMs = 800): Promise<string> {
    const js = `const s=require('net').connect(${NODE_PORT},'${rt.where(to).container}');` +
      `const t=setTimeout(()=>{console.log('timeout');process.exit(0)},${timeoutMs});` +
      `s.on('connect',()=>{console.log('connected');process.exit(0)});` +
      `s.on('error',e=>{console.log(e.code);process.exit(0)})`;
    const r = await execIn(docker, rt.where(from).id, ['/usr/bin/node', '-e', js]);
    return r.output.trim();
  }

  /** The DROP rules in the node's INPUT chain, as its partition helper holds them. */
  async function rules(node: NodeName): Promise<string[]> {
    return (await rt.rules(node)).filter((l) => l.startsWith('-A'));
  }

  async function waitStatus(node: NodeName, pred: (s: Record<string, unknown>) => boolean, ms = 10_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + ms;
    let last: Record<string, unknown> | null = null;
    while (Date.now() < deadline) {
      last = (await rt.status(node).catch(() => null)) as Record<string, unknown> | null;
      if (last && pred(last)) return last;
      await rt.sleep(100);
    }
    assert.fail(`${node}: status never matched; last ${JSON.stringify(last)}`);
  }

  before(async () => {
    rt = createContainerRuntime({ runId });
    await rt.up({ runId, system: blockstore, nodes: ['a', 'b', 'dr'], bugs: [], params: {}, clientTimeoutMs: 600, logDir: '', seed: 1 });
  });

  after(async () => {
    await rt?.down();
  });

  it('boots a, b and dr, each serving its role on a loopback-only port', async () => {
    const roles: Record<string, string> = {};
    for (const n of ['a', 'b', 'dr'] as NodeName[]) roles[n] = String((await waitStatus(n, (s) => s.role !== 'recovering')).role);
    assert.deepEqual(roles, { a: 'primary', b: 'partner', dr: 'dr' });
    const info = await docker.getContainer(rt.where('a').id).inspect();
    const bindings = Object.values(info.HostConfig.PortBindings ?? {}).flat() as { HostIp: string }[];
    assert.ok(bindings.length > 0 && bindings.every((b) => b.HostIp === '127.0.0.1'), JSON.stringify(bindings));
    // The nodes hold no privilege: partitions come from a helper in each one's namespace.
    assert.ok(!(info.HostConfig.CapAdd ?? []).includes('NET_ADMIN'), JSON.stringify(info.HostConfig.CapAdd));
    assert.equal(info.HostConfig.Privileged, false);
    assert.ok(rt.where('a').helper, 'a has its partition helper');
    assert.match(await rt.logs('a'), /^ready a /m);
  });

  it('a cut stops TCP from sender to receiver, host clients keep flowing, heal restores it', async () => {
    assert.equal(await probe('a', 'b'), 'connected');
    await rt.cut('a', 'b');
    assert.equal(await probe('a', 'b'), 'timeout');
    assert.equal(await probe('dr', 'b'), 'connected', 'only the cut link is affected');
    const st = await rt.client('b').invoke({ f: 'status' });
    assert.equal(st.status, 'ok', 'the host still reaches a partitioned node');
    await rt.heal('a', 'b');
    assert.deepEqual(await rules('b'), []);
    assert.equal(await probe('a', 'b'), 'connected');
  });

  it('a killed node refuses connections on its port; start brings it back on the same port', async () => {
    const port = rt.where('dr').hostPort;
    await rt.kill('dr');
    assert.equal(await hostConnect(port), 'refused');
    const r = await rt.client('dr').invoke({ f: 'status' });
    assert.equal(r.status, 'fail');
    await rt.start('dr');
    assert.equal(rt.where('dr').hostPort, port);
    assert.equal((await rt.client('dr').invoke({ f: 'status' })).status, 'ok');
  });

  it('a paused node times out; resume answers again', async () => {
    await rt.pause('b');
    const c = rt.client('b');
    const t0 = Date.now();
    const r = await c.invoke({ f: 'status' });
    assert.equal(r.status, 'fail');
    assert.match((r as { error: string }).error, /timeout/);
    assert.ok(Date.now() - t0 >= 500);
    await rt.resume('b');
    assert.equal((await c.invoke({ f: 'status' })).status, 'ok');
  });

  it('journal loss goes through the node hook, shows in its status, and dr is resynced after', async () => {
    // Start from a settled pair: after the pause test, a resyncs b at a new epoch.
    await waitStatus('a', (s) => s.role === 'primary' && s.partner === 'paired');
    for (let i = 0; i < 5; i++) { const w = await rt.client('a').invoke({ f: 'write', key: i, value: `before-loss-${i}` }); assert.equal(w.status, 'ok', JSON.stringify(w)); }
    // dr cut off, so the resync the loss forces cannot finish before status is read.
    await rt.cut('a', 'dr');
    await rt.cut('dr', 'a');
    await cap('lose-journal').apply(rt, ['a']);
    type Journal = { broken?: boolean; inflight?: unknown };
    const j = (await waitStatus('a', () => true)).journal as Journal;
    assert.ok(j.broken === true || j.inflight === 'resync', `status shows the journal lost or dr being resynced: ${JSON.stringify(j)}`);
    // The engine collects container output asynchronously: the line may trail the reply by a few ms.
    let log = await rt.logs('a');
    for (let i = 0; i < 50 && !/journal lost \(lose-journal\)/.test(log); i++) log = await rt.sleep(100).then(() => rt.logs('a'));
    assert.match(log, /journal lost \(lose-journal\)/);
    const target = Number((await waitStatus('a', () => true)).version);
    await rt.heal('a', 'dr');
    await rt.heal('dr', 'a');
    await waitStatus('dr', (s) => Number(s.version) >= target && s.consistent !== false, 15_000);
  });

  it('kill-unsynced leaves the node down until start, which drops the unsynced tail', async () => {
    await cap('kill-unsynced').apply(rt, ['dr']);
    assert.equal(await hostConnect(rt.where('dr').hostPort), 'refused');
    await rt.start('dr');
    const logs = await rt.logs('dr');
    assert.match(logs, /unsynced/i, 'the restart ran with --drop-unsynced');
    assert.equal((await rt.client('dr').invoke({ f: 'status' })).status, 'ok');
    // On a node that is down already, the marker goes into the stopped container's volume.
    await rt.kill('dr');
    await cap('kill-unsynced').apply(rt, ['dr']);
    await rt.start('dr');
    assert.equal((await rt.logs('dr')).match(/dropped \d+ unsynced bytes/g)?.length, 2);
  });

  it('a cut survives restarts of either end and lands on a frozen receiver at resume; healAll clears cuts, pauses and dead nodes', async () => {
    await rt.cut('dr', 'a');
    await rt.kill('a');
    await rt.start('a');
    assert.equal((await rules('a')).length, 1, 'the receiver re-applied the cut in its new life');
    assert.equal(await probe('dr', 'a'), 'timeout');
    await rt.kill('dr');
    await rt.start('dr');
    assert.equal(await probe('dr', 'a'), 'timeout', 'the cut follows the sender to its new address');
    await rt.pause('b');
    await rt.cut('a', 'b');
    await rt.resume('b');
    assert.equal((await rules('b')).length, 1, 'a cut made while the receiver was frozen lands on resume');
    await rt.pause('dr');
    await rt.kill('b');
    await rt.healAll();
    for (const n of ['a', 'b', 'dr'] as NodeName[]) {
      assert.equal(rt.where(n).life, 'running');
      assert.deepEqual(await rules(n), [], `${n} has no rules left`);
      await waitStatus(n, () => true);
    }
    assert.equal(await probe('dr', 'a'), 'connected');
    assert.equal(await probe('a', 'b'), 'connected');
  });

  it('site loss destroys a and b with their volumes and the backend; dr is promoted', async () => {
    await rt.destroy('a');
    await rt.destroy('b');
    const vols = ((await docker.listVolumes({ filters: { label: [`${LABEL.run}=${runId}`] } })).Volumes ?? []).map((v) => v.Name);
    assert.deepEqual(vols, [`chaos-${runId}-dr`]);
    assert.match(await rt.logs('a'), /^ready a /m, 'logs outlive the container');
    // The rest of site loss: the block store's capability promotes dr (a and b are gone already).
    const rec = (await cap('site-loss').apply(rt, ['a', 'b']))!;
    assert.equal(rec.primary, 'dr');
    assert.equal(typeof rec.record?.cut, 'number', 'the promote reports the cut it started from');
    await waitStatus('dr', (s) => s.role === 'primary');
  });

  it('down leaves no container, network or volume of the run, and is idempotent', async () => {
    await rt.down();
    assert.deepEqual(await leftovers(runId), { containers: 0, networks: 0, volumes: 0 });
    await rt.down();
  });
});

describe('cleanup of runs whose harness died', { skip }, () => {
  it('removes what a SIGKILLed harness left and keeps what a live one owns', async () => {
    const dead = `test-dead-${process.pid}`;
    const live = `test-live-${process.pid}`;
    // A harness that boots a whole cluster, then is killed with -9 mid-run.
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', `
      Promise.all([import('${new URL('./cluster.ts', import.meta.url).pathname}'), import('${new URL('../../../nodes/blockstore/system.ts', import.meta.url).pathname}')]).then(async ([{ createContainerRuntime }, { blockstore }]) => {
        const rt = createContainerRuntime({ runId: '${dead}' });
        await rt.up({ runId: '${dead}', system: blockstore, nodes: ['a', 'b', 'dr'], bugs: [], params: {}, clientTimeoutMs: 500, logDir: '', seed: 1 });
        console.log('made');
        setInterval(() => {}, 1000);
      });`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => { if (String(d).includes('made')) resolve(); });
      child.once('exit', (code) => reject(new Error(`helper exited ${code}`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await docker.createVolume({ Name: `chaos-${live}`, Labels: ownerLabels(live) });
    try {
      const before = await leftovers(dead);
      // three nodes (and the partition helpers already started), its network, four volumes
      assert.ok(before.containers >= 3 && before.networks === 1 && before.volumes === 4, JSON.stringify(before));
      await removeChaosResources(docker, { onlyDead: true });
      assert.deepEqual(await leftovers(dead), { containers: 0, networks: 0, volumes: 0 });
      assert.equal((await leftovers(live)).volumes, 1, 'a live harness keeps its resources');
    } finally {
      await removeChaosResources(docker, { runId: live });
      await removeChaosResources(docker, { runId: dead });
    }
  });
});
