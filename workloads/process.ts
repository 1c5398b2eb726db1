// One client process: invokes an operation, records invoke then exactly one completion that
// mirrors the client's outcome (ok / fail definite / info indeterminate), and routes writes
// to the node it believes is primary. After an `info` the process takes a fresh id (Jepsen's
// convention): its old op may still take effect, so it must not look sequential with the next.
import type { Client, Op, Outcome } from '../ground/system.js';
import type { EventMeta } from '../ground/history/types.js';
import type { WorkloadContext } from './types.js';

export class ClientPool {
  private readonly clients = new Map<string, Client>();
  constructor(private readonly ctx: Pick<WorkloadContext, 'runtime'>) {}
  get(slot: number, node: string): Client {
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

/** An operation and, for reads and ops meant for one node, the node to send it to; otherwise
 *  it goes to the node the process believes is primary. */
export type RoutedOp = Op & { node?: string };

/** Operations that change state: their acks tell when a failover completed, and a refusal
 *  means another node may be serving now. */
const WRITES = new Set(['write', 'cas', 'add']);

export class Process {
  id: number;
  private guess: string;
  private generation: number;
  /** Whether this process adds fields of its own to every event's meta (fixed per process). */
  private readonly extra: boolean;

  constructor(
    private readonly ctx: WorkloadContext,
    private readonly pool: ClientPool,
    /** The worker slot; ids are slot, slot + stride, slot + 2*stride ... */
    readonly slot: number,
    private readonly stride: number,
    private readonly extraMeta: EventMeta = {},
  ) {
    this.id = slot;
    this.extra = hasKeys(extraMeta);
    this.guess = ctx.view.primary;
    this.generation = ctx.view.generation;
  }

  /** The node this process sends writes to. */
  primary(): string {
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
  async invoke(op: RoutedOp): Promise<Outcome> {
    const { history, counts } = this.ctx;
    const routed = op.node === undefined;
    const node = op.node ?? this.primary();
    const write = WRITES.has(op.f);
    if (write && typeof op.key === 'number') this.ctx.touched.add(op.key);
    const process = this.id;
    const extra = this.extra;
    const meta = extra ? { ...this.extraMeta } : undefined;
    history.append({ process, type: 'invoke', f: op.f, key: op.key, value: op.value, node, meta });
    counts.invoked++;
    const client = this.pool.get(this.slot, node);
    let out: Outcome;
    try {
      out = await client.invoke(clientOp(op));
    } catch (e) {
      // A client that throws broke its contract; the op may have happened.
      out = { status: 'info', node, error: `client-error: ${(e as Error).message}` };
    }
    // The completion's meta: the process's own fields, then the outcome's (its object itself when
    // there is nothing to add: object spread per op was a visible cost of a simulated run).
    let m: EventMeta | undefined = extra ? { ...this.extraMeta, ...out.meta } : out.meta;
    let failover: { faultId: number | null } | null = null;
    if (out.status === 'ok') {
      if (write) failover = this.ctx.view.acked(out.node ?? node);
      counts.ok++;
    } else {
      m = { ...m, error: out.error };
      if (out.status === 'fail') counts.fail++;
      else counts.info++;
      // Any refusal of a routed write but a cas mismatch (refused, fenced, not-primary, no
      // answer, connect errors) means another node may be the one serving now.
      if (write && routed && out.error !== 'cas-mismatch') this.reroute();
    }
    history.append({
      process,
      type: out.status,
      f: op.f,
      key: op.key,
      // ok: what the op returned (a read's value); fail: the argument (it did not happen);
      // info: nothing (it may or may not have).
      value: out.status === 'ok' ? out.value : out.status === 'fail' ? op.value : undefined,
      node: out.node ?? node,
      meta: m && hasKeys(m) ? m : undefined,
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

/** The op as the client takes it: only the fields it has (assigned, not spread: per op). */
function clientOp(op: RoutedOp): Op {
  const c: Op = { f: op.f };
  if (op.key !== undefined) c.key = op.key;
  if (op.value !== undefined) c.value = op.value;
  return c;
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
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
