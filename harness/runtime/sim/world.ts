// The simulated cluster: nodes hosting the real sans-IO core, a seeded network between them
// and their clients, a disk per node and the shared backend. The world carries out the
// effects each core returns and feeds it inputs at virtual times; every choice it makes
// (delays, drops, disk latency) comes from seeded streams forked per concern.
import type {
  ClientReply,
  ClientRequest,
  Effect,
  Input,
  NodeConfig,
  NodeCore,
  NodeName,
  NodeParams,
  BugSwitch,
  RecordFile,
  Volume,
} from '../../../nodes/blockstore/core/types.js';
import { CLOCK_DRIFT_BOUND, MARKS } from '../../../nodes/blockstore/core/types.js';
import { corruptJournal, type JournalCorruption } from '../../../nodes/blockstore/core/corrupt.js';
import { checkRequest } from '../../../nodes/blockstore/wire/request.js';
import { Rng } from '../../../ground/rng.js';
import { CORE_CRASH_MARK, coreCrashLine } from '../../../ground/core-crash.js';
import { SimVolume } from './disk.js';
import { DEFAULT_NET, SimNetwork, drawNetParams, type LinkParams, type NetParams } from './network.js';
import { Scheduler, type Handle } from './scheduler.js';

const MS = 1_000_000;

/**
 * Injected disk errors on one node (the `disk-errors` fault): its fsyncs (or appends) fail with
 * `code`, the next `count` of them, or each with chance `rate`, or both (whichever comes first
 * ends the count; a rate with no count lasts until healed). A failed fsync syncs nothing (what it
 * covered stays volatile, and on a local volume a power loss drops it even if a later fsync
 * succeeded: fsyncgate); a failed append writes nothing. Appends fail
 * only on the node's local volume: backend records are located by their index, and a record
 * missing from the middle would move every later one (the core README says why).
 */
export interface DiskFault {
  op: 'fsync' | 'append';
  code: 'EIO' | 'ENOSPC';
  count?: number;
  rate?: number;
  /** Only this volume's IO (default: both for fsync, local for append). */
  volume?: Volume;
}

/** A node's clock: ms = anchorMs + (virtual ns - anchorNs) * rate / 1e6. */
interface NodeClock { rate: number; anchorNs: number; anchorMs: number; offsetMs: number }

export type CoreFactory = (config: NodeConfig) => NodeCore;

export interface DiskParams {
  appendUs: [number, number];
  fsyncUs: [number, number];
  readUs: [number, number];
}
export const DEFAULT_DISK: DiskParams = { appendUs: [10, 60], fsyncUs: [200, 1500], readUs: [20, 200] };

/** Per-seed disk latencies (swarm testing): fast NVMe to slow network disks. */
export function drawDiskParams(rng: Rng, o: { dense?: boolean } = {}): DiskParams {
  // Up to a slow disk (4-40 ms fsyncs: a spinning disk, a network volume), where a write
  // acked inside one fsync is no longer a sub-millisecond window; not under dense clients,
  // whose IO would then need more than the disk's whole time: its queue would grow for the
  // whole run (one queue per volume), a load no deployment runs at.
  const scale = rng.pick(o.dense ? [0.2, 0.5, 1, 2, 5] : [0.2, 0.5, 1, 2, 5, 20]);
  const span = (lo: number, hi: number): [number, number] => {
    const a = lo * scale * (0.5 + rng.float());
    return [Math.round(a), Math.round(a + (hi - lo) * scale * (0.5 + rng.float()))];
  };
  return { appendUs: span(10, 60), fsyncUs: span(200, 1500), readUs: span(20, 200) };
}

/** A clock rate for one node, drawn so any two drawn rates stay within the core's
 *  CLOCK_DRIFT_BOUND of each other ((1+h)/(1-h) <= 1 + bound). */
export function drawClockRate(rng: Rng, pEdge = 0): number {
  const h = CLOCK_DRIFT_BOUND / (2 + CLOCK_DRIFT_BOUND) * 0.95;
  // At an edge with chance pEdge: two clocks at opposite edges differ by the whole bound, the
  // case the leases' margin exists for.
  if (pEdge > 0 && rng.bool(pEdge)) return rng.bool() ? 1 - h : 1 + h;
  return 1 - h + rng.float() * 2 * h;
}

/** Per-seed simulated network and disk parameters, drawn from their own stream of `seed`:
 *  what a caller passes as `WorldOptions.net` / `.disk` when it asks for swarm parameters. */
export function drawSimParams(seed: number, o: { dense?: boolean } = {}): { net: NetParams; disk: DiskParams } {
  const rng = new Rng(seed).fork('sim/swarm-params');
  return { net: drawNetParams(rng.fork('net')), disk: drawDiskParams(rng.fork('disk'), o) };
}

export interface WorldOptions {
  seed: number;
  nodes: readonly NodeName[];
  bugs: readonly BugSwitch[];
  params: NodeParams;
  createCore: CoreFactory;
  layout: SimLayout;
  net?: Partial<NetParams>;
  disk?: Partial<DiskParams>;
  /** Keep at most this many log lines per node (older ones are dropped, counted). */
  maxLogLines?: number;
}

/** Where each node of the system sits: its role at first start, and whether it mounts the
 *  shared backend (the system's sim support says: nodes/blockstore/system.ts). */
export interface SimLayout {
  role(name: NodeName): NodeConfig['role'];
  mountsBackend(name: NodeName): boolean;
}

/** Where a client request's answer goes; `lost` means the connection broke after sending. */
type Route = (r: { reply: ClientReply } | { lost: string; definite: boolean }) => void;

class SimNode {
  core: NodeCore | null = null;
  state: 'down' | 'up' | 'destroyed' = 'down';
  paused = false;
  /** Bumped on every start and crash: inputs meant for an earlier life are dropped. */
  life = 0;
  timers = new Map<string, Handle>();
  /** The `at` of each timer's latest firing, so its input's `now` is never before it. */
  timerAt = new Map<string, number>();
  held: Array<() => void> = [];
  /** Requests this life has received and not yet answered. */
  inflight = new Map<string, Route>();
  /** When each of its disk queues is next free (virtual ns), per volume. */
  diskFree = { local: 0, backend: 0 };
  log: string[] = [];
  logDropped = 0;
  /** CORE-CRASH lines among the dropped ones, kept. */
  keptCrashes: string[] = [];
  /** The last `now` this life was given: inputs never see time run backwards. */
  lastNow = 0;
  /** Coverage marks counted across all its lives (MARKS). */
  readonly marks = new Map<string, number>();
  /** null: the node reads the virtual clock itself (the default, and the fast path). */
  clock: NodeClock | null = null;
  /** Offset (ms) its clock takes at its next start, and the rate it runs at. */
  skew = { offsetMs: 0, rate: 1 };
  /** Armed timers' `at` (core ms), so a clock-rate change can re-arm them. */
  timerDue = new Map<string, number>();
  diskFault: DiskFault | null = null;
  /** Files whose append failed: their next fsync reports it (Linux keeps a writeback error
   *  for the next fsync of the file), so a caller waiting on the fsync learns of the append. */
  appendErrors = new Map<string, string>();
  constructor(readonly name: NodeName, readonly config: NodeConfig) {}
}

export class SimWorld {
  readonly sched = new Scheduler();
  readonly net: SimNetwork;
  private readonly diskRng: Rng;
  private readonly disk: DiskParams;
  readonly nodes = new Map<NodeName, SimNode>();
  readonly locals = new Map<NodeName, SimVolume>();
  readonly backend = new SimVolume('backend');
  private nextReq = 0;
  private readonly maxLog: number;
  /** Core exceptions so far (each also a CORE-CRASH line in the node's log). */
  coreCrashes = 0;
  /** Draws of the injected faults (disk errors, corruption): their own stream, so a seed
   *  without them keeps every other draw. */
  private readonly faultRng: Rng;

  constructor(private readonly opts: WorldOptions) {
    const root = new Rng(opts.seed);
    this.net = new SimNetwork(root.fork('sim/net'), { ...DEFAULT_NET, ...opts.net });
    this.diskRng = root.fork('sim/disk');
    this.faultRng = root.fork('sim/faults');
    this.disk = { ...DEFAULT_DISK, ...opts.disk };
    this.maxLog = opts.maxLogLines ?? 20_000;
    for (const name of opts.nodes) {
      this.nodes.set(name, new SimNode(name, { name, role: opts.layout.role(name), bugs: opts.bugs, params: opts.params }));
      this.locals.set(name, new SimVolume(`${name}-local`));
    }
  }

  node(name: NodeName): SimNode {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`sim: no node '${name}' in this cluster`);
    return n;
  }

  /** A node's clock: ms (fractional) from the virtual ns clock, at its own offset and rate. */
  private coreNow(n: SimNode): number {
    const c = n.clock;
    if (c === null) return this.sched.now() / MS;
    return c.anchorMs + ((this.sched.now() - c.anchorNs) * c.rate) / MS;
  }

  /** The virtual ns at which the node's clock reads `at` (never before now). */
  private whenClockReads(n: SimNode, at: number): number {
    const c = n.clock;
    if (c === null) return Math.ceil(at * MS);
    return Math.max(this.sched.now(), c.anchorNs + Math.ceil(((at - c.anchorMs) / c.rate) * MS));
  }

  // ---- injected faults (issue 14) --------------------------------------------------------

  /**
   * Clock skew and drift of one node. `rate` (e.g. 1.05: 5% fast) takes effect at once, the
   * clock running on continuously from its current reading; `offsetMs` takes effect at the
   * node's next start (a process reads some host's clock; within one life a clock only drifts,
   * it never steps: the core's contract). `skewClock(n, 0, 1)` heals both. Rates of any two
   * nodes within CLOCK_DRIFT_BOUND of each other are safe for the leases; beyond it, not.
   */
  skewClock(name: NodeName, offsetMs: number, rate: number): void {
    if (!Number.isFinite(offsetMs) || !Number.isFinite(rate) || rate <= 0) {
      throw new Error(`sim: skewClock(${name}): offset must be finite and rate > 0, got ${offsetMs}, ${rate}`);
    }
    const n = this.node(name);
    n.skew = { offsetMs, rate };
    if (n.state !== 'up') return;
    const reading = this.coreNow(n);
    n.clock = { rate, anchorNs: this.sched.now(), anchorMs: reading, offsetMs: n.clock?.offsetMs ?? 0 };
    // Timers were armed for the old rate: re-arm them to fire when the new clock reads `at`.
    for (const [timer, at] of [...n.timerDue]) this.armTimer(n, n.life, timer, at);
    this.logLine(n, 'warn', `sim: clock rate ${rate} (offset ${offsetMs} ms from its next start)`);
  }

  /** The reading of a node's clock (ms), for tests and status. */
  clockOf(name: NodeName): number {
    return this.coreNow(this.node(name));
  }

  /** Starts (or, with null, heals) injected disk errors on a node. */
  diskErrors(name: NodeName, fault: DiskFault | null): void {
    const n = this.node(name);
    if (fault && fault.op === 'append' && fault.volume === 'backend') {
      throw new Error('sim: append errors are injected on local volumes only (backend records are located by index)');
    }
    if (fault && (fault.count === undefined && fault.rate === undefined)) throw new Error('sim: diskErrors needs a count or a rate');
    n.diskFault = fault ? { ...fault } : null;
    this.logLine(n, 'warn', fault ? `sim: disk errors on: ${JSON.stringify(fault)}` : 'sim: disk errors healed');
  }

  /** Whether this IO of `n` fails, by its injected disk fault (consumes a count / draws a rate). */
  private failsIo(n: SimNode, op: 'append' | 'fsync', volume: Volume): string | null {
    const f = n.diskFault;
    if (!f || f.op !== op) return null;
    if (f.volume ? f.volume !== volume : op === 'append' && volume !== 'local') return null;
    if (f.rate !== undefined && !(this.faultRng.float() < f.rate)) return null;
    if (f.count !== undefined) {
      if (f.count <= 0) return null;
      if (--f.count === 0 && f.rate === undefined) n.diskFault = null;
    }
    return f.code;
  }

  /**
   * Corrupts the node's replication journal on its volume (flip: one bit of an entry's value;
   * torn: the last record cut in half). The running node does not notice (it keeps the journal
   * in memory); its next start reads the corrupt file. Returns what changed, or null.
   */
  corruptJournal(name: NodeName, how: JournalCorruption): string | null {
    const n = this.node(name);
    const vol = this.locals.get(name)!;
    const recs = vol.read('journal', 0, Number.MAX_SAFE_INTEGER);
    const c = corruptJournal(recs, how, (k) => this.faultRng.int(0, k - 1));
    if (!c) return null;
    vol.replace('journal', c.index, c.records[c.index]);
    this.logLine(n, 'warn', `sim: journal corrupted: ${c.what}`);
    return c.what;
  }

  /** Impairs the link `from -> to` (delay, jitter, loss, duplication, reordering) until healed. */
  netem(from: NodeName, to: NodeName, params: LinkParams): void {
    this.net.netem(from, to, params);
  }

  healNetem(from: NodeName, to: NodeName): void {
    this.net.healNetem(from, to);
  }

  /** Heals every injected fault of issue 14 (clock rates, disk errors, netem); offsets stay,
   *  being harmless. Cuts, pauses and crashes are healed by the runtime's healAll. */
  healInjected(): void {
    for (const [name, n] of this.nodes) {
      if (n.skew.rate !== 1) this.skewClock(name, n.skew.offsetMs, 1);
      n.diskFault = null;
    }
    for (const { from, to } of this.net.activeNetem()) this.net.healNetem(from, to);
  }

  /** Coverage marks counted on one node, or summed over the cluster: {name: count}, every
   *  name of MARKS present (0 when never hit). */
  marks(name?: NodeName): Record<string, number> {
    const out: Record<string, number> = {};
    for (const m of MARKS) out[m] = 0;
    for (const n of name ? [this.node(name)] : this.nodes.values()) {
      for (const [m, k] of n.marks) out[m] = (out[m] ?? 0) + k;
    }
    return out;
  }

  // ---- lifecycle ------------------------------------------------------------------------

  start(name: NodeName): void {
    const n = this.node(name);
    if (n.state !== 'down') return;
    n.state = 'up';
    n.paused = false;
    n.life++;
    n.core = this.opts.createCore(n.config);
    n.lastNow = 0;
    n.timerAt.clear();
    n.timerDue.clear();
    n.appendErrors.clear();
    // A new life reads its clock at the skew's offset, running at its rate.
    n.clock = n.skew.offsetMs === 0 && n.skew.rate === 1
      ? null
      : { rate: n.skew.rate, anchorNs: this.sched.now(), anchorMs: this.sched.now() / MS + n.skew.offsetMs, offsetMs: n.skew.offsetMs };
    this.logLine(n, 'info', `sim: start (life ${n.life})`);
    const disk = { local: this.locals.get(name)!.image(), backend: this.mountsBackend(name) ? this.backend.image() : {} };
    this.step(n, { type: 'start', now: this.coreNow(n), disk });
  }

  /**
   * Crash: the process and its memory are gone. `process` is a SIGKILL: what it appended
   * but never fsynced is still in the page cache, so it stays (unsynced). `power` also drops
   * exactly the unsynced records it wrote, like the real shell's `--drop-unsynced` restart.
   */
  crash(name: NodeName, how: 'process' | 'power' = 'power'): void {
    const n = this.node(name);
    if (n.state !== 'up') return;
    this.stopLife(n, 'crash');
    n.state = 'down';
    // Either way its fsyncs in flight never complete for it (disk-model.ts).
    const drop = how === 'power';
    const dropped = this.locals.get(name)!.crash(name, drop) + (this.mountsBackend(name) ? this.backend.crash(name, drop) : 0);
    if (how === 'process') {
      this.logLine(n, 'warn', 'sim: killed (unsynced writes stay in the page cache)');
      return;
    }
    this.logLine(n, 'warn', `sim: crash, ${dropped} unsynced record(s) lost`);
  }

  destroy(name: NodeName): void {
    const n = this.node(name);
    if (n.state === 'destroyed') return;
    if (n.state === 'up') this.stopLife(n, 'destroyed');
    n.state = 'destroyed';
    this.locals.get(name)!.wipe();
    this.logLine(n, 'warn', 'sim: destroyed with its volumes');
    // The shared backend lives at the primary site: it goes when no node mounting it is left.
    if (!this.backendSiteLeft()) this.backend.wipe();
  }

  pause(name: NodeName): void {
    const n = this.node(name);
    if (n.state === 'up') n.paused = true;
  }

  resume(name: NodeName): void {
    const n = this.node(name);
    if (!n.paused) return;
    n.paused = false;
    // What arrived while frozen is delivered now, in arrival order, one event each.
    const held = n.held;
    n.held = [];
    for (const f of held) this.sched.after(0, f);
  }

  private stopLife(n: SimNode, why: string): void {
    n.life++;
    n.core = null;
    n.paused = false;
    n.held = [];
    for (const t of n.timers.values()) t.cancel();
    n.timers.clear();
    n.timerDue.clear();
    const lost = [...n.inflight.values()];
    n.inflight.clear();
    for (const route of lost) this.toClient(n.name, () => route({ lost: `connection lost (${why})`, definite: false }));
  }

  /** Whether some node mounting the shared backend is not destroyed (checked per backend IO:
   *  a loop, not an array per call). */
  private backendSiteLeft(): boolean {
    for (const m of this.nodes.values()) if (m.state !== 'destroyed' && this.mountsBackend(m.name)) return true;
    return false;
  }

  private mountsBackend(name: NodeName): boolean {
    return this.opts.layout.mountsBackend(name);
  }

  // ---- inputs ---------------------------------------------------------------------------

  /**
   * Hands an input to the node's current life, holding it while the node is paused. The
   * input's `now` is stamped when the core actually takes it.
   */
  private deliver(n: SimNode, life: number, input: Input): void {
    if (n.state !== 'up' || n.life !== life) return;
    if (n.paused) {
      n.held.push(() => this.deliver(n, life, input));
      return;
    }
    // A timer never fires before its `at`, even by the rounding of ms to integer ns: a core
    // that re-arms a timer it finds early would otherwise spin at one instant.
    input.now = Math.max(this.coreNow(n), input.type === 'timer' ? (n.timerAt.get(input.timer) ?? 0) : 0);
    this.step(n, input);
  }

  private step(n: SimNode, input: Input): void {
    const core = n.core!;
    if (input.now < n.lastNow) input.now = n.lastNow;
    n.lastNow = input.now;
    let effects: Effect[];
    try {
      effects = core.step(input);
    } catch (e) {
      // A core that throws is a bug in the node, not an injected crash: the marker line
      // (ground/core-crash.ts) is how the run learns of it, as from the real server's log, and
      // the node stops the way the real server does (its process exits; nothing on disk is
      // dropped). A heal may start it again, as docker restarts an exited container.
      this.logLine(n, 'error', coreCrashLine(n.name, input, e));
      this.coreCrashes++;
      this.stopLife(n, 'core exception');
      n.state = 'down';
      this.locals.get(n.name)!.crash(n.name, false);
      if (this.mountsBackend(n.name)) this.backend.crash(n.name, false);
      return;
    }
    const life = n.life;
    for (const eff of effects) this.effect(n, life, eff);
  }

  private effect(n: SimNode, life: number, eff: Effect): void {
    switch (eff.type) {
      case 'reply': {
        const route = n.inflight.get(eff.req);
        if (!route) return;
        n.inflight.delete(eff.req);
        const reply = eff.reply;
        this.toClient(n.name, () => route({ reply }));
        return;
      }
      case 'send': {
        const to = this.nodes.get(eff.to);
        if (!to) return;
        const d = this.net.delay(n.name, eff.to, true);
        if (d === null) return;
        const msg = eff.msg;
        const from = n.name;
        const arrive = () => {
          if (this.net.isCut(from, to.name)) return;
          this.deliver(to, to.life, { type: 'message', now: 0, from, msg });
        };
        this.sched.after(d, arrive);
        const dup = this.net.duplicate(from, eff.to);
        if (dup !== null) this.sched.after(dup, arrive);
        return;
      }
      case 'set-timer':
        this.armTimer(n, life, eff.timer, eff.at);
        return;
      case 'cancel-timer':
        n.timers.get(eff.timer)?.cancel();
        n.timers.delete(eff.timer);
        n.timerDue.delete(eff.timer);
        return;
      case 'mark':
        n.marks.set(eff.name, (n.marks.get(eff.name) ?? 0) + 1);
        return;
      case 'append':
      case 'fsync':
      case 'read':
      case 'delete':
        this.io(n, life, eff);
        return;
      case 'log':
        this.logLine(n, eff.level, eff.msg);
        return;
    }
  }

  /** Arms (or re-arms) a timer to fire when the node's clock reads `at`. */
  private armTimer(n: SimNode, life: number, timer: string, at: number): void {
    n.timers.get(timer)?.cancel();
    n.timerDue.set(timer, at);
    const h = this.sched.at(this.whenClockReads(n, at), () => {
      if (n.life !== life) return;
      n.timers.delete(timer);
      n.timerDue.delete(timer);
      n.timerAt.set(timer, at);
      this.deliver(n, life, { type: 'timer', now: 0, timer });
    });
    n.timers.set(timer, h);
  }

  private volume(n: SimNode, target: RecordFile): SimVolume | null {
    if (target.volume === 'local') return this.locals.get(n.name)!;
    if (!this.mountsBackend(n.name)) return null;
    return this.backendSiteLeft() ? this.backend : null;
  }

  private io(n: SimNode, life: number, eff: Extract<Effect, { type: 'append' | 'fsync' | 'read' | 'delete' }>): void {
    const vol = this.volume(n, eff.target);
    const file = eff.target.file;
    const [lo, hi] = eff.type === 'fsync' ? this.disk.fsyncUs : eff.type === 'read' ? this.disk.readUs : this.disk.appendUs;
    const latency = Math.round((lo + this.diskRng.float() * (hi - lo)) * 1000);
    // One queue per node and volume: completions come back in issue order, so an fsync's
    // completion covers every append issued before it.
    const done = Math.max(this.sched.now(), n.diskFree[eff.target.volume]) + latency;
    n.diskFree[eff.target.volume] = done;
    const io = eff.io;
    // An IO nobody waits for completes unreported: the core would only look its id up and find
    // no continuation, so leaving its event out changes no other event's order or outcome.
    const report = eff.type === 'read' || eff.unawaited !== true;
    if (!vol) {
      if (report) this.sched.at(done, () => this.deliver(n, life, { type: 'io-done', now: 0, io, ok: false }));
      return;
    }
    let failed = eff.type === 'append' || eff.type === 'fsync' ? this.failsIo(n, eff.type, eff.target.volume) : null;
    if (n.appendErrors.size > 0 && eff.type === 'fsync') {
      const key = `${eff.target.volume}/${file}`;
      const earlier = n.appendErrors.get(key);
      if (earlier !== undefined) { n.appendErrors.delete(key); failed ??= earlier; }
    }
    if (failed !== null && eff.type === 'append') n.appendErrors.set(`${eff.target.volume}/${file}`, failed);
    if (failed !== null) {
      // Nothing written (append) or nothing synced (fsync); the core hears the errno. A failed
      // fsync on a local volume also loses what it covered at the next power loss: what was
      // appended before it was issued and is still unsynced when it completes (an earlier fsync
      // that succeeds, completing first in issue order, keeps its records).
      const upTo = vol ? vol.length(file) : 0;
      return void this.sched.at(done, () => {
        if (eff.type === 'fsync' && eff.target.volume === 'local' && vol) vol.failSync(file, upTo);
        if (report) this.deliver(n, life, { type: 'io-done', now: 0, io, ok: false, error: failed });
      });
    }
    switch (eff.type) {
      case 'append':
        vol.append(file, eff.records, n.name);
        if (report) this.sched.at(done, () => this.deliver(n, life, { type: 'io-done', now: 0, io, ok: true }));
        return;
      case 'fsync': {
        const token = vol.fsync(file, n.name);
        this.sched.at(done, () => {
          // Durable only if the node is still in the life that issued it (disk-model.ts).
          vol.fsyncDone(token);
          if (report) this.deliver(n, life, { type: 'io-done', now: 0, io, ok: true });
        });
        return;
      }
      case 'read': {
        const { from, to } = eff;
        this.sched.at(done, () => this.deliver(n, life, { type: 'io-done', now: 0, io, ok: true, records: vol.read(file, from, to) }));
        return;
      }
      case 'delete':
        vol.delete(file);
        if (report) this.sched.at(done, () => this.deliver(n, life, { type: 'io-done', now: 0, io, ok: true }));
        return;
    }
  }

  // ---- client traffic -------------------------------------------------------------------

  /** A message from a node to a client: delayed like any other, never cut or dropped. */
  private toClient(from: NodeName, fn: () => void): void {
    const d = this.net.delay(from, 'client', false) ?? 0;
    this.sched.after(d, fn);
  }

  /**
   * Sends a client request to `name`. `route` is called exactly once unless the node never
   * answers (paused, or the reply is lost): the caller's timeout covers that.
   */
  request(name: NodeName, request: ClientRequest, route: Route): string {
    const n = this.node(name);
    const req = `r${this.nextReq++}`;
    const d = this.net.delay('client', name, false) ?? 0;
    this.sched.after(d, () => {
      if (n.state !== 'up') {
        // Nothing listens: the connection is refused before anything was sent.
        this.toClient(name, () => route({ lost: n.state === 'destroyed' ? 'node destroyed' : 'connection refused', definite: true }));
        return;
      }
      const life = n.life;
      const arrive = (): void => {
        if (n.state !== 'up' || n.life !== life) {
          // It sat in the frozen node's socket buffer when the node died.
          this.toClient(name, () => route({ lost: 'connection lost', definite: false }));
          return;
        }
        if (n.paused) return void n.held.push(arrive);
        // The same gate as the real shell: malformed or out-of-range requests never reach the core.
        const checked = checkRequest(request, this.opts.params);
        if (!checked.ok) {
          const reply: ClientReply = { ok: false, node: name, error: `${checked.error}: ${checked.reason}`, definite: true };
          this.toClient(name, () => route({ reply }));
          return;
        }
        n.inflight.set(req, route);
        this.step(n, { type: 'request', now: this.coreNow(n), req, request: checked.request });
      };
      arrive();
    });
    return req;
  }

  /** Forgets a request whose caller gave up (timeout): a late reply is then dropped. */
  abandon(name: NodeName, req: string): void {
    this.nodes.get(name)?.inflight.delete(req);
  }

  // ---- logs -----------------------------------------------------------------------------

  private logLine(n: SimNode, level: string, msg: string): void {
    const t = (this.sched.now() / MS).toFixed(3);
    n.log.push(`${t}ms ${level} ${msg}`);
    if (n.log.length > 2 * this.maxLog) {
      // Trim in bulk: shifting one line at a time is quadratic on chatty nodes.
      const extra = n.log.length - this.maxLog;
      // A CORE-CRASH line is a verdict: it is never trimmed away with the chatter around it.
      for (const l of n.log.slice(0, extra)) if (l.includes(CORE_CRASH_MARK)) n.keptCrashes.push(l);
      n.log.splice(0, extra);
      n.logDropped += extra;
    }
  }

  logs(name: NodeName): string {
    const n = this.node(name);
    const head = n.logDropped > 0 ? `(${n.logDropped} earlier line(s) dropped)\n${n.keptCrashes.map((l) => `${l}\n`).join('')}` : '';
    return head + n.log.join('\n') + (n.log.length ? '\n' : '');
  }
}
