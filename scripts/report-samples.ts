// Run directories with known stories, for the report's browser tests and `npm run screenshots`:
// a valid failover run, a stale cache read, a lost write, dr images off their cut and torn (each found on the
// simulator with the switch hunts the sweep tests use), and a non-linearizable register history
// of another system (nodes n1..n3, string keys) recorded into a run directory.
import { blockstore } from '../nodes/blockstore/system.js';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryEvent } from '../ground/history/types.js';
import { Rng } from '../ground/rng.js';
import { buildConfig } from '../harness/run/config.js';
import { anomalyKinds, runOnSim, runSeed } from '../harness/sweep/seed-run.js';
import { huntOptions, namesChecker, SWITCH_HUNTS, type SwitchHunt } from '../harness/sweep/switches.js';
import { rebuildReport, writeHtmlFromDir } from '../reports/index.js';

export interface Sample {
  name: string;
  dir: string;
  /** What the report must show at first sight. */
  story: string;
  /** `checker:kind` the report must draw (empty for the valid run). */
  expect: string[];
}

/** The first valid failover run from seed 7 up (the simulator decides; a handful of seeds suffice). */
export async function validSample(out: string): Promise<Sample> {
  for (let seed = 7; seed < 27; seed++) {
    const r = await runOnSim(buildConfig({ runtime: 'sim', workload: 'failover', timeLimit: 10, seed }, blockstore), join(out, 'valid'));
    if (r.results.valid === true) {
      writeHtmlFromDir(r.dir);
      return { name: 'valid', dir: r.dir, story: 'nothing went wrong: faults, failovers and their RTO drawn', expect: [] };
    }
  }
  throw new Error('no valid failover run in seeds 7..26');
}

/** The first seed of a switch's hunt whose anomalies include `want` (or the hunt's checker). */
export async function huntSample(name: string, bug: string, want: string | null, out: string, story: string, maxSeeds = 30): Promise<Sample> {
  const h = SWITCH_HUNTS.find((x) => x.bug === bug) as SwitchHunt;
  let fallback: Sample | null = null;
  for (let seed = 1; seed <= maxSeeds; seed++) {
    const r = await runSeed(huntOptions(h, join(out, name)), seed);
    if (!r.dir) continue;
    const s = { name, dir: r.dir, story, expect: r.kinds };
    const fits = r.valid === false && namesChecker(h, r.kinds);
    if (fits && (!want || r.kinds.includes(want))) {
      if (fallback) rmSync(fallback.dir, { recursive: true, force: true });
      return s;
    }
    if (fits && !fallback) fallback = s;
    else rmSync(r.dir, { recursive: true, force: true });
  }
  if (fallback) return fallback;
  throw new Error(`the ${bug} hunt found nothing in seeds 1..${maxSeeds}`);
}

/** A register history of a three-node system over string keys, linearizable but for one
 *  stale read during a partition: the shape an etcd run's history has. */
export function registerHistory(seed: number): HistoryEvent[] {
  const rng = new Rng(seed);
  const keys = ['k1', 'k2', 'k3'];
  const nodes = ['n1', 'n2', 'n3'];
  const state = new Map<string, string | null>(keys.map((k) => [k, null]));
  const events: HistoryEvent[] = [];
  type Pending = { p: number; at: number; end: number; f: 'read' | 'write'; key: string; value?: string; node: string; result?: string | null };
  const pending: Pending[] = [];
  const free = new Array(5).fill(0);
  let version = 0;
  let stale: Pending | null = null;
  const staleAt = 9e9;
  // each process issues ops back to back; an op takes effect at a random point inside its interval
  const planned: { t: number; run: () => void }[] = [];
  for (let p = 0; p < 5; p++) {
    let t = rng.int(0, 20) * 1e6;
    while (t < 18e9) {
      const dur = (2 + rng.exp(6)) * 1e6;
      const key = keys[rng.int(0, keys.length - 1)];
      const op: Pending = { p, at: t, end: t + dur, f: rng.bool(0.5) ? 'write' : 'read', key, node: nodes[rng.int(0, 2)] };
      if (op.f === 'write') op.value = `${p}.${++version}`;
      pending.push(op);
      const lin = t + rng.float() * dur;
      planned.push({
        t: lin,
        run: () => {
          if (op.f === 'write') state.set(op.key, op.value!);
          else op.result = state.get(op.key) ?? null;
        },
      });
      t += dur + rng.exp(250) * 1e6;
    }
    free[p] = t;
  }
  planned.sort((a, b) => a.t - b.t);
  for (const x of planned) x.run();
  // one read on n3, cut off from the majority, answers from its own old copy
  const reads = pending.filter((o) => o.f === 'read' && o.at > staleAt && o.at < staleAt + 2e9);
  for (const r of reads) {
    const before = pending.filter((o) => o.f === 'write' && o.key === r.key && o.end < r.at).sort((a, b) => b.end - a.end);
    if (before.length >= 2 && before[0].value !== before[1].value) {
      r.result = before[1].value!;
      r.node = 'n3';
      stale = r;
      break;
    }
  }
  if (!stale) throw new Error(`seed ${seed}: no read to make stale`);
  const raw: Omit<HistoryEvent, 'index'>[] = [];
  for (const o of pending) {
    raw.push({ time: o.at, process: o.p, type: 'invoke', f: o.f, key: o.key, ...(o.f === 'write' ? { value: o.value } : {}), node: o.node });
    raw.push({ time: o.end, process: o.p, type: 'ok', f: o.f, key: o.key, value: o.f === 'write' ? o.value : o.result, node: o.node });
  }
  const part = { kind: 'partition', targets: ['n3'] };
  raw.push({ time: stale.at - 1.5e9, process: 'nemesis', type: 'info', f: 'start', value: part, meta: { fault: 'partition', targets: ['n3'], faultId: 1 } });
  raw.push({ time: stale.end + 2e9, process: 'nemesis', type: 'info', f: 'stop', value: part, meta: { fault: 'partition', targets: ['n3'], faultId: 1 } });
  raw.sort((a, b) => a.time - b.time);
  return raw.map((e, index) => ({ ...e, index }) as HistoryEvent);
}

export async function nonlinearizableSample(out: string): Promise<Sample> {
  const dir = join(out, 'nonlinearizable', 'etcd-register-seed3');
  mkdirSync(join(dir, 'nodes'), { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ test: 'etcd-register', seed: 3, workload: 'register', runtime: 'recorded' }, null, 2));
  writeFileSync(join(dir, 'history.jsonl'), registerHistory(3).map((e) => JSON.stringify(e)).join('\n') + '\n');
  // Recorded by hand in etcd's shape (nodes n1..n3, register over keys): judged by what etcd's
  // System names for a register run.
  const results = await rebuildReport(dir, () => ({ use: ['linearizability', 'stats'], skipped: {} }));
  return { name: 'nonlinearizable', dir, story: 'a stale read on n3 during a partition: no order of the ops on its key is legal', expect: anomalyKinds(results).filter((k) => k.startsWith('linearizability:')) };
}

export async function allSamples(out: string): Promise<Sample[]> {
  return [
    await validSample(out),
    await huntSample('stale-cache-read', 'ack-before-invalidate', 'cache-invalidation:stale-cache-read', out, 'a read served from b’s cache after a newer write was acked'),
    await huntSample('lost-write', 'vault-no-flush', 'durability:lost-write', out, 'an acked write gone from the final read after the primary was killed'),
    await huntSample('torn-dr', 'torn-barrier', 'dr-prefix:torn-dr-image', out, 'a dr image that is no prefix of the primary’s writes at the cut it claims'),
    // torn-barrier shows on the simulator as a cut mismatch; a torn image proper (no cut fits
    // at all, the blocks named) comes with the volatile-bitmap switch
    await huntSample('torn-dr-image', 'volatile-bitmap', 'dr-prefix:torn-dr-image', out, 'a dr image equal to the primary at no version cut, torn blocks named'),
    await nonlinearizableSample(out),
  ];
}
