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
} from '../../../nodes/blockstore/core/types.js';
import { checkRequest } from '../../../nodes/blockstore/wire/request.js';
import { Rng } from '../../../ground/rng.js';
import { CORE_CRASH_MARK, coreCrashLine } from '../../../ground/core-crash.js';
import { SimVolume } from './disk.js';
import { DEFAULT_NET, SimNetwork, type NetParams } from './network.js';
import { Scheduler, type Handle } from './scheduler.js';

const MS = 1_000_000;

export type CoreFactory = (config: NodeConfig) => NodeCore;

export interface DiskParams {
  appendUs: [number, number];
  fsyncUs: [number, number];
  readUs: [number, number];
}
export const DEFAULT_DISK: DiskParams = { appendUs: [10, 60], fsyncUs: [200, 1500], readUs: [20, 200] };

export interface WorldOptions {
  seed: number;
  nodes: readonly NodeName[];
  bugs: readonly BugSwitch[];
  params: NodeParams;
  createCore: CoreFactory;
  net?: Partial<NetParams>;
  disk?: Partial<DiskParams>;
  /** Keep at most this many log lines per node (older ones are dropped, counted). */
  maxLogLines?: number;
}

const INITIAL_ROLE: Record<NodeName, NodeConfig['role']> = { a: 'primary', b: 'partner', dr: 'dr' };

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

  constructor(private readonly opts: WorldOptions) {
    const root = new Rng(opts.seed);
    this.net = new SimNetwork(root.fork('sim/net'), { ...DEFAULT_NET, ...opts.net });
    this.diskRng = root.fork('sim/disk');
    this.disk = { ...DEFAULT_DISK, ...opts.disk };
    this.maxLog = opts.maxLogLines ?? 20_000;
    for (const name of opts.nodes) {
      this.nodes.set(name, new SimNode(name, { name, role: INITIAL_ROLE[name], bugs: opts.bugs, params: opts.params }));
      this.locals.set(name, new SimVolume(`${name}-local`));
    }
  }

  node(name: NodeName): SimNode {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`sim: no node '${name}' in this cluster`);
    return n;
  }

  /** The core's clock: ms since run start (fractional), from the virtual ns clock. */
  private coreNow(): number {
    return this.sched.now() / MS;
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
    this.logLine(n, 'info', `sim: start (life ${n.life})`);
    const disk = { local: this.locals.get(name)!.image(), backend: this.mountsBackend(name) ? this.backend.image() : {} };
    this.step(n, { type: 'start', now: this.coreNow(), disk });
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
    if (how === 'process') {
      this.logLine(n, 'warn', 'sim: killed (unsynced writes stay in the page cache)');
      return;
    }
    const dropped = this.locals.get(name)!.crash(name) + (this.mountsBackend(name) ? this.backend.crash(name) : 0);
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
    const siteLeft = (['a', 'b'] as NodeName[]).some((m) => this.nodes.has(m) && this.nodes.get(m)!.state !== 'destroyed');
    if (!siteLeft) this.backend.wipe();
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
    const lost = [...n.inflight.values()];
    n.inflight.clear();
    for (const route of lost) this.toClient(n.name, () => route({ lost: `connection lost (${why})`, definite: false }));
  }

  private mountsBackend(name: NodeName): boolean {
    return name === 'a' || name === 'b';
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
    input.now = Math.max(this.coreNow(), input.type === 'timer' ? (n.timerAt.get(input.timer) ?? 0) : 0);
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
        this.sched.after(d, () => {
          if (this.net.isCut(from, to.name)) return;
          this.deliver(to, to.life, { type: 'message', now: 0, from, msg });
        });
        return;
      }
      case 'set-timer': {
        n.timers.get(eff.timer)?.cancel();
        const timer = eff.timer;
        const at = eff.at;
        const h = this.sched.at(Math.ceil(at * MS), () => {
          if (n.life !== life) return;
          n.timers.delete(timer);
          n.timerAt.set(timer, at);
          this.deliver(n, life, { type: 'timer', now: 0, timer });
        });
        n.timers.set(timer, h);
        return;
      }
      case 'cancel-timer':
        n.timers.get(eff.timer)?.cancel();
        n.timers.delete(eff.timer);
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

  private volume(n: SimNode, target: RecordFile): SimVolume | null {
    if (target.volume === 'local') return this.locals.get(n.name)!;
    if (!this.mountsBackend(n.name)) return null;
    const siteLeft = (['a', 'b'] as NodeName[]).some((m) => this.nodes.get(m)?.state !== 'destroyed');
    return siteLeft ? this.backend : null;
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
    if (!vol) return void this.sched.at(done, () => this.deliver(n, life, { type: 'io-done', now: 0, io, ok: false }));
    switch (eff.type) {
      case 'append':
        vol.append(file, eff.records, n.name);
        this.sched.at(done, () => this.deliver(n, life, { type: 'io-done', now: 0, io, ok: true }));
        return;
      case 'fsync': {
        const upTo = vol.length(file);
        this.sched.at(done, () => {
          // The sync happened whether or not the node lived to hear of it.
          vol.markSynced(file, upTo);
          this.deliver(n, life, { type: 'io-done', now: 0, io, ok: true });
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
        this.sched.at(done, () => this.deliver(n, life, { type: 'io-done', now: 0, io, ok: true }));
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
        this.step(n, { type: 'request', now: this.coreNow(), req, request: checked.request });
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
