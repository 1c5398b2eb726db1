// Run statistics as plain data for reports: per-op-type outcome counts, latency quantiles
// (overall, with and without faults active, per time window), throughput, failover time
// (RTO) and acked writes lost in a site loss (RPO). A checker that always says valid: it
// judges nothing, it measures. O(n log n).
import type { Operation } from '../../ground/history/types.js';
import type { CheckContext, Checker, CheckerResult } from '../types.js';
import { IntervalSet, describeFault, faultWindows, recoveries, type FaultWindow } from './faults.js';
import { Samples, type LatencySummary } from './quantile.js';
import { sitelossEras, eraOf, isWriteOp } from '../dr-prefix/writes.js';

export interface OutcomeCounts {
  ok: number;
  fail: number;
  info: number;
  open: number;
}

export interface WindowStats {
  startMs: number;
  endMs: number;
  /** Faults active at any point of the window (described, e.g. `kill(a)#3`). */
  faults: string[];
  /** ok completions per second in this window. */
  throughput: number;
  completed: Record<string, OutcomeCounts>;
  latency: Record<string, LatencySummary>;
}

export interface FailoverStats {
  faultId: number | string | null;
  fault: string;
  targets: string[];
  startMs: number;
  stopMs: number | null;
  /** From the fault's start to the `recovered` event the run loop recorded for it. */
  rtoMs: number | null;
  recoveredNode: string | null;
  /** From the fault's start to the first ok write invoked after it completed. */
  writeGapMs: number | null;
}

export interface SiteLossStats {
  faultId: number | string | null;
  startMs: number;
  stopMs: number | null;
  /** dr's cut the new primary started from (site-loss stop meta.cut); null if not recorded. */
  cut: number | null;
  ackedBefore: number;
  /** RPO as writes: acked writes with a version above the cut. */
  lostAckedWrites: number | null;
  lostWrites: { invoke: number; complete: number; version: number; block: string }[];
  /** RPO as time: from the first lost write's ack to the site loss. */
  rpoMs: number | null;
  rtoMs: number | null;
  writeGapMs: number | null;
}

export interface RunStats {
  durationMs: number;
  windowMs: number;
  ops: Record<string, OutcomeCounts & { total: number }>;
  latency: {
    all: Record<string, LatencySummary>;
    faultFree: Record<string, LatencySummary>;
    duringFaults: Record<string, LatencySummary>;
  };
  throughput: { okPerSec: number; perF: Record<string, number> };
  windows: WindowStats[];
  faults: { faultId: number | string | null; fault: string; targets: string[]; startMs: number; stopMs: number | null }[];
  failovers: FailoverStats[];
  rto: { count: number; maxMs: number | null; meanMs: number | null };
  siteLosses: SiteLossStats[];
}

const ms = (ns: number): number => Math.round(ns / 1e3) / 1e3;

/** 20 to 50 windows, each 1/2/5 x 10^k ms. */
function niceWindowMs(durationMs: number): number {
  const raw = Math.max(durationMs / 50, 0.001);
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (raw <= m * p) return m * p;
  return 10 * p;
}

/** First ok write invoked at or after t: the time from t to its completion. */
function makeWriteGap(ops: readonly Operation[]): (t: number) => number | null {
  const ws = ops.filter((o) => isWriteOp(o) && o.status === 'ok').sort((x, y) => x.start - y.start);
  const starts = Float64Array.from(ws.map((w) => w.start));
  const sufMin = new Float64Array(ws.length + 1).fill(Infinity);
  for (let i = ws.length - 1; i >= 0; i--) sufMin[i] = Math.min(sufMin[i + 1], ws[i].end);
  return (t) => {
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    return Number.isFinite(sufMin[lo]) ? ms(sufMin[lo] - t) : null;
  };
}

export function computeStats(ctx: CheckContext, opts: { windowMs?: number } = {}): RunStats {
  const { ops, nemesis } = ctx.paired;
  const events = ctx.events;
  // history times are ns since run start: windows and figures are on that clock
  const t0 = 0;
  const tEnd = events.length ? events[events.length - 1].time : 0;
  const durationMs = ms(tEnd - t0);
  const windowMs = opts.windowMs ?? (typeof ctx.run?.statsWindowMs === 'number' ? (ctx.run.statsWindowMs as number) : niceWindowMs(durationMs));
  const windowNs = windowMs * 1e6;
  const nWindows = Math.max(1, Math.ceil((tEnd - t0 + 1) / windowNs));

  const faults = faultWindows(nemesis);
  const anyFault = new IntervalSet(faults);

  const counts: Record<string, OutcomeCounts & { total: number }> = {};
  const all: Record<string, Samples> = {};
  const free: Record<string, Samples> = {};
  const during: Record<string, Samples> = {};
  const winCounts: Record<string, OutcomeCounts>[] = Array.from({ length: nWindows }, () => ({}));
  const winLat: Record<string, Samples>[] = Array.from({ length: nWindows }, () => ({}));
  const winOk = new Float64Array(nWindows);
  const get = (m: Record<string, Samples>, f: string): Samples => m[f] ?? (m[f] = new Samples());
  let okTotal = 0;
  const okPerF: Record<string, number> = {};
  for (const op of ops) {
    const c = counts[op.f] ?? (counts[op.f] = { ok: 0, fail: 0, info: 0, open: 0, total: 0 });
    c[op.status]++;
    c.total++;
    if (op.status === 'ok') {
      okTotal++;
      okPerF[op.f] = (okPerF[op.f] ?? 0) + 1;
    }
    // an info/open op has no end: it counts in the window it was invoked in, without latency
    const at = op.status === 'ok' || op.status === 'fail' ? op.end : op.start;
    const w = Math.min(nWindows - 1, Math.max(0, Math.floor((at - t0) / windowNs)));
    const wc = winCounts[w][op.f] ?? (winCounts[w][op.f] = { ok: 0, fail: 0, info: 0, open: 0 });
    wc[op.status]++;
    if (op.status === 'ok') winOk[w]++;
    if (op.status !== 'ok' && op.status !== 'fail') continue;
    const lat = (op.end - op.start) / 1e6;
    get(all, op.f).push(lat);
    get(anyFault.meets(op.start, op.end) ? during : free, op.f).push(lat);
    get(winLat[w], op.f).push(lat);
  }
  const summarizeAll = (m: Record<string, Samples>): Record<string, LatencySummary> => Object.fromEntries(Object.entries(m).map(([f, s]) => [f, s.summary()]));
  const secs = durationMs / 1000;
  const windows: WindowStats[] = [];
  for (let w = 0; w < nWindows; w++) {
    const ws = t0 + w * windowNs;
    const we = ws + windowNs;
    windows.push({
      startMs: ms(ws - t0),
      endMs: ms(we - t0),
      faults: faults.filter((f) => f.startNs < we && f.stopNs >= ws).map(describeFault),
      throughput: Math.round((winOk[w] / (windowMs / 1000)) * 1000) / 1000,
      completed: winCounts[w],
      latency: summarizeAll(winLat[w]),
    });
  }

  const writeGap = makeWriteGap(ops);
  const recs = recoveries(nemesis);
  const used = new Set<number>();
  const failovers: FailoverStats[] = faults.map((f) => {
    let rec = recs.find((r) => !used.has(r.index) && f.faultId !== null && r.faultId === f.faultId);
    rec ??= recs.find((r) => !used.has(r.index) && r.faultId === null && r.timeNs >= f.startNs);
    if (rec) used.add(rec.index);
    return {
      faultId: f.faultId,
      fault: f.fault,
      targets: f.targets,
      startMs: ms(f.startNs - t0),
      stopMs: Number.isFinite(f.stopNs) ? ms(f.stopNs - t0) : null,
      rtoMs: rec ? ms(rec.timeNs - f.startNs) : null,
      recoveredNode: rec?.node ?? null,
      writeGapMs: writeGap(f.startNs),
    };
  });
  const rtos = failovers.map((f) => f.rtoMs).filter((x): x is number => x !== null);

  const eras = sitelossEras(nemesis);
  const siteLosses: SiteLossStats[] = faults
    .filter((f) => f.fault === 'site-loss')
    .map((f) => {
      const cut = typeof f.stopMeta?.cut === 'number' ? (f.stopMeta.cut as number) : null;
      const era = eraOf(eras, f.startNs);
      const acked = ops.filter((o) => isWriteOp(o) && o.status === 'ok' && o.end < f.startNs && eraOf(eras, o.start) === era && typeof o.meta?.version === 'number');
      const lost = cut === null ? [] : acked.filter((o) => (o.meta!.version as number) > cut);
      const firstLostAck = lost.reduce((m, o) => Math.min(m, o.end), Infinity);
      const rec = failovers.find((x) => x.faultId === f.faultId && x.startMs === ms(f.startNs - t0));
      return {
        faultId: f.faultId,
        startMs: ms(f.startNs - t0),
        stopMs: Number.isFinite(f.stopNs) ? ms(f.stopNs - t0) : null,
        cut,
        ackedBefore: acked.length,
        lostAckedWrites: cut === null ? null : lost.length,
        lostWrites: lost.slice(0, 50).map((o) => ({ invoke: o.invokeIndex, complete: o.completeIndex, version: o.meta!.version as number, block: String(o.key) })),
        rpoMs: cut === null ? null : lost.length ? ms(f.startNs - firstLostAck) : 0,
        rtoMs: rec?.rtoMs ?? null,
        writeGapMs: rec?.writeGapMs ?? null,
      };
    });

  return {
    durationMs,
    windowMs,
    ops: counts,
    latency: { all: summarizeAll(all), faultFree: summarizeAll(free), duringFaults: summarizeAll(during) },
    throughput: {
      okPerSec: secs > 0 ? Math.round((okTotal / secs) * 1000) / 1000 : 0,
      perF: Object.fromEntries(Object.entries(okPerF).map(([f, n]) => [f, secs > 0 ? Math.round((n / secs) * 1000) / 1000 : 0])),
    },
    windows,
    faults: faults.map((f: FaultWindow) => ({ faultId: f.faultId, fault: f.fault, targets: f.targets, startMs: ms(f.startNs - t0), stopMs: Number.isFinite(f.stopNs) ? ms(f.stopNs - t0) : null })),
    failovers,
    rto: { count: rtos.length, maxMs: rtos.length ? Math.max(...rtos) : null, meanMs: rtos.length ? Math.round((rtos.reduce((a, b) => a + b, 0) / rtos.length) * 1000) / 1000 : null },
    siteLosses,
  };
}

export const statsChecker: Checker = (ctx: CheckContext): CheckerResult => ({
  valid: true,
  anomalies: [],
  stats: computeStats(ctx) as unknown as Record<string, unknown>,
});

export default statsChecker;
