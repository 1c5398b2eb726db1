// Test support: a minimal single-node core (a durable register per block) so the shell and
// client can be exercised without the real replicating core. Writes append to the local
// oplog, fsync, then ack; `hang` blocks never answer (to provoke client timeouts).
import type { ClientReply, Effect, Input, NodeConfig, NodeCore } from '../core/types.js';

export function fakeCore(cfg: NodeConfig, hang: ReadonlySet<number> = new Set()): NodeCore {
  const blocks = new Map<number, { value: string; version: number }>();
  let version = 0;
  let io = 0;
  const waiting = new Map<number, { req: string; reply: ClientReply }>();
  const oplog = { volume: 'local' as const, file: 'oplog' };
  return {
    name: cfg.name,
    step(input: Input): Effect[] {
      switch (input.type) {
        case 'start':
          for (const r of input.disk.local.oplog ?? []) {
            const { block, value, version: v } = JSON.parse(r) as { block: number; value: string; version: number };
            blocks.set(block, { value, version: v });
            version = Math.max(version, v);
          }
          return [{ type: 'log', level: 'info', msg: `fake core up at version ${version}` }];
        case 'request': {
          const q = input.request;
          if (q.f === 'read') {
            if (hang.has(q.block)) return [];
            const b = blocks.get(q.block);
            return [{ type: 'reply', req: input.req, reply: { ok: true, node: cfg.name, value: b?.value ?? null, source: 'oplog', version: b?.version ?? 0 } }];
          }
          if (q.f === 'write' || q.f === 'cas') {
            if (hang.has(q.block)) return [];
            if (q.f === 'cas' && (blocks.get(q.block)?.value ?? null) !== q.expected)
              return [{ type: 'reply', req: input.req, reply: { ok: false, node: cfg.name, error: 'cas-mismatch', definite: true } }];
            const v = ++version;
            blocks.set(q.block, { value: q.value, version: v });
            const a = ++io;
            const f = ++io;
            waiting.set(f, { req: input.req, reply: { ok: true, node: cfg.name, version: v, epoch: 1 } });
            return [
              { type: 'append', io: a, target: oplog, records: [JSON.stringify({ block: q.block, value: q.value, version: v })] },
              { type: 'fsync', io: f, target: oplog },
            ];
          }
          if (q.f === 'status')
            return [{ type: 'reply', req: input.req, reply: { ok: true, node: cfg.name, status: { node: cfg.name, role: cfg.role, epoch: 1, version, barrier: 0 } } }];
          return [{ type: 'reply', req: input.req, reply: { ok: false, node: cfg.name, error: 'unsupported', definite: true } }];
        }
        case 'io-done': {
          const w = waiting.get(input.io);
          if (!w) return [];
          waiting.delete(input.io);
          return [{ type: 'reply', req: w.req, reply: input.ok ? w.reply : { ok: false, node: cfg.name, error: 'io', definite: false } }];
        }
        default:
          return [];
      }
    },
  };
}
