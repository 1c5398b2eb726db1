// Validation of a client request frame, shared by the server (what it accepts) and the
// tests. Anything malformed becomes a one-line reason the server sends back as
// `bad-request`; bounds that depend on the node's parameters are checked here too so the
// reply is the same whatever the core does with them.
import type { ClientRequest } from '../core/types.js';

export type Checked = { ok: true; request: ClientRequest } | { ok: false; error: string; reason: string };

export interface Limits {
  blocks: number;
  maxValueBytes: number;
}

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);

export function checkRequest(op: unknown, limits: Limits): Checked {
  if (op === null || typeof op !== 'object' || Array.isArray(op)) return bad('op must be an object');
  const o = op as Record<string, unknown>;
  switch (o.f) {
    case 'read':
      return block(o, limits) ?? { ok: true, request: { f: 'read', block: o.block as number } };
    case 'write':
      return (
        block(o, limits) ??
        value(o.value, 'value', limits) ?? { ok: true, request: { f: 'write', block: o.block as number, value: o.value as string } }
      );
    case 'cas': {
      if (o.expected !== null && typeof o.expected !== 'string') return bad('cas.expected must be a string or null');
      return (
        block(o, limits) ??
        value(o.value, 'value', limits) ?? {
          ok: true,
          request: { f: 'cas', block: o.block as number, expected: o.expected as string | null, value: o.value as string },
        }
      );
    }
    case 'status':
    case 'lose-journal':
    case 'dr-snapshot':
    case 'promote':
      return { ok: true, request: { f: o.f } };
    case 'dr-restore':
      if (!isInt(o.barrier) || o.barrier < 0) return bad('dr-restore.barrier must be a non-negative integer');
      return { ok: true, request: { f: 'dr-restore', barrier: o.barrier } };
    default:
      return bad(`unknown op ${JSON.stringify(String(o.f)).slice(0, 40)}`);
  }
}

function bad(reason: string): Checked {
  return { ok: false, error: 'bad-request', reason };
}

function block(o: Record<string, unknown>, limits: Limits): Checked | undefined {
  if (!isInt(o.block)) return bad(`${String(o.f)}.block must be an integer`);
  if (o.block < 0 || o.block >= limits.blocks)
    return { ok: false, error: 'bad-block', reason: `block ${o.block} is outside 0..${limits.blocks - 1}` };
  return undefined;
}

function value(v: unknown, what: string, limits: Limits): Checked | undefined {
  if (typeof v !== 'string') return bad(`${what} must be a string`);
  const n = Buffer.byteLength(v, 'utf8');
  if (n > limits.maxValueBytes)
    return { ok: false, error: 'value-too-long', reason: `${what} is ${n} bytes, at most ${limits.maxValueBytes}` };
  return undefined;
}
