// The latency invariant (SYSTEM.md mechanism 7, bug switch `sync-dr-journal`): replication
// to dr must not add latency to client writes. Two ways to judge it, either or both:
//
//  1. against a baseline (ctx.run.baselineWriteP50Ms / baselineWriteP99Ms), measured by the
//     run loop on a run of the same seed and workload with dr replication off (or with no
//     bug switch; in the sim runtime the same seed gives comparable virtual latencies):
//     fault-free write latency must stay within tolerance of the baseline;
//  2. within the run: ok writes invoked while dr alone was cut off (a fault whose targets
//     include `dr`, no other fault active) against ok writes with no fault active. Async replication
//     makes the two alike; a journal shipped on the IO path makes connected writes slower by
//     a round trip to dr, or makes writes stall or fail while dr is unreachable.
//
// "Within tolerance": measured <= reference * (1 + tolerance) + slackMs, tolerance 0.5 and
// slackMs 1 by default; 20 fault-free writes and 5 dr-cut writes at least
// (ctx.run.latency = {tolerance, slackMs, minSamples, minCutSamples} overrides).
import type { Anomaly, CheckContext, Checker, CheckerResult } from '../types.js';
import { IntervalSet, faultWindows } from './faults.js';
import { Samples, quantile, summarize } from './quantile.js';
import { isWriteOp } from '../dr-prefix/writes.js';

/** How far around a dr-only window connected writes count as its neighbours (3 s). */
const NEAR_NS = 3e9;

export interface LatencyOptions {
  tolerance: number;
  slackMs: number;
  /** Fault-free ok writes needed to judge at all. */
  minSamples: number;
  /** Writes invoked while dr alone was cut off needed for the within-run comparison: few by
   *  nature when writes wait on dr (each client sits in one write for the outage). */
  minCutSamples: number;
  /** Tolerance for p99 against a baseline p99: tails are noisy (sim, clean dr workload:
   *  p99 120 to 171 ms across seeds while p50 stays within 4.5 to 4.9 ms). */
  p99Tolerance: number;
}

const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

export function latencyOptions(run: Record<string, unknown> | undefined): LatencyOptions {
  const l = (run?.latency ?? {}) as Record<string, unknown>;
  const tolerance = num(l.tolerance) ?? 0.5;
  return { tolerance, slackMs: num(l.slackMs) ?? 1, minSamples: num(l.minSamples) ?? 20, minCutSamples: num(l.minCutSamples) ?? 5, p99Tolerance: num(l.p99Tolerance) ?? Math.max(1, tolerance) };
}

const exceeds = (measured: number, ref: number, o: LatencyOptions, tolerance = o.tolerance): boolean => measured > ref * (1 + tolerance) + o.slackMs;
/** The node of the remote replica whose effect on write latency is judged: the system names it
 *  as its `dr` part (ground/system.ts Topology.named), passed in the run context. */
function remoteNode(run: Record<string, unknown> | undefined): string {
  const parts = (run?.parts ?? {}) as Record<string, unknown>;
  return typeof parts.dr === 'string' ? parts.dr : 'dr';
}

export const latencyChecker: Checker = (ctx: CheckContext): CheckerResult => {
  const o = latencyOptions(ctx.run);
  const dr = remoteNode(ctx.run);
  const isDrFault = (targets: string[]): boolean => targets.includes(dr);
  const faults = faultWindows(ctx.paired.nemesis);
  const drOnly = new IntervalSet(faults, (f) => isDrFault(f.targets));
  const others = new IntervalSet(faults, (f) => !isDrFault(f.targets));
  const clean = new Samples();
  const drCut = new Samples();
  // Connected writes within NEAR_NS of a dr-only window: the in-run comparison's reference.
  // A run's own conditions drift (a partner that came back slower, a lossy stretch, clocks at
  // the bound's edges), so dr-cut writes are held to their neighbours, not to the whole run.
  const near = new Samples();
  const outcomes = { clean: { ok: 0, notOk: 0 }, drCut: { ok: 0, notOk: 0 } };
  const drCutEvents: number[] = [];
  for (const op of ctx.paired.ops) {
    if (!isWriteOp(op) || (op.f === 'cas' && op.status === 'fail')) continue; // a cas mismatch says nothing about latency
    const end = Number.isFinite(op.end) ? op.end : op.start;
    if (others.meets(op.start, end)) continue;
    // invoked while dr alone was cut off, wherever it ended: a write that waits for dr to
    // come back shows its wait here
    const inDr = drOnly.size > 0 && drOnly.covers(op.start, op.start);
    if (!inDr && drOnly.meets(op.start, end)) continue; // invoked before a dr fault, ended in it
    const group = inDr ? 'drCut' : 'clean';
    if (op.status === 'ok') {
      outcomes[group].ok++;
      (inDr ? drCut : clean).push((op.end - op.start) / 1e6);
      if (!inDr && drOnly.size > 0 && drOnly.meets(op.start - NEAR_NS, end + NEAR_NS)) near.push((op.end - op.start) / 1e6);
    } else {
      outcomes[group].notOk++;
      if (inDr && drCutEvents.length < 20) drCutEvents.push(op.invokeIndex);
    }
  }
  const cleanS = clean.summary();
  // One sorted copy serves the summary and the p25.
  const drSorted = Float64Array.from(drCut.view()).sort();
  const drS = summarize(drSorted);
  const drP25 = quantile(drSorted, 0.25) ?? 0;
  const drP75 = quantile(drSorted, 0.75) ?? 0;
  const local = near.summary().count >= o.minSamples ? near : clean;
  const localS = local.summary();
  const cleanP90 = quantile(Float64Array.from(local.view()).sort(), 0.9);
  const anomalies: Anomaly[] = [];
  const judged: string[] = [];
  const base50 = num(ctx.run?.baselineWriteP50Ms);
  const base99 = num(ctx.run?.baselineWriteP99Ms);
  if ((base50 !== null || base99 !== null) && cleanS.count >= o.minSamples) {
    judged.push('baseline');
    for (const [q, base] of [['p50', base50], ['p99', base99]] as const) {
      const m = cleanS[q];
      const tol = q === 'p99' ? o.p99Tolerance : o.tolerance;
      if (base === null || m === null || !exceeds(m, base, o, tol)) continue;
      anomalies.push({
        kind: 'dr-adds-latency',
        message: `fault-free write latency ${q} ${m} ms exceeds the baseline without dr replication (${base} ms) beyond tolerance (x${1 + tol} + ${o.slackMs} ms)`,
        events: [],
        quantile: q,
        measuredMs: m,
        baselineMs: base,
      });
    }
  }
  if (cleanS.count >= o.minSamples && outcomes.drCut.ok + outcomes.drCut.notOk >= o.minCutSamples) {
    judged.push('dr-cut windows');
    const okFrac = (g: { ok: number; notOk: number }): number => (g.ok + g.notOk ? g.ok / (g.ok + g.notOk) : 1);
    if (okFrac(outcomes.drCut) < 0.5 && okFrac(outcomes.clean) >= 0.9) {
      anomalies.push({
        kind: 'dr-outage-blocks-writes',
        message: `while only dr was cut off, ${outcomes.drCut.notOk} of ${outcomes.drCut.ok + outcomes.drCut.notOk} writes failed or timed out (vs ${outcomes.clean.notOk} of ${outcomes.clean.ok + outcomes.clean.notOk} with no fault): writes wait on dr`,
        events: drCutEvents,
        drCut: outcomes.drCut,
        clean: outcomes.clean,
      });
    } else if (drS.count >= o.minCutSamples && localS.p50 !== null && drS.p50 !== null && cleanP90 !== null) {
      // dr-cut samples are few and close in time, and writes stall together: one lost message to
      // b holds a write and those committed after it for a retry (100-400 ms on a lossy link,
      // which a swarm draws), and on a slow disk a write after dr's ack pays the recovery bitmap's
      // fsync. So each side is held to the other's spread, not its median: the typical connected
      // write slower than three in four dr-cut ones, or three in four dr-cut writes slower than
      // nine in ten connected ones. A journal on the write path fails both by far (it holds
      // nearly every dr-cut write for the outage: p25 205-577 ms).
      if (exceeds(localS.p50, drP75, o)) {
        anomalies.push({
          kind: 'dr-adds-latency',
          message: `write latency p50 with dr connected (${localS.p50} ms, writes around the dr windows) exceeds p75 while dr was cut off (${drP75} ms) beyond tolerance: replication to dr is on the write path`,
          events: [],
          connectedMs: localS.p50,
          drCutMs: drP75,
        });
      } else if (exceeds(drP25, cleanP90, o)) {
        anomalies.push({
          kind: 'dr-outage-slows-writes',
          message: `write latency p25 while dr was cut off (${drP25} ms) exceeds p90 with dr connected (${cleanP90} ms, writes around the dr windows) beyond tolerance: writes wait on dr`,
          events: [],
          connectedMs: cleanP90,
          drCutMs: drP25,
        });
      }
    }
  }
  const stats = { options: o, faultFreeWrites: cleanS, nearDrWrites: localS, drCutWrites: { ...drS, p25: drS.count ? drP25 : null }, outcomes, baseline: { p50: base50, p99: base99 }, judgedBy: judged };
  if (anomalies.length) return { valid: false, anomalies, stats };
  if (judged.length === 0) {
    const why =
      cleanS.count < o.minSamples
        ? `only ${cleanS.count} fault-free ok write(s) (need ${o.minSamples})`
        : `no baseline (ctx.run.baselineWriteP50Ms / baselineWriteP99Ms) and only ${outcomes.drCut.ok + outcomes.drCut.notOk} write(s) while dr alone was cut off (need ${o.minCutSamples})`;
    return { valid: 'unknown', anomalies, reason: `cannot judge dr's effect on write latency: ${why}`, stats };
  }
  return { valid: true, anomalies, stats };
};

export default latencyChecker;
