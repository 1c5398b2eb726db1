// The primary: serves reads, writes and CAS; keeps the oplog (vault), replicates each oplog
// entry's index record to the partner as its cache invalidation (mech 1, 4), grants the partner
// read leases, fences itself through the backend epoch log when the partner goes silent, destages
// to the write-anywhere backend, and feeds the splitter journal for dr (mech 2, 3, 7).
import { Ctx, backend, local } from './ctx.js';
import { claimEpoch } from './claim.js';
import { Splitter, type VolumeView } from './journal.js';
import { type Entry, type Loc, type OplogRecord, versionOf } from './records.js';
import { CLOCK_DRIFT_BOUND, type ClientRequest, type NodeName, type NodeStatus, type PeerMessage, type RecordFile, type RequestId, type Volume } from './types.js';

const OPLOG = local('oplog');
/** 1 µs, far below any lease's slack (the partner's lease starts before our grant). */
const TIME_EPS = 0.001;
const PRIMARY_KINDS = new Set(['hb', 'inval', 'resync', 'lease', 'destaged']);

export interface Cell { value: string; v: number; loc: Loc | null }

interface PendingWrite {
  req: RequestId | null;
  v: number;
  block: number;
  value: string;
  local: boolean;
  partner: 'inval' | 'solo' | 'through' | 'done';
  invalSentAt: number;
  failed: boolean;
}

export interface PrimaryInit {
  epoch: number;
  index: Map<number, Cell>;
  /** Where destaged data goes: the shared backend (a, b) or dr's own volume after promote. */
  dataVolume: Volume;
  dataCount: number;
  partner: NodeName | null;
  dr: NodeName | null;
  /** The epoch the partner was last in sync in: it may take over only by claiming above it. */
  partnerSyncedEpoch: number;
  /** Read leases an earlier incarnation may have granted run until this time. */
  grantedUntil: number;
  /** Until this time (or the partner's resync), the state must not be observed: set when the
   *  restart flushed vault pages the partner may never have been told of (see `hidden`). */
  hideUntil?: number;
  makeSplitter: (view: VolumeView) => Splitter | null;
}

export class Primary {
  epoch: number;
  private seq = 1;
  readonly index: Map<number, Cell>;
  private lastV = 0;
  private readonly pending: PendingWrite[] = [];
  private readonly admitQueue: { req: RequestId; request: ClientRequest & { f: 'write' | 'cas' } }[] = [];
  /** Committed, not yet destaged: the oplog coalesces a block's writes until it destages. */
  private readonly undestaged = new Map<number, Entry & { at: number }>();
  private destaging = false;
  private dataCount: number;
  private readonly dataFile: string;
  private claiming = false;
  private deposed = false;
  readonly splitter: Splitter | null;
  private readonly drWaits = new Map<number, { req: RequestId; msg: PeerMessage; sentAt: number }>();

  // partner state
  private pstate: 'unsynced' | 'syncing' | 'paired' = 'unsynced';
  private partnerSyncedEpoch: number;
  private grantedUntil: number;
  private hideUntil: number;
  private lastHeardPartner = -Infinity;
  private safeUntil = -Infinity;
  private resyncId = 0;
  private resyncAt = -Infinity;

  constructor(private readonly ctx: Ctx, private readonly init: PrimaryInit, private readonly onDeposed: (epoch: number) => void) {
    this.epoch = init.epoch;
    this.index = init.index;
    this.dataCount = init.dataCount;
    this.dataFile = `data.${ctx.name}`;
    this.partnerSyncedEpoch = init.partnerSyncedEpoch;
    this.grantedUntil = init.grantedUntil;
    this.hideUntil = init.hideUntil ?? -Infinity;
    for (const c of this.index.values()) this.lastV = Math.max(this.lastV, c.v);
    for (const [block, c] of this.index) if (!c.loc) this.undestaged.set(block, { v: c.v, block, value: c.value, at: -Infinity });
    this.splitter = init.makeSplitter({
      epoch: () => this.epoch,
      lastCommitted: () => this.lastV,
      current: (b) => this.index.get(b),
      blocks: () => [...this.index.keys()],
      pendingOn: (b) => this.pending.some((pw) => pw.block === b && !pw.failed),
    });
  }

  // ---- views the journal uses ---------------------------------------------------------------
  lastCommitted(): number { return this.lastV; }
  current(block: number): { value: string; v: number } | undefined { return this.index.get(block); }

  /** The partner cannot take over while our epoch is above the one it was last in sync in. */
  private secure(): boolean { return this.epoch > this.partnerSyncedEpoch; }
  private mayRead(): boolean { return !this.deposed && !this.hidden() && (this.secure() || this.ctx.now < this.safeUntil); }

  /** A restart flushes every vault page, including writes that were never acked and whose
   *  invalidation never reached the partner; meanwhile the partner may still hold a read lease
   *  from our earlier incarnation and serve the older value from its cache. Whoever saw the
   *  flushed value here and then the older one there saw a write undone. So nothing decided by
   *  the state (reads, CAS) is served until those leases are over or the partner has taken our
   *  resync (which drops its lease and cache). Writes need no such wait: their acks already wait
   *  for the partner or the leases. */
  private hidden(): boolean { return this.ctx.now + TIME_EPS < this.hideUntil; }

  status(): NodeStatus {
    const j = this.splitter?.state;
    return {
      node: this.ctx.name, role: 'primary', epoch: this.epoch, version: this.lastV,
      barrier: j ? j.lastClosed : 0, partner: this.pstate, pending: this.pending.length,
      undestaged: this.undestaged.size, journal: j ?? null, bitmap: this.splitter ? this.splitter.bitmap.size : 0,
    };
  }

  // ---- client requests ------------------------------------------------------------------------
  read(req: RequestId, block: number): void {
    if (!this.mayRead()) { this.ctx.fail(req, 'unavailable', true); return; }
    const c = this.index.get(block);
    this.ctx.reply(req, {
      ok: true, node: this.ctx.name, value: c ? c.value : null, source: c && !c.loc ? 'oplog' : 'backend',
      version: c ? c.v : 0, epoch: this.epoch,
    });
  }

  submit(req: RequestId, request: ClientRequest & { f: 'write' | 'cas' }): void {
    this.admitQueue.push({ req, request });
    this.pump();
  }

  /** Admits queued writes in order. A CAS is decided against committed state only, so it waits
   *  until every earlier write has committed or failed; nothing is admitted while a partner
   *  resync snapshot is on its way (so the snapshot misses no write). */
  private pump(): void {
    while (this.admitQueue.length > 0 && !this.deposed && this.pstate !== 'syncing') {
      const { req, request } = this.admitQueue[0];
      if (request.f === 'cas') {
        if (this.pending.length > 0) return;
        if (this.hidden()) { this.ctx.timer('lease', this.hideUntil); return; }
        this.admitQueue.shift();
        const cur = this.index.get(request.block);
        if ((cur ? cur.value : null) !== request.expected) {
          this.ctx.fail(req, 'cas-mismatch', true);
          continue;
        }
      } else {
        this.admitQueue.shift();
      }
      this.admit(req, request.block, request.value);
    }
  }

  private admit(req: RequestId | null, block: number, value: string): void {
    const pw: PendingWrite = {
      req, v: versionOf(this.epoch, this.seq++), block, value, local: false, partner: 'solo', invalSentAt: 0, failed: false,
    };
    this.pending.push(pw);
    // Local durability: the bitmap bit (mech 2) and the oplog record, both fsynced before the
    // write can become visible anywhere (commit, or the backend in write-through).
    const bits = this.splitter ? this.splitter.markDirty(block) : [];
    const rec: OplogRecord = { t: 'w', v: pw.v, block, value };
    let waiting = bits.length ? 2 : 1;
    const durable = () => {
      if (--waiting > 0 || pw.local) return;
      pw.local = true;
      this.trySolo(pw);
      this.tryCommit();
    };
    if (bits.length) this.persistWrite(pw, local('bitmap'), bits, durable);
    if (this.ctx.bug('ack-before-fsync')) {
      this.ctx.persist(OPLOG, [rec]);
      pw.local = true;
    } else {
      this.persistWrite(pw, OPLOG, [rec], durable);
    }
    this.startPartner(pw);
  }

  /**
   * Makes a pending write's records durable before `done`. A failed fsync (or append) does not
   * fail the write: its record may be on disk all the same (an fsync of another record, or the
   * first append, may have carried it), and a restart's vault flush would then revive it under
   * its version after later writes had committed, out of version order. So the records are
   * appended and fsynced again until that works (fsync is never merely retried: the kernel may
   * have dropped the pages the failed one covered); the write commits in its place, and is acked
   * only once durable. The `ack-after-failed-fsync` switch takes the failure as done.
   */
  private persistWrite(pw: PendingWrite, target: RecordFile, recs: unknown[], done: () => void): void {
    this.ctx.persist(target, recs, (ok, _r, err) => {
      if (ok || this.ctx.bug('ack-after-failed-fsync')) { done(); return; }
      if (pw.failed || this.deposed) return;
      this.ctx.mark('disk-error-write-retried');
      this.ctx.log('warn', `write v${pw.v}: persisting to ${target.volume}/${target.file} failed (${err ?? 'io error'}); writing it again`);
      this.persistWrite(pw, target, recs, done);
    });
  }

  private startPartner(pw: PendingWrite): void {
    if (this.init.partner && this.pstate === 'paired') {
      pw.partner = 'inval';
      this.sendInval(pw);
      if (this.ctx.bug('ack-before-invalidate')) pw.partner = 'done';
    } else {
      pw.partner = 'solo';
      this.trySolo(pw);
    }
  }

  private sendInval(pw: PendingWrite): void {
    pw.invalSentAt = this.ctx.now;
    this.ctx.send(this.init.partner!, { kind: 'inval', epoch: this.epoch, t: this.ctx.now, v: pw.v, block: pw.block, value: pw.value });
  }

  /** Without a partner in sync: own an epoch the partner cannot take over from, wait out any
   *  read lease it holds, and write through to the backend so no takeover can need our oplog. */
  private trySolo(pw: PendingWrite): void {
    // Not before the oplog and bitmap hold it: a backend record is visible to every later owner.
    if (pw.partner !== 'solo' || pw.failed || this.deposed || !pw.local) return;
    if (this.init.partner) {
      // While a resync is out, its outcome decides: the ack makes these writes replicated, a
      // timeout breaks the pairing and claims. A claim now would only void the resync.
      if (!this.secure()) { if (this.pstate !== 'syncing') this.ensureClaim(); return; }
      // TIME_EPS: a driver keeping time in integer ns may wake us a hair before the float
      // deadline; re-arming the same timer would then fire again at once, forever.
      if (this.ctx.now + TIME_EPS < this.grantedUntil && !this.ctx.bug('ack-without-partner')) {
        this.ctx.mark('lease-wait');
        this.ctx.timer('lease', this.grantedUntil);
        return;
      }
    }
    pw.partner = 'through';
    const loc: Loc = { file: this.dataFile, index: this.dataCount++ };
    const entry: Entry = { v: pw.v, block: pw.block, value: pw.value };
    // Write-through: on the backend the record's location is fixed, so a failed fsync is
    // followed by fsyncs only (the backend keeps what was appended; appends fail on local
    // volumes only). On a promoted dr's local volume the record is written again. No errno
    // means the volume is gone (site loss): the write fails, indeterminate.
    const target: RecordFile = { volume: this.init.dataVolume, file: this.dataFile };
    const through = (ok: boolean, err?: string) => {
      if (pw.failed || this.deposed) return;
      if (!ok && !this.ctx.bug('ack-after-failed-fsync')) {
        if (err === undefined) { this.failWrite(pw, 'io-error', false); return; }
        this.ctx.mark('disk-error-write-retried');
        if (this.init.dataVolume === 'backend') this.ctx.fsync(target, (ok2, _r, err2) => through(ok2, err2));
        else this.ctx.persist(target, [entry], (ok2, _r, err2) => through(ok2, err2));
        return;
      }
      (pw as PendingWrite & { loc?: Loc }).loc = loc;
      pw.partner = 'done';
      this.tryCommit();
    };
    this.ctx.persist(target, [entry], (ok, _r, err) => through(ok, err));
  }

  private ensureClaim(): void {
    if (this.claiming || this.deposed) return;
    this.claiming = true;
    const target = this.epoch + 1;
    claimEpoch(this.ctx, target, (won, view) => {
      this.claiming = false;
      if (this.deposed) return;
      if (!won) { this.depose(view.epoch, 'lost the epoch claim'); return; }
      this.ctx.log('info', `epoch ${target} claimed (partner out of sync since epoch ${this.partnerSyncedEpoch})`);
      this.epoch = target;
      this.seq = 1;
      for (const pw of [...this.pending]) this.trySolo(pw);
    });
  }

  private tryCommit(): void {
    while (this.pending.length > 0) {
      const pw = this.pending[0];
      if (pw.failed) { this.pending.shift(); continue; }
      if (!pw.local || pw.partner !== 'done') break;
      this.pending.shift();
      this.commit(pw);
    }
    this.pump();
  }

  private commit(pw: PendingWrite): void {
    const loc = (pw as PendingWrite & { loc?: Loc }).loc ?? null;
    this.index.set(pw.block, { value: pw.value, v: pw.v, loc });
    if (loc) this.undestaged.delete(pw.block);
    else this.undestaged.set(pw.block, { v: pw.v, block: pw.block, value: pw.value, at: this.undestaged.get(pw.block)?.at ?? this.ctx.now });
    this.lastV = Math.max(this.lastV, pw.v);
    this.splitter?.add({ v: pw.v, block: pw.block, value: pw.value });
    if (pw.req === null) return;
    if (this.ctx.bug('sync-dr-journal') && this.init.dr) {
      // The switch puts dr on the IO path: the ack waits for dr to hold the entry.
      const msg = { kind: 'jsync', epoch: this.epoch, v: pw.v, block: pw.block, value: pw.value };
      this.drWaits.set(pw.v, { req: pw.req, msg, sentAt: this.ctx.now });
      this.ctx.send(this.init.dr, msg);
      return;
    }
    this.ctx.reply(pw.req, { ok: true, node: this.ctx.name, version: pw.v, epoch: this.epoch });
  }

  private failWrite(pw: PendingWrite, error: string, definite: boolean): void {
    if (pw.failed) return;
    pw.failed = true;
    if (pw.req !== null) this.ctx.fail(pw.req, error, definite);
    this.tryCommit();
  }

  // ---- deposition -----------------------------------------------------------------------------
  private depose(epoch: number, why: string): void {
    if (this.deposed) return;
    this.deposed = true;
    this.ctx.mark('fencing-refusal');
    this.ctx.log('warn', `deposed at epoch ${this.epoch} (${why}; epoch ${epoch} is newer)`);
    // The partner may hold any of these (it may have mirrored them): indeterminate.
    for (const pw of this.pending) if (!pw.failed) { pw.failed = true; if (pw.req !== null) this.ctx.fail(pw.req, 'fenced', false); }
    for (const w of this.drWaits.values()) this.ctx.fail(w.req, 'fenced', false);
    for (const q of this.admitQueue) this.ctx.fail(q.req, 'fenced', true);
    this.pending.length = 0;
    this.admitQueue.length = 0;
    this.drWaits.clear();
    this.onDeposed(epoch);
  }

  // ---- partner protocol -----------------------------------------------------------------------
  private breakPairing(why: string): void {
    if (this.pstate === 'unsynced') return;
    this.ctx.log('warn', `partner out of sync (${why}); stop granting leases`);
    this.ctx.mark('partner-out-of-sync');
    this.pstate = 'unsynced';
    for (const pw of this.pending) if (pw.partner === 'inval') { pw.partner = 'solo'; this.trySolo(pw); }
    // Also after an unanswered resync: the snapshot may have landed and only b's ack been lost,
    // so b may be in sync in this epoch (startResync counted it so) and able to take over.
    if (!this.secure()) this.ensureClaim();
    this.pump();
  }

  private startResync(): void {
    this.pstate = 'syncing';
    // From the moment the snapshot is sent, b may hold it durably and count itself in sync in
    // this epoch (its ack can be lost), so it could take over by claiming the next one: this
    // epoch no longer fences it. Acking solo again takes a fresh claim.
    this.partnerSyncedEpoch = this.epoch;
    this.resyncId++;
    this.resyncAt = this.ctx.now;
    const entries: Entry[] = [...this.undestaged.values()].map((e) => ({ v: e.v, block: e.block, value: e.value }));
    for (const pw of this.pending) if (!pw.failed) entries.push({ v: pw.v, block: pw.block, value: pw.value });
    const locs: [number, string, number, number][] = [];
    for (const [block, c] of [...this.index].sort((x, y) => x[0] - y[0])) if (c.loc) locs.push([block, c.loc.file, c.loc.index, c.v]);
    this.ctx.send(this.init.partner!, { kind: 'resync', id: this.resyncId, epoch: this.epoch, t: this.ctx.now, entries, locs });
  }

  onMessage(from: NodeName, msg: PeerMessage): void {
    if (from === this.init.dr) { this.onDrMessage(msg); return; }
    if (from !== this.init.partner) return;
    if (PRIMARY_KINDS.has(msg.kind)) {
      // Another node acting as primary: the newer epoch wins, the older one is told so.
      const theirs = Number(msg.epoch);
      if (theirs > this.epoch) this.depose(theirs, `${from} is primary at a newer epoch`);
      else this.ctx.send(from, { kind: 'stale', epoch: this.epoch });
      return;
    }
    this.lastHeardPartner = this.ctx.now;
    if (Number(msg.echoEpoch) === this.epoch && typeof msg.echo === 'number') {
      // b may take over takeoverMs of *its* clock after it last heard us; its clock may run up
      // to CLOCK_DRIFT_BOUND faster than ours, so our window is shorter by that factor.
      const drift = this.ctx.bug('lease-ignores-drift') ? 1 : 1 + CLOCK_DRIFT_BOUND;
      this.safeUntil = Math.max(this.safeUntil, msg.echo + this.ctx.params.takeoverMs / drift);
    }
    switch (msg.kind) {
      case 'lease-req': {
        const synced = Number(msg.synced);
        if (this.pstate === 'paired') {
          if (synced !== this.epoch) { this.breakPairing('partner lost its state'); return; }
          this.grantedUntil = Math.max(this.grantedUntil, this.ctx.now + this.ctx.params.leaseMs);
          this.ctx.send(from, { kind: 'lease', seq: msg.seq, grant: true, epoch: this.epoch, t: this.ctx.now });
        } else if (this.pstate === 'unsynced' && !this.claiming && this.ctx.now - this.resyncAt >= this.ctx.params.retryMs) {
          this.startResync();
        }
        return;
      }
      case 'inval-ack': {
        for (const pw of this.pending) if (pw.v === msg.v && pw.partner === 'inval') pw.partner = 'done';
        this.tryCommit();
        return;
      }
      case 'resync-ack': {
        if (this.pstate === 'syncing' && msg.id === this.resyncId && Number(msg.epoch) === this.epoch) {
          this.pstate = 'paired';
          this.partnerSyncedEpoch = this.epoch;
          this.hideUntil = -Infinity;
          this.ctx.log('info', `partner in sync at epoch ${this.epoch}`);
          this.ctx.mark('partner-resynced');
          // Writes still waiting to go solo were in the snapshot b just made durable: b holds
          // them as it would after an invalidation, so they need neither a claim nor the backend.
          for (const pw of this.pending) if (pw.partner === 'solo') pw.partner = 'done';
          this.tryCommit();
        }
        return;
      }
      case 'stale': {
        if (Number(msg.epoch) > this.epoch) this.depose(Number(msg.epoch), `${from} answered with a newer epoch`);
        return;
      }
      default:
    }
  }

  private onDrMessage(msg: PeerMessage): void {
    switch (msg.kind) {
      case 'jack':
      case 'dr-state':
        this.splitter?.onMessage(msg);
        return;
      case 'jsync-ack': {
        const w = this.drWaits.get(Number(msg.v));
        if (!w) return;
        this.drWaits.delete(Number(msg.v));
        this.ctx.reply(w.req, { ok: true, node: this.ctx.name, version: Number(msg.v), epoch: this.epoch });
        return;
      }
      case 'stale':
        // Only a newer epoch means anything: an older message of ours is simply resent anew.
        if (Number(msg.epoch) > this.epoch) this.depose(Number(msg.epoch), 'dr knows a newer epoch');
        return;
      default:
    }
  }

  // ---- periodic work --------------------------------------------------------------------------
  tick(): void {
    if (this.deposed) return;
    const p = this.ctx.params;
    const partner = this.init.partner;
    if (partner) {
      this.ctx.send(partner, { kind: 'hb', epoch: this.epoch, t: this.ctx.now });
      const silent = this.ctx.now - this.lastHeardPartner;
      const downAfter = Math.max(3 * p.heartbeatMs, p.retryMs);
      if (this.pstate === 'paired') {
        const stuck = this.pending.some((pw) => pw.partner === 'inval' && this.ctx.now - pw.invalSentAt >= p.retryMs);
        if (silent > downAfter) this.breakPairing(`silent for ${silent} ms`);
        else if (stuck) {
          const oldest = this.pending.find((pw) => pw.partner === 'inval');
          for (const pw of this.pending) if (pw.partner === 'inval' && this.ctx.now - pw.invalSentAt >= p.retryMs) this.sendInval(pw);
          if (oldest && this.ctx.now - oldest.invalSentAt >= 2 * p.retryMs) this.breakPairing('invalidation unanswered');
        }
      } else if (this.pstate === 'syncing' && this.ctx.now - this.resyncAt >= 2 * p.retryMs) {
        this.breakPairing('resync unanswered');
      }
    }
    for (const pw of [...this.pending]) this.trySolo(pw);
    for (const w of this.drWaits.values()) {
      if (this.ctx.now - w.sentAt >= p.retryMs) { w.sentAt = this.ctx.now; this.ctx.send(this.init.dr!, w.msg); }
    }
    this.destage();
    this.splitter?.tick();
  }

  onLeaseTimer(): void {
    for (const pw of [...this.pending]) this.trySolo(pw);
    this.pump();
  }

  /** Coalesced destage of committed oplog entries into new backend records (write-anywhere). */
  private destage(): void {
    if (this.destaging || this.undestaged.size === 0) return;
    // A block destages once it has been dirty for four heartbeats (later writes to it coalesce
    // into one backend record), or at once when a quarter of the volume is dirty.
    const age = 4 * this.ctx.params.heartbeatMs;
    const all = this.undestaged.size >= Math.max(1, Math.floor(this.ctx.params.blocks / 4));
    const batch = [...this.undestaged.values()]
      .filter((e) => all || this.ctx.now - e.at >= age)
      .map((e) => ({ v: e.v, block: e.block, value: e.value }))
      .sort((x, y) => x.v - y.v);
    if (batch.length === 0) return;
    const first = this.dataCount;
    this.dataCount += batch.length;
    this.destaging = true;
    this.ctx.persist({ volume: this.init.dataVolume, file: this.dataFile }, batch, (ok) => {
      this.destaging = false;
      if (!ok || this.deposed) return;
      const items: [number, string, number, number][] = [];
      batch.forEach((e, i) => {
        const loc: Loc = { file: this.dataFile, index: first + i };
        const c = this.index.get(e.block);
        if (c && c.v === e.v) { c.loc = loc; this.undestaged.delete(e.block); }
        items.push([e.block, loc.file, loc.index, e.v]);
      });
      if (this.init.partner && this.pstate !== 'unsynced') {
        this.ctx.send(this.init.partner, { kind: 'destaged', epoch: this.epoch, t: this.ctx.now, items });
      }
    });
  }

  loseJournal(): void { this.splitter?.lose('lose-journal'); }
  get isDeposed(): boolean { return this.deposed; }
  get backendVolume(): Volume { return this.init.dataVolume; }
}

export const primaryFiles = { OPLOG, epoch: backend('epoch') };
