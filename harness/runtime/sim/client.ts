// A BlockClient whose operations travel the simulated network. This is only the transport: what
// is ok, fail or info is decided by the real client's rule (nodes/blockstore/client/outcome.ts),
// the same code the TCP client runs, so a mistake there shows in the simulator too. A
// connection refused before sending is `not-sent`; a timeout on the virtual clock or a
// connection lost after sending is `lost`.
import type { BlockClient, OpOutcome, ReadResult, WriteResult } from '../../../nodes/blockstore/client/types.js';
import { mutates, outcome, type Raw } from '../../../nodes/blockstore/client/outcome.js';
import type { ClientReply, ClientRequest, DrImage, NodeName, NodeStatus } from '../../../nodes/blockstore/core/types.js';
import type { SimWorld } from './world.js';
import type { JournalCorruption } from '../../../nodes/blockstore/core/corrupt.js';

const MS = 1_000_000;

type Ok = Extract<ClientReply, { ok: true }>;

export class SimClient implements BlockClient {
  private closed = false;

  constructor(
    private readonly world: SimWorld,
    readonly node: NodeName,
    private readonly timeoutMs: number,
  ) {}

  private call<T extends object>(request: ClientRequest, ok: (r: Ok) => T): Promise<OpOutcome<T>> {
    const node = this.node;
    if (this.closed) return Promise.resolve({ status: 'fail', node, error: 'client closed' });
    const { sched } = this.world;
    const x = sched.external<OpOutcome<T>>();
    const m = mutates(request);
    const req = this.world.request(node, request, (r) => {
      timer.cancel();
      const raw: Raw = 'lost' in r
        ? { kind: r.definite ? 'not-sent' : 'lost', error: r.lost }
        : { kind: 'reply', reply: r.reply, extra: {} };
      x.settle(outcome(node, raw, m, ok));
    });
    const timer = sched.after(this.timeoutMs * MS, () => {
      this.world.abandon(node, req);
      x.settle(outcome(node, { kind: 'lost', error: 'timeout' }, m, ok));
    });
    return x.promise;
  }

  read(block: number): Promise<OpOutcome<ReadResult>> {
    return this.call({ f: 'read', block }, (r) => ({
      value: r.value ?? null,
      source: r.source ?? 'backend',
      version: r.version ?? 0,
      ...(r.epoch !== undefined ? { epoch: r.epoch } : {}),
    }));
  }

  write(block: number, value: string): Promise<OpOutcome<WriteResult>> {
    return this.call({ f: 'write', block, value }, versioned);
  }

  cas(block: number, expected: string | null, value: string): Promise<OpOutcome<WriteResult>> {
    return this.call({ f: 'cas', block, expected, value }, versioned);
  }

  status(): Promise<OpOutcome<{ info: NodeStatus }>> {
    return this.call({ f: 'status' }, (r) => ({ info: r.status as NodeStatus }));
  }

  drSnapshot(): Promise<OpOutcome<{ image: DrImage }>> {
    return this.call({ f: 'dr-snapshot' }, (r) => ({ image: r.image as DrImage }));
  }

  drRestore(barrier: number): Promise<OpOutcome<{ image: DrImage }>> {
    return this.call({ f: 'dr-restore', barrier }, (r) => ({ image: r.image as DrImage }));
  }

  loseJournal(): Promise<OpOutcome<object>> {
    return this.call({ f: 'lose-journal' }, () => ({}));
  }

  // The fault requests a real node's shell carries out (server/shell.ts); here the world is the
  // shell, so they act at once. A node that is down has no shell to ask.
  private shell<T extends object>(act: () => T): Promise<OpOutcome<T>> {
    const node = this.node;
    if (this.closed) return Promise.resolve({ status: 'fail', node, error: 'client closed' });
    if (this.world.node(node).state !== 'up') return Promise.resolve({ status: 'fail', node, error: 'not-sent: node down' });
    return Promise.resolve({ status: 'ok', node, ...act() });
  }

  clockSkew(offsetMs: number, rate: number): Promise<OpOutcome<object>> {
    return this.shell(() => (this.world.skewClock(this.node, offsetMs, rate), {}));
  }

  corruptJournal(how: JournalCorruption): Promise<OpOutcome<{ corrupted: string | null }>> {
    return this.shell(() => ({ corrupted: this.world.corruptJournal(this.node, how) }));
  }

  diskErrors(op: 'fsync' | 'append', code: 'EIO' | 'ENOSPC', count: number, volume?: 'local' | 'backend'): Promise<OpOutcome<object>> {
    return this.shell(() => (this.world.diskErrors(this.node, count > 0 ? { op, code, count, ...(volume ? { volume } : {}) } : null), {}));
  }

  /** Promotes dr to primary (site-loss recovery); not part of BlockClient. */
  promote(): Promise<OpOutcome<{ cut?: number }>> {
    // The reply's version is the cut of the image dr was promoted from.
    return this.call({ f: 'promote' }, (r) => (typeof r.version === 'number' ? { cut: r.version } : {}));
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function versioned(r: Ok): WriteResult {
  return { version: r.version ?? 0, ...(r.epoch !== undefined ? { epoch: r.epoch } : {}) };
}
