// A tiny deterministic cluster for the core's unit tests: in-memory disks that keep unsynced
// records apart (a crash drops them), a message queue with one-way cuts and a hold filter,
// and manual time. Events run in (time, sequence) order, so a test is a plain script.
import { createNode } from '../index.js';
import { RecordVolume } from '../disk-model.js';
import type {
  BugSwitch, ClientReply, ClientRequest, DiskImage, Effect, NodeCore, NodeName, NodeParams, PeerMessage, Volume,
} from '../types.js';

export const TEST_PARAMS: NodeParams = {
  blocks: 16, maxValueBytes: 32, leaseMs: 200, takeoverMs: 400, heartbeatMs: 10,
  barrierMs: 50, barrierWrites: 4, journalCapacity: 64, retryMs: 20,
};

type Disk = RecordVolume;
interface Ev { at: number; seq: number; run: () => void }
export interface Msg { from: NodeName; to: NodeName; msg: PeerMessage }

const ROLES: Record<NodeName, 'primary' | 'partner' | 'dr'> = { a: 'primary', b: 'partner', dr: 'dr' };
const NAMES: NodeName[] = ['a', 'b', 'dr'];

export class Cluster {
  now = 0;
  netDelay = 1;
  ioDelay = 1;
  /** Timers fire this much before their deadline (a driver rounding time down to whole ns). */
  timerEarlyBy = 0;
  /** Per-node IO latency overriding `ioDelay` (e.g. a slow NVRAM on a). */
  readonly ioDelayOf: Partial<Record<NodeName, number>> = {};
  /** The disks follow the shared model of append, fsync and crash (disk-model.ts). */
  readonly backend: Disk = new RecordVolume('backend');
  readonly disks: Record<NodeName, Disk> = { a: new RecordVolume('a'), b: new RecordVolume('b'), dr: new RecordVolume('dr') };
  readonly logs: string[] = [];
  readonly replies = new Map<string, ClientReply>();
  readonly sent: Msg[] = [];
  /** Messages a test parked with `hold`, in send order. */
  held: Msg[] = [];
  private hold: ((m: Msg) => boolean) | null = null;
  private readonly cores: Record<NodeName, NodeCore | null> = { a: null, b: null, dr: null };
  private readonly inc: Record<NodeName, number> = { a: 0, b: 0, dr: 0 };
  private readonly timers = new Map<string, number>();
  private readonly cuts = new Set<string>();
  private events: Ev[] = [];
  private readonly paused = new Set<NodeName>();
  private parked: { node: NodeName; run: () => void }[] = [];
  private seq = 0;
  private reqSeq = 0;

  constructor(readonly bugs: Partial<Record<NodeName, BugSwitch[]>> = {}, readonly params: NodeParams = TEST_PARAMS) {}

  static withBugs(bugs: BugSwitch[], params?: NodeParams): Cluster {
    return new Cluster({ a: bugs, b: bugs, dr: bugs }, params);
  }

  // ---- lifecycle ------------------------------------------------------------------------------
  start(node: NodeName): void {
    this.inc[node]++;
    const core = createNode({ name: node, role: ROLES[node], bugs: this.bugs[node] ?? [], params: this.params });
    this.cores[node] = core;
    const disk: DiskImage = { local: dump(this.disks[node]), backend: node === 'dr' ? {} : dump(this.backend) };
    this.feed(node, () => core.step({ type: 'start', now: this.now, disk }));
  }

  /** Starts a, b, dr and runs until b is paired with a. */
  boot(ms = 200): this {
    for (const n of NAMES) this.start(n);
    this.run(ms);
    return this;
  }

  isUp(node: NodeName): boolean { return this.cores[node] !== null; }

  /** Kills a node; by default its unsynced records are lost, as on power loss. */
  crash(node: NodeName, dropUnsynced = true): void {
    this.cores[node] = null;
    this.inc[node]++;
    this.paused.delete(node);
    this.parked = this.parked.filter((p) => p.node !== node);
    for (const k of [...this.timers.keys()]) if (k.startsWith(`${node}:`)) this.timers.delete(k);
    this.disks[node].crash(node, dropUnsynced);
    if (node !== 'dr') this.backend.crash(node, dropUnsynced);
  }

  /** Freezes a node: everything addressed to it waits until `resume`. */
  pause(node: NodeName): void { this.paused.add(node); }
  resume(node: NodeName): void {
    this.paused.delete(node);
    const parked = this.parked.filter((p) => p.node === node);
    this.parked = this.parked.filter((p) => p.node !== node);
    const inc = this.inc[node];
    // A crash right after the resume must still silence the old incarnation's parked inputs.
    for (const p of parked) this.at(this.now, () => { if (this.inc[node] === inc) p.run(); });
  }

  destroy(node: NodeName): void {
    this.crash(node, true);
    this.disks[node].wipe();
  }

  // ---- network --------------------------------------------------------------------------------
  cut(from: NodeName, to: NodeName): void { this.cuts.add(`${from}>${to}`); }
  heal(from: NodeName, to: NodeName): void { this.cuts.delete(`${from}>${to}`); }
  partition(x: NodeName, y: NodeName): void { this.cut(x, y); this.cut(y, x); }
  healAll(): void { this.cuts.clear(); }
  /** Parks every message the filter matches (until `release`); null stops holding. */
  holdIf(filter: ((m: Msg) => boolean) | null): void { this.hold = filter; }
  release(filter: (m: Msg) => boolean = () => true, reverse = false): void {
    const out = this.held.filter(filter);
    this.held = this.held.filter((m) => !filter(m));
    for (const m of reverse ? out.reverse() : out) this.deliverLater(m);
  }

  // ---- clients --------------------------------------------------------------------------------
  send(node: NodeName, request: ClientRequest): string {
    const req = `r${++this.reqSeq}`;
    const core = this.cores[node];
    if (!core) return req;
    this.feed(node, () => core.step({ type: 'request', now: this.now, req, request }));
    return req;
  }

  /** Sends a request and runs the clock until it is answered (or maxMs passes). */
  call(node: NodeName, request: ClientRequest, maxMs = 3000): ClientReply | null {
    const req = this.send(node, request);
    this.runUntil(() => this.replies.has(req), maxMs);
    return this.replies.get(req) ?? null;
  }

  write(node: NodeName, block: number, value: string, maxMs?: number): ClientReply | null {
    return this.call(node, { f: 'write', block, value }, maxMs);
  }
  read(node: NodeName, block: number, maxMs?: number): ClientReply | null {
    return this.call(node, { f: 'read', block }, maxMs);
  }
  status(node: NodeName): Record<string, unknown> {
    const r = this.call(node, { f: 'status' }, 50);
    return (r && r.ok ? r.status : {}) as Record<string, unknown>;
  }

  // ---- time -----------------------------------------------------------------------------------
  run(ms: number): void { this.runUntil(() => false, ms); }

  runUntil(pred: () => boolean, maxMs: number): boolean {
    const end = this.now + maxMs;
    let still = 0;
    while (!pred()) {
      const ev = this.events[0];
      if (!ev || ev.at > end) { this.now = end; return pred(); }
      this.events.shift();
      if (ev.at > this.now) { this.now = ev.at; still = 0; }
      else if (++still > 100_000) throw new Error(`livelock at ${this.now} ms: 100000 events without time advancing`);
      ev.run();
    }
    return true;
  }

  // ---- disks ----------------------------------------------------------------------------------
  records(volume: Volume | NodeName, file: string): unknown[] {
    const disk = volume === 'backend' ? this.backend : volume === 'local' ? this.disks.a : this.disks[volume];
    return disk.recordsOf(file).map((x) => JSON.parse(x));
  }

  // ---- plumbing -------------------------------------------------------------------------------
  private at(at: number, run: () => void): void {
    const ev = { at, seq: this.seq++, run };
    let i = this.events.length;
    while (i > 0 && (this.events[i - 1].at > at || (this.events[i - 1].at === at && this.events[i - 1].seq > ev.seq))) i--;
    this.events.splice(i, 0, ev);
  }

  private feed(node: NodeName, step: () => Effect[]): void {
    if (this.paused.has(node)) { this.parked.push({ node, run: () => this.feed(node, step) }); return; }
    const effects = step();
    const inc = this.inc[node];
    for (const e of effects) this.apply(node, inc, e);
  }

  private live(node: NodeName, inc: number): NodeCore | null {
    return this.inc[node] === inc ? this.cores[node] : null;
  }

  private apply(node: NodeName, inc: number, e: Effect): void {
    const disk = (v: Volume) => (v === 'backend' ? this.backend : this.disks[node]);
    const ioDelay = this.ioDelayOf[node] ?? this.ioDelay;
    const done = (io: number, ok: boolean, records?: string[]) => this.at(this.now + ioDelay, () => {
      const core = this.live(node, inc);
      if (core) this.feed(node, () => core.step({ type: 'io-done', now: this.now, io, ok, records }));
    });
    switch (e.type) {
      case 'reply': this.replies.set(e.req, e.reply); return;
      case 'log': this.logs.push(`${this.now} ${e.msg}`); return;
      case 'send': {
        const m: Msg = { from: node, to: e.to, msg: e.msg };
        this.sent.push(m);
        if (this.hold && this.hold(m)) { this.held.push(m); return; }
        this.deliverLater(m);
        return;
      }
      case 'set-timer': {
        const key = `${node}:${e.timer}`;
        const id = this.seq;
        this.timers.set(key, id);
        this.at(Math.max(e.at - this.timerEarlyBy, this.now), () => {
          if (this.timers.get(key) !== id) return;
          this.timers.delete(key);
          const core = this.live(node, inc);
          if (core) this.feed(node, () => core.step({ type: 'timer', now: this.now, timer: e.timer }));
        });
        return;
      }
      case 'cancel-timer': this.timers.delete(`${node}:${e.timer}`); return;
      case 'append': {
        disk(e.target.volume).append(e.target.file, e.records, node);
        done(e.io, true);
        return;
      }
      case 'fsync': {
        const token = disk(e.target.volume).fsync(e.target.file, node);
        this.at(this.now + ioDelay, () => {
          const core = this.live(node, inc);
          // crashed before the fsync completed: nothing became durable (disk-model.ts)
          if (!disk(e.target.volume).fsyncDone(token) || !core) return;
          this.feed(node, () => core.step({ type: 'io-done', now: this.now, io: e.io, ok: true }));
        });
        return;
      }
      case 'read': {
        done(e.io, true, disk(e.target.volume).read(e.target.file, e.from, e.to));
        return;
      }
      case 'delete': disk(e.target.volume).delete(e.target.file); done(e.io, true); return;
    }
  }

  private deliverLater(m: Msg): void {
    if (this.cuts.has(`${m.from}>${m.to}`)) return;
    this.at(this.now + this.netDelay, () => {
      if (this.cuts.has(`${m.from}>${m.to}`)) return;
      const core = this.cores[m.to];
      if (core) this.feed(m.to, () => core.step({ type: 'message', now: this.now, from: m.from, msg: m.msg }));
    });
  }
}

function dump(d: Disk): Record<string, string[]> {
  const img = d.image();
  const out: Record<string, string[]> = {};
  for (const k of Object.keys(img).sort()) out[k] = img[k];
  return out;
}
