// Seeded random fault schedules over the in-memory cluster (a small nemesis) and the checks a
// run must pass with no bug switch on: no read older than a write acked before it was invoked (which also
// rules out stale cache reads), no acked write lost after heal, and dr converged after heal.
import fc from 'fast-check';
import { Cluster } from './cluster.js';
import type { BugSwitch, ClientReply, NodeName } from '../types.js';

export type Fault =
  | { t: 'write'; block: number; to: 'primary' | 'a' }
  | { t: 'read'; block: number; node: NodeName | 'primary' }
  | { t: 'crash'; node: 'a' | 'b'; down: number }
  | { t: 'pause'; node: 'a' | 'b'; ms: number }
  | { t: 'partition'; x: NodeName; y: NodeName; ms: number }
  | { t: 'lose-journal' }
  | { t: 'wait'; ms: number };

const BLOCKS = 6;
export const step: fc.Arbitrary<Fault> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ t: fc.constant('write' as const), block: fc.nat(BLOCKS - 1), to: fc.constantFrom('primary' as const, 'a' as const) }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('read' as const), block: fc.nat(BLOCKS - 1), node: fc.constantFrom<NodeName | 'primary'>('a', 'b', 'primary') }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('crash' as const), node: fc.constantFrom('a' as const, 'b' as const), down: fc.integer({ min: 5, max: 800 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('pause' as const), node: fc.constantFrom('a' as const, 'b' as const), ms: fc.integer({ min: 5, max: 800 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('partition' as const), x: fc.constantFrom<NodeName>('a', 'b'), y: fc.constantFrom<NodeName>('b', 'dr'), ms: fc.integer({ min: 5, max: 800 }) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'lose-journal' as const }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 60 }) }) },
);

interface Op { kind: 'w' | 'r'; block: number; value?: string; invokedAt: number; req: string; node: NodeName; doneAt?: number }

function primaryOf(c: Cluster): NodeName | null {
  for (const n of ['a', 'b'] as const) if (c.isUp(n) && c.status(n).role === 'primary') return n;
  return null;
}

/** Runs one schedule; returns the first violation found, or null. */
export function runSchedule(faults: Fault[], bugs: BugSwitch[] = [], inspect?: (c: Cluster) => void): string | null {
  const c = Cluster.withBugs(bugs).boot();
  if (inspect) inspect(c);
  const ops: Op[] = [];
  const later: { at: number; run: () => void }[] = [];
  let n = 0;
  const settle = () => {
    for (const l of later.filter((x) => x.at <= c.now)) l.run();
    for (let i = later.length - 1; i >= 0; i--) if (later[i].at <= c.now) later.splice(i, 1);
    for (const op of ops) if (op.doneAt === undefined && c.replies.has(op.req)) op.doneAt = c.now;
  };
  for (const f of faults) {
    settle();
    switch (f.t) {
      case 'write': {
        const node = f.to === 'a' ? 'a' : primaryOf(c) ?? 'a';
        const value = `v${++n}`;
        ops.push({ kind: 'w', block: f.block, value, invokedAt: c.now, node, req: c.send(node, { f: 'write', block: f.block, value }) });
        break;
      }
      case 'read': {
        const node = f.node === 'primary' ? primaryOf(c) ?? 'a' : f.node;
        ops.push({ kind: 'r', block: f.block, invokedAt: c.now, node, req: c.send(node, { f: 'read', block: f.block }) });
        break;
      }
      case 'crash':
        if (c.isUp(f.node)) { c.crash(f.node); later.push({ at: c.now + f.down, run: () => { if (!c.isUp(f.node)) c.start(f.node); } }); }
        break;
      case 'pause':
        c.pause(f.node);
        later.push({ at: c.now + f.ms, run: () => c.resume(f.node) });
        break;
      case 'partition':
        if (f.x !== f.y) { c.partition(f.x, f.y); later.push({ at: c.now + f.ms, run: () => { c.heal(f.x, f.y); c.heal(f.y, f.x); } }); }
        break;
      case 'lose-journal': { const p = primaryOf(c); if (p) c.send(p, { f: 'lose-journal' }); break; }
      case 'wait': c.run(f.ms); break;
    }
    c.run(1);
  }
  // Heal everything and let the cluster settle.
  c.run(900);
  settle();
  for (const l of later) l.run();
  c.healAll();
  for (const node of ['a', 'b', 'dr'] as const) { c.resume(node); if (!c.isUp(node)) c.start(node); }
  c.run(2500);
  settle();

  const reply = (op: Op): ClientReply | undefined => c.replies.get(op.req);
  // 1. No read older than a write acked before the read was invoked.
  for (const r of ops) {
    const rr = reply(r);
    if (r.kind !== 'r' || !rr || !rr.ok) continue;
    for (const w of ops) {
      const wr = reply(w);
      if (w.kind !== 'w' || w.block !== r.block || !wr || !wr.ok || w.doneAt === undefined || w.doneAt >= r.invokedAt) continue;
      if ((rr.version ?? 0) < (wr.version ?? 0)) {
        return `stale read on ${r.node} (${rr.source}) of block ${r.block} at ${r.invokedAt}: v${rr.version} after ack of v${wr.version} at ${w.doneAt}`;
      }
    }
  }
  // 2. No acked write lost.
  const p = primaryOf(c);
  if (!p) return 'no primary after heal';
  const final = new Map<number, ClientReply>();
  for (let b = 0; b < BLOCKS; b++) {
    const r = c.read(p, b);
    if (!r || !r.ok) return `final read of ${b} failed: ${JSON.stringify(r)}`;
    final.set(b, r);
    for (const w of ops) {
      const wr = reply(w);
      if (w.kind === 'w' && w.block === b && wr && wr.ok && (r.version ?? 0) < (wr.version ?? 0)) {
        return `acked write lost: block ${b} v${wr.version} (${w.value}) but final is v${r.version} (${r.value})`;
      }
    }
  }
  // 3. dr converged to the primary.
  const snap = c.call('dr', { f: 'dr-snapshot' });
  if (!snap || !snap.ok || !snap.image) return 'no dr snapshot';
  if (!snap.image.consistent) return `dr not consistent after heal: ${JSON.stringify(c.status('dr'))}`;
  for (const [b, r] of final) {
    const d = snap.image.blocks[b];
    if ((d?.value ?? null) !== (r.ok ? r.value : undefined)) return `dr differs at block ${b}: ${JSON.stringify(d)} vs ${JSON.stringify(r)}`;
  }
  return null;
}

