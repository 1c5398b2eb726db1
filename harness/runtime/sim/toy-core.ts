// A deliberately tiny node core for testing the simulator itself (not the block store):
// it keeps a block map in a local `log` file, acks a write after its fsync (or right after
// the append with `ackBeforeSync`), pings its peers on a timer and counts what it hears.
// Its status reply exposes those counters so tests can see drops, partitions and pauses.
import type { Effect, Input, NodeConfig, NodeCore, NodeName } from '../../../nodes/blockstore/core/types.js';

export interface ToyOptions {
  ackBeforeSync?: boolean;
  pingMs?: number;
}

export function createToyCore(config: NodeConfig, opts: ToyOptions = {}): NodeCore {
  const pingMs = opts.pingMs ?? 10;
  const blocks = new Map<number, { value: string; version: number }>();
  let version = 0;
  let io = 0;
  let pingsSent = 0;
  let timerFires = 0;
  const heard: Record<string, number> = {};
  const waiting = new Map<number, Effect[]>();
  const peers = (['a', 'b', 'dr'] as NodeName[]).filter((p) => p !== config.name);

  const step = (input: Input): Effect[] => {
    switch (input.type) {
      case 'start': {
        for (const rec of input.disk.local['log'] ?? []) {
          const r = JSON.parse(rec) as { block: number; value: string; version: number };
          blocks.set(r.block, { value: r.value, version: r.version });
          version = Math.max(version, r.version);
        }
        return [{ type: 'set-timer', timer: 'ping', at: input.now + pingMs }];
      }
      case 'timer': {
        timerFires++;
        pingsSent += peers.length;
        return [
          ...peers.map((to): Effect => ({ type: 'send', to, msg: { kind: 'ping', n: pingsSent } })),
          { type: 'set-timer', timer: 'ping', at: input.now + pingMs },
        ];
      }
      case 'message':
        heard[input.from] = (heard[input.from] ?? 0) + 1;
        return [];
      case 'io-done': {
        const then = waiting.get(input.io) ?? [];
        waiting.delete(input.io);
        return then;
      }
      case 'request': {
        const rq = input.request;
        const node = config.name;
        if (rq.f === 'read') {
          const b = blocks.get(rq.block);
          return [{ type: 'reply', req: input.req, reply: { ok: true, node, value: b?.value ?? null, version: b?.version ?? 0, source: 'oplog' } }];
        }
        if (rq.f === 'write') {
          const v = ++version;
          blocks.set(rq.block, { value: rq.value, version: v });
          const rec = JSON.stringify({ block: rq.block, value: rq.value, version: v });
          const reply: Effect = { type: 'reply', req: input.req, reply: { ok: true, node, version: v } };
          const appendIo = ++io;
          const syncIo = ++io;
          const target = { volume: 'local' as const, file: 'log' };
          if (opts.ackBeforeSync) {
            waiting.set(appendIo, [reply, { type: 'fsync', io: syncIo, target }]);
          } else {
            waiting.set(appendIo, [{ type: 'fsync', io: syncIo, target }]);
            waiting.set(syncIo, [reply]);
          }
          return [{ type: 'append', io: appendIo, target, records: [rec] }];
        }
        if (rq.f === 'status') {
          return [
            {
              type: 'reply',
              req: input.req,
              reply: { ok: true, node, status: { node, role: config.role, epoch: 0, version, barrier: 0, pingsSent, timerFires, heard: { ...heard } } },
            },
          ];
        }
        return [{ type: 'reply', req: input.req, reply: { ok: false, node, error: 'bad-request', definite: true } }];
      }
    }
  };
  return { name: config.name, step };
}
