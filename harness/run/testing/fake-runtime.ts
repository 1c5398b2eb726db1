// A tiny in-memory Runtime for unit tests of the run loop, the nemesis executor and the
// workloads: one linearizable store behind a virtual clock, with faults that only change
// availability. It is not a model of the block store (the sim runtime is); it records every
// fault call so tests can check what the executor did.
import type { OpOutcome } from '../../../nodes/blockstore/client/types.js';
import { BlockstoreClient, type AdminBlockClient } from '../../../nodes/blockstore/client/generic.js';
import type { DrImage, NodeName, NodeStatus } from '../../../nodes/blockstore/core/types.js';
import type { Client } from '../../../ground/system.js';
import type { ClusterSpec, Runtime } from '../../runtime/types.js';

type Timer = { at: number; seq: number; resolve: () => void };

/** Virtual time: a sleeper wakes only when every other task has settled (setImmediate). */
export class VirtualClock {
  private t = 0;
  private seq = 0;
  private timers: Timer[] = [];
  private scheduled = false;
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timers.push({ at: this.t + Math.max(0, ms) * 1e6, seq: this.seq++, resolve });
      this.kick();
    });
  }
  private kick(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.timers.length) return;
      let best = 0;
      for (let i = 1; i < this.timers.length; i++) {
        const x = this.timers[i], b = this.timers[best];
        if (x.at < b.at || (x.at === b.at && x.seq < b.seq)) best = i;
      }
      const [tm] = this.timers.splice(best, 1);
      this.t = Math.max(this.t, tm.at);
      tm.resolve();
      if (this.timers.length) this.kick();
    });
  }
}

export class FakeRuntime implements Runtime {
  readonly kind = 'sim' as const;
  readonly clock = new VirtualClock();
  readonly calls: string[] = [];
  private store = new Map<number, { value: string; version: number }>();
  private version = 0;
  private dead = new Set<NodeName>();
  private paused = new Set<NodeName>();
  private cuts = new Set<string>();
  primary: NodeName = 'a';
  upCalled = false;
  downCalled = 0;
  /** Make the store lose acked writes (a planted bug for checker tests). */
  constructor(private readonly opts: { opMs?: number; failUp?: boolean } = {}) {}

  now(): number {
    return this.clock.now();
  }
  sleep(ms: number): Promise<void> {
    return this.clock.sleep(ms);
  }
  async up(_spec: ClusterSpec): Promise<void> {
    this.calls.push('up');
    if (this.opts.failUp) throw new Error('engine refused to start the cluster');
    this.upCalled = true;
  }
  async down(): Promise<void> {
    this.calls.push('down');
    this.downCalled++;
  }
  private reachable(n: NodeName): boolean {
    return !this.dead.has(n) && !this.paused.has(n);
  }
  client(node: string): Client {
    return new BlockstoreClient(this.transport(node as NodeName));
  }
  private transport(node: NodeName): AdminBlockClient {
    const rt = this;
    const op = async <T>(f: () => OpOutcome<T>): Promise<OpOutcome<T>> => {
      await rt.sleep(rt.opts.opMs ?? 2);
      if (rt.paused.has(node)) {
        await rt.sleep(50);
        return { status: 'info', node, error: 'timeout' };
      }
      if (rt.dead.has(node)) return { status: 'fail', node, error: 'connection-refused' };
      return f();
    };
    const write = (block: number, value: string): OpOutcome<{ version: number }> => {
      if (node !== rt.primary) return { status: 'fail', node, error: 'not-primary' };
      const version = ++rt.version;
      rt.store.set(block, { value, version });
      return { status: 'ok', node, version };
    };
    return {
      node,
      read: (block) =>
        op(() => {
          const v = rt.store.get(block);
          return { status: 'ok', node, value: v?.value ?? null, version: v?.version ?? 0, source: node === 'b' ? 'cache' : 'oplog' };
        }),
      write: (block, value) => op(() => write(block, value)),
      cas: (block, expected, value) =>
        op(() => {
          if (node !== rt.primary) return { status: 'fail', node, error: 'not-primary' };
          if ((rt.store.get(block)?.value ?? null) !== expected) return { status: 'fail', node, error: 'cas-mismatch' };
          return write(block, value);
        }),
      status: () => op(() => ({ status: 'ok', node, info: rt.statusOf(node) })),
      drSnapshot: () => op(() => ({ status: 'ok', node, image: rt.image() })),
      drRestore: (barrier) => op(() => ({ status: 'ok', node, image: { ...rt.image(), barrier } })),
      loseJournal: () => op(() => {
        rt.calls.push(`lose-journal ${node}`);
        return { status: 'ok', node };
      }),
      promote: () => op(() => {
        rt.calls.push('recover');
        rt.primary = 'dr';
        return { status: 'ok', node, ...(rt.promoteCut !== undefined ? { cut: rt.promoteCut } : {}) };
      }),
      clockSkew: (offsetMs, rate) => op(() => (rt.calls.push(`clock-skew ${node} ${rate}`), { status: 'ok', node })),
      corruptJournal: (how) => op(() => (rt.calls.push(`corrupt-journal ${node} ${how}`), { status: 'ok', node, corrupted: null })),
      diskErrors: (f, code, count) => op(() => (rt.calls.push(`disk-errors ${node} ${f} ${code} ${count}`), { status: 'ok', node })),
      close: async () => {},
    };
  }
  private image(): DrImage {
    const blocks: DrImage['blocks'] = {};
    for (const [k, v] of [...this.store.entries()].sort((x, y) => x[0] - y[0])) blocks[k] = { ...v };
    return { barrier: this.version, cut: this.version, consistent: true, blocks };
  }
  private statusOf(n: NodeName): NodeStatus {
    return { node: n, role: n === 'dr' ? 'dr' : n === this.primary ? 'primary' : 'partner', epoch: 1, version: this.version, barrier: this.version, cut: this.version, consistent: true };
  }
  async kill(n: NodeName) { this.calls.push(`kill ${n}`); this.dead.add(n); if (n === this.primary && !this.dead.has('b')) this.primary = n === 'a' ? 'b' : 'a'; }
  /** The sim's crash: a power loss is the block store's kill-unsynced. */
  async crash(n: string, how: 'process' | 'power') { if (how === 'power') this.calls.push(`kill-unsynced ${n}`); await this.kill(n as NodeName); }
  async start(n: NodeName) { this.calls.push(`start ${n}`); this.dead.delete(n); }
  async pause(n: NodeName) { this.calls.push(`pause ${n}`); this.paused.add(n); }
  async resume(n: NodeName) { this.calls.push(`resume ${n}`); this.paused.delete(n); }
  async cut(f: NodeName, t: NodeName) { this.calls.push(`cut ${f}>${t}`); this.cuts.add(`${f}>${t}`); }
  async heal(f: NodeName, t: NodeName) { this.calls.push(`heal ${f}>${t}`); this.cuts.delete(`${f}>${t}`); }
  async destroy(n: NodeName) { this.calls.push(`destroy ${n}`); this.dead.add(n); }
  /** The cut a promote reports (a real dr reports its latest consistent image's). */
  promoteCut: number | undefined = undefined;
  async logs(n: NodeName) { return `log of ${n}\n`; }
  async status(n: string) { return this.reachable(n as NodeName) ? this.statusOf(n as NodeName) : null; }
  async healAll() {
    this.calls.push('healAll');
    for (const n of [...this.dead]) if (n === 'dr' || this.primary !== 'dr') this.dead.delete(n);
    this.paused.clear();
    this.cuts.clear();
  }
  activeCuts(): string[] { return [...this.cuts]; }
  deadNodes(): NodeName[] { return [...this.dead]; }
}
