// Cache invalidation (SYSTEM.md mechanism 1): a read served from the partner's location cache
// must not return a version older than a write to that block that was acked before the read
// was invoked. Per block, acked writes sorted by ack time with a running maximum of version:
// each read is one binary search, so the whole check is O(n log n).
//
// Reads from other sources that are stale are counted in stats (staleBySource) but are not
// this checker's anomalies: linearizability owns them, this checker names the cache.
import type { Operation } from '../../ground/history/types.js';
import type { Anomaly, CheckContext, Checker, CheckerResult } from '../types.js';
import { ackLines, ackedBefore, buildWriteIndexes, eraOf, keyOf, readObservations } from '../dr-prefix/writes.js';

export const MAX_ANOMALIES = 200;

const completion = (op: Operation): number => (op.completeIndex >= 0 ? op.completeIndex : op.invokeIndex);

export const cacheInvalidationChecker: Checker = (ctx: CheckContext): CheckerResult => {
  const wi = buildWriteIndexes(ctx.paired, [readObservations(ctx.paired)]);
  const lines = wi.index.map(ackLines);
  const anomalies: Anomaly[] = [];
  let total = 0;
  let reads = 0;
  let cacheReads = 0;
  let noSource = 0;
  let cacheNoVersion = 0;
  let skippedEra = 0;
  const bySource: Record<string, number> = {};
  const staleBySource: Record<string, number> = {};
  for (const r of ctx.paired.ops) {
    if (r.f !== 'read' || r.status !== 'ok') continue;
    reads++;
    const src = r.meta?.source;
    if (src === undefined) noSource++;
    else bySource[src] = (bySource[src] ?? 0) + 1;
    if (src === 'cache') cacheReads++;
    const v = r.meta?.version;
    if (typeof v !== 'number') {
      if (src === 'cache') cacheNoVersion++;
      continue;
    }
    const e = eraOf(wi.eras, r.start);
    if (e > 0 && wi.eras[e].carriedCut === null) {
      skippedEra++;
      continue;
    }
    const line = lines[e].get(keyOf(r.key));
    if (!line) continue;
    const n = ackedBefore(line, r.start);
    if (n === 0) continue;
    const latest = line.entries[line.maxAt[n - 1]];
    if (v >= latest.version) continue;
    const s = src ?? 'unknown';
    staleBySource[s] = (staleBySource[s] ?? 0) + 1;
    if (src !== 'cache') continue;
    total++;
    if (anomalies.length >= MAX_ANOMALIES) continue;
    // the write that made the cached entry stale: the oldest acked-before overwrite of it
    let over = latest;
    for (let i = 0; i < n; i++) {
      const w = line.entries[i];
      if (w.version > v && w.version < over.version) over = w;
    }
    anomalies.push({
      kind: 'stale-cache-read',
      message:
        `read of block ${keyOf(r.key)} (process ${r.process}, events ${r.invokeIndex}..${r.completeIndex}) served by ${r.node ?? '?'} from its location cache ` +
        `returned version ${v} (${JSON.stringify(r.output)}), but the write of ${JSON.stringify(over.value)} at version ${over.version} ` +
        `was acked at event ${over.op.completeIndex}, before the read was invoked` +
        (latest !== over ? ` (latest acked before it: version ${latest.version})` : ''),
      events: [r.invokeIndex, completion(r), over.op.invokeIndex, over.op.completeIndex],
      read: { invoke: r.invokeIndex, complete: r.completeIndex, process: r.process, block: keyOf(r.key), value: r.output },
      node: r.node ?? null,
      cacheVersion: v,
      overwrite: { invoke: over.op.invokeIndex, complete: over.op.completeIndex, version: over.version, value: over.value, node: over.op.node ?? null },
      latestAckedVersion: latest.version,
    });
  }
  const stats = { reads, cacheReads, bySource, staleBySource, readsWithoutSource: noSource, anomalies: total };
  if (total > 0) return { valid: false, anomalies, stats };
  const unknowns: string[] = [];
  if (reads === 0) unknowns.push('no ok reads in the history: no cache read to judge');
  else if (noSource > 0) unknowns.push(`${noSource} of ${reads} ok read(s) carry no meta.source, so cache reads cannot be told apart`);
  if (cacheNoVersion > 0) unknowns.push(`${cacheNoVersion} cache read(s) carry no meta.version`);
  if (wi.unversionedAcked.length) unknowns.push(`${wi.unversionedAcked.length} ok write(s) carry no meta.version (first at event ${wi.unversionedAcked[0].completeIndex})`);
  if (skippedEra) unknowns.push(`${skippedEra} read(s) after a site loss whose stop event carries no meta.cut`);
  if (unknowns.length) return { valid: 'unknown', anomalies, reason: unknowns.join('; '), stats };
  return { valid: true, anomalies, stats: cacheReads === 0 ? { ...stats, note: 'no read was served from the cache: the invariant held vacuously' } : stats };
};

export default cacheInvalidationChecker;
