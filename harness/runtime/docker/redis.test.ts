// Redis 7.0 (Debian's redis-server) on the generic docker runtime: with no faults every
// acknowledged SADD is in the final read; with the primary cut off from its replicas, adds it
// acknowledges meanwhile are thrown away by a Sentinel-style failover (asynchronous
// replication), and the set checker names exactly those elements.
import assert from 'node:assert/strict';
import { after, before, describe, it, test } from 'node:test';
import Docker from 'dockerode';
import { pairHistory } from '../../../ground/history/pair.js';
import { setChecker } from '../../../checkers/set/index.js';
import { failover, system as redis } from '../../../nodes/redis/system.js';
import type { Client } from '../../../ground/system.js';
import { ContainerRuntime } from './cluster.js';
import { isDockerAvailable } from './engine.js';
import { leftovers, Recorder, until } from './testkit.js';

const available = await isDockerAvailable();
const skip = available ? false : 'no docker engine answers (run scripts/setup.sh to install and start one)';
if (!available && process.env.CI) {
  test('docker engine is required in CI', () => assert.fail('no docker engine answers; CI must run scripts/setup.sh first'));
}

const docker = new Docker();
const NODES = ['n1', 'n2', 'n3'];

describe('redis on the generic docker runtime', { skip }, () => {
  let rt: ContainerRuntime;
  const runId = `test-redis-${process.pid}`;

  before(async () => {
    rt = new ContainerRuntime({ runId });
    await rt.up({ runId, system: redis, nodes: NODES, bugs: [], params: redis.params.parse({}), clientTimeoutMs: 1000, logDir: '/tmp', seed: 1 });
  });

  after(async () => {
    await rt?.down();
    assert.deepEqual(await leftovers(docker, runId), { containers: 0, networks: 0, volumes: 0 });
  });

  /** Adds unique elements to `key` from `procs` processes on whatever `target()` says is the
   *  primary, until `stop()`. */
  async function adder(rec: Recorder, key: string, target: () => Client, procs: number, stop: () => boolean, from: { n: number }): Promise<void> {
    await Promise.all(Array.from({ length: procs }, async (_, p) => {
      while (!stop()) {
        await rec.op(p, target(), { f: 'add', key, value: from.n++ });
        await new Promise((r) => setTimeout(r, 5));
      }
    }));
  }

  it('starts as one master and replicas following it', async () => {
    // Ready means accepting connections; a replica's first sync may take a moment more.
    const st = await Promise.all(NODES.map((n) => until(`${n} answers, replicas linked`, 10_000, async () => {
      const s = await rt.status(n);
      return s && (s.role === 'master' || s.link === 'up') ? s : null;
    })));
    assert.deepEqual(st.map((s) => s.role), ['master', 'replica', 'replica']);
    assert.deepEqual(st.slice(1).map((s) => s.primaryHost), [rt.host('n1'), rt.host('n1')]);
  });

  it('no faults: every acknowledged add is in the final read', async () => {
    const rec = new Recorder();
    const primary = rt.client('n1');
    let stop = false;
    const counter = { n: 0 };
    setTimeout(() => { stop = true; }, 1500);
    await adder(rec, 'calm', () => primary, 4, () => stop, counter);
    await rec.op(9, rt.client('n2'), { f: 'read-set', key: 'calm' }).then(() => {}); // a replica's read mid-run is not final
    await rec.op(10, primary, { f: 'read-set', key: 'calm' }, { final: true });
    rec.close();
    const r = await setChecker({ events: rec.events, paired: pairHistory(rec.events) });
    assert.equal(r.valid, true, JSON.stringify(r.anomalies.slice(0, 3)));
    assert.ok((r.stats?.acknowledged as number) > 20, `enough adds acknowledged (${String(r.stats?.acknowledged)})`);
    assert.equal(r.stats?.ok, r.stats?.acknowledged);
  });

  it('a failover while the primary is cut off loses the adds it acknowledged meanwhile, and the set checker names them', async (t) => {
    const rec = new Recorder();
    let primary = 'n1';
    const clients = new Map(NODES.map((n) => [n, rt.client(n)] as const));
    let stop = false;
    const counter = { n: 100_000 };
    const work = adder(rec, 'split', () => clients.get(primary)!, 4, () => stop, counter);
    await rt.sleep(500);
    // Cut n1 off from its replicas, both ways; it goes on acknowledging adds nobody receives.
    const cutStart = rec.events.length;
    await rec.fault('partition', ['n1'], async () => {
      await Promise.all(['n2', 'n3'].flatMap((n) => [rt.cut('n1', n), rt.cut(n, 'n1')]));
    });
    const cutDone = rec.events.length;
    await rt.sleep(800);
    const change = (await rec.fault('failover', [], () => failover.apply(rt, ['n1']))) as { primary?: string; record?: unknown };
    t.diagnostic(JSON.stringify(change));
    primary = change.primary!;
    const failedOver = rec.events.length;
    assert.notEqual(primary, 'n1');
    await rt.sleep(500);
    await rt.healAll();
    stop = true;
    await work;
    // n1 now follows the new primary: wait until it has resynced, then read the set there.
    await until('n1 resynced from the new primary', 15_000, async () => {
      const s = await rt.status('n1');
      return s?.role === 'replica' && s.link === 'up' ? s : null;
    });
    await rec.op(10, clients.get(primary)!, { f: 'read-set', key: 'split' }, { final: true });
    rec.close();
    const r = await setChecker({ events: rec.events, paired: pairHistory(rec.events) });
    assert.equal(r.valid, false);
    // Every lost element is listed in the stats (anomalies stop at 200, one per element).
    const perKey = (r.stats?.perKey as Record<string, { lostElements: number[] }>).split!;
    const lost = new Set(perKey.lostElements);
    for (const a of r.anomalies.filter((x) => x.kind === 'lost')) assert.ok(lost.has(a.element as number));
    // Which adds n1 acknowledged after the cut was in place, and before it was demoted.
    const paired = pairHistory(rec.events);
    const ackedOnN1 = (lo: number, hi: number) => paired.ops.filter((o) => o.f === 'add' && o.status === 'ok' && o.node === 'n1' && o.invokeIndex > lo && o.completeIndex < hi).map((o) => o.input as number);
    const surely = ackedOnN1(cutDone, failedOver);
    const possibly = new Set(ackedOnN1(cutStart, failedOver + 1_000_000));
    assert.ok(surely.length > 0, 'n1 acknowledged adds while cut off');
    for (const e of surely) assert.ok(lost.has(e), `element ${e}, acked by the isolated n1, is reported lost`);
    for (const e of lost) assert.ok(possibly.has(e), `element ${e} reported lost was acked by n1 after the cut`);
    const summary = r.anomalies.find((a) => a.kind === 'lost-summary')!;
    assert.match(summary.message, new RegExp(`${lost.size} of \\d+ acknowledged adds`));
    assert.equal(r.stats?.lost, lost.size);
    t.diagnostic(summary.message);
    assert.equal(r.stats?.unexpected, 0);
  });
});
