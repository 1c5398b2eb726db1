// The splitter journal for dr (mech 3, 7), the recovery bitmap (mech 2) and the shipping of
// barriers / bitmap resyncs to dr. Owned by a primary; never on a write's ack path (except
// under the `sync-dr-journal` switch, which the primary handles).
import { Ctx, local } from './ctx.js';
import { type BitmapRecord, type JEntry, type JournalRecord, seal, sealedText } from './records.js';
import type { NodeName, PeerMessage } from './types.js';

const JOURNAL = local('journal');
const BITMAP = local('bitmap');
/** Entries (or resync items) per message: a barrier travels in several parts. */
export const CHUNK = 8;

interface Barrier { id: number; entries: JEntry[]; cut: number; synced: boolean; streamed?: number }
interface Inflight { kind: 'barrier' | 'resync'; barrier: number; cut: number; sentAt: number; msgs: PeerMessage[] }

/** What the journal needs to know of the primary's committed state. */
export interface VolumeView {
  epoch(): number;
  lastCommitted(): number;
  current(block: number): { value: string; v: number } | undefined;
  blocks(): number[];
  /** True while a write to the block is admitted but not yet committed. */
  pendingOn(block: number): boolean;
}

export interface JournalSnapshot {
  jid: number; base: number; baseCut: number; broken: boolean;
  closed: Barrier[]; openId: number; openEntries: JEntry[]; maxV: number;
  /** Entries written since the last `init`: the next entry's sequence number `n`. */
  entries?: number;
}

/** Rebuilds the journal from its records (the last `init` starts the current incarnation). */
export function readJournal(recs: readonly JournalRecord[], fallbackJid: number): JournalSnapshot {
  let snap: JournalSnapshot = { jid: fallbackJid, base: 0, baseCut: 0, broken: recs.length > 0, closed: [], openId: 1, openEntries: [], maxV: 0 };
  const byId = new Map<number, JEntry[]>();
  for (const r of recs) {
    if (r.t === 'init') {
      snap = { jid: r.jid, base: r.base, baseCut: r.cut, broken: !!(r as { broken?: boolean }).broken, closed: [], openId: r.next, openEntries: [], maxV: r.cut, entries: 0 };
      byId.clear();
    } else if (r.t === 'e') {
      snap.entries = (snap.entries ?? 0) + 1;
      if (r.b <= snap.base) continue;
      const list = byId.get(r.b) ?? [];
      list.push({ v: r.v, block: r.block, value: r.value });
      byId.set(r.b, list);
      snap.openId = Math.max(snap.openId, r.b);
      snap.maxV = Math.max(snap.maxV, r.v);
    } else if (r.t === 'close') {
      // A close appended again after a failed fsync (persistSure) is the same barrier.
      if (r.b <= snap.base || snap.closed.some((b) => b.id === r.b)) continue;
      snap.closed.push({ id: r.b, entries: byId.get(r.b) ?? [], cut: r.cut, synced: true });
      byId.delete(r.b);
      snap.openId = Math.max(snap.openId, r.b + 1);
      snap.maxV = Math.max(snap.maxV, r.cut);
    } else if (r.t === 'acked') {
      snap.base = Math.max(snap.base, r.b);
      snap.baseCut = Math.max(snap.baseCut, r.cut);
      snap.closed = snap.closed.filter((b) => b.id > r.b);
    }
  }
  snap.openEntries = byId.get(snap.openId) ?? [];
  return snap;
}

export function readBitmap(recs: readonly BitmapRecord[], blocks: number): { all: boolean; set: Set<number> } {
  let all = false;
  const set = new Set<number>();
  for (const r of recs) {
    if (r.t === 'all') { all = true; for (let i = 0; i < blocks; i++) set.add(i); }
    else if (r.t === 'set') set.add(r.block);
    else { all = false; for (const b of r.blocks) set.delete(b); }
  }
  return { all, set };
}

export class Splitter {
  private jid: number;
  private base: number;
  private baseCut: number;
  private broken: boolean;
  private closed: Barrier[];
  private openId: number;
  private openEntries: JEntry[];
  private openedAt = 0;
  /** Highest version journaled: a barrier's cut (entries are added in version order). */
  private journaledV: number;
  private inflight: Inflight | null = null;
  /** Parts of the open barrier already streamed to dr (evacuation runs ahead of the close). */
  private streamedParts = 0;
  private dr: { jid: number; barrier: number; cut: number } | null = null;
  /** dr acked a barrier of this lineage (in this incarnation): it is ours until a newer one. */
  private joined = false;
  private lastProbe = -Infinity;
  /** Blocks changed since dr's last acked barrier; persisted unless `volatile-bitmap`. */
  readonly bitmap: Set<number>;
  /** Barrier holding each block's latest journaled write (for metadata-only intervals). */
  private readonly blockBarrier = new Map<number, number>();
  /** Sequence number of the next entry record since the last init (holes show at restart). */
  private entrySeq: number;

  constructor(
    private readonly ctx: Ctx,
    private readonly vol: VolumeView,
    private readonly drNode: NodeName | null,
    snap: JournalSnapshot,
    bitmap: Set<number>,
  ) {
    this.jid = snap.jid;
    this.base = snap.base;
    this.baseCut = snap.baseCut;
    this.broken = snap.broken;
    this.closed = snap.closed;
    this.openId = snap.openId;
    this.openEntries = snap.openEntries;
    this.bitmap = bitmap;
    this.journaledV = snap.maxV;
    this.entrySeq = snap.entries ?? 0;
    for (const b of this.closed) for (const e of b.entries) this.blockBarrier.set(e.block, b.id);
    for (const e of this.openEntries) this.blockBarrier.set(e.block, this.openId);
  }

  /** A fresh journal (first start or takeover) starts with an init record. */
  static fresh(ctx: Ctx, vol: VolumeView, drNode: NodeName | null, jid: number, broken: boolean, openId: number, bitmap: Set<number>): Splitter {
    const s = new Splitter(ctx, vol, drNode, { jid, base: 0, baseCut: 0, broken, closed: [], openId, openEntries: [], maxV: 0 }, bitmap);
    s.writeInit();
    return s;
  }

  private writeInit(): void {
    this.entrySeq = 0;
    this.ctx.remove(JOURNAL);
    const init: JournalRecord & { broken?: boolean } = { t: 'init', jid: this.jid, base: this.base, cut: this.baseCut, next: this.openId };
    if (this.broken) init.broken = true;
    this.ctx.persist(JOURNAL, [seal(init)]);
  }

  get state() {
    return {
      jid: this.jid, broken: this.broken, base: this.base, openId: this.openId,
      lastClosed: this.closed.length ? this.closed[this.closed.length - 1].id : this.base,
      unacked: this.unacked(), dr: this.dr, inflight: this.inflight?.kind ?? null,
    };
  }

  private unacked(): number {
    let n = this.openEntries.length;
    for (const b of this.closed) n += b.entries.length;
    return n;
  }

  /** Marks a block dirty for dr before its write is acked: returns the records to fsync with it. */
  markDirty(block: number): BitmapRecord[] {
    if (this.bitmap.has(block)) return [];
    this.bitmap.add(block);
    return this.ctx.bug('volatile-bitmap') ? [] : [{ t: 'set', block }];
  }
  static bitmapFile = BITMAP;

  /** A committed write joins the open barrier (beside the IO path: no fsync awaited). */
  add(e: { v: number; block: number; value: string }): void {
    if (this.broken) return; // the next resync covers it
    // Journal memory pressure: once dr lags by more than two barriers (or half the capacity),
    // entries keep only their metadata and the data is read back from the volume when the
    // barrier ships (mech 3).
    const p = this.ctx.params;
    const metaOnly = this.unacked() >= Math.min(Math.floor(p.journalCapacity / 2), 2 * p.barrierWrites);
    const je: JEntry = { v: e.v, block: e.block, value: metaOnly ? null : e.value };
    if (metaOnly) this.ctx.mark('metadata-only-entry');
    if (this.openEntries.length === 0) this.openedAt = this.ctx.now;
    this.openEntries.push(je);
    this.journaledV = Math.max(this.journaledV, e.v);
    this.blockBarrier.set(e.block, this.openId);
    // An entry whose append fails leaves a hole in the file; the running node ships from memory
    // and never rereads it, and a restart finds the hole by the sequence numbers (and resyncs dr).
    this.ctx.appendText(JOURNAL, [sealedText({ t: 'e', b: this.openId, n: this.entrySeq++, ...je } satisfies JournalRecord)]);
    if (this.unacked() > this.ctx.params.journalCapacity) { this.ctx.mark('journal-overflow'); this.lose('journal overflowed'); return; }
    if (this.openEntries.length >= this.ctx.params.barrierWrites) { this.close(); return; }
    this.stream();
  }

  /** Drops the journal (lose-journal, overflow): dr must then be resynced from the bitmap. */
  lose(why: string): void {
    this.ctx.log('warn', `journal lost (${why}); dr needs a bitmap resync`);
    this.ctx.mark('journal-lost');
    if (this.inflight?.kind === 'resync') this.ctx.mark('bitmap-resync-interrupted');
    this.broken = true;
    this.closed = [];
    this.openEntries = [];
    this.streamedParts = 0;
    this.openId = Math.max(this.openId, this.base + 1);
    if (this.inflight?.kind === 'barrier') this.inflight = null;
    this.writeInit();
  }

  private close(): void {
    if (this.openEntries.length === 0) return;
    const b: Barrier = { id: this.openId, entries: this.openEntries, cut: this.journaledV, synced: false, streamed: this.streamedParts };
    this.closed.push(b);
    this.openId++;
    this.openEntries = [];
    this.streamedParts = 0;
    // `n`: how many entries the journal holds at this close, so entries lost before it (their
    // pages dropped by a failed fsync) show at restart even when no entry follows.
    this.ctx.persistSure(JOURNAL, [seal({ t: 'close', b: b.id, cut: b.cut, n: this.entrySeq } satisfies JournalRecord)], () => {
      b.synced = true;
      this.ship();
    });
  }

  tick(): void {
    if (this.openEntries.length > 0 && this.ctx.now - this.openedAt >= this.ctx.params.barrierMs) this.close();
    if (!this.drNode) return;
    if (this.inflight && this.ctx.now - this.inflight.sentAt >= this.ctx.params.retryMs) {
      this.inflight.sentAt = this.ctx.now;
      // Resends carry our current epoch: dr refuses anything older than the newest it saw.
      const epoch = this.vol.epoch();
      for (const m of this.inflight.msgs) this.ctx.send(this.drNode, { ...m, epoch });
    }
    if (!this.dr && this.ctx.now - this.lastProbe >= this.ctx.params.retryMs) {
      this.lastProbe = this.ctx.now;
      this.ctx.send(this.drNode, { kind: 'dr-probe', epoch: this.vol.epoch() });
    }
    this.ship();
  }

  private covers(dr: { jid: number; barrier: number }): boolean {
    if (this.broken) return false;
    const lineage = dr.jid === this.jid || (dr.jid === 0 && dr.barrier === 0 && this.base === 0);
    const lastClosed = this.closed.length ? this.closed[this.closed.length - 1].id : this.base;
    return lineage && dr.barrier >= this.base && dr.barrier <= Math.max(lastClosed, this.base);
  }

  /** Sends the next thing dr needs, if nothing is in flight. */
  ship(): void {
    if (!this.drNode || !this.dr || this.inflight) return;
    if (!this.covers(this.dr)) { this.startResync(); return; }
    const next = this.closed.find((b) => b.id > this.dr!.barrier);
    if (!next || !next.synced) return;
    if (next.id !== this.dr.barrier + 1) { this.startResync(); return; }
    this.sendBarrier(next);
  }

  /** Mech 7: while dr keeps up, full parts of the open barrier go out as they fill, so the
   *  close has little left to carry. dr holds them until the barrier is whole. */
  private stream(): void {
    if (!this.drNode || !this.dr || this.inflight || this.broken || this.closed.length > 0) return;
    if (this.openId !== this.dr.barrier + 1 || !this.covers(this.dr)) return;
    while ((this.streamedParts + 1) * CHUNK <= this.openEntries.length) {
      const entries = this.openEntries.slice(this.streamedParts * CHUNK, (this.streamedParts + 1) * CHUNK);
      if (entries.some((e) => e.value === null)) return; // metadata-only: read at ship time
      this.ctx.send(this.drNode, { kind: 'jchunk', epoch: this.vol.epoch(), jid: this.jid, barrier: this.openId, part: this.streamedParts, entries });
      this.ctx.mark('barrier-streamed');
      this.streamedParts++;
    }
  }

  private sendBarrier(b: Barrier): void {
    const epoch = this.vol.epoch();
    let intervalEnd = 0;
    const entries: JEntry[] = b.entries.map((e) => {
      if (e.value !== null || this.ctx.bug('skip-missing-data')) return e;
      // Metadata-only: read the address now; dr is consistent only once it has applied the
      // barrier that holds the version we read.
      const cur = this.vol.current(e.block);
      intervalEnd = Math.max(intervalEnd, this.blockBarrier.get(e.block) ?? b.id);
      return cur ? { v: cur.v, block: e.block, value: cur.value } : e;
    });
    // Parts in journal order; parts streamed before the close are not sent again unless dr
    // fails to ack (then the retry resends the whole barrier).
    const parts = Math.max(1, Math.ceil(entries.length / CHUNK));
    const msgs: PeerMessage[] = [];
    for (let p = 0; p < parts; p++) {
      msgs.push({ kind: 'jchunk', epoch, jid: this.jid, barrier: b.id, part: p, parts, entries: entries.slice(p * CHUNK, (p + 1) * CHUNK) });
    }
    msgs.push({ kind: 'jclose', epoch, jid: this.jid, barrier: b.id, cut: b.cut, parts, intervalEnd: intervalEnd > b.id ? intervalEnd : 0 });
    if (intervalEnd > b.id) this.ctx.mark('metadata-only-interval');
    this.inflight = { kind: 'barrier', barrier: b.id, cut: b.cut, sentAt: this.ctx.now, msgs };
    const skip = b.streamed ?? 0;
    msgs.forEach((m, i) => { if (i >= skip) this.ctx.send(this.drNode!, m); });
  }

  /** Mech 2: the journal cannot cover dr's last barrier, so ship the current contents of every
   *  block in the recovery bitmap as one new barrier, and restart the journal after it. */
  private startResync(): void {
    const dr = this.dr!;
    const barrier = Math.max(this.openId, dr.barrier + 1, this.base + 1);
    const cut = this.vol.lastCommitted();
    const items: [number, string, number][] = [];
    // The bitmap counts changes since a barrier of this journal's lineage; dr's image from any
    // other lineage (another primary, or none yet) gets every block.
    const blocks = dr.jid === this.jid ? [...this.bitmap] : this.vol.blocks();
    for (const block of blocks.sort((x, y) => x - y)) {
      const cur = this.vol.current(block);
      if (cur) items.push([block, cur.value, cur.v]);
    }
    this.ctx.mark(dr.jid === this.jid ? 'bitmap-resync-started' : 'full-resync-started');
    this.ctx.log('info', `${dr.jid === this.jid ? 'bitmap' : 'full'} resync of dr from barrier ${dr.barrier} as barrier ${barrier} (${items.length} blocks, cut ${cut})`);
    // Everything up to `cut` travels in the resync; the journal restarts after it.
    this.broken = false;
    this.journaledV = cut;
    this.closed = [];
    this.openEntries = [];
    this.streamedParts = 0;
    this.openId = barrier + 1;
    this.base = dr.barrier; // not acked yet: dr still sits at its old barrier
    this.baseCut = dr.cut;
    this.writeInit();
    const epoch = this.vol.epoch();
    const parts = Math.max(1, Math.ceil(items.length / CHUNK));
    const msgs: PeerMessage[] = [];
    for (let p = 0; p < parts; p++) {
      msgs.push({ kind: 'rs-chunk', epoch, jid: this.jid, barrier, part: p, parts, items: items.slice(p * CHUNK, (p + 1) * CHUNK) });
    }
    msgs.push({ kind: 'rs-close', epoch, jid: this.jid, barrier, cut, parts });
    this.inflight = { kind: 'resync', barrier, cut, sentAt: this.ctx.now, msgs };
    for (const m of msgs) this.ctx.send(this.drNode!, m);
  }

  /** dr's replies: jack (applied a barrier) and dr-state (its position). */
  onMessage(msg: PeerMessage): void {
    const jid = Number(msg.jid);
    const barrier = Number(msg.barrier);
    const cut = Number(msg.cut);
    // dr reports (jack and dr-state alike) only barriers it holds durably, so its reported
    // position never goes back: within our lineage anything below what it acked is a late copy
    // (e.g. answers to probes that waited at a paused dr), and so is any older lineage once it
    // acked one of ours (lineage ids are the epochs journals were created in, and dr leaves a
    // lineage only for a newer one). Taken as current, a late copy restarted a resync from where
    // dr had been: with the bitmap already cleared by the ack, or as a second full resync. (dr's
    // own volume is never lost here; if it were, it would need an incarnation in its reports.)
    if (jid === this.jid ? barrier < this.base : this.joined && jid < this.jid) return;
    this.dr = { jid, barrier, cut };
    if (this.inflight && jid === this.jid && barrier === this.inflight.barrier && msg.kind === 'jack') {
      const done = this.inflight;
      this.inflight = null;
      this.acked(done.barrier, done.cut);
    } else if (this.inflight && !this.leadsFrom(this.inflight, jid, barrier)) {
      // dr is somewhere this shipment does not lead from (restart, another lineage, a resync we
      // superseded): re-decide from its position.
      if (this.inflight.kind === 'resync') this.ctx.mark('bitmap-resync-interrupted');
      this.inflight = null;
    }
    this.ship();
  }

  /** Whether dr at (jid, barrier) can still end up where the shipment in flight leads. */
  private leadsFrom(f: Inflight, jid: number, barrier: number): boolean {
    if (f.kind === 'resync') return barrier < f.barrier || (barrier === f.barrier && jid === this.jid);
    // A fresh dr (no lineage yet) starts ours with the barrier in flight, as `covers` says.
    // Taken as elsewhere, each of its replies while that barrier's fsync was pending (one per
    // message it got) dropped the shipment and sent it again: two messages per reply, each
    // answered again, a storm that grew without bound on a slow disk (found by a swarm sweep:
    // dr seed 174, a 16-entry journal and 5-30 ms fsyncs).
    const ours = jid === this.jid || (jid === 0 && barrier === 0 && this.base === 0);
    return ours && barrier >= f.barrier - 1 && barrier <= f.barrier;
  }

  private acked(barrier: number, cut: number): void {
    this.joined = true;
    this.base = barrier;
    this.baseCut = cut;
    this.closed = this.closed.filter((b) => b.id > barrier);
    this.ctx.append(JOURNAL, [seal({ t: 'acked', b: barrier, cut } satisfies JournalRecord)]);
    const cleared: number[] = [];
    for (const block of [...this.bitmap].sort((x, y) => x - y)) {
      const cur = this.vol.current(block);
      // A block with a write still in flight stays dirty: that write is past the cut.
      if ((!cur || cur.v <= cut) && !this.vol.pendingOn(block)) { this.bitmap.delete(block); cleared.push(block); }
    }
    if (cleared.length && !this.ctx.bug('volatile-bitmap')) this.ctx.append(BITMAP, [{ t: 'clear', blocks: cleared } satisfies BitmapRecord]);
  }

}
