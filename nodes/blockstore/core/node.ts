// One node: validates requests, picks its role from disk at (re)start, and routes inputs to the
// role object (Primary, Partner, Dr). Role changes (takeover, fencing, promote) happen here.
import { Ctx, local, parseRecords } from './ctx.js';
import { EPOCH_FILE, claimEpoch } from './claim.js';
import { DR_FILE, Dr } from './dr.js';
import { Splitter, type VolumeView, readBitmap, readJournal } from './journal.js';
import { Partner, type Takeover, readBackendIndex } from './partner.js';
import { type Cell, Primary } from './primary.js';
import {
  type BitmapRecord, type ClaimRecord, type DrRecord, type Entry, type JournalRecord, type OplogRecord,
  dataFile, epochOfVersion, epochView, lastEpochOfOthers, latestByBlock, openJournal,
} from './records.js';
import {
  BUG_SWITCHES, type ClientRequest, type DiskImage, type Effect, type Input, type NodeConfig, type NodeCore,
  type NodeName, type NodeStatus, type RequestId,
} from './types.js';

const PAIR: Record<NodeName, NodeName | null> = { a: 'b', b: 'a', dr: null };
const DATA_FILES = [dataFile('a'), dataFile('b')];

type Role =
  | { kind: 'down' }
  | { kind: 'recovering'; why: string }
  | { kind: 'primary'; p: Primary }
  | { kind: 'partner'; p: Partner }
  | { kind: 'dr'; d: Dr };

export class Node implements NodeCore {
  readonly name: NodeName;
  private ctx: Ctx;
  private role: Role = { kind: 'down' };
  private readonly bugs: ReadonlySet<(typeof BUG_SWITCHES)[number]>;
  private readonly dr: NodeName | null;
  /** Bumped on every role change, so continuations of an old role do nothing. */
  private gen = 0;

  constructor(private readonly config: NodeConfig) {
    for (const b of config.bugs) {
      if (!(BUG_SWITCHES as readonly string[]).includes(b)) throw new Error(`unknown bug switch: ${b}`);
    }
    this.name = config.name;
    this.bugs = new Set(config.bugs);
    this.dr = config.name === 'dr' ? null : 'dr';
    this.ctx = new Ctx(this.name, config.params, this.bugs);
  }

  step(input: Input): Effect[] {
    this.ctx.now = input.now;
    switch (input.type) {
      case 'start': this.start(input.disk); break;
      case 'request': this.request(input.req, input.request); break;
      case 'message': this.message(input.from, input.msg); break;
      case 'timer': this.timer(input.timer); break;
      case 'io-done': this.ctx.ioDone(input.io, input.ok, input.records, input.error); break;
    }
    return this.ctx.take();
  }

  // ---- start ----------------------------------------------------------------------------------
  private start(disk: DiskImage): void {
    // A restart is a new incarnation: forget everything that was only in memory.
    this.ctx = new Ctx(this.name, this.config.params, this.bugs, this.ctx.nextIo);
    this.gen++;
    this.ctx.timer('tick', this.ctx.now + this.config.params.heartbeatMs);
    const loc = disk.local ?? {};
    if (this.config.role === 'dr') {
      const recs = parseRecords<DrRecord>(loc.dr);
      const promoted = recs.find((r) => r.t === 'promote');
      const dr = new Dr(this.ctx, recs.filter((r) => r !== promoted && !(promoted && isAfterPromote(recs, r, promoted))));
      if (promoted && promoted.t === 'promote') { this.becomePromoted(dr, promoted.epoch, disk); return; }
      this.role = { kind: 'dr', d: dr };
      return;
    }
    const back = disk.backend ?? {};
    const claims = parseRecords<ClaimRecord>(back.epoch);
    const view = epochView(claims);
    const tenureStart = lastEpochOfOthers(claims, this.name) + 1;
    const restartAsOwner = view.owner === this.name;
    const firstStart = view.owner === null && this.config.role === 'primary';
    if (!restartAsOwner && !firstStart) { this.becomePartner(view.epoch); return; }
    this.role = { kind: 'recovering', why: 'claiming' };
    const gen = this.gen;
    claimEpoch(this.ctx, view.epoch + 1, (won, v2) => {
      if (gen !== this.gen) return;
      if (!won) { this.becomePartner(v2.epoch); return; }
      this.recoverAsOwner(view.epoch + 1, disk, firstStart, tenureStart);
    });
  }

  /** Restart as owner (mech 5): rebuild the index from the backend, then flush every dirty
   *  vault page (oplog entries newer than the backend) before serving. */
  private recoverAsOwner(epoch: number, disk: DiskImage, fresh: boolean, tenureStart: number): void {
    const loc = disk.local ?? {};
    const back = disk.backend ?? {};
    const latest = latestByBlock(DATA_FILES.map((f) => [f, back[f] ?? []] as [string, string[]]));
    const index = new Map<number, Cell>();
    for (const [block, { entry, loc: l }] of latest) index.set(block, { value: entry.value, v: entry.v, loc: l });
    // A 'reset' (a resync taken as partner) supersedes every record before it: the primary's
    // snapshot held all it still had, so an older entry missing from it is a write that primary
    // dropped (never acked), and flushing it would bring it back under an old version, after
    // newer writes, breaking version order (dr's images at those cuts would lack it).
    const all = parseRecords<OplogRecord>(loc.oplog);
    let from = 0;
    all.forEach((r, i) => { if (r.t === 'reset') from = i + 1; });
    const oplog = all.slice(from);
    const dirty = new Map<number, Entry>();
    if (!this.bugs.has('vault-no-flush')) {
      for (const r of oplog) {
        if (r.t === 'reset') continue;
        const cur = index.get(r.block);
        const d = dirty.get(r.block);
        if ((!cur || cur.v < r.v) && (!d || d.v < r.v)) dirty.set(r.block, { v: r.v, block: r.block, value: r.value });
      }
    }
    // Every journal record carries a checksum: a flipped bit or a torn record means the journal
    // can no longer say what dr lacks, so only the records before it are kept and dr gets a
    // bitmap resync (`trust-journal` skips the check and ships whatever the records say).
    const opened = openJournal(loc.journal, this.bugs.has('trust-journal'));
    const journalRecs: JournalRecord[] = opened.recs;
    if (opened.bad !== null) {
      this.ctx.mark('journal-corruption-detected');
      this.ctx.log('warn', `journal record ${opened.bad} is corrupt (checksum or torn); dr gets a resync`);
    }
    const snap = readJournal(journalRecs, epoch);
    const bitmap = this.bugs.has('volatile-bitmap')
      ? new Set<number>()
      : readBitmap(parseRecords<BitmapRecord>(loc.bitmap), this.config.params.blocks).set;
    const own = dataFile(this.name);
    const gen = this.gen;
    const serve = () => {
      if (gen !== this.gen) return;
      const primary = this.makePrimary({
        epoch, index, dataVolume: 'backend', dataCount: (back[own] ?? []).length + dirty.size, partner: PAIR[this.name],
        partnerSyncedEpoch: epoch - 1, grantedUntil: this.ctx.now + this.config.params.leaseMs,
        hideUntil: dirty.size > 0 ? this.ctx.now + this.config.params.leaseMs : undefined,
        splitter: (p) => {
          // A journal from an earlier tenure (we crashed before a takeover wrote a new one) knows
          // nothing of the other primary's writes since: start a broken one (full resync).
          if (fresh || journalRecs.length === 0 || snap.jid < tenureStart) {
            return Splitter.fresh(this.ctx, p, this.dr, epoch, !fresh, snap.openId, bitmap);
          }
          const s = new Splitter(this.ctx, p, this.dr, snap, bitmap);
          if (this.bugs.has('vault-no-flush')) return s;
          // Writes the journal does not hold (its unsynced tail died with us, or pages from an
          // older tenure the flush just made current) leave it unable to cover dr: dr gets a
          // bitmap resync instead, and the flushed blocks are marked in the bitmap first.
          // Writes commit (and are journaled) in version order, so a lineage write above the
          // journal's highest version was never journaled, or its record died unsynced.
          const missing = oplog.some((r) => r.t === 'w' && r.v > snap.maxV && epochOfVersion(r.v) >= snap.jid)
            || [...dirty.values()].some((e) => e.v > snap.maxV || epochOfVersion(e.v) < snap.jid);
          const bits = [...dirty.keys()].sort((x, y) => x - y).flatMap((b) => s.markDirty(b));
          if (bits.length) this.ctx.persist(local('bitmap'), bits);
          if (opened.bad !== null && !snap.broken) s.lose('a corrupt record');
          else if (missing && !snap.broken) s.lose('its unsynced tail was lost in a crash');
          return s;
        },
      });
      this.ctx.log('info', `serving as primary at epoch ${epoch} (${dirty.size} vault pages flushed)`);
      void primary;
    };
    if (dirty.size === 0) { serve(); return; }
    this.role = { kind: 'recovering', why: 'flushing the vault' };
    const batch = [...dirty.values()].sort((x, y) => x.v - y.v);
    const first = (back[own] ?? []).length;
    batch.forEach((e, i) => index.set(e.block, { value: e.value, v: e.v, loc: { file: own, index: first + i } }));
    this.ctx.mark('vault-flush');
    // Serving before the flushed pages are durable would show values a crash could take away.
    this.ctx.persistSure({ volume: 'backend', file: own }, batch, () => serve());
  }

  private makePrimary(o: {
    epoch: number; index: Map<number, Cell>; dataVolume: 'backend' | 'local'; dataCount: number; partner: NodeName | null;
    partnerSyncedEpoch: number; grantedUntil: number; hideUntil?: number; splitter: (v: VolumeView) => Splitter | null;
  }): Primary {
    this.gen++;
    const gen = this.gen;
    const p = new Primary(this.ctx, {
      epoch: o.epoch, index: o.index, dataVolume: o.dataVolume, dataCount: o.dataCount, partner: o.partner,
      dr: o.dataVolume === 'backend' ? this.dr : null, partnerSyncedEpoch: o.partnerSyncedEpoch, grantedUntil: o.grantedUntil, hideUntil: o.hideUntil,
      makeSplitter: o.splitter,
    }, (epoch) => { if (gen === this.gen) this.becomePartner(epoch); });
    this.role = { kind: 'primary', p };
    return p;
  }

  private becomePartner(knownEpoch: number): void {
    const other = PAIR[this.name];
    if (!other) return;
    this.gen++;
    const gen = this.gen;
    this.ctx.log('info', `partner of ${other} (epoch ${knownEpoch})`);
    this.role = {
      kind: 'partner',
      p: new Partner(this.ctx, other, knownEpoch, (t) => { if (gen === this.gen) this.takeover(t); }),
    };
  }

  /** Takeover (mech 4): the backend's latest locations plus the replicated oplog index; the
   *  new primary serves at once, destaging the mirrored entries in the background. */
  private takeover(t: Takeover): void {
    this.role = { kind: 'recovering', why: 'taking over' };
    const gen = this.gen;
    readBackendIndex(this.ctx, DATA_FILES, (files) => {
      if (gen !== this.gen) return;
      const latest = latestByBlock(files);
      const index = new Map<number, Cell>();
      for (const [block, { entry, loc }] of latest) index.set(block, { value: entry.value, v: entry.v, loc });
      for (const e of t.mirror) {
        const cur = index.get(e.block);
        if (!cur || cur.v < e.v) index.set(e.block, { value: e.value, v: e.v, loc: null });
      }
      const own = dataFile(this.name);
      const ownCount = files.find(([f]) => f === own)?.[1].length ?? 0;
      const bitmap = new Set<number>();
      for (let i = 0; i < this.config.params.blocks; i++) bitmap.add(i);
      if (!this.bugs.has('volatile-bitmap')) this.ctx.persist(local('bitmap'), [{ t: 'all' } satisfies BitmapRecord]);
      this.makePrimary({
        epoch: t.epoch, index, dataVolume: 'backend', dataCount: ownCount, partner: PAIR[this.name],
        partnerSyncedEpoch: t.fromEpoch, grantedUntil: this.ctx.now,
        // dr's last barrier came from the old primary's journal, which we do not have.
        splitter: (p) => Splitter.fresh(this.ctx, p, this.dr, t.epoch, true, 1, bitmap),
      });
      this.ctx.log('warn', `took over as primary at epoch ${t.epoch} (${t.mirror.length} mirrored entries)`);
      this.ctx.mark('takeover');
      if (t.mirror.length > 0) this.ctx.mark('takeover-mirror-replay');
    });
  }

  /** Mech 8: dr becomes a primary of its own volume from its latest consistent image. */
  private promote(req: RequestId): void {
    if (this.role.kind !== 'dr') { this.ctx.fail(req, 'not-dr', true); return; }
    const d = this.role.d;
    const base = d.latestConsistent();
    this.role = { kind: 'recovering', why: 'promoting' };
    const gen = this.gen;
    this.ctx.mark('promotion');
    this.ctx.persistSure(DR_FILE, [{ t: 'promote', epoch: base.epoch, barrier: base.barrier } satisfies DrRecord], () => {
      if (gen !== this.gen) return;
      const index = new Map<number, Cell>();
      for (const [block, c] of base.image) index.set(block, { value: c.value, v: c.version, loc: { file: 'dr', index: -1 } });
      const p = this.makePrimary({
        epoch: base.epoch, index, dataVolume: 'local', dataCount: 0, partner: null, partnerSyncedEpoch: 0,
        grantedUntil: 0, splitter: () => null,
      });
      this.ctx.log('warn', `promoted to primary at epoch ${base.epoch} from barrier ${base.barrier} (cut ${base.cut})`);
      this.ctx.reply(req, { ok: true, node: this.name, epoch: base.epoch, version: base.cut, status: p.status() });
    });
  }

  private becomePromoted(dr: Dr, epoch: number, disk: DiskImage): void {
    const loc = disk.local ?? {};
    const index = new Map<number, Cell>();
    const base = dr.latestConsistent();
    for (const [block, c] of base.image) index.set(block, { value: c.value, v: c.version, loc: { file: 'dr', index: -1 } });
    const data = latestByBlock([[dataFile(this.name), loc[dataFile(this.name)] ?? []]]);
    for (const [block, { entry, loc: l }] of data) {
      const cur = index.get(block);
      if (!cur || cur.v < entry.v) index.set(block, { value: entry.value, v: entry.v, loc: l });
    }
    const dirty: Entry[] = [];
    for (const r of parseRecords<OplogRecord>(loc.oplog)) {
      if (r.t !== 'w') continue;
      const cur = index.get(r.block);
      if (!cur || cur.v < r.v) { index.set(r.block, { value: r.value, v: r.v, loc: null }); dirty.push(r); }
    }
    // Each restart of the promoted site starts a new epoch, like any other owner.
    this.makePrimary({
      epoch: epoch + this.restartCount(loc), index, dataVolume: 'local', dataCount: (loc[dataFile(this.name)] ?? []).length,
      partner: null, partnerSyncedEpoch: 0, grantedUntil: 0, splitter: () => null,
    });
    this.ctx.persist(DR_FILE, [{ t: 'promote', epoch, barrier: -1 } satisfies DrRecord]);
  }

  private restartCount(loc: Record<string, string[]>): number {
    return parseRecords<DrRecord>(loc.dr).filter((r) => r.t === 'promote').length;
  }

  // ---- requests -------------------------------------------------------------------------------
  private request(req: RequestId, r: ClientRequest): void {
    const bad = this.validate(r);
    if (bad) { this.ctx.fail(req, bad, true); return; }
    const role = this.role;
    switch (r.f) {
      case 'status': this.ctx.reply(req, { ok: true, node: this.name, status: this.status() }); return;
      case 'lose-journal':
        if (role.kind === 'primary') role.p.loseJournal();
        this.ctx.reply(req, { ok: true, node: this.name });
        return;
      case 'dr-snapshot':
        if (role.kind !== 'dr') { this.ctx.fail(req, 'not-dr', true); return; }
        this.ctx.reply(req, { ok: true, node: this.name, image: role.d.snapshot(), status: role.d.status() });
        return;
      case 'dr-restore': {
        if (role.kind !== 'dr') { this.ctx.fail(req, 'not-dr', true); return; }
        const img = role.d.restore(r.barrier);
        if (!img) { this.ctx.fail(req, 'bad-barrier', true); return; }
        if (img.barrier < role.d.status().barrier) this.ctx.mark('restore-earlier-barrier');
        this.ctx.reply(req, { ok: true, node: this.name, image: img });
        return;
      }
      case 'promote': this.promote(req); return;
      default:
    }
    if (role.kind === 'recovering' || role.kind === 'down') { this.ctx.fail(req, 'recovering', true); return; }
    if (role.kind === 'dr') { this.ctx.fail(req, 'not-primary', true); return; }
    if (role.kind === 'partner') {
      if (r.f === 'read') role.p.read(req, r.block);
      else this.ctx.fail(req, 'not-primary', true, PAIR[this.name] ?? undefined);
      return;
    }
    if (r.f === 'read') role.p.read(req, r.block);
    else if (r.f === 'write' || r.f === 'cas') role.p.submit(req, r);
  }

  /** Bad input gets a definite refusal and the node keeps serving. */
  private validate(r: unknown): string | null {
    if (typeof r !== 'object' || r === null) return 'bad-request';
    const q = r as Record<string, unknown>;
    const p = this.config.params;
    const blockOk = () => Number.isInteger(q.block) && (q.block as number) >= 0 && (q.block as number) < p.blocks;
    const valueOk = (v: unknown) => typeof v === 'string' && Buffer.byteLength(v, 'utf8') <= p.maxValueBytes;
    switch (q.f) {
      case 'read': return blockOk() ? null : 'bad-block';
      case 'write': return !blockOk() ? 'bad-block' : typeof q.value !== 'string' ? 'bad-request' : valueOk(q.value) ? null : 'value-too-long';
      case 'cas':
        if (!blockOk()) return 'bad-block';
        if (typeof q.value !== 'string' || !(q.expected === null || typeof q.expected === 'string')) return 'bad-request';
        return valueOk(q.value) ? null : 'value-too-long';
      case 'dr-restore': return Number.isInteger(q.barrier) && (q.barrier as number) >= 0 ? null : 'bad-request';
      case 'status': case 'lose-journal': case 'dr-snapshot': case 'promote': return null;
      default: return 'bad-request';
    }
  }

  status(): NodeStatus {
    const role = this.role;
    switch (role.kind) {
      case 'primary': return role.p.status();
      case 'partner': return role.p.status();
      case 'dr': return role.d.status();
      default: return { node: this.name, role: 'recovering', epoch: 0, version: 0, barrier: 0, why: role.kind === 'recovering' ? role.why : 'down' };
    }
  }

  // ---- messages and timers --------------------------------------------------------------------
  private message(from: NodeName, msg: unknown): void {
    if (typeof msg !== 'object' || msg === null || typeof (msg as { kind?: unknown }).kind !== 'string') return;
    const m = msg as { kind: string; [k: string]: unknown };
    const role = this.role;
    if (role.kind === 'primary') role.p.onMessage(from, m);
    else if (role.kind === 'partner') role.p.onMessage(from, m);
    else if (role.kind === 'dr') role.d.onMessage(from, m);
  }

  private timer(name: string): void {
    const role = this.role;
    if (name === 'tick') {
      this.ctx.timer('tick', this.ctx.now + this.config.params.heartbeatMs);
      if (role.kind === 'primary') role.p.tick();
      else if (role.kind === 'partner') role.p.tick();
    } else if (name === 'lease' && role.kind === 'primary') {
      role.p.onLeaseTimer();
    }
  }
}

function isAfterPromote(recs: readonly DrRecord[], r: DrRecord, promoted: DrRecord): boolean {
  return recs.indexOf(r) > recs.indexOf(promoted);
}

export { type DiskImage };
