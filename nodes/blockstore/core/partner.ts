// The failover partner: mirrors the primary's oplog index (mech 4), keeps a location cache of
// destaged blocks and serves reads from the backend through it while it holds a read lease
// (mech 1), and takes over after takeoverMs of silence by claiming the next epoch.
import { Ctx, TO_END, backend, local, parseRecords } from './ctx.js';
import { claimEpoch } from './claim.js';
import type { DataRecord, Entry, Loc, OplogRecord } from './records.js';
import { CLOCK_DRIFT_BOUND, type NodeName, type NodeStatus, type PeerMessage, type RequestId } from './types.js';

const OPLOG = local('oplog');

export interface Takeover {
  epoch: number;
  fromEpoch: number;
  /** The replicated oplog index: entries not yet destaged when the primary went silent. */
  mirror: Entry[];
}

export class Partner {
  /** The primary epoch this node holds a complete mirror for; 0 = out of sync. */
  private syncedEpoch = 0;
  private leaseUntil = -Infinity;
  /** When the latest lease began (b's send time of the request it answers). */
  private leaseStart = -Infinity;
  private lastHeard: number;
  private echo: { t: number; epoch: number } | null = null;
  private seq = 0;
  private readonly sentAt = new Map<number, number>();
  private readonly mirror = new Map<number, Entry>();
  private readonly invalidated = new Map<number, number>();
  private readonly cache = new Map<number, { loc: Loc; v: number }>();
  private claiming = false;
  private done = false;
  private knownEpoch: number;

  constructor(
    private readonly ctx: Ctx,
    private readonly primary: NodeName,
    knownEpoch: number,
    private readonly onTakeover: (t: Takeover) => void,
  ) {
    this.lastHeard = ctx.now;
    this.knownEpoch = knownEpoch;
  }

  status(): NodeStatus {
    return {
      node: this.ctx.name, role: 'partner', epoch: Math.max(this.knownEpoch, this.syncedEpoch), version: this.maxMirrored(),
      barrier: 0, synced: this.syncedEpoch > 0, lease: this.ctx.now < this.leaseUntil, cached: this.cache.size, mirrored: this.mirror.size,
    };
  }

  private maxMirrored(): number {
    let v = 0;
    for (const e of this.mirror.values()) v = Math.max(v, e.v);
    for (const c of this.cache.values()) v = Math.max(v, c.v);
    return v;
  }

  /** The part of a granted lease b may use: a counts the lease on its own clock, which may
   *  run up to CLOCK_DRIFT_BOUND slower than ours (core README, "Clocks"). */
  private usableUntil(): number {
    if (this.ctx.bug('lease-ignores-drift') || this.leaseUntil === -Infinity) return this.leaseUntil;
    return this.leaseStart + (this.leaseUntil - this.leaseStart) / (1 + CLOCK_DRIFT_BOUND);
  }

  read(req: RequestId, block: number): void {
    if (this.syncedEpoch === 0 || this.ctx.now >= this.usableUntil()) {
      if (this.syncedEpoch !== 0 && this.ctx.now < this.leaseUntil) this.ctx.mark('lease-drift-margin');
      else if (this.leaseUntil > -Infinity) this.ctx.mark('partner-lease-expired');
      this.ctx.fail(req, 'no-lease', true, this.primary);
      return;
    }
    const inv = this.invalidated.get(block) ?? 0;
    const c = this.cache.get(block);
    const epoch = this.syncedEpoch;
    if (!c) {
      if (inv === 0) { this.ctx.mark('partner-cache-hit'); this.ctx.reply(req, { ok: true, node: this.ctx.name, value: null, source: 'cache', version: 0, epoch }); return; }
      this.ctx.fail(req, 'not-cached', true, this.primary);
      return;
    }
    if (c.v < inv) { this.ctx.fail(req, 'not-cached', true, this.primary); return; }
    this.ctx.read(backend(c.loc.file), c.loc.index, c.loc.index + 1, (ok, records) => {
      const rec = parseRecords<DataRecord>(records)[0];
      if (!ok || !rec) { this.ctx.fail(req, 'io-error', true, this.primary); return; }
      this.ctx.mark('partner-cache-hit');
      this.ctx.reply(req, { ok: true, node: this.ctx.name, value: rec.value, source: 'cache', version: rec.v, epoch });
    });
  }

  tick(): void {
    if (this.done) return;
    const seq = ++this.seq;
    this.sentAt.set(seq, this.ctx.now);
    this.sentAt.delete(seq - 64);
    this.ctx.send(this.primary, { kind: 'lease-req', seq, synced: this.syncedEpoch, ...this.echoFields() });
    if (this.syncedEpoch > 0 && !this.claiming && this.ctx.now - this.lastHeard >= this.ctx.params.takeoverMs) this.takeover();
  }

  private echoFields(): { echo?: number; echoEpoch?: number } {
    return this.echo ? { echo: this.echo.t, echoEpoch: this.echo.epoch } : {};
  }

  private takeover(): void {
    const from = this.syncedEpoch;
    const target = from + 1;
    this.claiming = true;
    this.ctx.log('warn', `no word from ${this.primary} for ${this.ctx.now - this.lastHeard} ms: claiming epoch ${target}`);
    claimEpoch(this.ctx, target, (won, view) => {
      this.claiming = false;
      if (this.done) return;
      if (!won) {
        this.ctx.log('info', `takeover lost: epoch ${view.epoch} belongs to ${view.owner}`);
        this.syncedEpoch = 0;
        this.knownEpoch = Math.max(this.knownEpoch, view.epoch);
        this.lastHeard = this.ctx.now;
        return;
      }
      this.done = true;
      const mirror = this.ctx.bug('no-index-replication') ? [] : [...this.mirror.values()];
      this.onTakeover({ epoch: target, fromEpoch: from, mirror });
    });
  }

  onMessage(from: NodeName, msg: PeerMessage): void {
    if (this.done || from !== this.primary) return;
    if (msg.kind === 'stale' || msg.kind === 'lease-req') return; // a fellow partner: nothing to do
    this.lastHeard = this.ctx.now;
    const epoch = Number(msg.epoch);
    if (typeof msg.t === 'number') this.echo = { t: msg.t, epoch };
    this.knownEpoch = Math.max(this.knownEpoch, epoch);
    switch (msg.kind) {
      case 'lease': {
        const sent = this.sentAt.get(Number(msg.seq));
        if (msg.grant === true && epoch === this.syncedEpoch && sent !== undefined) {
          if (sent + this.ctx.params.leaseMs > this.leaseUntil) {
            this.leaseUntil = sent + this.ctx.params.leaseMs;
            this.leaseStart = sent;
          }
        }
        return;
      }
      case 'inval': {
        if (epoch !== this.syncedEpoch) return;
        const e: Entry = { v: Number(msg.v), block: Number(msg.block), value: String(msg.value) };
        this.invalidate(e.block, e.v);
        const ack = () => this.ctx.send(from, { kind: 'inval-ack', epoch, v: e.v, ...this.echoFields() });
        if (this.ctx.bug('no-index-replication')) { ack(); return; }
        const cur = this.mirror.get(e.block);
        if (!cur || cur.v < e.v) this.mirror.set(e.block, e);
        this.ctx.persist(OPLOG, [{ t: 'm', ...e } satisfies OplogRecord], (ok) => { if (ok) ack(); });
        return;
      }
      case 'resync': {
        this.syncedEpoch = 0;
        this.leaseUntil = -Infinity;
        this.leaseStart = -Infinity;
        this.mirror.clear();
        this.invalidated.clear();
        this.cache.clear();
        for (const [block, file, index, v] of msg.locs as [number, string, number, number][]) this.cache.set(block, { loc: { file, index }, v });
        const entries = (msg.entries as Entry[]).map((e) => ({ v: e.v, block: e.block, value: e.value }));
        for (const e of entries) this.invalidate(e.block, e.v);
        const recs: OplogRecord[] = [{ t: 'reset', epoch }];
        if (!this.ctx.bug('no-index-replication')) {
          for (const e of entries) {
            const cur = this.mirror.get(e.block);
            if (!cur || cur.v < e.v) this.mirror.set(e.block, e);
            recs.push({ t: 'm', ...e });
          }
        }
        const id = msg.id;
        this.ctx.persist(OPLOG, recs, (ok) => {
          if (!ok || this.done) return;
          this.syncedEpoch = epoch;
          this.ctx.send(from, { kind: 'resync-ack', id, epoch, ...this.echoFields() });
        });
        return;
      }
      case 'destaged': {
        if (epoch !== this.syncedEpoch) return;
        for (const [block, file, index, v] of msg.items as [number, string, number, number][]) {
          const c = this.cache.get(block);
          if (v >= (this.invalidated.get(block) ?? 0) && (!c || c.v <= v)) this.cache.set(block, { loc: { file, index }, v });
          const m = this.mirror.get(block);
          if (m && m.v <= v) this.mirror.delete(block);
        }
        return;
      }
      default:
    }
  }

  private invalidate(block: number, v: number): void {
    this.invalidated.set(block, Math.max(v, this.invalidated.get(block) ?? 0));
    const c = this.cache.get(block);
    if (c && c.v < v) this.cache.delete(block);
  }

  get stopped(): boolean { return this.done; }
}

/** After a won takeover: the backend's latest location per block, read fresh (the start image
 *  is stale by now), for the new primary's index. */
export function readBackendIndex(ctx: Ctx, files: readonly string[], done: (recs: [string, string[]][]) => void): void {
  const out: [string, string[]][] = [];
  let left = files.length;
  if (left === 0) { done(out); return; }
  files.forEach((file, i) => {
    ctx.read(backend(file), 0, TO_END, (_ok, records) => {
      out[i] = [file, records];
      if (--left === 0) done(out);
    });
  });
}
