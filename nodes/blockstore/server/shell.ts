// The real shell: binds a sans-IO node core (nodes/core) to the world. Client and peer TCP
// on one port, record files with real fsync, timers on the host's monotonic clock. All the
// core's effects are carried out here and their completions fed back as inputs; the core is
// only ever stepped from the event loop, one input at a time.
//
// One listening port serves three kinds of connection, told apart by the first frame:
//   {"peer": NAME}            a peer's outbound link: every later frame is {"msg": PeerMessage}
//   {"id": ..., "op": {...}}   a client (workloads and admin alike): one reply per request,
//                              {"id": ..., "reply": ClientReply, "detail"?: "..."}
// Node built-ins only.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientReply, Effect, Input, NodeConfig, NodeCore, NodeName, RequestId } from '../core/types.js';
import { NODE_NAMES } from '../core/types.js';
import { corruptJournal, JOURNAL_CORRUPTIONS, type JournalCorruption } from '../core/corrupt.js';
import { Rng } from '../../../ground/rng.js';
import { encodeFrame, FrameDecoder, type FrameEvent } from '../wire/frames.js';
import { checkRequest } from '../wire/request.js';
import type { ServerConfig } from './config.js';
import { PeerLinks } from './peers.js';
import { RecordStore, takeMarker } from './store.js';
import { coreCrashLine } from '../../../ground/core-crash.js';

/** Milliseconds on the host's monotonic clock (CLOCK_MONOTONIC), the same in every process
 *  on the host, so a restarted node's `now` never runs backwards. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Marker file in the data dir: present at start = behave as if --drop-unsynced was given. */
export const DROP_UNSYNCED_MARKER = '.drop-unsynced';

/** The node's clock skew, kept in the data dir so it outlives a restart: JSON {offsetMs, rate}. */
export const CLOCK_SKEW_FILE = '.clock-skew';

/**
 * The clock the core reads: the host's monotonic clock at the node's own rate, plus an offset.
 * A rate change takes effect at once and the clock runs on from its current reading; an offset
 * takes effect at the next start (within one life a clock drifts, never steps: the core's
 * contract, nodes/blockstore/core/README.md "Clocks").
 */
export class SkewedClock {
  private anchorReal: number;
  private anchorMs: number;
  constructor(private readonly real: () => number, offsetMs: number, private rateNow: number) {
    this.anchorReal = real();
    this.anchorMs = this.anchorReal + offsetMs;
  }
  get rate(): number { return this.rateNow; }
  now(): number { return this.anchorMs + (this.real() - this.anchorReal) * this.rateNow; }
  setRate(rate: number): void {
    this.anchorMs = this.now();
    this.anchorReal = this.real();
    this.rateNow = rate;
  }
  /** Real ms until the clock reads `at`. */
  until(at: number): number { return Math.max(0, (at - this.now()) / this.rateNow); }
}

const MAX_INFLIGHT_PER_CONN = 1024;
/** A client that stops reading its replies is cut off past this many queued bytes. */
const MAX_REPLY_BACKLOG = 4 << 20;
/** A connection must say who it is (first frame) within this long. */
const HELLO_TIMEOUT_MS = 10_000;

export type Logger = (level: 'info' | 'warn' | 'error', msg: string) => void;

export const stdLogger: Logger = (level, msg) => {
  const line = `${new Date().toISOString()} ${level} ${msg}\n`;
  if (level === 'info') process.stdout.write(line);
  else process.stderr.write(line);
};

interface Conn {
  id: number;
  socket: Socket;
  kind: 'new' | 'client' | 'peer' | 'closing';
  peer?: NodeName;
  pending: Set<RequestId>;
  decoder: FrameDecoder;
}

export interface ShellOptions {
  config: ServerConfig;
  createCore: (cfg: NodeConfig) => NodeCore;
  log?: Logger;
  now?: () => number;
  /** Called once the shell has stopped after a core exception (the server process exits). */
  onCoreCrash?: () => void;
}

export class NodeShell {
  private readonly cfg: ServerConfig;
  private readonly log: Logger;
  private readonly now: () => number;
  private clock: SkewedClock;
  /** Armed timers' `at` (core ms), so a clock-rate change can re-arm them. */
  private timerDue = new Map<string, number>();
  /** Coverage marks the core emitted (MARKS), reported in status replies and health. */
  readonly marks = new Map<string, number>();
  private core!: NodeCore;
  private store!: RecordStore;
  private peers!: PeerLinks;
  private server!: Server;
  private timers = new Map<string, NodeJS.Timeout>();
  private conns = new Set<Conn>();
  private clients = 0;
  private nextConn = 1;
  /** Requests the core has not answered yet: where the reply goes. */
  private inflight = new Map<RequestId, { conn: Conn; id: number | string }>();
  private stopped = false;
  readonly counters = { requests: 0, badFrames: 0, refusedConns: 0, coreErrors: 0 };

  constructor(private readonly opts: ShellOptions) {
    this.cfg = opts.config;
    this.log = opts.log ?? stdLogger;
    const skew = readSkew(this.cfg.dataDir);
    this.clock = new SkewedClock(opts.now ?? monotonicMs, skew.offsetMs, skew.rate);
    this.now = () => this.clock.now();
  }

  get name(): NodeName {
    return this.cfg.node.name;
  }

  /** Loads the disk, starts the core, then listens. Resolves with the bound address. */
  async start(): Promise<{ host: string; port: number }> {
    const { node } = this.cfg;
    this.store = new RecordStore({ local: this.cfg.dataDir, backend: this.cfg.backendDir }, node.name);
    const drop = this.cfg.dropUnsynced || takeMarker(this.cfg.dataDir, DROP_UNSYNCED_MARKER);
    const { image, dropped } = this.store.load(drop);
    if (drop) this.log('info', `dropped ${dropped} unsynced bytes before start`);
    this.core = this.opts.createCore(node);
    this.peers = new PeerLinks(node.name, this.cfg.peers, (m) => this.log('warn', m));
    this.step({ type: 'start', now: this.now(), disk: image });

    this.server = createServer({ noDelay: true }, (s) => this.accept(s));
    // A hard cap far above the client cap: beyond it the kernel-level accept is refused
    // outright so a connection flood cannot exhaust descriptors.
    this.server.maxConnections = this.cfg.maxClients * 2 + 16;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.cfg.listen.port, this.cfg.listen.host, () => resolve());
    });
    const a = this.server.address() as AddressInfo;
    this.log('info', `serving ${node.name} role=${node.role} bugs=[${node.bugs.join(',')}] on ${a.address}:${a.port}`);
    return { host: this.cfg.listen.host, port: a.port };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.peers?.close();
    for (const c of this.conns) c.socket.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    await this.store?.close();
  }

  // ---- the core loop -------------------------------------------------------------------

  private step(input: Input): void {
    if (this.stopped) return;
    let effects: Effect[];
    try {
      effects = this.core.step(input);
    } catch (e) {
      // A core exception is a bug in the node: its state is now unknown, so the node must not
      // keep serving as if nothing happened. The marker line (ground/core-crash.ts) is how the
      // harness learns of it from the node's log; then the node stops, like a crashed process.
      // A request that caused it may or may not have changed state: answer indeterminate.
      this.counters.coreErrors++;
      this.log('error', coreCrashLine(this.name, input, e));
      if (input.type === 'request') this.reply(input.req, { ok: false, node: this.name, error: 'internal', definite: false });
      void this.stop().then(() => this.opts.onCoreCrash?.(), () => this.opts.onCoreCrash?.());
      return;
    }
    for (const e of effects) this.run(e);
  }

  private run(e: Effect): void {
    switch (e.type) {
      case 'reply':
        this.reply(e.req, e.reply);
        return;
      case 'send':
        this.peers.send(e.to, e.msg);
        return;
      case 'set-timer':
        this.armTimer(e.timer, e.at);
        return;
      case 'cancel-timer': {
        const old = this.timers.get(e.timer);
        if (old) clearTimeout(old);
        this.timers.delete(e.timer);
        this.timerDue.delete(e.timer);
        return;
      }
      case 'mark':
        this.marks.set(e.name, (this.marks.get(e.name) ?? 0) + 1);
        return;
      case 'append':
        this.io(e.io, () => this.store.append(e.target, e.records).then(() => undefined), `append ${e.target.volume}/${e.target.file}`);
        return;
      case 'fsync':
        this.io(e.io, () => this.store.fsync(e.target).then(() => undefined), `fsync ${e.target.volume}/${e.target.file}`);
        return;
      case 'read':
        this.io(e.io, () => this.store.read(e.target, e.from, e.to), `read ${e.target.volume}/${e.target.file}[${e.from},${e.to})`);
        return;
      case 'delete':
        this.io(e.io, () => this.store.delete(e.target).then(() => undefined), `delete ${e.target.volume}/${e.target.file}`);
        return;
      case 'log':
        this.log(e.level, `core: ${e.msg}`);
        return;
    }
  }

  private armTimer(timer: string, at: number): void {
    const old = this.timers.get(timer);
    if (old) clearTimeout(old);
    this.timerDue.set(timer, at);
    const t = setTimeout(() => {
      this.timers.delete(timer);
      this.timerDue.delete(timer);
      // Never before `at` on the core's clock, even if the host timer fired a hair early.
      this.step({ type: 'timer', now: Math.max(this.now(), at), timer });
    }, this.clock.until(at));
    this.timers.set(timer, t);
  }

  private io(io: number, op: () => Promise<string[] | null | undefined>, what: string): void {
    let p: Promise<string[] | null | undefined>;
    try {
      p = op();
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      (records) => {
        if (records === null) this.step({ type: 'io-done', now: this.now(), io, ok: false });
        else if (records) this.step({ type: 'io-done', now: this.now(), io, ok: true, records });
        else this.step({ type: 'io-done', now: this.now(), io, ok: true });
      },
      (err) => {
        this.log('warn', `${what} failed: ${(err as Error).message}`);
        const code = (err as { code?: unknown })?.code;
        this.step({ type: 'io-done', now: this.now(), io, ok: false, ...(typeof code === 'string' ? { error: code } : {}) });
      },
    );
  }

  // ---- connections ------------------------------------------------------------------------

  private accept(socket: Socket): void {
    const conn: Conn = { id: this.nextConn++, socket, kind: 'new', pending: new Set(), decoder: new FrameDecoder() };
    this.conns.add(conn);
    socket.setNoDelay(true);
    const hello = setTimeout(() => {
      if (conn.kind === 'new') socket.destroy();
    }, HELLO_TIMEOUT_MS);
    socket.on('data', (chunk: Buffer) => {
      for (const ev of conn.decoder.push(chunk)) this.frame(conn, ev);
    });
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(hello);
      this.conns.delete(conn);
      if (conn.kind === 'client') this.clients--;
      // Replies to a vanished client have nowhere to go; the core still finishes the work.
      for (const r of conn.pending) this.inflight.delete(r);
    });
  }

  private frame(conn: Conn, ev: FrameEvent): void {
    if (conn.kind === 'closing') return;
    if (ev.kind !== 'frame') {
      this.counters.badFrames++;
      const detail = ev.kind === 'oversized' ? `frame of ${ev.bytes} bytes exceeds the limit` : `frame is not JSON: ${ev.text}`;
      if (conn.kind === 'peer') {
        this.log('warn', `bad frame from peer ${conn.peer}: ${detail}`);
        return;
      }
      this.send(conn, { id: null, reply: this.refusal(ev.kind === 'oversized' ? 'frame-too-large' : 'bad-request'), detail });
      return;
    }
    const v = ev.value as Record<string, unknown> | null;
    if (conn.kind === 'peer') return this.peerFrame(conn, v);
    if (conn.kind === 'new' && v && typeof v === 'object' && 'peer' in v) {
      if (!(NODE_NAMES as readonly unknown[]).includes(v.peer) || v.peer === this.name) {
        this.log('warn', `refused peer hello ${JSON.stringify(v.peer)}`);
        conn.socket.destroy();
        return;
      }
      conn.kind = 'peer';
      conn.peer = v.peer as NodeName;
      conn.socket.setKeepAlive(true, 1000);
      return;
    }
    if (conn.kind === 'new') {
      if (this.clients >= this.cfg.maxClients) {
        this.counters.refusedConns++;
        this.send(conn, { id: null, reply: this.refusal('too-many-connections'), detail: `at most ${this.cfg.maxClients} clients` });
        conn.kind = 'closing';
        conn.socket.end();
        return;
      }
      conn.kind = 'client';
      this.clients++;
    }
    this.clientFrame(conn, v);
  }

  private peerFrame(conn: Conn, v: Record<string, unknown> | null): void {
    if (!conn.peer) return;
    const msg = v && typeof v === 'object' ? (v.msg as Record<string, unknown> | undefined) : undefined;
    if (!msg || typeof msg !== 'object' || typeof msg.kind !== 'string') {
      this.log('warn', `malformed message from peer ${conn.peer}`);
      return;
    }
    this.step({ type: 'message', now: this.now(), from: conn.peer, msg: msg as { kind: string } });
  }

  private clientFrame(conn: Conn, v: Record<string, unknown> | null): void {
    const id = v && typeof v === 'object' ? v.id : undefined;
    if (typeof id !== 'number' && typeof id !== 'string') {
      this.counters.badFrames++;
      this.send(conn, { id: null, reply: this.refusal('bad-request'), detail: 'a request is {"id": number|string, "op": {...}}' });
      return;
    }
    if (v!.op && typeof v!.op === 'object' && (v!.op as { f?: unknown }).f === 'health') {
      this.send(conn, { id, reply: { ok: true, node: this.name }, health: this.health() });
      return;
    }
    const f = v!.op && typeof v!.op === 'object' ? (v!.op as { f?: unknown }).f : undefined;
    if (f === 'clock-skew' || f === 'corrupt-journal' || f === 'disk-errors') {
      void this.faultRequest(conn, id, v!.op as Record<string, unknown>);
      return;
    }
    const checked = checkRequest(v!.op, this.cfg.node.params);
    if (!checked.ok) {
      this.counters.badFrames++;
      this.send(conn, { id, reply: this.refusal(checked.error), detail: checked.reason });
      return;
    }
    if (conn.pending.size >= MAX_INFLIGHT_PER_CONN) {
      this.send(conn, { id, reply: this.refusal('busy'), detail: `at most ${MAX_INFLIGHT_PER_CONN} requests in flight per connection` });
      return;
    }
    const req: RequestId = `${conn.id}/${id}`;
    if (this.inflight.has(req)) {
      this.send(conn, { id, reply: this.refusal('bad-request'), detail: `request id ${JSON.stringify(id)} is already in flight` });
      return;
    }
    this.counters.requests++;
    this.inflight.set(req, { conn, id });
    conn.pending.add(req);
    this.step({ type: 'request', now: this.now(), req, request: checked.request });
  }

  private reply(req: RequestId, reply: ClientReply): void {
    const to = this.inflight.get(req);
    if (!to) return;
    this.inflight.delete(req);
    to.conn.pending.delete(req);
    // Status replies carry the coverage marks counted so far (this process's life).
    if (reply.ok && reply.status) reply = { ...reply, status: { ...reply.status, marks: Object.fromEntries(this.marks) } };
    this.send(to.conn, { id: to.id, reply });
  }

  /**
   * The issue-14 fault requests, carried out by the shell (the core never sees them):
   *   {f: 'clock-skew', offsetMs, rate}     rate now, offset from the next start (kept in the data dir)
   *   {f: 'corrupt-journal', how: 'flip' | 'torn', seed?}   edits the journal file; seen at the next start
   *   {f: 'disk-errors', op: 'fsync' | 'append', code: 'EIO' | 'ENOSPC', count, volume?}   count 0 heals
   */
  private async faultRequest(conn: Conn, id: number | string, op: Record<string, unknown>): Promise<void> {
    const refuse = (detail: string) => {
      this.counters.badFrames++;
      this.send(conn, { id, reply: this.refusal('bad-request'), detail });
    };
    try {
      if (op.f === 'clock-skew') {
        const offsetMs = op.offsetMs ?? 0;
        const rate = op.rate ?? 1;
        if (typeof offsetMs !== 'number' || !Number.isFinite(offsetMs)) return refuse('clock-skew.offsetMs must be a finite number');
        if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0) return refuse('clock-skew.rate must be a number > 0');
        writeFileSync(join(this.cfg.dataDir, CLOCK_SKEW_FILE), JSON.stringify({ offsetMs, rate }));
        this.clock.setRate(rate);
        for (const [timer, at] of [...this.timerDue]) this.armTimer(timer, at);
        this.log('warn', `clock rate ${rate}, offset ${offsetMs} ms from the next start`);
        this.send(conn, { id, reply: { ok: true, node: this.name }, clock: { now: this.now(), rate, offsetMs } });
        return;
      }
      if (op.f === 'corrupt-journal') {
        if (!(JOURNAL_CORRUPTIONS as readonly unknown[]).includes(op.how)) return refuse(`corrupt-journal.how must be one of ${JOURNAL_CORRUPTIONS.join(', ')}`);
        if (op.seed !== undefined && !Number.isInteger(op.seed)) return refuse('corrupt-journal.seed must be an integer');
        // Which record and bit: from the caller's seed (the run's), so a plan names the same one.
        const rng = new Rng(typeof op.seed === 'number' ? op.seed : 0);
        let what: string | null = null;
        await this.store.rewrite('journal', (recs) => {
          const c = corruptJournal(recs, op.how as JournalCorruption, (n) => rng.int(0, n - 1));
          what = c?.what ?? null;
          return c?.records ?? null;
        });
        if (what) this.log('warn', `journal corrupted: ${what}`);
        this.send(conn, { id, reply: { ok: true, node: this.name }, corrupted: what });
        return;
      }
      const count = op.count ?? 0;
      if (op.op !== 'fsync' && op.op !== 'append') return refuse('disk-errors.op must be fsync or append');
      if (op.code !== 'EIO' && op.code !== 'ENOSPC') return refuse('disk-errors.code must be EIO or ENOSPC');
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) return refuse('disk-errors.count must be a non-negative integer');
      if (op.volume !== undefined && op.volume !== 'local' && op.volume !== 'backend') return refuse('disk-errors.volume must be local or backend');
      if (op.op === 'append' && op.volume === 'backend') return refuse('append errors are injected on the local volume only');
      this.store.injectDiskFault({ op: op.op, code: op.code, count, ...(op.volume ? { volume: op.volume } : {}) });
      this.log('warn', count > 0 ? `disk errors: the next ${count} ${op.op}(s) fail with ${op.code}` : 'disk errors healed');
      this.send(conn, { id, reply: { ok: true, node: this.name } });
    } catch (e) {
      this.send(conn, { id, reply: { ok: false, node: this.name, error: 'internal', definite: false }, detail: (e as Error).message });
    }
  }

  private send(conn: Conn, frame: unknown): void {
    const s = conn.socket;
    if (s.destroyed) return;
    if (s.writableLength > MAX_REPLY_BACKLOG) {
      this.log('warn', `connection ${conn.id} is not reading its replies; closing it`);
      s.destroy();
      return;
    }
    s.write(encodeFrame(frame));
  }

  private refusal(error: string): ClientReply {
    return { ok: false, node: this.name, error, definite: true };
  }

  private health(): Record<string, unknown> {
    return {
      role: this.cfg.node.role,
      bugs: this.cfg.node.bugs,
      clients: this.clients,
      connections: this.conns.size,
      inflight: this.inflight.size,
      timers: this.timers.size,
      store: this.store.stats,
      diskFault: this.store.diskFault,
      clockRate: this.clock.rate,
      marks: Object.fromEntries(this.marks),
      peers: this.peers.stats(),
      ...this.counters,
    };
  }
}

/** The skew a node's data dir asks for ({offsetMs: 0, rate: 1} when none, or unreadable). */
function readSkew(dataDir: string): { offsetMs: number; rate: number } {
  try {
    const v = JSON.parse(readFileSync(join(dataDir, CLOCK_SKEW_FILE), 'utf8')) as { offsetMs?: unknown; rate?: unknown };
    const offsetMs = typeof v.offsetMs === 'number' && Number.isFinite(v.offsetMs) ? v.offsetMs : 0;
    const rate = typeof v.rate === 'number' && Number.isFinite(v.rate) && v.rate > 0 ? v.rate : 1;
    return { offsetMs, rate };
  } catch {
    return { offsetMs: 0, rate: 1 };
  }
}
