// Facts a report draws, derived from a history: op latencies and fault windows.
import type { HistoryEvent } from '../ground/history/types.js';

export interface OpPoint {
  /** Seconds since the first event, at the op's invocation. */
  t: number;
  /** Latency in ms (completion time - invocation time). */
  ms: number;
  f: string;
  type: 'ok' | 'fail' | 'info';
  process: number;
}

export interface FaultWindow {
  id: number;
  kind: string;
  label: string;
  targets: string[];
  start: number; // s
  end: number; // s (end of history when never stopped)
  error?: string;
}

/** Charts count time from the first event: a runtime's clock may start before the cluster is
 *  up (docker counts image checks and container boot), which is not part of the run's story. */
export function baseTime(events: readonly HistoryEvent[]): number {
  return events.length ? events[0].time : 0;
}

export function opPoints(events: readonly HistoryEvent[]): OpPoint[] {
  const base = baseTime(events);
  const open = new Map<number, HistoryEvent>();
  const out: OpPoint[] = [];
  for (const e of events) {
    if (typeof e.process !== 'number') continue;
    if (e.type === 'invoke') open.set(e.process, e);
    else {
      const inv = open.get(e.process);
      if (!inv) continue;
      open.delete(e.process);
      out.push({ t: (inv.time - base) / 1e9, ms: (e.time - inv.time) / 1e6, f: e.f, type: e.type, process: e.process });
    }
  }
  return out;
}

export function faultWindows(events: readonly HistoryEvent[]): FaultWindow[] {
  const base = baseTime(events);
  const end = events.length ? (events[events.length - 1].time - base) / 1e9 : 0;
  const open = new Map<number, FaultWindow>();
  const out: FaultWindow[] = [];
  for (const e of events) {
    if (e.process !== 'nemesis') continue;
    const id = Number(e.meta?.faultId ?? -1);
    const v = (e.value ?? {}) as Record<string, unknown>;
    if (e.f === 'start') {
      const targets = (e.meta?.targets ?? []) as string[];
      const kind = String(e.meta?.fault ?? v.kind ?? 'fault');
      const shape = (e.meta?.shape ?? v.shape) as string | undefined;
      const w: FaultWindow = { id, kind, label: `${kind}${shape ? ` ${shape}` : ''} ${targets.join('+')}`, targets, start: (e.time - base) / 1e9, end };
      open.set(id, w);
      out.push(w);
    } else if (e.f === 'stop') {
      const w = open.get(id);
      if (w) {
        w.end = (e.time - base) / 1e9;
        if (e.meta?.error) w.error = String(e.meta.error);
        open.delete(id);
      }
    }
  }
  return out;
}

export const FAULT_COLOURS: Record<string, string> = {
  partition: 'rgba(220, 120, 40, 0.18)',
  kill: 'rgba(200, 40, 40, 0.18)',
  'kill-unsynced': 'rgba(150, 20, 90, 0.18)',
  pause: 'rgba(60, 90, 200, 0.18)',
  'lose-journal': 'rgba(120, 60, 160, 0.35)',
  'site-loss': 'rgba(0, 0, 0, 0.25)',
};
export function faultColour(kind: string): string {
  return FAULT_COLOURS[kind] ?? 'rgba(128, 128, 128, 0.2)';
}
