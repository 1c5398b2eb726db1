// Test kit for driving a SimWorld directly: records operations into a history the way the run
// loop does (checkers/README.md), so tests can judge a hand-made scenario with the real checkers.
import type { HistoryEvent, EventMeta } from '../../../ground/history/types.js';
import { pairHistory } from '../../../ground/history/pair.js';
import type { Checker } from '../../../checkers/types.js';
import type { OpOutcome } from '../../../nodes/blockstore/client/types.js';
import type { NodeName } from '../../../nodes/blockstore/core/types.js';
import { SimClient } from './client.js';
import type { SimWorld } from './world.js';

const MS = 1_000_000;

/** Records operations the way the run loop does (README of checkers): invoke, then completion. */
export class Recorder {
  readonly events: HistoryEvent[] = [];
  private healNs = 0;
  constructor(private readonly w: SimWorld) {}

  private push(e: Omit<HistoryEvent, 'index' | 'time'>): void {
    this.events.push({ index: this.events.length, time: this.w.sched.now(), ...e } as HistoryEvent);
  }

  async op<T extends object>(process: number, f: string, key: number | null, value: unknown, node: NodeName,
    run: () => Promise<OpOutcome<T>>, meta: (r: T) => EventMeta = () => ({}), out: (r: T) => unknown = () => undefined, final = false): Promise<OpOutcome<T>> {
    this.push({ process, type: 'invoke', f, key, value, node, ...(final ? { meta: { final: true } } : {}) });
    const r = await run();
    if (r.status === 'ok') this.push({ process, type: 'ok', f, key, value: out(r as unknown as T), node: r.node, meta: { ...meta(r as unknown as T), ...(final ? { final: true } : {}) } });
    else this.push({ process, type: r.status, f, key, value, node: r.node, meta: { error: r.error, ...(final ? { final: true } : {}) } });
    return r;
  }

  write(c: SimClient, p: number, block: number, value: string) {
    return this.op(p, 'write', block, value, c.node, () => c.write(block, value), (r) => ({ version: r.version }));
  }

  read(c: SimClient, p: number, block: number, final = false) {
    return this.op(p, 'read', block, undefined, c.node, () => c.read(block), (r) => ({ source: r.source, version: r.version }), (r) => r.value, final);
  }

  drSnapshot(c: SimClient, p: number) {
    return this.op(p, 'dr-snapshot', null, undefined, c.node, () => c.drSnapshot(),
      (r) => ({ barrier: r.image.barrier, cut: r.image.cut, consistent: r.image.consistent }), (r) => r.image);
  }

  drStatus(c: SimClient, p: number) {
    return this.op(p, 'dr-status', null, undefined, c.node, () => c.status(), () => ({}), (r) => r.info);
  }

  /** The final heal: checkers judge what comes after it. */
  healed(): void {
    this.healNs = this.w.sched.now();
    this.push({ process: 'nemesis', type: 'info', f: 'stop', meta: { fault: 'partition', targets: [], faultId: 1 } });
  }

  async check(checker: Checker) {
    return checker({ events: this.events, paired: pairHistory(this.events), run: { healNs: this.healNs } });
  }
}

export const sleep = (w: SimWorld, ms: number) => w.sched.sleep(Math.round(ms * MS));
export const client = (w: SimWorld, n: NodeName) => new SimClient(w, n, 2000);

/** Final reads of blocks [0, n) from whoever is primary (a, else b), after the heal. */
export async function finalReads(w: SimWorld, rec: Recorder, blocks: number, p = 90): Promise<void> {
  for (let i = 0; i < 40; i++) {
    const st = await client(w, 'a').status();
    if (st.status === 'ok' && st.info.role === 'primary') break;
    await sleep(w, 100);
  }
  for (let b = 0; b < blocks; b++) {
    for (let tries = 0; tries < 20; tries++) {
      const r = await rec.read(client(w, 'a'), p, b, true);
      if (r.status === 'ok') break;
      const rb = await rec.read(client(w, 'b'), p, b, true);
      if (rb.status === 'ok' && rb.source !== 'cache') break;
      await sleep(w, 100);
    }
  }
}

