// Docker object names for a run.
import { createHash } from 'node:crypto';

/** Docker object names allow [a-zA-Z0-9_.-]; run ids are free-form. A shortened id keeps a
 *  hash of the whole, so two long ids that share a prefix still name different objects. */
export function slug(runId: string): string {
  const s = runId.replace(/[^a-zA-Z0-9_.-]+/g, '-').replace(/^[^a-zA-Z0-9]+/, '') || 'run';
  return s.length <= 48 ? s : `${s.slice(0, 41)}-${createHash('sha256').update(runId).digest('hex').slice(0, 6)}`;
}
