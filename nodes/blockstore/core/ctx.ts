// The per-incarnation plumbing every role shares: it collects the effects of one step, hands
// out IO ids and remembers the continuation of each IO until the driver reports it done.
// Continuations live in a Map keyed by a counter, so their order never depends on hashing.
import type {
  BugSwitch, ClientReply, Effect, IoId, Mark, NodeName, NodeParams, PeerMessage, RecordFile, RequestId,
} from './types.js';

/** `error`: the errno name the driver reported for a failed IO (EIO, ENOSPC), if any. */
export type IoDone = (ok: boolean, records: string[], error?: string) => void;

/** Reads up to the end of a file: drivers slice [from, min(to, length)). */
export const TO_END = Number.MAX_SAFE_INTEGER;

export const local = (file: string): RecordFile => ({ volume: 'local', file });
export const backend = (file: string): RecordFile => ({ volume: 'backend', file });

export class Ctx {
  effects: Effect[] = [];
  now = 0;
  private ioSeq: number;
  private readonly waiting = new Map<IoId, IoDone>();

  constructor(
    readonly name: NodeName,
    readonly params: NodeParams,
    readonly bugs: ReadonlySet<BugSwitch>,
    firstIo = 1,
  ) {
    this.ioSeq = firstIo;
  }

  /** The next IO id this context would hand out (a restarted node continues above it). */
  get nextIo(): number { return this.ioSeq; }

  bug(b: BugSwitch): boolean { return this.bugs.has(b); }

  take(): Effect[] {
    const out = this.effects;
    this.effects = [];
    return out;
  }

  send(to: NodeName, msg: PeerMessage): void { this.effects.push({ type: 'send', to, msg }); }
  reply(req: RequestId, reply: ClientReply): void { this.effects.push({ type: 'reply', req, reply }); }
  timer(timer: string, at: number): void { this.effects.push({ type: 'set-timer', timer, at }); }
  log(level: 'info' | 'warn', msg: string): void { this.effects.push({ type: 'log', level, msg: `${this.name}: ${msg}` }); }
  /** A coverage mark: the driver counts it; nothing depends on it. */
  mark(name: Mark): void { this.effects.push({ type: 'mark', name }); }

  fail(req: RequestId, error: string, definite: boolean, primary?: NodeName): void {
    const r: ClientReply = { ok: false, node: this.name, error, definite };
    if (primary) r.primary = primary;
    this.reply(req, r);
  }

  private io(cb?: IoDone): IoId {
    const io = this.ioSeq++;
    if (cb) this.waiting.set(io, cb);
    return io;
  }

  /** An IO's id, marked `unawaited` when no continuation waits for it (types.ts, Effect). */
  private ioFields(cb?: IoDone): { io: IoId; unawaited?: true } {
    return cb ? { io: this.io(cb) } : { io: this.io(), unawaited: true };
  }

  append(target: RecordFile, records: unknown[], cb?: IoDone): void {
    if (records.length === 0) { if (cb) cb(true, []); return; }
    this.appendText(target, records.map((r) => JSON.stringify(r)), cb);
  }
  /** Appends records already turned into text (their JSON). */
  appendText(target: RecordFile, records: string[], cb?: IoDone): void {
    this.effects.push({ type: 'append', ...this.ioFields(cb), target, records });
  }
  fsync(target: RecordFile, cb?: IoDone): void {
    this.effects.push({ type: 'fsync', ...this.ioFields(cb), target });
  }
  /** Append then fsync; `cb` runs once the records are durable, or with ok = false. A failed
   *  append is reported by the next fsync of its file (drivers keep the error until then, as
   *  Linux does for a failed writeback), so the fsync's outcome covers both. */
  persist(target: RecordFile, records: unknown[], cb?: IoDone): void {
    this.append(target, records);
    this.fsync(target, cb);
  }

  /**
   * Like persist, for bookkeeping that must become durable before the node goes on (claims,
   * the vault flush, barrier closes, dr's applied barriers). On any failure the records are
   * appended again and fsynced again, and `cb` runs only once that worked: after a failed fsync
   * the kernel may have dropped the pages it covered (PostgreSQL's fsync lesson), so retrying
   * the fsync alone proves nothing. Readers of these files tolerate the duplicate records.
   * Append errors are injected on local volumes only (core README, "Disk errors"): backend
   * records are located by index. (On the backend only fsyncs fail, and a re-appended record
   * there is just a later copy.)
   */
  persistSure(target: RecordFile, records: unknown[], cb?: () => void): void {
    this.persist(target, records, (ok) => {
      if (ok) { cb?.(); return; }
      this.mark('disk-error-retried');
      this.log('warn', `persisting to ${target.volume}/${target.file} failed; appending again`);
      this.persistSure(target, records, cb);
    });
  }
  read(target: RecordFile, from: number, to: number, cb: IoDone): void {
    this.effects.push({ type: 'read', io: this.io(cb), target, from, to });
  }
  remove(target: RecordFile, cb?: IoDone): void {
    this.effects.push({ type: 'delete', ...this.ioFields(cb), target });
  }

  ioDone(io: IoId, ok: boolean, records: string[] | undefined, error?: string): void {
    const cb = this.waiting.get(io);
    if (!cb) return; // an IO of an earlier incarnation, or one nobody waits for
    this.waiting.delete(io);
    cb(ok, records ?? [], error);
  }
}

/** Parses JSON records, skipping any a torn write left unreadable. */
export function parseRecords<T>(records: readonly string[] | undefined): T[] {
  const out: T[] = [];
  for (const r of records ?? []) {
    try { out.push(JSON.parse(r) as T); } catch { /* torn tail */ }
  }
  return out;
}
