// Whole runs (the run loop, nemesis, workloads, checkers) of the systems that are not ours, on
// real containers: etcd stays valid through partitions, kills and pauses and its serializable
// reads are found stale; Redis loses acknowledged adds when it fails over away from a primary
// cut off from its replicas (and is valid with no faults). The documented shapes:
//   - etcd serializable reads are served from the member's local state without a quorum, so a
//     member cut off from the leader answers with values the majority has overwritten;
//   - Redis replication is asynchronous: what a primary acknowledges and has not shipped when
//     a replica is promoted is discarded when the old primary resyncs from the new one.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, test } from 'node:test';
import type { ComposedResult } from '../../checkers/types.js';
import type { HistoryEvent } from '../../ground/history/types.js';
import { pairHistory } from '../../ground/history/pair.js';
import { checkEvents } from '../../checkers/linearizability/index.js';
import type { System } from '../../ground/system.js';
import { system as etcd } from '../../nodes/etcd/system.js';
import { system as redis } from '../../nodes/redis/system.js';
import { isDockerAvailable } from '../runtime/docker/engine.js';
import type { FaultStep } from '../nemesis/plan.js';
import { buildConfig, type RunOptions } from './config.js';
import { executeRun } from './execute.js';
import { createRuntime } from './runtime-select.js';

const available = await isDockerAvailable();
const skip = available ? false : 'no docker engine answers (run scripts/setup.sh to install and start one)';
if (!available && process.env.CI) {
  test('docker engine is required in CI', () => assert.fail('no docker engine answers; CI must run scripts/setup.sh first'));
}

async function run(system: System, o: RunOptions & { seed: number }): Promise<{ results: ComposedResult; errors: string[]; events: HistoryEvent[] }> {
  const out = mkdtempSync(join(tmpdir(), `chaos-${system.name}-e2e-`));
  try {
    const config = buildConfig({ runtime: 'docker', ...o }, system);
    const runtime = await createRuntime('docker', { seed: o.seed, runId: `e2e-${system.name}-${o.seed}-${process.pid}` });
    const r = await executeRun(config, { runtime, system, outDir: out, skipHtml: true });
    const events = readFileSync(join(r.dir, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as HistoryEvent);
    return { results: r.results, errors: r.errors, events };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** n3 cut off from n1 and n2, both ways. */
const isolateN3 = (id: number, at: number, durationMs: number): FaultStep => ({
  id, at, durationMs, kind: 'partition', shape: 'isolate', targets: ['n3'],
  links: [['n3', 'n1'], ['n1', 'n3'], ['n3', 'n2'], ['n2', 'n3']],
});

describe('etcd, whole runs on docker', { skip }, () => {
  for (const seed of [1, 2]) {
    it(`seed ${seed}: partitions, kills and pauses, every op linearizable`, async () => {
      const { results, errors } = await run(etcd, { seed, timeLimit: 10, nemesis: 'partition,kill,pause' });
      assert.equal(results.checkers.linearizability?.valid, true, JSON.stringify(results.checkers.linearizability?.anomalies?.[0] ?? results.checkers.linearizability?.reason));
      assert.equal(results.valid, true, `${JSON.stringify(Object.fromEntries(Object.entries(results.checkers).map(([k, v]) => [k, v.valid])))} ${errors.join('; ')}`);
    });
  }

  it('serializable reads: a member cut off from the leader serves stale values, named as a linearizability anomaly within a few seeds', async (t) => {
    const tries: string[] = [];
    for (const seed of [1, 2, 3]) {
      const { results, events } = await run(etcd, {
        seed,
        timeLimit: 9,
        params: { reads: 'serializable' },
        plan: [isolateN3(1, 1000, 3000), isolateN3(2, 5000, 3000)],
      });
      const lin = results.checkers.linearizability!;
      tries.push(`seed ${seed}: ${String(lin.valid)}`);
      if (lin.valid !== false) continue;
      const a = lin.anomalies[0]!;
      // The anomaly names where the search got stuck: the read that saw the past, or a write or
      // cas whose only legal place a stale read had taken (that read need not be among the ops
      // it shows). What must hold is the cause: the writes and cas ops alone are linearizable
      // (they go through the leader), and the isolated member answered reads while cut off.
      // (Any follower's serializable read may lag a little, so n3's alone are not singled out.)
      const { ops } = pairHistory(events);
      const okReads = new Set(ops.filter((o) => o.f === 'read' && o.status === 'ok').flatMap((o) => [o.invokeIndex, o.completeIndex]));
      const writesOnly = checkEvents(events.filter((e) => !okReads.has(e.index)), { model: 'cas-register', initial: null, ignoreOtherF: true });
      assert.equal(writesOnly.valid, true, `without the ok reads the history is linearizable (anomaly: ${a.message})`);
      // The isolation windows as the history records them (the nemesis's start and stop).
      const windows = events.filter((e) => e.process === 'nemesis' && e.f === 'start' && e.meta?.fault === 'partition').map((s) => ({
        from: s.time,
        to: events.find((e) => e.process === 'nemesis' && e.f === 'stop' && e.meta?.faultId === s.meta?.faultId)?.time ?? Infinity,
      }));
      assert.equal(windows.length, 2, 'both cuts ran');
      assert.ok(ops.some((o) => o.f === 'read' && o.status === 'ok' && o.node === 'n3' && windows.some((w) => o.start >= w.from && o.end <= w.to)), 'n3 answered reads while cut off');
      t.diagnostic(`seed ${seed}: ${a.message}`);
      return;
    }
    assert.fail(`no stale serializable read found: ${tries.join(', ')}`);
  });
});

describe('redis, whole runs on docker', { skip }, () => {
  it('set workload, no faults: every acknowledged add is in the final read', async () => {
    const { results } = await run(redis, { seed: 1, workload: 'set', timeLimit: 6, nemesis: 'none' });
    assert.equal(results.checkers.set?.valid, true, JSON.stringify(results.checkers.set?.anomalies?.[0]));
    assert.ok((results.checkers.set!.stats!.acknowledged as number) > 50);
    assert.equal(results.valid, true);
  });

  it('set workload, failover while the primary is cut off: the lost acknowledged adds are named', async () => {
    const plan: FaultStep[] = [
      { id: 1, at: 1500, durationMs: 3000, kind: 'partition', shape: 'isolate', targets: ['n1'], links: [['n1', 'n2'], ['n2', 'n1'], ['n1', 'n3'], ['n3', 'n1']] },
      { id: 2, at: 3000, durationMs: 0, kind: 'failover', targets: ['primary'] },
    ];
    const { results } = await run(redis, { seed: 1, workload: 'set', timeLimit: 7, plan });
    const set = results.checkers.set!;
    assert.equal(set.valid, false);
    assert.equal(results.valid, false);
    const lost = set.anomalies.filter((a) => a.kind === 'lost');
    assert.ok(lost.length > 0, 'lost adds are reported');
    for (const a of lost) assert.match(a.message, new RegExp(`add of ${JSON.stringify(a.element).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} .* acknowledged by n1`));
    assert.match(set.anomalies[0]!.message, /^\d+ of \d+ acknowledged adds to \S+ are missing from the final read: "/);
    assert.equal(set.stats!.unexpected, 0);
  });
});
