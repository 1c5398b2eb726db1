// dr prefix consistency (SYSTEM.md mechanisms 3 and 6): every dr image (an applied barrier, a
// restore(t)) must equal, for some version cut V, every block's latest accepted write with
// version <= V. Per image this is O(B log W): V exists iff the newest version the image holds
// is below the oldest accepted write the image is missing on any block.
import type { Anomaly, CheckContext, Checker, CheckerResult } from '../types.js';
import { buildWriteIndexes, eraOf, readObservations, sameValue, type VersionIndex } from './writes.js';
import { drObservations, imageObservations, type DrObservation } from './image.js';

export const MAX_ANOMALIES = 200;
const MAX_BLOCKS_NAMED = 20;

export interface CutFit {
  /** Highest version the image holds (V must be >= lo). */
  lo: number;
  /** One below the oldest accepted write the image lacks (V must be <= hi). */
  hi: number;
  perKey: { key: string; have: number; next: number }[];
}

export function fitCut(img: DrObservation['blocks'], ix: VersionIndex): CutFit {
  let lo = 0;
  let minNext = Infinity;
  eachKey(img, ix, (_, have, next) => {
    if (have > lo) lo = have;
    if (next < minNext) minNext = next;
  });
  // Per-key detail only for a torn image: most images fit a cut, and a dr run judges hundreds
  // of them over hundreds of blocks.
  let perKey: CutFit['perKey'] | undefined;
  return {
    lo,
    hi: minNext - 1,
    get perKey() {
      if (!perKey) {
        const list: CutFit['perKey'] = [];
        eachKey(img, ix, (key, have, next) => list.push({ key, have, next }));
        perKey = list;
      }
      return perKey;
    },
  };
}

/** Each block the image holds or the writes touch: the version it has, and the next version above it (Infinity: none). */
function eachKey(img: DrObservation['blocks'], ix: VersionIndex, see: (key: string, have: number, next: number) => void): void {
  const visit = (key: string, have: number): void => {
    const nx = ix.above(key, have);
    see(key, have, nx ? nx.version : Infinity);
  };
  for (const [key, en] of img) visit(key, en.version);
  for (const key of ix.byKey.keys()) if (!img.has(key)) visit(key, 0);
}

const upper = (a: Float64Array, x: number): number => {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};

/** The cut that leaves the fewest blocks wrong; ties go to the cut nearest `prefer`. */
export function nearestCut(fit: CutFit, prefer: number | null): { cut: number; mismatched: number } {
  const have = Float64Array.from(fit.perKey.map((p) => p.have)).sort();
  const next = Float64Array.from(fit.perKey.map((p) => p.next)).sort();
  const n = have.length;
  const cost = (v: number): number => n - upper(have, v) + upper(next, v);
  let best = { cut: fit.lo, mismatched: cost(fit.lo) };
  const consider = (v: number): void => {
    if (!Number.isFinite(v) || v < 0) return;
    const c = cost(v);
    const closer = prefer !== null && Math.abs(v - prefer) < Math.abs(best.cut - prefer);
    if (c < best.mismatched || (c === best.mismatched && (prefer === null ? v > best.cut : closer))) best = { cut: v, mismatched: c };
  };
  for (let i = 0; i < n; i++) {
    consider(have[i]);
    consider(next[i] - 1);
  }
  return best;
}

/** The blocks an image gets wrong at `cut`: ahead (holds a write newer than the cut) or
 *  behind (lacks an accepted write at or below the cut). */
export function tornAt(img: DrObservation['blocks'], fit: CutFit, ix: VersionIndex, cut: number) {
  const ahead: { block: string; version: number; value: unknown }[] = [];
  const behind: { block: string; have: number; missing: number; missingValue: unknown; write: number }[] = [];
  for (const p of fit.perKey) {
    if (p.have > cut) {
      const en = img.get(p.key)!;
      ahead.push({ block: p.key, version: en.version, value: en.value });
    } else if (p.next <= cut) {
      const m = ix.atOrBelow(p.key, cut)!;
      behind.push({ block: p.key, have: p.have, missing: m.version, missingValue: m.value, write: m.op.completeIndex >= 0 ? m.op.completeIndex : m.op.invokeIndex });
    }
  }
  return { ahead, behind };
}

const where = (o: DrObservation): string =>
  `${o.kind === 'snapshot' ? 'dr-snapshot' : 'dr-restore'}${o.barrier !== null ? ` of barrier ${o.barrier}` : ''} (events ${o.op.invokeIndex}..${o.op.completeIndex})`;

export const drPrefixChecker: Checker = (ctx: CheckContext): CheckerResult => {
  const { obs, malformed } = drObservations(ctx.paired);
  const unknowns: string[] = [];
  if (malformed.length) unknowns.push(`${malformed.length} dr observation(s) whose value is not an image of {value, version} entries (first at event ${malformed[0].completeIndex})`);
  if (obs.length === 0) {
    return {
      valid: 'unknown',
      anomalies: [],
      reason: unknowns[0] ?? 'no dr-snapshot or dr-restore observations in the history: nothing to judge dr prefix consistency on',
      stats: { images: 0 },
    };
  }
  const wi = buildWriteIndexes(ctx.paired, [imageObservations(obs), readObservations(ctx.paired)]);
  if (wi.unversionedAcked.length) unknowns.push(`${wi.unversionedAcked.length} ok write(s) carry no meta.version (first at event ${wi.unversionedAcked[0].completeIndex})`);

  const anomalies: Anomaly[] = [];
  let total = 0;
  const add = (a: Anomaly): void => {
    total++;
    if (anomalies.length < MAX_ANOMALIES) anomalies.push(a);
  };
  for (const ph of wi.phantoms) {
    if (ph.op.f !== 'dr-snapshot' && ph.op.f !== 'dr-restore') continue;
    add({
      kind: 'dr-phantom-write',
      message: `dr image at event ${ph.op.completeIndex} holds block ${ph.key} = ${JSON.stringify(ph.value)} at version ${ph.version}, which no write to that block could have produced`,
      events: [ph.op.invokeIndex, ph.op.completeIndex],
      block: ph.key,
      version: ph.version,
      value: ph.value,
    });
  }

  let judged = 0;
  let skippedInconsistent = 0;
  let skippedEra = 0;
  let torn = 0;
  const snapshotsByBarrier = new Map<string, DrObservation>();
  for (const o of obs) {
    const era = wi.eras[eraOf(wi.eras, o.op.start)];
    if (era.index > 0 && era.carriedCut === null) {
      skippedEra++;
      continue;
    }
    const ix = wi.index[era.index];
    // values: each version an image holds must be that block's write with that value
    for (const [key, en] of o.blocks) {
      const w = ix.byVersion.get(en.version);
      if (w && (w.key !== key || !sameValue(w.value, en.value))) {
        add({
          kind: 'dr-wrong-value',
          message: `${where(o)} holds block ${key} = ${JSON.stringify(en.value)} at version ${en.version}, but version ${en.version} is the write of ${JSON.stringify(w.value)} to block ${w.key} (event ${w.op.invokeIndex})`,
          events: [o.op.invokeIndex, o.op.completeIndex, w.op.invokeIndex],
          block: key,
          version: en.version,
        });
      }
    }
    // dr itself says this image is not at a consistent point (a resync ran through that
    // barrier): a snapshot taken mid-resync, or a restore of such a barrier
    if (o.consistent === false) {
      skippedInconsistent++;
      continue;
    }
    judged++;
    if (o.kind === 'snapshot' && o.barrier !== null) snapshotsByBarrier.set(`${era.index}:${o.barrier}`, o);
    const fit = fitCut(o.blocks, ix);
    if (fit.lo <= fit.hi) {
      if (o.cut !== null && (o.cut < fit.lo || o.cut > fit.hi)) {
        add({
          kind: 'dr-cut-mismatch',
          message: `${where(o)} is a prefix for cuts ${fit.lo}..${fit.hi === Infinity ? 'latest' : fit.hi} but reports cut ${o.cut}`,
          events: [o.op.invokeIndex, o.op.completeIndex],
          reportedCut: o.cut,
          cuts: [fit.lo, fit.hi === Infinity ? null : fit.hi],
        });
      }
      continue;
    }
    torn++;
    const best = nearestCut(fit, o.cut);
    const { ahead, behind } = tornAt(o.blocks, fit, ix, best.cut);
    // the best cut, and the two cuts the image itself suggests: its newest write, and just
    // below the oldest write it lacks
    const nearest = [best];
    for (const c of [fit.lo, fit.hi]) {
      if (c < 0 || c === best.cut || nearest.some((x) => x.cut === c)) continue;
      const t = tornAt(o.blocks, fit, ix, c);
      nearest.push({ cut: c, mismatched: t.ahead.length + t.behind.length });
    }
    add({
      kind: 'torn-dr-image',
      message:
        `${where(o)} equals the primary at no version cut: nearest cut ${best.cut} leaves ${best.mismatched} block(s) torn` +
        (behind.length ? `; missing ${behind.slice(0, 3).map((b) => `block ${b.block} v${b.missing}`).join(', ')}` : '') +
        (ahead.length ? `; ahead ${ahead.slice(0, 3).map((b) => `block ${b.block} v${b.version}`).join(', ')}` : ''),
      events: [o.op.invokeIndex, o.op.completeIndex, ...behind.slice(0, MAX_BLOCKS_NAMED).map((b) => b.write)],
      barrier: o.barrier,
      reportedCut: o.cut,
      nearestCuts: nearest,
      tornBlocks: { ahead: ahead.slice(0, MAX_BLOCKS_NAMED), behind: behind.slice(0, MAX_BLOCKS_NAMED), aheadCount: ahead.length, behindCount: behind.length },
    });
  }
  // restore(t) must give back exactly the image dr applied at barrier t
  for (const o of obs) {
    if (o.kind !== 'restore' || o.barrier === null || o.consistent === false) continue;
    const e = eraOf(wi.eras, o.op.start);
    const snap = snapshotsByBarrier.get(`${e}:${o.barrier}`);
    if (!snap) continue;
    const diff: string[] = [];
    for (const k of new Set([...snap.blocks.keys(), ...o.blocks.keys()])) {
      if (snap.blocks.get(k)?.version !== o.blocks.get(k)?.version) diff.push(k);
    }
    if (diff.length) {
      add({
        kind: 'restore-mismatch',
        message: `${where(o)} differs from the snapshot of barrier ${o.barrier} (events ${snap.op.invokeIndex}..${snap.op.completeIndex}) on block(s) ${diff.slice(0, 5).join(', ')}`,
        events: [o.op.invokeIndex, o.op.completeIndex, snap.op.invokeIndex, snap.op.completeIndex],
        barrier: o.barrier,
        blocks: diff.slice(0, MAX_BLOCKS_NAMED),
      });
    }
  }
  if (skippedEra) unknowns.push(`${skippedEra} dr observation(s) after a site loss whose stop event carries no meta.cut`);
  if (judged === 0 && !unknowns.length) unknowns.push(`every dr snapshot said consistent: false (${skippedInconsistent}); no image to judge`);
  const stats = { images: obs.length, judged, skippedInconsistent, skippedEra, torn, anomalies: total, eras: wi.eras.length };
  if (total > 0) return { valid: false, anomalies, stats };
  if (unknowns.length) return { valid: 'unknown', anomalies, reason: unknowns.join('; '), stats };
  return { valid: true, anomalies, stats };
};

export default drPrefixChecker;
