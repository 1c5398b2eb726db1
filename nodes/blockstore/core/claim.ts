// Epoch claims on the backend's shared, append-only `epoch` log. Appends are ordered, so the
// first claim of an epoch number wins it; a claim stands only if no later epoch exists. This is
// the fencing of SYSTEM.md: a node acks without its partner only under an epoch it won.
import { Ctx, TO_END, backend, parseRecords } from './ctx.js';
import { type ClaimRecord, type EpochView, claimWon, epochView } from './records.js';

export const EPOCH_FILE = backend('epoch');

export function claimEpoch(ctx: Ctx, e: number, done: (won: boolean, view: EpochView) => void): void {
  const rec: ClaimRecord = { e, node: ctx.name };
  // The record is in the shared log as soon as it is appended (others may already count it), so
  // a failed fsync is retried, never taken as a lost claim: that could leave an epoch owned by
  // a node that went on as partner.
  ctx.persistSure(EPOCH_FILE, [rec], () => {
    ctx.read(EPOCH_FILE, 0, TO_END, (rok, records) => {
      const claims = parseRecords<ClaimRecord>(records);
      if (!rok) { done(false, epochView(claims)); return; }
      done(claimWon(claims, e, ctx.name), epochView(claims));
    });
  });
}
