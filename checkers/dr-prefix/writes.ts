// The writes the primary accepted, indexed by block and by version, per era. Shared by the
// dr-prefix, convergence and durability checkers, and by cache-invalidation for eras.
//
// Versions: the primary numbers every accepted write, strictly increasing across the
// volume. Acked writes carry their version; an indeterminate (info) write's version is only
// learned when an observation (a read, a dr image) shows its value with a version we never
// saw acked. An observed (block, version, value) that no write could have produced is a
// phantom: the checker that sees it reports it.
//
// Eras: a site loss destroys the primary site; the new primary starts from dr's image at
// cut C (the site-loss `stop` event's meta.cut). Writes of the old era with version <= C
// carry into the new era; later ones are lost (that is the RPO, not a durability bug) and
// their version numbers may be reused. Each era has its own index.
import type { HistoryEvent, Operation } from '../../ground/history/types.js';
import type { Paired } from '../../ground/history/pair.js';
import { lastAtOrBelow } from '../sorted.js';

export interface Entry {
  key: string;
  version: number;
  value: unknown;
  /** The write (or cas) that produced it. */
  op: Operation;
  /** false: an indeterminate write whose version was learned from an observation. */
  acked: boolean;
}

export interface Era {
  index: number;
  /** Ops invoked at or after this time (ns) belong to this era. */
  startNs: number;
  /** Old-era writes with version <= carriedCut live on; null: the cut was not recorded. */
  carriedCut: number | null;
  /** History index of the site-loss stop that opened the era (-1 for the first era). */
  openedBy: number;
}

export interface Observation {
  key: string;
  version: number;
  value: unknown;
  /** The op that observed it (its invoke time picks the era). */
  op: Operation;
}

/** Observations are visited, not collected: a million image entries need no million objects. */
export type Visit = (key: string, version: number, value: unknown, op: Operation) => void;
export type ObservationSource = (visit: Visit) => void;

export const keyOf = (k: unknown): string => (typeof k === 'string' ? k : String(k));
export const isWriteOp = (op: Operation): boolean => op.f === 'write' || op.f === 'cas';
export const writtenValue = (op: Operation): unknown => (op.f === 'cas' ? (Array.isArray(op.input) ? op.input[1] : undefined) : op.input);
export const valueKey = (v: unknown): string => (typeof v === 'string' ? `s${v}` : `j${JSON.stringify(v ?? null)}`);
export const sameValue = (a: unknown, b: unknown): boolean => a === b || valueKey(a) === valueKey(b);

export function sitelossEras(nemesis: readonly HistoryEvent[]): Era[] {
  const eras: Era[] = [{ index: 0, startNs: -Infinity, carriedCut: null, openedBy: -1 }];
  for (const e of nemesis) {
    if (e.f === 'stop' && e.meta?.fault === 'site-loss') {
      const cut = typeof e.meta.cut === 'number' ? e.meta.cut : null;
      eras.push({ index: eras.length, startNs: e.time, carriedCut: cut, openedBy: e.index });
    }
  }
  return eras;
}

export function eraOf(eras: readonly Era[], t: number): number {
  let i = eras.length - 1;
  while (i > 0 && eras[i].startNs > t) i--;
  return i;
}

export class VersionIndex {
  readonly byKey = new Map<string, Entry[]>();
  readonly byVersion = new Map<number, Entry>();
  /** Two different writes claiming one version: corruption (or two primaries). */
  readonly conflicts: { version: number; first: Entry; second: Entry }[] = [];
  private sorted = true;

  add(e: Entry): void {
    const prev = this.byVersion.get(e.version);
    if (prev) {
      if (prev.op !== e.op) this.conflicts.push({ version: e.version, first: prev, second: e });
      return;
    }
    this.byVersion.set(e.version, e);
    const list = this.byKey.get(e.key);
    if (list) {
      if (list[list.length - 1].version > e.version) this.sorted = false;
      list.push(e);
    } else this.byKey.set(e.key, [e]);
  }

  finalize(): this {
    if (!this.sorted) for (const list of this.byKey.values()) list.sort((x, y) => x.version - y.version);
    this.sorted = true;
    return this;
  }

  /** The block's latest write with version <= cut, or null (never written at that cut). */
  atOrBelow(key: string, cut: number): Entry | null {
    const list = this.byKey.get(key);
    if (!list) return null;
    const at = lastAtOrBelow(list.length, (i) => list[i].version, cut);
    return at < 0 ? null : list[at];
  }

  /** The block's first write with version > v, or null. */
  above(key: string, v: number): Entry | null {
    const list = this.byKey.get(key);
    if (!list) return null;
    return list[lastAtOrBelow(list.length, (i) => list[i].version, v) + 1] ?? null;
  }
}

export interface WriteIndexes {
  eras: Era[];
  /** One index per era. */
  index: VersionIndex[];
  /** Ok writes/cas that carry no meta.version: version-based judgements cannot use them. */
  unversionedAcked: Operation[];
  /** Observations no write could have produced (value never written to that block, or a
   *  version that names a different block or value). */
  phantoms: Observation[];
}

/** Builds the per-era indexes: acked writes first, then versions learned from observations. */
export function buildWriteIndexes(paired: Paired, sources: readonly ObservationSource[]): WriteIndexes {
  const eras = sitelossEras(paired.nemesis);
  const acked: Entry[][] = eras.map(() => []);
  const unversionedAcked: Operation[] = [];
  // indeterminate writes by block and value: candidates for a learned version
  const maybe = new Map<string, Map<string, Operation[]>>();
  for (const op of paired.ops) {
    if (!isWriteOp(op)) continue;
    const key = keyOf(op.key);
    if (op.status === 'ok') {
      const v = op.meta?.version;
      if (typeof v === 'number') {
        acked[eraOf(eras, op.start)].push({ key, version: v, value: writtenValue(op), op, acked: true });
        continue;
      }
      unversionedAcked.push(op);
    }
    if (op.status !== 'fail') {
      let m = maybe.get(key);
      if (!m) maybe.set(key, (m = new Map()));
      const vk = valueKey(writtenValue(op));
      const l = m.get(vk);
      if (l) l.push(op);
      else m.set(vk, [op]);
    }
  }
  const index: VersionIndex[] = [];
  const phantoms: Observation[] = [];
  for (let e = 0; e < eras.length; e++) {
    const ix = new VersionIndex();
    const cut = eras[e].carriedCut;
    if (e > 0 && cut !== null) {
      for (const list of index[e - 1].byKey.values()) for (const en of list) if (en.version <= cut) ix.add(en);
    }
    acked[e].sort((x, y) => x.version - y.version);
    for (const en of acked[e]) ix.add(en);
    const single = eras.length === 1;
    const visit: Visit = (key, version, value, op) => {
      if (version === 0 || ix.byVersion.has(version)) return;
      if (!single && eraOf(eras, op.start) !== e) return;
      // an indeterminate write to this block with this value, invoked before the observation ended
      const cands = maybe.get(key)?.get(valueKey(value));
      const cand = cands?.find((c) => c.start <= op.end);
      if (cand) ix.add({ key, version, value, op: cand, acked: cand.status === 'ok' });
      else if (!(e > 0 && cut === null)) phantoms.push({ key, version, value, op });
    };
    for (const src of sources) src(visit);
    index.push(ix.finalize());
  }
  return { eras, index, unversionedAcked, phantoms };
}

/** Reads' observations (ok reads with a version), for learning. */
export const readObservations =
  (paired: Paired): ObservationSource =>
  (visit) => {
    for (const op of paired.ops) {
      if (op.f !== 'read' || op.status !== 'ok') continue;
      const v = op.meta?.version;
      if (typeof v === 'number' && v > 0) visit(keyOf(op.key), v, op.output, op);
    }
  };

/** Acked writes of one block in ack order, with the index of the highest version so far. */
export interface AckLine {
  ends: Float64Array;
  entries: Entry[];
  maxAt: Int32Array;
}

export function ackLines(ix: VersionIndex): Map<string, AckLine> {
  const out = new Map<string, AckLine>();
  for (const [key, list] of ix.byKey) {
    const acked = list.filter((e) => e.acked && e.op.status === 'ok' && Number.isFinite(e.op.end));
    if (!acked.length) continue;
    acked.sort((x, y) => x.op.end - y.op.end);
    const ends = Float64Array.from(acked.map((e) => e.op.end));
    const maxAt = new Int32Array(acked.length);
    for (let i = 0; i < acked.length; i++) maxAt[i] = i > 0 && acked[maxAt[i - 1]].version > acked[i].version ? maxAt[i - 1] : i;
    out.set(key, { ends, entries: acked, maxAt });
  }
  return out;
}

/** Number of acked writes of the line that completed strictly before t. */
export function ackedBefore(line: AckLine, t: number): number {
  let lo = 0;
  let hi = line.ends.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (line.ends[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

