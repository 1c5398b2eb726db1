// The dr site: applies journal barriers only whole (mech 3), keeps the history of applied
// barriers for restore(t) (mech 6), takes bitmap resyncs while marked inconsistent (mech 2),
// and can be promoted to a new primary from its latest consistent image (mech 8).
import { Ctx, local } from './ctx.js';
import { type Change, type DrRecord, type JEntry, epochOfVersion } from './records.js';
import type { DrImage, NodeName, NodeStatus, PeerMessage } from './types.js';

export const DR_FILE = local('dr');
const LANDING = local('landing');

interface Incoming { parts: Map<number, JEntry[]>; close: PeerMessage | null }
export type Image = Map<number, { value: string; version: number }>;

export class Dr {
  private jid = 0;
  private barrier = 0;
  private cut = 0;
  private consistent = true;
  private intervalEnd = 0;
  private maxEpoch = 0;
  private maxV = 0;
  private lastConsistent = 0;
  readonly image: Image = new Map();
  private readonly history: DrRecord[] = [];
  /** Parts of the next barrier, by lineage and barrier id (`jid:barrier`). */
  private readonly incoming = new Map<string, Incoming>();
  private resync: { key: string; barrier: number; parts: Set<number>; total: number; done: number; changes: Change[] } | null = null;

  constructor(private readonly ctx: Ctx, records: readonly DrRecord[]) {
    for (const r of records) this.replay(r);
  }

  private replay(r: DrRecord): void {
    this.history.push(r);
    if (r.t === 'promote') return;
    this.applyChanges(r.changes);
    // Data of a barrier or resync that never completed: the image is not a cut until the next.
    if (r.t === 'partial') this.consistent = false;
    if (r.t === 'apply') {
      this.durable = { jid: r.jid, barrier: r.barrier, cut: r.cut };
      this.jid = r.jid;
      this.barrier = r.barrier;
      this.cut = r.cut;
      this.consistent = r.consistent;
      if (r.consistent) this.lastConsistent = r.barrier;
      this.maxV = Math.max(this.maxV, r.maxV);
      this.maxEpoch = Math.max(this.maxEpoch, epochOfVersion(r.maxV));
    }
  }

  private applyChanges(changes: readonly Change[]): void {
    for (const [block, value, version] of changes) {
      this.image.set(block, { value, version });
      this.maxV = Math.max(this.maxV, version);
    }
  }

  private record(r: DrRecord, then?: () => void): void {
    this.history.push(r);
    // A barrier is acked only once its record is durable; a failed fsync is retried (else dr
    // would hold the barrier in memory and never ack it).
    this.ctx.persistSure(DR_FILE, [r], then);
  }

  status(): NodeStatus {
    return {
      node: this.ctx.name, role: 'dr', epoch: this.maxEpoch, version: this.maxV, barrier: this.barrier,
      consistent: this.consistent && !this.resync, cut: this.cut, jid: this.jid, lastConsistent: this.lastConsistent,
      resync: this.resync
        ? { active: true, done: this.resync.done, total: this.resync.total }
        : { active: false, done: 0, total: 0 },
    };
  }

  snapshot(): DrImage {
    return { barrier: this.barrier, cut: this.cut, consistent: this.consistent && !this.resync, blocks: toBlocks(this.image) };
  }

  /** The image as it was when barrier `b` was applied; null if dr never applied `b`. */
  restore(b: number): DrImage | null {
    if (b === 0) return { barrier: 0, cut: 0, consistent: true, blocks: {} };
    const img: Image = new Map();
    for (const r of this.history) {
      if (r.t === 'promote') continue;
      for (const [block, value, version] of r.changes) img.set(block, { value, version });
      if (r.t === 'apply' && r.barrier === b) return { barrier: b, cut: r.cut, consistent: r.consistent, blocks: toBlocks(img) };
    }
    return null;
  }

  /** What promote starts from: the latest image dr can vouch for. */
  latestConsistent(): { image: Image; barrier: number; cut: number; epoch: number; maxV: number } {
    const epoch = Math.max(this.maxEpoch, epochOfVersion(this.maxV)) + 1;
    if (this.consistent && !this.resync) return { image: new Map(this.image), barrier: this.barrier, cut: this.cut, epoch, maxV: this.maxV };
    const r = this.restore(this.lastConsistent)!;
    const image: Image = new Map();
    for (const [k, v] of Object.entries(r.blocks)) image.set(Number(k), v);
    return { image, barrier: r.barrier, cut: r.cut, epoch, maxV: this.maxV };
  }

  /** What dr reports: its last barrier whose record is durable (never one a crash could undo). */
  private durable = { jid: 0, barrier: 0, cut: 0 };

  private reportTo(to: NodeName, kind: 'jack' | 'dr-state'): void {
    const d = this.durable;
    this.ctx.send(to, { kind, jid: d.jid, barrier: d.barrier, cut: d.cut, consistent: this.consistent });
  }

  private markDurable(jid: number, barrier: number, cut: number): void {
    if (barrier > this.durable.barrier || jid !== this.durable.jid) this.durable = { jid, barrier, cut };
  }

  onMessage(from: NodeName, msg: PeerMessage): void {
    const epoch = Number(msg.epoch);
    if (epoch < this.maxEpoch) { this.ctx.mark('dr-stale-epoch-refused'); this.ctx.send(from, { kind: 'stale', epoch: this.maxEpoch }); return; }
    this.maxEpoch = epoch;
    switch (msg.kind) {
      case 'dr-probe': this.reportTo(from, 'dr-state'); return;
      case 'jsync': {
        // sync-dr-journal: the entry is landed durably before the primary may ack.
        const v = msg.v;
        this.ctx.persist(LANDING, [{ v, block: msg.block, value: msg.value }], (ok) => { if (ok) this.ctx.send(from, { kind: 'jsync-ack', v }); });
        return;
      }
      case 'jchunk':
      case 'jclose': this.onBarrierPart(from, msg); return;
      case 'rs-chunk':
      case 'rs-close': this.onResync(from, msg); return;
      default:
    }
  }

  private sameLineage(jid: number): boolean { return jid === this.jid || (this.jid === 0 && this.barrier === 0); }

  private onBarrierPart(from: NodeName, msg: PeerMessage): void {
    const jid = Number(msg.jid);
    const b = Number(msg.barrier);
    if (!this.sameLineage(jid) || b !== this.barrier + 1) { this.reportTo(from, b <= this.barrier && jid === this.jid ? 'jack' : 'dr-state'); return; }
    const key = `${jid}:${b}`;
    let inc = this.incoming.get(key);
    if (!inc) { inc = { parts: new Map(), close: null }; this.incoming.set(key, inc); }
    if (msg.kind === 'jchunk') {
      const part = Number(msg.part);
      if (inc.parts.has(part)) return;
      const entries = msg.entries as JEntry[];
      inc.parts.set(part, entries);
      if (this.ctx.bug('torn-barrier')) {
        // The switch: entries go into the image as they arrive, not when the barrier is whole.
        const changes = toChanges(entries);
        this.applyChanges(changes);
        this.record({ t: 'partial', barrier: b, changes });
      }
    } else {
      inc.close = msg;
    }
    const close = inc.close;
    if (!close || inc.parts.size < Number(close.parts)) return;
    this.incoming.clear();
    const changes: Change[] = [];
    for (let p = 0; p < Number(close.parts); p++) changes.push(...toChanges(inc.parts.get(p) ?? []));
    this.applyChanges(changes);
    this.jid = jid;
    this.barrier = b;
    this.cut = Number(close.cut);
    this.intervalEnd = Math.max(this.intervalEnd, Number(close.intervalEnd) || 0);
    this.consistent = this.barrier >= this.intervalEnd && !this.resync;
    if (this.consistent) this.lastConsistent = b;
    const cut = this.cut;
    this.ctx.mark('barrier-applied');
    this.record({ t: 'apply', jid, barrier: b, cut, consistent: this.consistent, changes, maxV: this.maxV }, () => {
      this.markDurable(jid, b, cut);
      this.reportTo(from, 'jack');
    });
    // A barrier that was already on its way when a resync started is older than the resync's
    // snapshot: the resync data received so far must stay on top of it.
    const rs = this.resync;
    if (rs && rs.barrier > b && rs.changes.length) {
      this.applyChanges(rs.changes);
      this.record({ t: 'partial', barrier: rs.barrier, changes: rs.changes });
    }
  }

  private onResync(from: NodeName, msg: PeerMessage): void {
    const jid = Number(msg.jid);
    const b = Number(msg.barrier);
    if (b <= this.barrier) { this.reportTo(from, jid === this.jid ? 'jack' : 'dr-state'); return; }
    // Two primaries may pick the same barrier id for their resyncs: a resync is its lineage's.
    const key = `${jid}:${Number(msg.epoch)}:${b}`;
    if (!this.resync || this.resync.key !== key) {
      if (this.resync) this.ctx.mark('bitmap-resync-interrupted');
      this.resync = { key, barrier: b, parts: new Set(), total: Number(msg.parts), done: 0, changes: [] };
      this.consistent = false;
      this.ctx.log('info', `bitmap resync to barrier ${b}: image inconsistent until it completes`);
    }
    const rs = this.resync;
    if (msg.kind === 'rs-chunk') {
      const part = Number(msg.part);
      if (rs.parts.has(part)) return;
      rs.parts.add(part);
      const changes = (msg.items as Change[]).map(([block, value, version]) => [block, value, version] as Change);
      rs.done += changes.length;
      rs.total = Math.max(rs.total, rs.done);
      rs.changes.push(...changes);
      // Resync data lands as it arrives: the image is marked inconsistent meanwhile.
      this.applyChanges(changes);
      this.record({ t: 'partial', barrier: b, changes });
      return;
    }
    if (rs.parts.size < Number(msg.parts)) return;
    this.resync = null;
    this.ctx.mark('bitmap-resync-finished');
    this.jid = jid;
    this.barrier = b;
    this.cut = Number(msg.cut);
    this.intervalEnd = 0;
    this.consistent = true;
    this.lastConsistent = b;
    this.incoming.clear();
    const cut = this.cut;
    this.record({ t: 'apply', jid, barrier: b, cut, consistent: true, changes: [], maxV: this.maxV }, () => {
      this.markDurable(jid, b, cut);
      this.reportTo(from, 'jack');
    });
  }
}

function toChanges(entries: readonly JEntry[]): Change[] {
  const out: Change[] = [];
  // An entry without data (skip-missing-data) cannot be applied: dr keeps the old value.
  for (const e of entries) if (e.value !== null) out.push([e.block, e.value, e.v]);
  return out;
}

export function toBlocks(image: Image): DrImage['blocks'] {
  const out: DrImage['blocks'] = {};
  for (const k of [...image.keys()].sort((x, y) => x - y)) out[k] = image.get(k)!;
  return out;
}
