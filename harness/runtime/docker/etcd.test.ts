// etcd 3.4 (Debian's etcd-server) on the generic docker runtime: boot, the generic faults done
// to an image that has no iptables (partitions from the helper in its namespace), and the
// client's ops judged by the linearizability checker: valid through partitions, kills and
// pauses; stale serializable reads on an isolated follower found and named.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it, test } from 'node:test';
import Docker from 'dockerode';
import { pairHistory } from '../../../ground/history/pair.js';
import { Rng } from '../../../ground/rng.js';
import { linearizability } from '../../../checkers/linearizability/index.js';
import { EtcdClient } from '../../../nodes/etcd/client.js';
import { system as etcd } from '../../../nodes/etcd/system.js';
import { ContainerRuntime } from './cluster.js';
import { isDockerAvailable } from './engine.js';
import { droppedPackets, leftovers, Recorder, until } from './testkit.js';

const available = await isDockerAvailable();
const skip = available ? false : 'no docker engine answers (run scripts/setup.sh to install and start one)';
if (!available && process.env.CI) {
  test('docker engine is required in CI', () => assert.fail('no docker engine answers; CI must run scripts/setup.sh first'));
}

const docker = new Docker();
const runId = `test-etcd-${process.pid}`;
const NODES = ['n1', 'n2', 'n3'];

function hostConnect(port: number, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => { s.destroy(); resolve('timeout'); }, timeoutMs);
    s.once('connect', () => { clearTimeout(timer); s.destroy(); resolve('connected'); });
    s.once('error', (e: NodeJS.ErrnoException) => { clearTimeout(timer); resolve(e.code ?? e.message); });
  });
}

describe('etcd on the generic docker runtime', { skip }, () => {
  let rt: ContainerRuntime;

  async function leader(among = NODES): Promise<string | null> {
    const st = await Promise.all(among.map((n) => rt.status(n)));
    const leaders = st.filter((s) => s?.role === 'leader').map((s) => s!.node);
    return leaders.length === 1 ? leaders[0]! : null;
  }

  /** Cuts `node` off from every other node, both ways. */
  async function isolate(node: string): Promise<void> {
    await Promise.all(NODES.filter((n) => n !== node).flatMap((n) => [rt.cut(node, n), rt.cut(n, node)]));
  }

  before(async () => {
    rt = new ContainerRuntime({ runId });
    await rt.up({ runId, system: etcd, nodes: NODES, bugs: [], params: etcd.params.parse({}), clientTimeoutMs: 1000, logDir: '/tmp', seed: 1 });
  });

  after(async () => {
    await rt?.down();
    assert.deepEqual(await leftovers(docker, runId), { containers: 0, networks: 0, volumes: 0 });
  });

  it('boots three members, each with its own partition helper, and status names exactly one leader', async () => {
    const l = await until('a leader', 10_000, () => leader());
    assert.ok(NODES.includes(l));
    for (const n of NODES) {
      assert.deepEqual(await rt.rules(n), [], 'no cut yet (this also waits for the helpers up() did not wait for)');
      const w = rt.where(n);
      assert.equal(w.life, 'running');
      assert.ok(w.helper, `${n} has a partition helper`);
      const info = await docker.getContainer(w.id).inspect();
      // The target holds no privilege; only the helper has NET_ADMIN.
      assert.ok(!(info.HostConfig.CapAdd ?? []).includes('NET_ADMIN'));
      assert.deepEqual(info.HostConfig.PortBindings?.['2379/tcp']?.map((b: { HostIp: string }) => b.HostIp), ['127.0.0.1']);
      const helper = await docker.getContainer(w.helper!).inspect();
      assert.equal(helper.HostConfig.NetworkMode, `container:${w.id}`);
      assert.deepEqual(helper.HostConfig.CapAdd, ['NET_ADMIN']);
    }
  });

  it('isolating the leader really drops its traffic: the rest elect another, it cannot serve linearizable reads, heal brings it back', async () => {
    const c0 = rt.client(NODES[0]!);
    assert.equal((await c0.invoke({ f: 'write', key: 'p', value: 1 })).status, 'ok');
    const old = await until('a leader', 10_000, () => leader());
    const rest = NODES.filter((n) => n !== old);
    await isolate(old);
    for (const n of NODES) assert.equal((await rt.rules(n)).length, n === old ? 2 : 1, `rules in ${n}`);
    const next = await until('a new leader among the majority', 15_000, () => leader(rest));
    assert.notEqual(next, old);
    const w = await rt.client(rest[0]!).invoke({ f: 'write', key: 'p', value: 2 });
    assert.equal(w.status, 'ok');
    // The isolated member cannot reach a quorum: a linearizable read there does not answer.
    const r = await rt.client(old).invoke({ f: 'read', key: 'p' });
    assert.equal(r.status, 'fail', JSON.stringify(r));
    // The rules did the dropping: the majority's chains counted packets from the old leader.
    const dropped = droppedPackets(await rt.ruleCounters(rest[0]!)) + droppedPackets(await rt.ruleCounters(old));
    assert.ok(dropped > 0, 'DROP rules counted packets');
    await Promise.all(NODES.filter((n) => n !== old).flatMap((n) => [rt.heal(old, n), rt.heal(n, old)]));
    for (const n of NODES) assert.deepEqual(await rt.rules(n), []);
    const back = await until('the old leader serves linearizable reads again', 15_000, async () => {
      const o = await rt.client(old).invoke({ f: 'read', key: 'p' });
      return o.status === 'ok' ? o : null;
    });
    assert.equal(back.status === 'ok' ? back.value : undefined, 2);
  });

  it('serializable reads on an isolated follower return stale values, and the linearizability checker names the stale read', async (t) => {
    const l = await until('a leader', 10_000, () => leader());
    const follower = NODES.find((n) => n !== l)!;
    const rec = new Recorder();
    const lin = rt.client(l);
    const stale = new EtcdClient(follower, { host: '127.0.0.1', port: rt.where(follower).hostPort }, { timeoutMs: 1000, serializableReads: true });
    assert.equal((await rec.op(0, lin, { f: 'write', key: 's', value: 1 })).status, 'ok');
    // Wait until the follower has applied it, so what it returns later is stale, not absent.
    await until('the follower applied the write', 5000, async () => {
      const o = await stale.invoke({ f: 'read', key: 's' });
      return o.status === 'ok' && o.value === 1 ? true : null;
    });
    await isolate(follower);
    assert.equal((await rec.op(0, lin, { f: 'write', key: 's', value: 2 })).status, 'ok');
    const read = await rec.op(1, stale, { f: 'read', key: 's' });
    assert.deepEqual([read.status, read.status === 'ok' ? read.value : undefined], ['ok', 1], 'a serializable read answers from local state');
    await rt.healAll();
    rec.close();
    const result = await linearizability({ events: rec.events, paired: pairHistory(rec.events) });
    assert.equal(result.valid, false);
    const a = result.anomalies[0]!;
    assert.ok(a.events.includes(rec.events.length - 1) || a.events.includes(rec.events.length - 2), `the anomaly involves the stale read: ${JSON.stringify(a)}`);
    assert.match(a.message, /read/);
    t.diagnostic(a.message);
  });

  it('kill, start, pause and resume act on the member', async () => {
    const l = await until('a leader', 10_000, () => leader());
    const f = NODES.find((n) => n !== l)!;
    const port = rt.where(f).hostPort;
    await rt.kill(f);
    assert.equal(rt.where(f).life, 'dead');
    assert.equal(await rt.status(f), null);
    assert.equal(await hostConnect(port), 'ECONNREFUSED');
    await rt.start(f);
    assert.equal(rt.where(f).hostPort, port, 'the published port survives a restart');
    const st = await until('the restarted member answers', 10_000, () => rt.status(f));
    assert.ok(['follower', 'leader'].includes(st.role));
    await rt.pause(f);
    const c = rt.client(f);
    const w = await c.invoke({ f: 'write', key: 'k', value: 7 });
    assert.equal(w.status, 'info', 'a write to a frozen member times out: it may or may not happen');
    await rt.resume(f);
    const ok = await until('the resumed member serves', 10_000, async () => {
      const o = await c.invoke({ f: 'write', key: 'k', value: 8 });
      return o.status === 'ok' ? o : null;
    });
    assert.equal(ok.status, 'ok');
  });

  it('cuts survive restarts of either end (new namespace, new helper, maybe a new address) and reach a frozen receiver; healAll clears all', async () => {
    const drops = async (n: string) => (await rt.rules(n)).map((r) => /-s (\S+?)(?:\/32)? /.exec(r)?.[1]).sort();
    await rt.cut('n1', 'n2');
    await rt.kill('n2');
    await rt.start('n2');
    assert.deepEqual(await drops('n2'), [rt.where('n1').ip], 'the receiver got its cut back after its restart');
    const helperBefore = rt.where('n1').helper;
    await rt.kill('n1');
    await rt.start('n1');
    assert.notEqual(rt.where('n1').helper, helperBefore, 'a new life has a new helper');
    assert.deepEqual(await drops('n2'), [rt.where('n1').ip], "the receiver's rule names the sender's address in its new life");
    await rt.pause('n2');
    await rt.cut('n3', 'n2');
    assert.deepEqual(await drops('n2'), [rt.where('n1').ip, rt.where('n3').ip].sort(), 'a frozen receiver gets its cut at once (its helper is not frozen)');
    await rt.heal('n1', 'n2');
    assert.deepEqual(await drops('n2'), [rt.where('n3').ip]);
    await rt.healAll();
    assert.equal(rt.where('n2').life, 'running');
    for (const n of NODES) assert.deepEqual(await rt.rules(n), []);
    await until('a leader after the restarts', 15_000, () => leader());
  });

  it('concurrent reads, writes and cas over several keys stay linearizable through partitions, kills and pauses', async (t) => {
    const rec = new Recorder();
    const rng = new Rng(42);
    const keys = ['a', 'b', 'c'];
    let stop = false;
    let next = 0;
    const worker = async (p: number) => {
      const c = rt.client(NODES[p % NODES.length]!);
      while (!stop) {
        const key = rng.pick(keys);
        const r = rng.float();
        const op = r < 0.4 ? { f: 'read', key } : r < 0.7 ? { f: 'write', key, value: ++next } : { f: 'cas', key, value: [rng.bool(0.3) ? null : next - rng.int(0, 2), ++next] };
        await rec.op(p, c, op);
        await new Promise((res) => setTimeout(res, 10));
      }
    };
    const nemesis = async () => {
      for (let round = 0; round < 3; round++) {
        const target = rng.pick(NODES);
        await rec.fault('partition', [target], async () => {
          await isolate(target);
          await rt.sleep(1500);
          await rt.healAll();
        });
        await rt.sleep(500);
        const victim = (await leader()) ?? NODES[0]!;
        await rec.fault('kill', [victim], async () => {
          await rt.kill(victim);
          await rt.sleep(1000);
          await rt.start(victim);
        });
        await rt.sleep(500);
        const frozen = rng.pick(NODES);
        await rec.fault('pause', [frozen], async () => {
          await rt.pause(frozen);
          await rt.sleep(1000);
          await rt.resume(frozen);
        });
      }
      stop = true;
    };
    await Promise.all([nemesis(), ...[0, 1, 2, 3, 4].map(worker)]);
    await rt.healAll();
    rec.close();
    const paired = pairHistory(rec.events);
    const oks = paired.ops.filter((o) => o.status === 'ok').length;
    const writesOk = paired.ops.filter((o) => o.status === 'ok' && o.f !== 'read').length;
    t.diagnostic(`${paired.ops.length} ops, ${oks} ok (${writesOk} writes/cas), ${paired.ops.filter((o) => o.status === 'info').length} info`);
    assert.ok(oks > 50 && writesOk > 10, `enough ops succeeded to judge (${oks} ok, ${writesOk} writes/cas)`);
    const result = await linearizability({ events: rec.events, paired });
    assert.equal(result.valid, true, JSON.stringify(result.anomalies[0] ?? result.reason));
  });
});
