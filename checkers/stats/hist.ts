// A small builder for hand-written histories in tests: one event a millisecond, indexes in
// order, and helpers for the conventions of checkers/README.md.
import type { EventMeta, HistoryEvent, ProcessId } from '../../ground/history/types.js';
import { pairHistory } from '../../ground/history/pair.js';
import type { CheckContext } from '../types.js';

export class Hist {
  readonly events: HistoryEvent[] = [];
  private t = 0;

  ev(process: ProcessId, type: HistoryEvent['type'], f: string, key?: number, value?: unknown, node?: string, meta?: EventMeta): number {
    this.t += 1e6;
    const e: HistoryEvent = { index: this.events.length, time: this.t, process, type, f };
    if (key !== undefined) e.key = key;
    if (value !== undefined) e.value = value;
    if (node !== undefined) e.node = node;
    if (meta !== undefined) e.meta = meta;
    this.events.push(e);
    return e.index;
  }

  /** Advance the clock by ms without an event. */
  wait(ms: number): this {
    this.t += ms * 1e6;
    return this;
  }

  /** An acked write; returns [invoke, ok] indexes. */
  write(p: number, key: number, value: string, version: number, node = 'a'): [number, number] {
    return [this.ev(p, 'invoke', 'write', key, value, node), this.ev(p, 'ok', 'write', key, value, node, { version })];
  }

  read(p: number, key: number, value: string | null, version: number | undefined, source: 'cache' | 'oplog' | 'backend' | undefined, node = 'a', meta: EventMeta = {}): [number, number] {
    const m: EventMeta = { ...meta };
    if (source !== undefined) m.source = source;
    if (version !== undefined) m.version = version;
    return [this.ev(p, 'invoke', 'read', key, undefined, node, meta.final ? { final: true } : undefined), this.ev(p, 'ok', 'read', key, value, node, m)];
  }

  finalRead(p: number, key: number, value: string | null, version: number | undefined): [number, number] {
    return this.read(p, key, value, version, 'backend', 'a', { final: true });
  }

  snapshot(p: number, image: Record<number, [string, number]>, meta: EventMeta = {}): [number, number] {
    const img = Object.fromEntries(Object.entries(image).map(([k, [value, version]]) => [k, { value, version }]));
    return [this.ev(p, 'invoke', 'dr-snapshot', undefined, undefined, 'dr'), this.ev(p, 'ok', 'dr-snapshot', undefined, img, 'dr', { consistent: true, ...meta })];
  }

  restore(p: number, barrier: number, image: Record<number, [string, number]>, meta: EventMeta = {}): [number, number] {
    const img = Object.fromEntries(Object.entries(image).map(([k, [value, version]]) => [k, { value, version }]));
    return [this.ev(p, 'invoke', 'dr-restore', undefined, barrier, 'dr'), this.ev(p, 'ok', 'dr-restore', undefined, img, 'dr', { barrier, ...meta })];
  }

  start(fault: NonNullable<EventMeta['fault']>, targets: string[], faultId: number, meta: EventMeta = {}): number {
    return this.ev('nemesis', 'info', 'start', undefined, undefined, undefined, { fault, targets, faultId, ...meta });
  }

  stop(fault: NonNullable<EventMeta['fault']>, targets: string[], faultId: number, meta: EventMeta = {}): number {
    return this.ev('nemesis', 'info', 'stop', undefined, undefined, undefined, { fault, targets, faultId, ...meta });
  }

  ctx(run?: Record<string, unknown>): CheckContext {
    return contextOf(this.events, run);
  }
}

export const contextOf = (events: HistoryEvent[], run?: Record<string, unknown>): CheckContext => ({ events, paired: pairHistory(events), run });

/** Inserts events after position `at` (indexes renumbered; times just after the event
 *  before, so they keep the history's order). */
export function insertAfter(events: readonly HistoryEvent[], at: number, add: Omit<HistoryEvent, 'index' | 'time'>[]): HistoryEvent[] {
  const t = events[at].time;
  const next = at + 1 < events.length ? events[at + 1].time : t + add.length + 1;
  const step = (next - t) / (add.length + 1);
  const out = [...events.slice(0, at + 1), ...add.map((e, i) => ({ ...e, index: 0, time: t + step * (i + 1) }) as HistoryEvent), ...events.slice(at + 1)];
  return out.map((e, i) => (e.index === i ? e : { ...e, index: i }));
}
