// Fault windows from the nemesis events: when each fault was active, on which targets.
// Durability names the faults active around a lost write; stats splits latency by them.
import type { HistoryEvent } from '../../ground/history/types.js';
import { lastAtOrBelow } from '../sorted.js';

export interface FaultWindow {
  faultId: number | string | null;
  fault: string;
  targets: string[];
  startNs: number;
  /** Infinity when no stop was recorded (the fault lasted to the end of the history). */
  stopNs: number;
  startIndex: number;
  stopIndex: number;
  meta: Record<string, unknown>;
  stopMeta?: Record<string, unknown>;
}

export interface Recovery {
  node: string;
  timeNs: number;
  index: number;
  faultId: number | string | null;
}

const pairKey = (e: HistoryEvent): string => (e.meta?.faultId !== undefined ? `id:${String(e.meta.faultId)}` : `kind:${String(e.meta?.fault)}:${(e.meta?.targets ?? []).join(',')}`);

/** Pairs start with stop by meta.faultId (or, without ids, by fault kind and targets, first in
 *  first out). A stop with no start is ignored: it cannot widen what we know was active. */
export function faultWindows(nemesis: readonly HistoryEvent[]): FaultWindow[] {
  const out: FaultWindow[] = [];
  const open = new Map<string, FaultWindow[]>();
  for (const e of nemesis) {
    if (e.f === 'start') {
      const w: FaultWindow = {
        faultId: (e.meta?.faultId as number | string | undefined) ?? null,
        fault: String(e.meta?.fault ?? (typeof e.value === 'string' ? e.value : 'unknown')),
        targets: Array.isArray(e.meta?.targets) ? e.meta!.targets!.map(String) : [],
        startNs: e.time,
        stopNs: Infinity,
        startIndex: e.index,
        stopIndex: -1,
        meta: { ...(e.meta ?? {}) },
      };
      out.push(w);
      const k = pairKey(e);
      const q = open.get(k);
      if (q) q.push(w);
      else open.set(k, [w]);
    } else if (e.f === 'stop') {
      const q = open.get(pairKey(e));
      const w = q?.shift();
      if (w) {
        w.stopNs = e.time;
        w.stopIndex = e.index;
        w.stopMeta = { ...(e.meta ?? {}) };
      }
    }
  }
  return out;
}

/** `recovered` events: a node serves again after a failover (RTO). */
export function recoveries(nemesis: readonly HistoryEvent[]): Recovery[] {
  const out: Recovery[] = [];
  for (const e of nemesis) {
    if (e.f !== 'recovered') continue;
    out.push({
      node: String(e.meta?.node ?? e.node ?? '?'),
      timeNs: e.time,
      index: e.index,
      faultId: (e.meta?.faultId as number | string | undefined) ?? null,
    });
  }
  return out;
}

/** Faults whose active interval meets [t0, t1]. */
export function activeBetween(ws: readonly FaultWindow[], t0: number, t1: number): FaultWindow[] {
  return ws.filter((w) => w.startNs <= t1 && w.stopNs >= t0);
}

/** Union of fault windows (optionally only those matching `pick`) as sorted disjoint
 *  intervals, for O(log F) "was any fault active during this op" questions. */
export class IntervalSet {
  private readonly starts: Float64Array;
  private readonly stops: Float64Array;

  constructor(ws: readonly FaultWindow[], pick: (w: FaultWindow) => boolean = () => true) {
    const iv = ws.filter(pick).map((w) => [w.startNs, w.stopNs] as const).sort((x, y) => x[0] - y[0]);
    const merged: [number, number][] = [];
    for (const [s, t] of iv) {
      const last = merged[merged.length - 1];
      if (last && s <= last[1]) last[1] = Math.max(last[1], t);
      else merged.push([s, t]);
    }
    this.starts = Float64Array.from(merged.map((m) => m[0]));
    this.stops = Float64Array.from(merged.map((m) => m[1]));
  }

  get size(): number {
    return this.starts.length;
  }

  /** Does [t0, t1] meet any interval? (the last one starting at or before t1 ends after t0) */
  meets(t0: number, t1: number): boolean {
    const at = lastAtOrBelow(this.starts.length, (i) => this.starts[i], t1);
    return at >= 0 && this.stops[at] >= t0;
  }

  /** Is [t0, t1] wholly inside one interval? (the last one starting at or before t0) */
  covers(t0: number, t1: number): boolean {
    const at = lastAtOrBelow(this.starts.length, (i) => this.starts[i], t0);
    return at >= 0 && this.stops[at] >= t1;
  }
}

export const describeFault = (w: FaultWindow): string =>
  `${w.fault}${w.targets.length ? `(${w.targets.join(',')})` : ''}${w.faultId !== null ? `#${w.faultId}` : ''}`;
