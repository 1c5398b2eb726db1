// Convergence (SYSTEM.md mechanisms 2 and 3): after the final heal and resync, dr must equal
// the primary at the cut dr reports, and that cut must cover every write acked before the
// heal. Reports how long after the heal dr got there. O(n log n) plus O(B) per snapshot.
import type { Anomaly, CheckContext, Checker, CheckerResult } from '../types.js';
import { buildWriteIndexes, eraOf, readObservations, sameValue, type VersionIndex } from '../dr-prefix/writes.js';
import { drObservations, imageObservations, type DrObservation } from '../dr-prefix/image.js';

const MAX_BLOCKS_NAMED = 20;

export function diffAtCut(img: DrObservation['blocks'], ix: VersionIndex, cut: number) {
  const diff: { block: string; expected: { version: number; value: unknown } | null; got: { version: number; value: unknown } | null }[] = [];
  let count = 0;
  const judge = (key: string): void => {
    const want = ix.atOrBelow(key, cut);
    const got = img.get(key) ?? null;
    const same = want === null ? got === null : got !== null && got.version === want.version && sameValue(got.value, want.value);
    if (same) return;
    count++;
    if (diff.length < MAX_BLOCKS_NAMED) diff.push({ block: key, expected: want && { version: want.version, value: want.value }, got });
  };
  for (const key of ix.byKey.keys()) judge(key);
  for (const key of img.keys()) if (!ix.byKey.has(key)) judge(key);
  return { count, diff };
}

const ms = (ns: number): number => Math.round(ns / 1e3) / 1e3;

export const convergenceChecker: Checker = (ctx: CheckContext): CheckerResult => {
  const { obs, malformed } = drObservations(ctx.paired);
  const stops = ctx.paired.nemesis.filter((e) => e.f === 'stop');
  const healNs = typeof ctx.run?.healNs === 'number' ? (ctx.run.healNs as number) : stops.length ? stops[stops.length - 1].time : 0;
  const after = obs.filter((o) => o.kind === 'snapshot' && o.op.start >= healNs);
  // dr-status completions: NodeStatus of dr, for when dr first *says* it caught up
  const statuses = ctx.paired.ops.filter((op) => op.f === 'dr-status' && op.status === 'ok' && op.start >= healNs);
  if (after.length === 0) {
    return {
      valid: 'unknown',
      anomalies: [],
      reason: malformed.length
        ? `dr observations after the final heal are not images (first at event ${malformed[0].completeIndex})`
        : 'no dr-snapshot after the final heal: convergence cannot be judged',
      stats: { healMs: ms(healNs), snapshotsAfterHeal: 0 },
    };
  }
  const wi = buildWriteIndexes(ctx.paired, [imageObservations(obs), readObservations(ctx.paired)]);
  const e = eraOf(wi.eras, after[0].op.start);
  if (e > 0 && wi.eras[e].carriedCut === null) {
    return { valid: 'unknown', anomalies: [], reason: 'the site loss before the final heal carries no meta.cut', stats: { healMs: ms(healNs) } };
  }
  const ix = wi.index[e];
  // the cut dr must reach: every write acked before the heal
  let target = 0;
  for (const en of ix.byVersion.values()) if (en.acked && en.op.status === 'ok' && en.op.end <= healNs && en.version > target) target = en.version;

  const anomalies: Anomaly[] = [];
  let convergedAt: DrObservation | null = null;
  let noCut = 0;
  for (const o of after) {
    if (o.cut === null) {
      noCut++;
      continue;
    }
    if (o.consistent !== true) continue;
    const d = diffAtCut(o.blocks, ix, o.cut);
    if (d.count > 0) {
      anomalies.push({
        kind: 'diverged',
        message: `dr-snapshot after the heal (events ${o.op.invokeIndex}..${o.op.completeIndex}) says consistent at cut ${o.cut} but differs from the primary at that cut on ${d.count} block(s): ${d.diff
          .slice(0, 3)
          .map((x) => `block ${x.block} has v${x.got?.version ?? 0}, primary v${x.expected?.version ?? 0}`)
          .join('; ')}`,
        events: [o.op.invokeIndex, o.op.completeIndex],
        cut: o.cut,
        blocks: d.diff,
        blockCount: d.count,
      });
    } else if (o.cut >= target && convergedAt === null) convergedAt = o;
  }
  let statusConverged: number | null = null;
  for (const s of statuses) {
    const st = s.output as { consistent?: boolean; cut?: number; version?: number } | undefined;
    const cut = typeof st?.cut === 'number' ? st.cut : typeof s.meta?.cut === 'number' ? s.meta.cut : null;
    const cons = st?.consistent ?? s.meta?.consistent;
    if (cons === true && cut !== null && cut >= target) {
      statusConverged = s.end;
      break;
    }
  }
  const last = after[after.length - 1];
  const stats = {
    healMs: ms(healNs),
    targetVersion: target,
    snapshotsAfterHeal: after.length,
    lastCut: last.cut,
    lastConsistent: last.consistent,
    convergeMs: convergedAt ? ms(convergedAt.op.end - healNs) : null,
    statusConvergeMs: statusConverged !== null ? ms(statusConverged - healNs) : null,
  };
  if (anomalies.length) return { valid: false, anomalies, stats };
  if (convergedAt) return { valid: true, anomalies, stats };
  if (noCut === after.length) return { valid: 'unknown', anomalies, reason: 'dr snapshots after the heal report no cut (meta.cut)', stats };
  const why = last.consistent !== true ? `dr still says consistent: ${String(last.consistent)}` : `dr's cut ${last.cut} is below version ${target}, the last write acked before the heal`;
  return {
    valid: false,
    anomalies: [
      {
        kind: 'not-converged',
        message: `dr did not converge within ${ms(last.op.end - healNs)} ms of the final heal: ${why} at its last snapshot (events ${last.op.invokeIndex}..${last.op.completeIndex})`,
        events: [last.op.invokeIndex, last.op.completeIndex],
        cut: last.cut,
        targetVersion: target,
        consistent: last.consistent,
        waitedMs: ms(last.op.end - healNs),
      },
    ],
    stats,
  };
};

export default convergenceChecker;
