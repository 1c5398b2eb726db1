// A client of one Redis node: one operation is one RESP command on one connection, never
// retried. Values are JSON strings, so a read gives back what was written.
//
// The ok / fail / info rule:
//   - an error reply (`-READONLY`, `-LOADING`, `-ERR` ...) is `fail`: Redis runs a command
//     whole or refuses it, so a refused command had no effect;
//   - a cas whose script found another value is `fail` (the script wrote nothing);
//   - no connection (nothing sent) is `fail`;
//   - a write, cas or add that timed out or lost its connection after sending is `info`;
//     a read (GET, SMEMBERS) that did is `fail`, since it changed nothing.
import type { Client, NodeStatus, Op, Outcome } from '../../ground/system.js';
import { NoReply, RedisError, RespConnection, type Reply } from './resp.js';

/** Compare-and-set as one script, so it is one command and atomic on the server. ARGV[3] = '1'
 *  means "expect the key to be absent" (the register's initial null). */
export const CAS_SCRIPT = [
  "local cur = redis.call('GET', KEYS[1])",
  "if (ARGV[3] == '1' and cur == false) or (ARGV[3] ~= '1' and cur == ARGV[1]) then",
  "  redis.call('SET', KEYS[1], ARGV[2])",
  '  return 1',
  'end',
  'return 0',
].join('\n');

const READS = new Set(['read', 'read-set']);

function parse(s: string | null): unknown {
  if (s === null) return null;
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

export class RedisClient implements Client {
  private conn: RespConnection | null = null;
  private opening: Promise<RespConnection> | null = null;

  constructor(readonly node: string, private readonly at: { host: string; port: number }, private readonly timeoutMs: number) {}

  private async connection(): Promise<RespConnection> {
    if (this.conn?.alive) return this.conn;
    this.opening ??= RespConnection.open(this.at.host, this.at.port, this.timeoutMs).finally(() => { this.opening = null; });
    this.conn = await this.opening;
    return this.conn;
  }

  /** One raw command (capabilities and status use it); throws NoReply / returns RedisError. */
  async command(args: readonly (string | number)[]): Promise<Reply> {
    const c = await this.connection();
    return c.command(args, this.timeoutMs);
  }

  private key(k: unknown): string {
    return String(k ?? '');
  }

  async invoke(op: Op): Promise<Outcome> {
    const node = this.node;
    let args: (string | number)[];
    switch (op.f) {
      case 'read': args = ['GET', this.key(op.key)]; break;
      case 'write': args = ['SET', this.key(op.key), JSON.stringify(op.value)]; break;
      case 'cas': {
        if (!Array.isArray(op.value) || op.value.length !== 2) return { status: 'fail', node, error: 'cas wants [expected, new]' };
        const [expected, next] = op.value as [unknown, unknown];
        args = ['EVAL', CAS_SCRIPT, 1, this.key(op.key), expected === null ? '' : JSON.stringify(expected), JSON.stringify(next), expected === null ? '1' : '0'];
        break;
      }
      case 'add': args = ['SADD', this.key(op.key), JSON.stringify(op.value)]; break;
      case 'read-set': args = ['SMEMBERS', this.key(op.key)]; break;
      default:
        return { status: 'fail', node, error: `redis client: unsupported operation '${op.f}'` };
    }
    let reply: Reply;
    try {
      reply = await this.command(args);
    } catch (e) {
      const why = e instanceof NoReply ? e.why : 'closed';
      const error = e instanceof Error ? e.message : String(e);
      const status = why === 'unsent' || READS.has(op.f) ? 'fail' : 'info';
      return { status, node, error, meta: { error: why } };
    }
    if (reply instanceof RedisError) return { status: 'fail', node, error: reply.message, meta: { error: reply.code } };
    switch (op.f) {
      case 'read':
        return { status: 'ok', node, value: parse(reply as string | null) };
      case 'write':
        return { status: 'ok', node, value: op.value };
      case 'cas':
        return reply === 1 ? { status: 'ok', node, value: op.value } : { status: 'fail', node, error: 'cas-mismatch', meta: { error: 'cas-mismatch' } };
      case 'add':
        return { status: 'ok', node, value: op.value };
      default: {
        const members = Array.isArray(reply) ? (reply as string[]).map(parse) : [];
        // Sorted so two reads of the same set record the same value.
        members.sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
        return { status: 'ok', node, value: members };
      }
    }
  }

  /** INFO replication, parsed: role (`master` / `replica`), the primary it follows, offsets. */
  async status(): Promise<NodeStatus | null> {
    let reply: Reply;
    try {
      reply = await this.command(['INFO', 'replication']);
    } catch {
      return null;
    }
    if (typeof reply !== 'string') return null;
    const f: Record<string, string> = {};
    for (const line of reply.split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) f[line.slice(0, i)] = line.slice(i + 1);
    }
    const role = f.role === 'master' ? 'master' : 'replica';
    return {
      node: this.node,
      role,
      version: Number(f.master_repl_offset ?? 0),
      ...(role === 'replica' ? { primaryHost: f.master_host, link: f.master_link_status } : { replicas: Number(f.connected_slaves ?? 0) }),
    };
  }

  async close(): Promise<void> {
    this.conn?.close();
    this.conn = null;
  }
}
