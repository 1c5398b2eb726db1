// Histories of a correct system, for property tests and the checkers' benchmark. A seeded
// model of the block store: client ops take effect atomically at a point between their
// invoke and completion (so every read is fresh, every acked write durable), the primary
// numbers writes, dr applies whole barriers with some lag, restores give back applied
// barriers, and faults come and go without harming anything. Some writes end `info`
// (applied or not, at random) and some `fail` (not applied), as real runs do.
import { Rng } from '../../ground/rng.js';
import type { HistoryEvent, EventMeta, ProcessId } from '../../ground/history/types.js';

export interface SynthOptions {
  seed: number;
  /** Client ops (reads, writes, cas); dr observations and final reads come on top. */
  ops: number;
  blocks?: number;
  processes?: number;
  readRate?: number;
  casRate?: number;
  /** Share of reads sent to b and served from its location cache. */
  cacheShare?: number;
  infoRate?: number;
  failRate?: number;
  /** A barrier closes every this many versions. */
  barrierWrites?: number;
  /** Scheduler steps between dr snapshots / restores / fault changes (0: never). */
  snapshotEvery?: number;
  restoreEvery?: number;
  faultEvery?: number;
  /** dr lags the primary by up to this many closed barriers. */
  drLag?: number;
  /** Heal, final reads of every written block, a final dr-status and dr-snapshot. */
  final?: boolean;
}

export interface SynthModel {
  events: HistoryEvent[];
  /** Final version counter. */
  version: number;
  /** Closed barriers' cuts (barrier i+1 has cut cuts[i]). */
  cuts: number[];
}

interface Proc {
  phase: 0 | 1 | 2;
  f: 'read' | 'write' | 'cas';
  key: number;
  arg: unknown;
  node: string;
  type: 'ok' | 'fail' | 'info';
  out: unknown;
  meta: EventMeta;
}

const FAULTS: { fault: 'kill' | 'pause' | 'partition'; targets: string[] }[] = [
  { fault: 'kill', targets: ['a'] },
  { fault: 'kill', targets: ['b'] },
  { fault: 'pause', targets: ['b'] },
  { fault: 'partition', targets: ['dr'] },
];

export function synthHistory(o: SynthOptions): SynthModel {
  const rng = new Rng(o.seed);
  const B = o.blocks ?? 16;
  const P = o.processes ?? 5;
  const readRate = o.readRate ?? 0.5;
  const casRate = o.casRate ?? 0.1;
  const cacheShare = o.cacheShare ?? 0.4;
  const infoRate = o.infoRate ?? 0.02;
  const failRate = o.failRate ?? 0.02;
  const barrierWrites = o.barrierWrites ?? 8;
  const snapshotEvery = o.snapshotEvery ?? 40;
  const restoreEvery = o.restoreEvery ?? 150;
  const faultEvery = o.faultEvery ?? 200;
  const drLag = o.drLag ?? 2;

  const events: HistoryEvent[] = [];
  let time = 0;
  const emit = (process: ProcessId, type: HistoryEvent['type'], f: string, key: number | undefined, value: unknown, node: string | undefined, meta?: EventMeta): void => {
    time += rng.int(1, 500) * 1000;
    const e: HistoryEvent = { index: events.length, time, process, type, f };
    if (key !== undefined) e.key = key;
    if (value !== undefined) e.value = value;
    if (node !== undefined) e.node = node;
    if (meta !== undefined) e.meta = meta;
    events.push(e);
  };

  const value: (string | null)[] = new Array(B).fill(null);
  const version: number[] = new Array(B).fill(0);
  // per block: versions and values in order, for images at a cut
  const histV: number[][] = Array.from({ length: B }, () => []);
  const histX: string[][] = Array.from({ length: B }, () => []);
  let gv = 0;
  const cuts: number[] = [];
  let counter = 0;

  const imageAt = (cut: number): Record<number, { value: string; version: number }> => {
    const img: Record<number, { value: string; version: number }> = {};
    for (let k = 0; k < B; k++) {
      const vs = histV[k];
      let lo = 0;
      let hi = vs.length - 1;
      let at = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (vs[mid] <= cut) {
          at = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      if (at >= 0) img[k] = { value: histX[k][at], version: vs[at] };
    }
    return img;
  };
  const apply = (k: number, x: string): number => {
    gv++;
    value[k] = x;
    version[k] = gv;
    histV[k].push(gv);
    histX[k].push(x);
    if (gv % barrierWrites === 0) cuts.push(gv);
    return gv;
  };

  const procs: Proc[] = Array.from({ length: P }, () => ({ phase: 0, f: 'read', key: 0, arg: undefined, node: 'a', type: 'ok', out: undefined, meta: {} }));
  const drProc = P;
  let invoked = 0;
  let pending = 0;
  let step = 0;
  let faultId = 0;
  let active: { id: number; fault: string; targets: string[] } | null = null;
  // a takeover (a killed) starts a new epoch; replies carry the epoch that served them
  let epoch = 1;

  const stepProc = (p: number): void => {
    const s = procs[p];
    if (s.phase === 0) {
      const r = rng.float();
      s.f = r < readRate ? 'read' : r < readRate + casRate ? 'cas' : 'write';
      s.key = rng.int(0, B - 1);
      s.node = s.f === 'read' && rng.bool(cacheShare) ? 'b' : 'a';
      s.arg = s.f === 'write' ? `w${counter++}` : s.f === 'cas' ? [rng.bool(0.6) ? value[s.key] : `nope${counter++}`, `c${counter++}`] : undefined;
      emit(p, 'invoke', s.f, s.key, s.arg, s.node);
      s.phase = 1;
      invoked++;
      pending++;
    } else if (s.phase === 1) {
      // the op takes effect here, or not at all
      s.meta = {};
      s.out = undefined;
      if (s.f === 'read') {
        s.type = 'ok';
        s.out = value[s.key];
        s.meta = { source: s.node === 'b' ? 'cache' : rng.bool() ? 'oplog' : 'backend', version: version[s.key], epoch };
      } else {
        const x = s.f === 'write' ? (s.arg as string) : (s.arg as [string | null, string])[1];
        const r = rng.float();
        if (r < failRate) {
          s.type = 'fail';
          s.meta = { error: 'unavailable' };
        } else if (r < failRate + infoRate) {
          s.type = 'info';
          if (rng.bool() && (s.f === 'write' || value[s.key] === (s.arg as unknown[])[0])) apply(s.key, x);
        } else if (s.f === 'cas' && value[s.key] !== (s.arg as unknown[])[0]) {
          s.type = 'fail';
          s.meta = { error: 'cas-mismatch' };
        } else {
          s.type = 'ok';
          s.meta = { version: apply(s.key, x), epoch };
        }
      }
      s.phase = 2;
    } else {
      emit(p, s.type, s.f, s.key, s.type === 'info' ? undefined : s.out, s.node, Object.keys(s.meta).length ? s.meta : undefined);
      s.phase = 0;
      pending--;
    }
  };

  const drObserve = (f: 'dr-snapshot' | 'dr-restore', barrier: number): void => {
    const cut = cuts[barrier - 1];
    emit(drProc, 'invoke', f, undefined, f === 'dr-restore' ? barrier : undefined, 'dr');
    emit(drProc, 'ok', f, undefined, imageAt(cut), 'dr', { barrier, cut, consistent: true });
  };

  while (invoked < o.ops || pending > 0) {
    step++;
    let p = rng.int(0, P - 1);
    if (invoked >= o.ops) {
      // draining: only ops in flight move
      while (procs[p].phase === 0) p = (p + 1) % P;
    }
    stepProc(p);
    if (snapshotEvery && step % snapshotEvery === 0 && cuts.length) {
      drObserve('dr-snapshot', Math.max(1, cuts.length - rng.int(0, drLag)));
    }
    if (restoreEvery && step % restoreEvery === 0 && cuts.length) {
      drObserve('dr-restore', rng.int(1, cuts.length));
    }
    if (faultEvery && step % faultEvery === 0) {
      if (active) {
        emit('nemesis', 'info', 'stop', undefined, undefined, undefined, { fault: active.fault as never, targets: active.targets, faultId: active.id });
        if (active.fault === 'kill' && active.targets[0] === 'a') {
          emit('nemesis', 'info', 'recovered', undefined, undefined, 'b', { node: 'b', faultId: active.id });
        }
        active = null;
      } else {
        const f = rng.pick(FAULTS);
        active = { id: ++faultId, ...f };
        if (f.fault === 'kill' && f.targets[0] === 'a') epoch++;
        emit('nemesis', 'info', 'start', undefined, undefined, undefined, { fault: f.fault, targets: f.targets, faultId: active.id });
      }
    }
  }
  if (o.final ?? true) {
    if (active) emit('nemesis', 'info', 'stop', undefined, undefined, undefined, { fault: active.fault as never, targets: active.targets, faultId: active.id });
    if (gv > 0 && cuts[cuts.length - 1] !== gv) cuts.push(gv);
    for (let k = 0; k < B; k++) {
      if (!histV[k].length) continue;
      emit(P + 1, 'invoke', 'read', k, undefined, 'a', { final: true });
      emit(P + 1, 'ok', 'read', k, value[k], 'a', { final: true, source: 'backend', version: version[k] });
    }
    emit(drProc, 'invoke', 'dr-status', undefined, undefined, 'dr');
    emit(drProc, 'ok', 'dr-status', undefined, { node: 'dr', role: 'dr', epoch: 1, version: gv, barrier: cuts.length, consistent: true, cut: gv }, 'dr');
    if (cuts.length) drObserve('dr-snapshot', cuts.length);
  }
  return { events, version: gv, cuts };
}
