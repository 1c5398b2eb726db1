// One client process: invokes an operation, records invoke then exactly one completion that
// mirrors the client's outcome (ok / fail definite / info indeterminate), and routes writes
// to the node it believes is primary. After an `info` the process takes a fresh id (Jepsen's
// convention): its old op may still take effect, so it must not look sequential with the next.
import type { BlockClient, OpOutcome } from '../nodes/blockstore/client/types.js';
import type { NodeName, DrImage } from '../nodes/blockstore/core/types.js';
import type { EventMeta } from '../ground/history/types.js';
import type { WorkloadContext } from './types.js';

export class ClientPool {
  private readonly clients = new Map<string, BlockClient>();
  constructor(private readonly ctx: Pick<WorkloadContext, 'runtime'>) {}
  get(slot: number, node: NodeName): BlockClient {
    const k = `${slot}/${node}`;
    let c = this.clients.get(k);
    if (!c) {
      c = this.ctx.runtime.client(node);
      this.clients.set(k, c);
    }
    return c;
  }
  async closeAll(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    for (const c of all) {
      try {
        await c.close();
      } catch {
        // closing a client of a dead node is not worth failing the run over
      }
    }
  }
}

export type Op =
  | { f: 'read'; block: number; node?: NodeName }
  | { f: 'write'; block: number; value: string }
  | { f: 'cas'; block: number; expected: string | null; value: string }
  | { f: 'dr-snapshot' }
  | { f: 'dr-restore'; barrier: number }
  /** dr's NodeStatus, recorded so convergence can see when dr first says it caught up. */
  | { f: 'dr-status' };

/** A dr image in the checkers' plain convention: block -> {value, version}, blocks in order. */
export function imageValue(img: DrImage): Record<string, { value: string; version: number }> {
  const out: Record<string, { value: string; version: number }> = {};
  for (const k of Object.keys(img.blocks ?? {}).map(Number).sort((x, y) => x - y)) out[k] = { value: img.blocks[k].value, version: img.blocks[k].version };
  return out;
}

export class Process {
  id: number;
  private guess: NodeName;
  private generation: number;

  constructor(
    private readonly ctx: WorkloadContext,
    private readonly pool: ClientPool,
    /** The worker slot; ids are slot, slot + stride, slot + 2*stride ... */
    readonly slot: number,
    private readonly stride: number,
    private readonly extraMeta: EventMeta = {},
  ) {
    this.id = slot;
    this.guess = ctx.view.primary;
    this.generation = ctx.view.generation;
  }

  /** The node this process sends writes to. */
  primary(): NodeName {
    const v = this.ctx.view;
    if (this.generation !== v.generation || !v.pair.includes(this.guess)) {
      this.generation = v.generation;
      this.guess = v.primary;
    }
    return this.guess;
  }

  private reroute(): void {
    const pair = this.ctx.view.pair;
    if (pair.length < 2) return;
    const i = pair.indexOf(this.guess);
    this.guess = pair[(i + 1) % pair.length];
  }

  /** Runs one op and returns its outcome (already recorded). */
  async invoke(op: Op): Promise<OpOutcome<object>> {
    const { history, counts } = this.ctx;
    const node: NodeName = op.f === 'read' ? op.node ?? this.primary() : op.f === 'dr-snapshot' || op.f === 'dr-restore' || op.f === 'dr-status' ? 'dr' : this.primary();
    const key = op.f === 'read' || op.f === 'write' || op.f === 'cas' ? op.block : undefined;
    if (op.f === 'write' || op.f === 'cas') this.ctx.touched.add(op.block);
    const arg = op.f === 'write' ? op.value : op.f === 'cas' ? [op.expected, op.value] : op.f === 'dr-restore' ? op.barrier : undefined;
    const process = this.id;
    const meta = Object.keys(this.extraMeta).length ? { ...this.extraMeta } : undefined;
    history.append({ process, type: 'invoke', f: op.f, key, value: arg, node, meta });
    counts.invoked++;
    const client = this.pool.get(this.slot, node);
    let out: OpOutcome<object>;
    try {
      switch (op.f) {
        case 'read': out = await client.read(op.block); break;
        case 'write': out = await client.write(op.block, op.value); break;
        case 'cas': out = await client.cas(op.block, op.expected, op.value); break;
        case 'dr-snapshot': out = await client.drSnapshot(); break;
        case 'dr-restore': out = await client.drRestore(op.barrier); break;
        case 'dr-status': out = await client.status(); break;
      }
    } catch (e) {
      // A client that throws broke its contract; the op may have happened.
      out = { status: 'info', node, error: `client-error: ${(e as Error).message}` };
    }
    const m: EventMeta = { ...this.extraMeta };
    let failover: { faultId: number | null } | null = null;
    let value: unknown = arg;
    if (out.status === 'ok') {
      const r = out as unknown as Record<string, unknown>;
      if (op.f === 'read') {
        value = r.value ?? null;
        m.source = r.source as EventMeta['source'];
        m.version = r.version as number;
      } else if (op.f === 'write' || op.f === 'cas') {
        m.version = r.version as number;
        failover = this.ctx.view.acked(out.node ?? node);
      } else if (op.f === 'dr-status') {
        const st = r.info as Record<string, unknown>;
        value = st;
        if (typeof st?.cut === 'number') m.cut = st.cut;
        if (typeof st?.barrier === 'number') m.barrier = st.barrier;
        if (typeof st?.consistent === 'boolean') m.consistent = st.consistent;
      } else {
        const img = r.image as DrImage;
        value = imageValue(img);
        m.barrier = img.barrier;
        m.cut = img.cut;
        m.consistent = img.consistent;
      }
      if (typeof r.epoch === 'number') m.epoch = r.epoch;
      counts.ok++;
    } else {
      m.error = out.error;
      if (out.status === 'fail') counts.fail++;
      else counts.info++;
      if (op.f === 'write' || op.f === 'cas') {
        // Any refusal but a cas mismatch (refused, fenced, not-primary, no answer, connect
        // errors) means the other node of the pair may be the one serving now.
        if (out.error !== 'cas-mismatch') this.reroute();
      }
    }
    history.append({
      process,
      type: out.status,
      f: op.f,
      key,
      value: out.status === 'info' ? undefined : value,
      node: out.node ?? node,
      meta: Object.keys(m).length ? m : undefined,
    });
    if (failover) {
      // The new primary's first acknowledged write: the failover is over (stats: RTO).
      const served = out.node ?? node;
      history.append({ process: 'nemesis', type: 'info', f: 'recovered', value: { node: served }, node: served, meta: { node: served, ...(failover.faultId !== null ? { faultId: failover.faultId } : {}) } });
    }
    if (out.status === 'info') this.id += this.stride;
    this.ctx.onOp?.();
    return out;
  }
}

/** Waits a think time drawn from the process's stream; at least 1 ms so a loop always advances time. */
export async function think(ctx: WorkloadContext, mean: number, draw: () => number): Promise<void> {
  await ctx.runtime.sleep(Math.max(1, Math.round(draw() * mean * 10) / 10));
}

/** True while the process should keep invoking (time left, budget left, not aborted). */
export function more(ctx: WorkloadContext): boolean {
  return !ctx.aborted.value && ctx.runtime.now() < ctx.endNs && ctx.budget.left > 0;
}

/** Takes one op from the shared budget. */
export function take(ctx: WorkloadContext): boolean {
  if (ctx.budget.left <= 0) return false;
  ctx.budget.left--;
  return true;
}
