// The simulator's own semantics, on a toy core (toy-core.ts) so they do not depend on the
// block store: virtual time, determinism of async callers, disk durability, partitions, pauses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Input, NodeConfig, NodeCore, NodeParams, NodeStatus } from '../../../nodes/blockstore/core/types.js';
import type { ClusterSpec } from '../types.js';
import { SimRuntime } from './index.js';
import { SimClient } from './client.js';
import { blockstore } from '../../../nodes/blockstore/system.js';

/** The block-store transport under the system's client: these tests speak the toy core's wire. */
const bc = (rt: SimRuntime, n: 'a' | 'b' | 'dr') => new SimClient(rt.simWorld, n, 50);
import { Scheduler } from './scheduler.js';
import { SimVolume } from './disk.js';
import { createToyCore, type ToyOptions } from './toy-core.js';

const params: NodeParams = {
  blocks: 8,
  maxValueBytes: 32,
  leaseMs: 100,
  takeoverMs: 300,
  heartbeatMs: 10,
  barrierMs: 50,
  barrierWrites: 8,
  journalCapacity: 100,
  retryMs: 20,
};

function spec(seed: number): ClusterSpec {
  return { runId: 't', system: blockstore, nodes: ['a', 'b', 'dr'], bugs: [], params: { ...params }, clientTimeoutMs: 50, logDir: '/nonexistent', seed };
}

async function toy(seed: number, opts: ToyOptions = {}, net = {}) {
  const rt = new SimRuntime({ seed, runId: 't', createCore: (c) => createToyCore(c, opts), net });
  await rt.up(spec(seed));
  return rt;
}

const counters = (s: unknown) => s as unknown as { pingsSent: number; timerFires: number; heard: Record<string, number> };

test('scheduler: ties run in scheduling order, and time only moves while someone waits', async () => {
  const s = new Scheduler();
  const seen: string[] = [];
  s.at(5, () => seen.push('x'));
  s.at(5, () => seen.push('y'));
  s.at(3, () => seen.push('w'));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(seen, [], 'nothing awaits the sim, so nothing runs');
  await s.sleep(10);
  assert.deepEqual(seen, ['w', 'x', 'y']);
  assert.equal(s.now(), 10);
});

test('scheduler: concurrent async sleepers interleave by virtual time, whatever the call order', async () => {
  const s = new Scheduler();
  const log: string[] = [];
  const worker = async (name: string, gaps: number[]) => {
    for (const g of gaps) {
      await s.sleep(g);
      log.push(`${name}@${s.now()}`);
    }
  };
  await Promise.all([worker('p', [3, 3, 3]), worker('q', [2, 5, 1])]);
  assert.deepEqual(log, ['q@2', 'p@3', 'p@6', 'q@7', 'q@8', 'p@9']);
});

test('disk: a crash drops exactly the unsynced tail, and only the crashing node\'s records', () => {
  const v = new SimVolume('backend');
  v.append('data', ['a1', 'a2'], 'a');
  const t = v.fsync('data', 'a');
  v.append('data', ['a2b'], 'a');
  v.crash('a', false); // a plain kill: nothing dropped, but the fsync in flight is void
  assert.equal(v.fsyncDone(t), false);
  assert.deepEqual(v.image().data, ['a1', 'a2', 'a2b']);
  assert.equal(v.crash('a'), 3, 'nothing of a was synced');
  v.append('data', ['a1', 'a2'], 'a');
  const ok = v.fsync('data', 'a');
  assert.equal(v.fsyncDone({ ...ok, upTo: 1 }), true);
  v.append('data', ['b1'], 'b');
  v.append('data', ['a3'], 'a');
  assert.equal(v.crash('a'), 1, 'only the trailing unsynced a3 goes');
  assert.deepEqual(v.image().data, ['a1', 'a2', 'b1']);
  assert.equal(v.crash('b'), 1);
  assert.deepEqual(v.image().data, ['a1', 'a2']);
  assert.equal(v.crash('a'), 1);
  assert.deepEqual(v.image().data, ['a1']);
});

test('kill-unsynced after an fsynced ack keeps the write, after an unsynced ack loses it; a plain kill loses neither', async () => {
  for (const fault of ['power', 'process'] as const) {
    for (const ackBeforeSync of [false, true]) {
      const rt = await toy(7, { ackBeforeSync });
      const c = bc(rt, 'a');
      const w = await c.write(1, 'v1');
      assert.equal(w.status, 'ok');
      await rt.crash('a', fault); // at the ack instant: the toy's fsync (if any) has not completed yet
      await rt.start('a');
      await rt.sleep(1);
      const r = await c.read(1);
      assert.equal(r.status, 'ok');
      // A SIGKILL leaves the page cache: only a lost unsynced tail can take the write.
      const lost = ackBeforeSync && fault === 'power';
      if (r.status === 'ok') assert.equal(r.value, lost ? null : 'v1', `${fault}, ackBeforeSync=${ackBeforeSync}`);
      await rt.down();
    }
  }
});

test('a one-way cut drops that direction only; heal restores it', async () => {
  const rt = await toy(3, {}, { dropP: 0 });
  await rt.cut('a', 'b');
  const before = counters(await rt.status('b')).heard;
  const beforeA = counters(await rt.status('a')).heard;
  await rt.sleep(200);
  const after = counters(await rt.status('b')).heard;
  const afterA = counters(await rt.status('a')).heard;
  assert.equal(after.a ?? 0, before.a ?? 0, 'b hears nothing from a');
  assert.ok((after.dr ?? 0) > (before.dr ?? 0), 'b still hears dr');
  assert.ok((afterA.b ?? 0) > (beforeA.b ?? 0), 'a still hears b');
  await rt.heal('a', 'b');
  await rt.sleep(100);
  assert.ok((counters(await rt.status('b')).heard.a ?? 0) > (after.a ?? 0));
  await rt.down();
});

test('a paused node receives nothing and its timers stall until resume', async () => {
  const rt = await toy(4);
  const c = bc(rt, 'a');
  const fires = counters(await rt.status('a')).timerFires;
  await rt.pause('a');
  const t0 = rt.now();
  const r = await c.read(0);
  // The real client's rule: a read that timed out changed nothing, so it is `fail` (a write: `info`).
  assert.equal(r.status, 'fail', 'a paused node does not answer: the client times out');
  assert.equal((r as { error: string }).error, 'timeout');
  assert.equal(rt.now() - t0 >= 50_000_000, true);
  await rt.sleep(300);
  await rt.resume('a');
  const s = counters(await rt.status('a'));
  // The stalled timer fires once on resume, plus a few since; not the ~35 it would have.
  assert.ok(s.timerFires <= fires + 4, `timer fired ${s.timerFires - fires} times across the pause`);
  await rt.down();
});

test('requests to a killed node fail definitely; in-flight requests at a crash are indeterminate', async () => {
  const rt = await toy(5);
  await rt.kill('b');
  const r = await bc(rt, 'b').read(0);
  assert.equal(r.status, 'fail');
  await rt.start('b');
  const c = bc(rt, 'a');
  const p = c.write(2, 'x');
  await rt.sleep(0.5); // the request is at a, waiting on its fsync
  await rt.kill('a');
  const w = await p;
  assert.equal(w.status, 'info');
  await rt.down();
});

async function toyTrace(seed: number): Promise<string> {
  const rt = await toy(seed, {}, { dropP: 0.05 });
  const lines: string[] = [];
  const proc = async (p: number) => {
    const c = bc(rt, p % 2 ? 'a' : 'b');
    for (let i = 0; i < 30; i++) {
      const r = i % 3 ? await c.read(i % 4) : await c.write(i % 4, `${p}-${i}`);
      lines.push(`${rt.now()} ${p} ${JSON.stringify(r)}`);
      await rt.sleep(i % 5);
    }
  };
  const nemesis = async () => {
    await rt.sleep(20);
    await rt.kill('a');
    await rt.sleep(15);
    await rt.start('a');
    await rt.pause('b');
    await rt.sleep(15);
    await rt.resume('b');
  };
  await Promise.all([proc(0), proc(1), proc(2), nemesis()]);
  for (const n of ['a', 'b', 'dr'] as const) lines.push(JSON.stringify(await rt.status(n)));
  await rt.down();
  return lines.join('\n');
}

test('determinism: the same seed gives the same trace byte for byte; another seed differs', async () => {
  const x = await toyTrace(11);
  const y = await toyTrace(11);
  assert.equal(x, y);
  assert.notEqual(await toyTrace(12), x);
});

test('scheduler: a livelock (events forever at one instant) fails every wait instead of hanging', async () => {
  const s = new Scheduler();
  const again = (): void => void s.after(0, again);
  s.after(1, again);
  await assert.rejects(() => s.sleep(5), /livelock/);
  await assert.rejects(() => s.sleep(1), /livelock/);
});

test('scheduler: an event storm (each event scheduling two, time creeping) fails every wait instead of eating the memory', async () => {
  const s = new Scheduler();
  const split = (): void => { s.after(1000, split); s.after(1000, split); };
  s.after(1, split);
  await assert.rejects(() => s.sleep(1_000_000), /event storm/);
});

test('timers never fire before their at, whatever the ms-to-ns rounding (a core re-arming early timers would spin)', async () => {
  let early = 0;
  let fired = 0;
  const core = (config: NodeConfig): NodeCore => {
    let at = 0;
    const arm = (t: number) => ((at = t), [{ type: 'set-timer' as const, timer: 't', at }]);
    return {
      name: config.name,
      step: (input: Input) => {
        if (input.type === 'start') return arm(input.now + 1 / 3);
        if (input.type === 'timer') {
          if (input.now < at) {
            early++;
            return arm(at);
          }
          fired++;
          return arm(at + 0.1 + 0.2 + 1 / 7);
        }
        return [];
      },
    };
  };
  const rt = new SimRuntime({ seed: 1, runId: 't', createCore: core });
  await rt.up(spec(1));
  await rt.sleep(200);
  await rt.down();
  assert.equal(early, 0);
  assert.ok(fired > 3 * 300, `timers fired ${fired} times`);
});

test('the simulator and the core\'s test cluster interpret storage effects with one model', async () => {
  const { RecordVolume } = await import('../../../nodes/blockstore/core/disk-model.js');
  const { Cluster } = await import('../../../nodes/blockstore/core/testing/cluster.js');
  assert.equal(SimVolume, RecordVolume);
  const c = new Cluster();
  assert.ok(c.backend instanceof RecordVolume && c.disks.a instanceof RecordVolume);
});
