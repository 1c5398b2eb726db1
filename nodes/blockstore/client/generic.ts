// The block store's side of the System seam's client contract (ground/system.ts): one generic
// Op in, one classified Outcome out, with the facts the storage checkers read (read source,
// version, epoch, dr barrier/cut/consistency) in `meta`. The transport underneath is a
// BlockClient: TCP against real nodes, or the simulator's network; both classify ok / fail /
// info by the same rules, so this mapping is the one place that turns replies into history.
import type { Client, Op, Outcome } from '../../../ground/system.js';
import type { EventMeta } from '../../../ground/history/types.js';
import type { DrImage, NodeStatus } from '../core/types.js';
import type { BlockClient, OpOutcome } from './types.js';
import type { JournalCorruption } from '../core/corrupt.js';

/** A transport that can also promote dr (site-loss recovery) and carry the shell's fault
 *  requests (server/shell.ts); both real and sim clients can. */
export type AdminBlockClient = BlockClient & {
  promote(): Promise<OpOutcome<{ info?: NodeStatus; cut?: number }>>;
  clockSkew(offsetMs: number, rate: number): Promise<OpOutcome<object>>;
  corruptJournal(how: JournalCorruption, seed?: number): Promise<OpOutcome<{ corrupted: string | null }>>;
  diskErrors(op: 'fsync' | 'append', code: 'EIO' | 'ENOSPC', count: number, volume?: 'local' | 'backend'): Promise<OpOutcome<object>>;
};

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** A dr image in the checkers' plain convention: block -> {value, version}, blocks in order. */
export function imageValue(img: DrImage): Record<string, { value: string; version: number }> {
  const out: Record<string, { value: string; version: number }> = {};
  // Block numbers are integer keys, which an object always lists in ascending order.
  for (const k in img.blocks ?? {}) {
    const b = img.blocks[k as unknown as number];
    out[k] = { value: b.value, version: b.version };
  }
  return out;
}

const isBlock = (k: unknown): k is number => typeof k === 'number' && Number.isInteger(k) && k >= 0;

/** Calls the one request `op` stands for; an op the block store does not know is a definite
 *  refusal (nothing was sent). */
function call(c: AdminBlockClient, op: Op): Promise<OpOutcome<object>> | null {
  switch (op.f) {
    case 'read':
      return isBlock(op.key) ? c.read(op.key) : null;
    case 'write':
      return isBlock(op.key) && typeof op.value === 'string' ? c.write(op.key, op.value) : null;
    case 'cas': {
      const v = op.value;
      if (!isBlock(op.key) || !Array.isArray(v) || v.length !== 2 || typeof v[1] !== 'string' || (v[0] !== null && typeof v[0] !== 'string')) return null;
      return c.cas(op.key, v[0] as string | null, v[1]);
    }
    case 'status':
    case 'dr-status':
      return c.status();
    case 'dr-snapshot':
      return c.drSnapshot();
    case 'dr-restore':
      return typeof op.value === 'number' ? c.drRestore(op.value) : null;
    case 'lose-journal':
      return c.loseJournal();
    case 'promote':
      return c.promote();
    // The fault requests: value carries their fields (what FaultCapability args hold).
    case 'clock-skew': {
      const v = op.value;
      if (!isRecord(v) || typeof v.rate !== 'number' || (v.offsetMs !== undefined && typeof v.offsetMs !== 'number')) return null;
      return c.clockSkew((v.offsetMs as number | undefined) ?? 0, v.rate);
    }
    case 'corrupt-journal': {
      const v = op.value;
      if (!isRecord(v) || (v.how !== 'flip' && v.how !== 'torn')) return null;
      return c.corruptJournal(v.how, typeof v.seed === 'number' ? v.seed : 0);
    }
    case 'disk-errors': {
      const v = op.value;
      if (!isRecord(v) || (v.op !== 'fsync' && v.op !== 'append') || (v.code !== 'EIO' && v.code !== 'ENOSPC') || typeof v.count !== 'number') return null;
      return c.diskErrors(v.op, v.code, v.count, v.volume === 'local' || v.volume === 'backend' ? v.volume : undefined);
    }
    default:
      return null;
  }
}

/** Shapes a successful reply into the value and meta the history records for `op`. */
function okOutcome(op: Op, r: Record<string, unknown>, node: string): Outcome {
  const m: EventMeta = {};
  let value: unknown = op.value;
  switch (op.f) {
    case 'read':
      value = r.value ?? null;
      m.source = r.source as EventMeta['source'];
      m.version = r.version as number;
      break;
    case 'write':
    case 'cas':
      m.version = r.version as number;
      break;
    case 'status':
    case 'dr-status': {
      const st = r.info as Record<string, unknown>;
      value = st;
      if (typeof st?.cut === 'number') m.cut = st.cut;
      if (typeof st?.barrier === 'number') m.barrier = st.barrier;
      if (typeof st?.consistent === 'boolean') m.consistent = st.consistent;
      break;
    }
    case 'dr-snapshot':
    case 'dr-restore': {
      const img = r.image as DrImage;
      value = imageValue(img);
      m.barrier = img.barrier;
      m.cut = img.cut;
      m.consistent = img.consistent;
      break;
    }
    case 'promote':
      value = typeof r.cut === 'number' ? { cut: r.cut } : undefined;
      if (typeof r.cut === 'number') m.cut = r.cut;
      break;
    default:
      value = undefined;
  }
  if (typeof r.epoch === 'number') m.epoch = r.epoch;
  return { status: 'ok', node, value, ...(Object.keys(m).length ? { meta: m } : {}) };
}

export class BlockstoreClient implements Client {
  constructor(private readonly transport: AdminBlockClient) {}

  get node(): string {
    return this.transport.node;
  }

  async invoke(op: Op): Promise<Outcome> {
    const node = this.transport.node;
    const pending = call(this.transport, op);
    if (!pending) return { status: 'fail', node, error: `bad-request: the block store has no operation ${op.f} with key ${JSON.stringify(op.key)} and value ${JSON.stringify(op.value)}` };
    let out: OpOutcome<object>;
    try {
      out = await pending;
    } catch (e) {
      // A transport that throws broke its contract; the op may have happened.
      return { status: 'info', node, error: `client-error: ${(e as Error).message}` };
    }
    if (out.status === 'ok') return okOutcome(op, out as unknown as Record<string, unknown>, out.node ?? node);
    return { status: out.status, node: out.node ?? node, error: out.error };
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
