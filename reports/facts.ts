// Facts a report draws, derived from the history alone (pure, one pass where it can be): the
// operations as compact columns, fault windows, who acknowledged writes when, recoveries, write
// gaps, and why operations failed. Nothing here knows node names, checker names or a system:
// it reads only the fields of the history schema (ground/history/types.ts).
import type { HistoryEvent } from '../ground/history/types.js';

export type Outcome = 'ok' | 'fail' | 'info' | 'open';
export const OUTCOMES: readonly Outcome[] = ['ok', 'fail', 'info', 'open'];

/** Client operations as columns (a 1,000,000-op history stays a few typed arrays). Times are ns
 *  since the report's origin (see originOf). `end` is the history's end for open ops. */
export interface OpColumns {
  n: number;
  start: Float64Array;
  end: Float64Array;
  /** Index into `outcomes`. */
  outcome: Uint8Array;
  /** Index into `lanes` (one per client process, in order of first appearance sorted by id). */
  lane: Uint32Array;
  /** Index into `fs`. */
  f: Uint16Array;
  invokeIndex: Int32Array;
  completeIndex: Int32Array;
  lanes: string[];
  fs: string[];
}

export interface FaultWindow {
  id: number | string;
  kind: string;
  label: string;
  targets: string[];
  /** ns since origin; end is the history's end when never stopped. */
  start: number;
  end: number;
  stopped: boolean;
  error?: string;
}

export interface Recovery {
  time: number;
  node: string;
  faultId?: number | string;
}

/** A stretch of time in which one node acknowledged every write-like op, under one epoch. */
export interface RoleSegment {
  node: string;
  epoch?: number;
  start: number;
  end: number;
  acks: number;
}

export interface ReasonRow {
  f: string;
  type: 'fail' | 'info' | 'open';
  reason: string;
  count: number;
  duringFaults: number;
}

export interface RunShape {
  /** Absolute history time (ns) the report counts from. */
  origin: number;
  /** ns from origin to the last event. */
  span: number;
  ops: OpColumns;
  faults: FaultWindow[];
  recoveries: Recovery[];
  roles: RoleSegment[];
  reasons: ReasonRow[];
  /** History index -> op number (for anomaly events), -1 for nemesis events. */
  opOfEvent: (index: number) => number;
  /** History index -> event. */
  eventAt: (index: number) => HistoryEvent | undefined;
  /** Ops by key (String(key)), in invocation order; built on first use. */
  opsByKey: () => Map<string, number[]>;
  /** Acknowledged write-like ops sorted by the version they were given; built on first use. */
  writesByVersion: () => { version: Float64Array; op: Int32Array };
}

/** Reads that observe state, as opposed to ops that change it; everything else counts as a
 *  write when asking "who acknowledged writes". Unknown f names count as writes only when they
 *  carry a version or epoch, so an unfamiliar read-only op does not invent a primary. */
const READ_LIKE = /^(read|get|final-read|scan|list|members|contains|status|dr-.*|health.*)$/;
export function isWriteLike(e: HistoryEvent): boolean {
  if (READ_LIKE.test(e.f)) return false;
  if (/^(write|cas|put|append|add|set|incr|delete|del|swap|txn|transfer|enqueue|dequeue)$/.test(e.f)) return true;
  return e.meta?.version !== undefined || e.meta?.epoch !== undefined;
}

export function faultWindows(events: readonly HistoryEvent[], origin: number, endNs: number): FaultWindow[] {
  const open = new Map<string, FaultWindow>();
  const out: FaultWindow[] = [];
  let anon = 0;
  for (const e of events) {
    if (e.process !== 'nemesis' || (e.f !== 'start' && e.f !== 'stop')) continue;
    const v = (e.value && typeof e.value === 'object' ? e.value : {}) as Record<string, unknown>;
    const kind = String(e.meta?.fault ?? v.kind ?? (typeof e.value === 'string' ? e.value : 'fault'));
    const targets = (Array.isArray(e.meta?.targets) ? e.meta!.targets : Array.isArray(v.targets) ? v.targets : []).map(String);
    const id = (e.meta?.faultId as number | string | undefined) ?? `${kind}:${targets.join('+')}`;
    if (e.f === 'start') {
      const shape = (e.meta?.shape ?? v.shape) as string | undefined;
      const w: FaultWindow = {
        id: id ?? `anon${anon++}`,
        kind,
        label: `${kind}${shape && shape !== kind ? ` ${shape}` : ''}${targets.length ? ` ${targets.join('+')}` : ''}`,
        targets,
        start: e.time - origin,
        end: endNs,
        stopped: false,
      };
      open.set(String(w.id), w);
      out.push(w);
    } else {
      const w = open.get(String(id));
      if (!w) continue;
      w.end = e.time - origin;
      w.stopped = true;
      if (e.meta?.error) w.error = String(e.meta.error);
      open.delete(String(id));
    }
  }
  return out;
}

/** Sorted, merged fault intervals, for "did this op overlap a fault" in O(log F). */
export function faultCover(faults: readonly FaultWindow[]): (s: number, e: number) => boolean {
  const iv = faults.map((w) => [w.start, w.end] as [number, number]).sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [s, e] of iv) {
    const last = merged[merged.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else merged.push([s, e]);
  }
  const starts = merged.map((m) => m[0]);
  return (s, e) => {
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] <= e) lo = mid + 1;
      else hi = mid;
    }
    // the last interval starting at or before e: does it reach s?
    return lo > 0 && merged[lo - 1][1] >= s;
  };
}

/** The time a report counts from: the run's start (history time 0) when the history's times
 *  are counted from it, as the schema says, so every drawing, event line and results.json
 *  figure agree; the first event when the times are absolute (a wall clock in ns). */
export function originOf(events: readonly HistoryEvent[]): number {
  if (!events.length) return 0;
  const first = events[0].time;
  const last = events[events.length - 1].time;
  return first >= 0 && first <= last - first ? 0 : first;
}

export function runShape(events: readonly HistoryEvent[]): RunShape {
  const origin = originOf(events);
  const span = events.length ? Math.max(0, events[events.length - 1].time - origin) : 0;
  const dense = events.every((e, i) => e.index === i);
  const byIndex = dense ? null : new Map(events.map((e, i) => [e.index, i]));
  const pos = (index: number) => (dense ? (index >= 0 && index < events.length ? index : -1) : (byIndex!.get(index) ?? -1));

  // ops as columns, paired per process
  let count = 0;
  for (const e of events) if (e.type === 'invoke' && e.process !== 'nemesis') count++;
  const ops: OpColumns = {
    n: 0,
    start: new Float64Array(count),
    end: new Float64Array(count),
    outcome: new Uint8Array(count),
    lane: new Uint32Array(count),
    f: new Uint16Array(count),
    invokeIndex: new Int32Array(count),
    completeIndex: new Int32Array(count),
    lanes: [],
    fs: [],
  };
  const opAt = new Int32Array(events.length).fill(-1);
  const laneOf = new Map<string | number, number>();
  const fOf = new Map<string, number>();
  const openOp = new Map<string | number, number>();
  const procs: (string | number)[] = [];
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (e.process === 'nemesis') continue;
    if (e.type === 'invoke') {
      let l = laneOf.get(e.process);
      if (l === undefined) {
        l = procs.length;
        laneOf.set(e.process, l);
        procs.push(e.process);
      }
      let f = fOf.get(e.f);
      if (f === undefined) {
        f = ops.fs.length;
        fOf.set(e.f, f);
        ops.fs.push(e.f);
      }
      const k = ops.n++;
      ops.start[k] = e.time - origin;
      ops.end[k] = span;
      ops.outcome[k] = 3;
      ops.lane[k] = l;
      ops.f[k] = f;
      ops.invokeIndex[k] = e.index;
      ops.completeIndex[k] = -1;
      openOp.set(e.process, k);
      opAt[i] = k;
    } else {
      const k = openOp.get(e.process);
      if (k === undefined) continue;
      openOp.delete(e.process);
      ops.end[k] = e.time - origin;
      ops.outcome[k] = e.type === 'ok' ? 0 : e.type === 'fail' ? 1 : 2;
      ops.completeIndex[k] = e.index;
      opAt[i] = k;
    }
  }
  // Lanes in process order (numbers first, ascending), so p0 is on top as in every other view.
  const order = procs.map((p, i) => [p, i] as const).sort((a, b) => (typeof a[0] === 'number' && typeof b[0] === 'number' ? a[0] - b[0] : String(a[0]).localeCompare(String(b[0]), 'en', { numeric: true })));
  const remap = new Uint32Array(procs.length);
  order.forEach(([, old], i) => (remap[old] = i));
  for (let k = 0; k < ops.n; k++) ops.lane[k] = remap[ops.lane[k]];
  ops.lanes = order.map(([p]) => (typeof p === 'number' ? `p${p}` : String(p)));

  const faults = faultWindows(events, origin, span);
  const recoveries: Recovery[] = [];
  for (const e of events) {
    if (e.process === 'nemesis' && e.f === 'recovered') {
      const v = (e.value ?? {}) as Record<string, unknown>;
      recoveries.push({ time: e.time - origin, node: String(e.meta?.node ?? e.node ?? v.node ?? '?'), ...(e.meta?.faultId !== undefined ? { faultId: e.meta.faultId as number } : {}) });
    }
  }

  // who acknowledged writes when: consecutive ok write-like completions by the same node+epoch
  const roles: RoleSegment[] = [];
  const last = new Map<string, RoleSegment>();
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (e.type !== 'ok' || e.process === 'nemesis' || !e.node || !isWriteLike(e)) continue;
    const epoch = typeof e.meta?.epoch === 'number' ? e.meta.epoch : undefined;
    const t = e.time - origin;
    const prev = last.get(e.node);
    // a node's stretch continues across other nodes' acks (two primaries at once show as
    // two overlapping stretches), and ends when its epoch changes
    if (prev && prev.epoch === epoch) {
      prev.end = t;
      prev.acks++;
    } else {
      const seg: RoleSegment = { node: e.node, ...(epoch !== undefined ? { epoch } : {}), start: t, end: t, acks: 1 };
      roles.push(seg);
      last.set(e.node, seg);
    }
  }

  // fail / info / open by f and reason, and how many overlapped a fault
  const covered = faultCover(faults);
  const reasonMap = new Map<string, ReasonRow>();
  for (let k = 0; k < ops.n; k++) {
    const o = ops.outcome[k];
    if (o === 0) continue;
    const ce = ops.completeIndex[k] >= 0 ? events[pos(ops.completeIndex[k])] : undefined;
    const type = o === 1 ? 'fail' : o === 2 ? 'info' : 'open';
    const reason = ce?.meta?.error !== undefined ? String(ce.meta.error) : type === 'open' ? 'never completed' : 'no reason given';
    const f = ops.fs[ops.f[k]];
    const key = `${f}\u0000${type}\u0000${reason}`;
    let row = reasonMap.get(key);
    if (!row) reasonMap.set(key, (row = { f, type, reason, count: 0, duringFaults: 0 }));
    row.count++;
    if (covered(ops.start[k], ops.end[k])) row.duringFaults++;
  }
  const reasons = [...reasonMap.values()].sort((a, b) => b.count - a.count);

  let byKey: Map<string, number[]> | null = null;
  let byVersion: { version: Float64Array; op: Int32Array } | null = null;
  return {
    origin,
    span,
    ops,
    faults,
    recoveries,
    roles,
    reasons,
    opsByKey: () => {
      if (byKey) return byKey;
      byKey = new Map();
      for (let k = 0; k < ops.n; k++) {
        const key = events[pos(ops.invokeIndex[k])]?.key;
        if (key === undefined || key === null) continue;
        const s = String(key);
        let list = byKey.get(s);
        if (!list) byKey.set(s, (list = []));
        list.push(k);
      }
      return byKey;
    },
    writesByVersion: () => {
      if (byVersion) return byVersion;
      const pairs: [number, number][] = [];
      for (let k = 0; k < ops.n; k++) {
        if (ops.outcome[k] !== 0) continue;
        const done = events[pos(ops.completeIndex[k])];
        const v = done?.meta?.version;
        if (typeof v === 'number' && isWriteLike(done)) pairs.push([v, k]);
      }
      pairs.sort((a, b) => a[0] - b[0]);
      byVersion = { version: Float64Array.from(pairs, (p) => p[0]), op: Int32Array.from(pairs, (p) => p[1]) };
      return byVersion;
    },
    opOfEvent: (index) => {
      const p = pos(index);
      return p < 0 ? -1 : opAt[p];
    },
    eventAt: (index) => {
      const p = pos(index);
      return p < 0 ? undefined : events[p];
    },
  };
}

/** Per fault: how long writes stopped (fault start to the first acknowledged write invoked after
 *  it, as the stats checker counts), and the recovery the nemesis recorded for it (RTO). */
export interface FaultImpact {
  fault: FaultWindow;
  writeGap: { from: number; to: number } | null;
  recovery: Recovery | null;
}

export function faultImpacts(shape: RunShape, writeFs: (f: string) => boolean): FaultImpact[] {
  const { ops } = shape;
  // ok write-like ops sorted by start, with the suffix minimum of their ends
  const idx: number[] = [];
  for (let k = 0; k < ops.n; k++) if (ops.outcome[k] === 0 && writeFs(ops.fs[ops.f[k]])) idx.push(k);
  idx.sort((a, b) => ops.start[a] - ops.start[b]);
  const sufMin = new Float64Array(idx.length + 1).fill(Infinity);
  for (let i = idx.length - 1; i >= 0; i--) sufMin[i] = Math.min(sufMin[i + 1], ops.end[idx[i]]);
  const used = new Set<Recovery>();
  return shape.faults.map((w) => {
    let lo = 0;
    let hi = idx.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ops.start[idx[mid]] < w.start) lo = mid + 1;
      else hi = mid;
    }
    const to = sufMin[lo];
    let rec = shape.recoveries.find((r) => !used.has(r) && r.faultId !== undefined && String(r.faultId) === String(w.id)) ?? null;
    rec ??= shape.recoveries.find((r) => !used.has(r) && r.faultId === undefined && r.time >= w.start) ?? null;
    if (rec) used.add(rec);
    return { fault: w, writeGap: Number.isFinite(to) ? { from: w.start, to } : null, recovery: rec };
  });
}

/** Latency summaries of ok ops per f, split by whether the op overlapped a fault. */
export interface LatencyRow {
  f: string;
  faultFree: Summary | null;
  duringFaults: Summary | null;
}
export interface Summary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function summarize(msValues: Float64Array): Summary | null {
  if (!msValues.length) return null;
  const s = msValues.slice().sort();
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { count: s.length, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: s[s.length - 1] };
}

export function latencySplit(shape: RunShape): LatencyRow[] {
  const { ops } = shape;
  const covered = faultCover(shape.faults);
  const buckets = ops.fs.map(() => ({ free: [] as number[], during: [] as number[] }));
  for (let k = 0; k < ops.n; k++) {
    if (ops.outcome[k] !== 0) continue;
    const ms = (ops.end[k] - ops.start[k]) / 1e6;
    (covered(ops.start[k], ops.end[k]) ? buckets[ops.f[k]].during : buckets[ops.f[k]].free).push(ms);
  }
  return ops.fs
    .map((f, i) => ({ f, faultFree: summarize(Float64Array.from(buckets[i].free)), duringFaults: summarize(Float64Array.from(buckets[i].during)) }))
    .filter((r) => r.faultFree || r.duringFaults)
    .sort((a, b) => (b.faultFree?.count ?? 0) + (b.duringFaults?.count ?? 0) - (a.faultFree?.count ?? 0) - (a.duringFaults?.count ?? 0) || a.f.localeCompare(b.f));
}
