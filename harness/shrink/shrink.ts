// Shrinking a failing sim run: rerun edited copies of its config (the fault plan is data,
// and the op count and length are knobs) and keep every edit after which the same anomaly
// kind still appears. The simulator makes each rerun a pure function of the config, so
// "still fails" is a fact, not a flaky guess. Greedy, in the order that pays most:
// drop faults (halves, then quarters, ... then one at a time), shorten the run to just past
// its last fault, thin the ops, lower the concurrency, shorten each fault.
import { rmSync } from 'node:fs';
import { readRunHistory } from '../../ground/history/run-history.js';
import { join } from 'node:path';
import type { RunConfig } from '../run/config.js';
import type { HistoryEvent } from '../../ground/history/types.js';
import { anomalyKinds, runOnSim } from '../sweep/seed-run.js';

export interface Attempt {
  config: RunConfig;
  kinds: string[];
  ops: number;
  still: boolean;
  what: string;
}

export interface ShrinkResult {
  target: string;
  original: { faults: number; ops: number; timeLimitS: number; concurrency: number };
  minimal: { faults: number; ops: number; timeLimitS: number; concurrency: number };
  config: RunConfig;
  attempts: number;
  accepted: string[];
}

export interface ShrinkOptions {
  /** Scratch directory for the reruns (each rerun's directory is removed after). */
  scratch: string;
  /** Stop after this many reruns. */
  maxAttempts?: number;
  onAttempt?: (a: Attempt, n: number) => void;
  /** A signal: no further rerun starts; the smallest failing run so far is the result. */
  signal?: AbortSignal;
}

/** Workload ops the run invoked (final reads and the nemesis excluded). */
export function countOps(events: readonly HistoryEvent[]): number {
  let n = 0;
  for (const e of events) if (e.type === 'invoke' && typeof e.process === 'number' && !e.meta?.final) n++;
  return n;
}

function readEvents(dir: string): HistoryEvent[] {
  return readRunHistory(join(dir, 'history.jsonl'));
}

export async function tryConfig(config: RunConfig, scratch: string, target: string): Promise<{ kinds: string[]; ops: number; still: boolean }> {
  const r = await runOnSim(config, scratch);
  const ops = countOps(readEvents(r.dir));
  rmSync(r.dir, { recursive: true, force: true });
  const kinds = anomalyKinds(r.results);
  return { kinds, ops, still: kinds.includes(target) };
}

const faultEnd = (c: RunConfig) => c.plan.reduce((m, s) => Math.max(m, s.at + s.durationMs), 0);

export async function shrink(start: RunConfig, target: string, startOps: number, opts: ShrinkOptions): Promise<ShrinkResult> {
  const max = opts.maxAttempts ?? 200;
  let best: RunConfig = { ...start, planGiven: true };
  let bestOps = startOps;
  let attempts = 0;
  const accepted: string[] = [];
  const tried = new Set<string>();

  const attempt = async (cand: RunConfig, what: string): Promise<boolean> => {
    if (attempts >= max || opts.signal?.aborted) return false;
    // The same candidate twice would give the same answer: the sim is deterministic.
    const key = JSON.stringify(cand);
    if (tried.has(key)) return false;
    tried.add(key);
    attempts++;
    const r = await tryConfig(cand, opts.scratch, target);
    opts.onAttempt?.({ config: cand, kinds: r.kinds, ops: r.ops, still: r.still, what }, attempts);
    if (r.still) {
      best = cand;
      bestOps = r.ops;
      accepted.push(what);
    }
    return r.still;
  };

  // Passes repeat while one of them still removes something: fewer writers can make fewer ops
  // enough, a shorter run can make a fault droppable.
  for (let round = 0; round < 3 && attempts < max; round++) {
    const before = accepted.length;
    // 1. Faults: try removing chunks, halving the chunk size down to single steps.
    for (let size = Math.max(1, Math.ceil(best.plan.length / 2)); size >= 1 && best.plan.length > 0; size = size === 1 ? 0 : Math.ceil(size / 2)) {
      for (let i = 0; i < best.plan.length && attempts < max; ) {
        const removed = best.plan.slice(i, i + size);
        const cand = { ...best, plan: [...best.plan.slice(0, i), ...best.plan.slice(i + size)] };
        if (!(await attempt(cand, `drop fault(s) ${removed.map((s) => `${s.id}:${s.kind}`).join(',')}`))) i += size;
      }
    }

    // 2. Length: just past the last fault (plus time for its effect to show), then halvings.
    const floorS = Math.max(1, Math.ceil(faultEnd(best) / 1000) + 1);
    for (const t of [floorS, ...halvings(best.timeLimitS, floorS)]) {
      if (t < best.timeLimitS && attempts < max) await attempt({ ...best, timeLimitS: t }, `time limit ${t}s`);
    }

    // 3. Ops: fewer and fewer while it still fails.
    for (let f = 0.5; attempts < max && bestOps > 1; ) {
      const limit = Math.max(1, Math.floor(bestOps * f));
      if (limit >= bestOps) break;
      if (!(await attempt({ ...best, opLimit: limit }, `op limit ${limit}`))) {
        if (f >= 0.9) break;
        f = f < 0.75 ? 0.75 : 0.9;
      }
    }

    // 4. Concurrency.
    for (const c of [1, 2, Math.floor(best.concurrency / 2)]) {
      if (c >= 1 && c < best.concurrency && attempts < max) await attempt({ ...best, concurrency: c }, `concurrency ${c}`);
    }

    // 5. Each remaining fault shorter.
    for (let i = 0; i < best.plan.length && attempts < max; i++) {
      const s = best.plan[i];
      if (s.durationMs < 200) continue;
      const plan = best.plan.map((x, j) => (j === i ? { ...x, durationMs: Math.round(x.durationMs / 2) } : x));
      await attempt({ ...best, plan }, `fault ${s.id} lasts ${Math.round(s.durationMs / 2)}ms`);
    }
    if (accepted.length === before) break;
  }

  return {
    target,
    original: { faults: start.plan.length, ops: startOps, timeLimitS: start.timeLimitS, concurrency: start.concurrency },
    minimal: { faults: best.plan.length, ops: bestOps, timeLimitS: best.timeLimitS, concurrency: best.concurrency },
    config: best,
    attempts,
    accepted,
  };
}

function halvings(from: number, floor: number): number[] {
  const out: number[] = [];
  for (let t = Math.floor(from / 2); t >= floor; t = Math.floor(t / 2)) out.push(t);
  return out;
}
