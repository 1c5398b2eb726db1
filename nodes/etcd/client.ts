// A client of one etcd node over its v3 JSON gateway (grpc-gateway on the client port), with
// Node's own fetch: one operation is exactly one HTTP request, never retried. Keys and values
// travel base64-encoded; values are JSON so a read gives back what was written.
//
// The ok / fail / info rule (Jepsen's etcd client, in spirit):
//   - a read has no effect, so any read that did not answer is `fail`;
//   - a write or cas that could not even connect is `fail` (nothing was sent);
//   - a write or cas refused before it reached raft (bad argument, too many requests) is `fail`;
//   - a cas whose comparison did not hold is `fail` (the txn took its else branch: no put);
//   - a write or cas that timed out, lost its connection, or got any other error is `info`.
import type { Client, NodeStatus, Op, Outcome } from '../../ground/system.js';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

/** gRPC codes that mean the server refused before anything was proposed. */
const DEFINITE_REFUSALS = new Set([3 /* InvalidArgument */, 8 /* ResourceExhausted */, 11 /* OutOfRange */]);

export interface EtcdClientOptions {
  timeoutMs: number;
  /** Serializable reads are served from the node's local state without a quorum (may be stale). */
  serializableReads?: boolean;
  /** Prefix of every key (one run's keys never meet another's if the cluster were shared). */
  prefix?: string;
}

interface GatewayError { error?: string; message?: string; code?: number }

type Sent = { ok: true; body: Record<string, unknown> } | { ok: false; sent: boolean; error: string; code?: number };

function parseValue(raw: string | undefined): unknown {
  if (raw === undefined) return null;
  const s = unb64(raw);
  try {
    return JSON.parse(s);
  } catch {
    return s; // written by someone else: the raw string
  }
}

export class EtcdClient implements Client {
  private readonly base: string;
  private readonly prefix: string;

  constructor(readonly node: string, at: { host: string; port: number }, private readonly opts: EtcdClientOptions) {
    this.base = `http://${at.host}:${at.port}`;
    this.prefix = opts.prefix ?? '';
  }

  private key(k: unknown): string {
    return b64(`${this.prefix}${String(k ?? '')}`);
  }

  /** One POST to the gateway; never throws. */
  private async post(path: string, body: unknown): Promise<Sent> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs),
        // A fresh connection per request would cost a handshake; keep-alive is Node's default.
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      if (err.name === 'TimeoutError' || err.name === 'AbortError') return { ok: false, sent: true, error: 'timeout' };
      const code = err.cause?.code ?? err.message;
      // Refused or unresolvable: the request never left this host.
      return { ok: false, sent: !(code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EADDRNOTAVAIL'), error: String(code) };
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      const err = e as Error;
      return { ok: false, sent: true, error: err.name === 'TimeoutError' ? 'timeout' : err.message };
    }
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return { ok: false, sent: true, error: `http ${res.status}: ${text.slice(0, 120)}` };
    }
    if (!res.ok || 'error' in json || ('code' in json && 'message' in json)) {
      const g = json as GatewayError;
      return { ok: false, sent: true, error: g.message ?? g.error ?? `http ${res.status}`, code: g.code };
    }
    return { ok: true, body: json };
  }

  async invoke(op: Op): Promise<Outcome> {
    const node = this.node;
    switch (op.f) {
      case 'read': {
        const r = await this.post('/v3/kv/range', { key: this.key(op.key), ...(this.opts.serializableReads ? { serializable: true } : {}) });
        if (!r.ok) return { status: 'fail', node, error: r.error, meta: { error: r.error } };
        const kvs = (r.body.kvs as { value?: string; mod_revision?: string }[] | undefined) ?? [];
        const kv = kvs[0];
        return { status: 'ok', node, value: kv ? parseValue(kv.value) : null, meta: { revision: Number(kv?.mod_revision ?? 0), serializable: Boolean(this.opts.serializableReads) } };
      }
      case 'write': {
        const r = await this.post('/v3/kv/put', { key: this.key(op.key), value: b64(JSON.stringify(op.value)) });
        if (!r.ok) return this.unsure(r);
        return { status: 'ok', node, value: op.value, meta: { revision: Number((r.body.header as { revision?: string } | undefined)?.revision ?? 0) } };
      }
      case 'cas': {
        if (!Array.isArray(op.value) || op.value.length !== 2) return { status: 'fail', node, error: 'cas wants [expected, new]' };
        const [expected, next] = op.value as [unknown, unknown];
        const key = this.key(op.key);
        // Expecting null means "never written": compare the key's create revision with 0.
        const compare = expected === null
          ? { key, target: 'CREATE', result: 'EQUAL', create_revision: '0' }
          : { key, target: 'VALUE', result: 'EQUAL', value: b64(JSON.stringify(expected)) };
        const r = await this.post('/v3/kv/txn', { compare: [compare], success: [{ request_put: { key, value: b64(JSON.stringify(next)) } }] });
        if (!r.ok) return this.unsure(r);
        // proto3 JSON leaves out false: an absent `succeeded` is a comparison that did not hold.
        if (r.body.succeeded !== true) return { status: 'fail', node, error: 'cas-mismatch', meta: { error: 'cas-mismatch' } };
        return { status: 'ok', node, value: op.value, meta: { revision: Number((r.body.header as { revision?: string } | undefined)?.revision ?? 0) } };
      }
      default:
        return { status: 'fail', node, error: `etcd client: unsupported operation '${op.f}'` };
    }
  }

  private unsure(r: Extract<Sent, { ok: false }>): Outcome {
    const definite = !r.sent || (r.code !== undefined && DEFINITE_REFUSALS.has(r.code));
    return { status: definite ? 'fail' : 'info', node: this.node, error: r.error, meta: { error: r.error } };
  }

  /** The node's view of the cluster: leader when its member id is the leader it knows. */
  async status(): Promise<NodeStatus | null> {
    const r = await this.post('/v3/maintenance/status', {});
    if (!r.ok) return null;
    const header = (r.body.header ?? {}) as { member_id?: string; raft_term?: string; revision?: string };
    const leader = r.body.leader as string | undefined;
    const role = !leader || leader === '0' ? 'candidate' : leader === header.member_id ? 'leader' : 'follower';
    return {
      node: this.node,
      role,
      epoch: Number(r.body.raftTerm ?? header.raft_term ?? 0),
      version: Number(header.revision ?? 0),
      memberId: header.member_id,
      leaderId: leader,
      raftIndex: Number(r.body.raftIndex ?? 0),
    };
  }

  async close(): Promise<void> {
    // fetch's pooled connections close themselves when idle.
  }
}
