// The one rule that turns what came back for a request into a history outcome (ok / fail /
// info), shared by the TCP client (tcp.ts) and the simulator's client (harness/runtime/sim/
// client.ts), which supply only the transport. A mistake here shows in both runtimes alike.
//
// `ok` on a positive reply; `fail` when the operation definitely did not take effect (the node
// refused it, a CAS found another value, or nothing was sent: the connection was refused);
// `info` when it may have (timeout, or the connection dropped after the request went out).
// Reads and other queries change no state, so their indeterminate outcomes are `fail`: a read
// that never returned constrains nothing, and saying so spares the linearizability checker an
// open-ended op.
import type { ClientReply, ClientRequest, NodeName } from '../core/types.js';
import type { OpOutcome } from './types.js';

/** What came back for one request, before it is shaped into an OpOutcome. */
export type Raw =
  | { kind: 'reply'; reply: ClientReply; detail?: string; extra: Record<string, unknown> }
  | { kind: 'not-sent'; error: string }
  | { kind: 'lost'; error: string };

/** Whether a request may change state (so an indeterminate end is `info`, not `fail`). */
export function mutates(op: ClientRequest | { f?: unknown }): boolean {
  return op.f === 'write' || op.f === 'cas' || op.f === 'lose-journal' || op.f === 'promote';
}

export function outcome<T>(node: NodeName, r: Raw, mutating: boolean, ok: (rep: ClientReply & { ok: true }) => T): OpOutcome<T> {
  if (r.kind === 'not-sent') return { status: 'fail', node, error: r.error };
  if (r.kind === 'lost') return { status: mutating ? 'info' : 'fail', node, error: r.error };
  const rep = r.reply;
  if (!rep || typeof rep !== 'object') return { status: mutating ? 'info' : 'fail', node, error: 'malformed reply' };
  const by = (rep.node ?? node) as NodeName;
  if (rep.ok) return { status: 'ok', node: by, ...ok(rep) } as OpOutcome<T>;
  const error = r.detail ? `${rep.error}: ${r.detail}` : rep.error;
  return { status: rep.definite || !mutating ? 'fail' : 'info', node: by, error };
}
