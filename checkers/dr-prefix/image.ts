// dr observations out of a history: dr-snapshot and dr-restore completions carry an image.
// The image may be the plain `{[block]: {value, version}}` of the checkers' conventions, or
// the node's DrImage `{barrier, cut, consistent, blocks}`; meta.* wins over the image's own.
import type { Operation } from '../../ground/history/types.js';
import type { Paired } from '../../ground/history/pair.js';
import { keyOf, type ObservationSource } from './writes.js';

export interface DrObservation {
  op: Operation;
  kind: 'snapshot' | 'restore';
  barrier: number | null;
  cut: number | null;
  /** null: not said. */
  consistent: boolean | null;
  /** Full image: a block absent was never written at this cut. */
  blocks: Map<string, { value: unknown; version: number }>;
}

const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Parses ok dr-snapshot / dr-restore ops. Images that are not objects of {value, version}
 *  entries are returned as malformed (the checker answers unknown for them, never valid). */
export function drObservations(paired: Paired): { obs: DrObservation[]; malformed: Operation[] } {
  const obs: DrObservation[] = [];
  const malformed: Operation[] = [];
  for (const op of paired.ops) {
    if (op.status !== 'ok' || (op.f !== 'dr-snapshot' && op.f !== 'dr-restore')) continue;
    const raw = op.output;
    if (!isObj(raw)) {
      malformed.push(op);
      continue;
    }
    const wrapped = isObj(raw.blocks) && !('version' in raw.blocks);
    const img = (wrapped ? raw.blocks : raw) as Record<string, unknown>;
    const blocks = new Map<string, { value: unknown; version: number }>();
    let bad = false;
    for (const k of Object.keys(img)) {
      const en = img[k];
      if (!isObj(en) || num(en.version) === null) {
        bad = true;
        break;
      }
      if ((en.version as number) > 0) blocks.set(keyOf(k), { value: en.value, version: en.version as number });
    }
    if (bad) {
      malformed.push(op);
      continue;
    }
    const m = op.meta ?? {};
    const consistent = typeof m.consistent === 'boolean' ? m.consistent : wrapped && typeof raw.consistent === 'boolean' ? raw.consistent : null;
    obs.push({
      op,
      kind: op.f === 'dr-snapshot' ? 'snapshot' : 'restore',
      barrier: num(m.barrier) ?? (wrapped ? num(raw.barrier) : null) ?? (op.f === 'dr-restore' ? num(op.input) : null),
      cut: num(m.cut) ?? (wrapped ? num(raw.cut) : null),
      consistent,
      blocks,
    });
  }
  return { obs, malformed };
}

export const imageObservations =
  (obs: readonly DrObservation[]): ObservationSource =>
  (visit) => {
    for (const o of obs) for (const [key, en] of o.blocks) visit(key, en.version, en.value, o.op);
  };
