// Durability (SYSTEM.md mechanisms 4 and 5): after the final heal, the final reads
// (meta.final: true) must show, for every block, the last acked write or a later one.
// "Last" is the primary's version order. Indeterminate writes may or may not appear.
// During the run too: a read served in a later epoch than an acked write (a takeover or a
// restart happened between them) must not show an older version: the new primary lost it,
// even if a later write hides the loss from the final reads. (A read from an older epoch
// that misses a newer write is a fencing or lease failure: linearizability's to report.)
// Writes lost to a site loss are the RPO, not a durability bug: each era after a site loss
// carries only the old writes at or below dr's cut (see dr-prefix/writes.ts), and stats
// counts the rest. O(n log n).
import type { Operation } from '../../ground/history/types.js';
import type { Anomaly, CheckContext, Checker, CheckerResult } from '../types.js';
import { ackLines, ackedBefore, buildWriteIndexes, eraOf, keyOf, readObservations, sameValue, type Entry } from '../dr-prefix/writes.js';
import { activeBetween, describeFault, faultWindows } from '../stats/faults.js';

export const MAX_ANOMALIES = 200;

export const durabilityChecker: Checker = (ctx: CheckContext): CheckerResult => {
  const finals = ctx.paired.ops.filter((op) => op.f === 'read' && op.meta?.final === true);
  if (finals.length === 0) {
    return { valid: 'unknown', anomalies: [], reason: 'no final reads (read ops with meta.final: true after the final heal): lost writes cannot be judged', stats: { finalReads: 0 } };
  }
  const wi = buildWriteIndexes(ctx.paired, [readObservations(ctx.paired)]);
  const faults = faultWindows(ctx.paired.nemesis);
  const anomalies: Anomaly[] = [];
  let total = 0;
  const add = (a: Anomaly): void => {
    total++;
    if (anomalies.length < MAX_ANOMALIES) anomalies.push(a);
  };
  const unknowns: string[] = [];

  // the final reads all come after the final heal; they are judged in the era they start in
  const firstFinal = finals.reduce((m, r) => Math.min(m, r.start), Infinity);
  const e = eraOf(wi.eras, firstFinal);
  const era = wi.eras[e];
  const ix = wi.index[e];
  const cutUnknown = e > 0 && era.carriedCut === null;
  if (cutUnknown) unknowns.push('the site loss before the final reads carries no meta.cut: writes from before it are not judged');

  // the last acked write of each block, acked before the first final read was invoked
  const lastAcked = new Map<string, Entry>();
  for (const [key, list] of ix.byKey) {
    for (let i = list.length - 1; i >= 0; i--) {
      const en = list[i];
      if (en.acked && en.op.status === 'ok' && en.op.end < firstFinal) {
        lastAcked.set(key, en);
        break;
      }
    }
  }
  const finalsByKey = new Map<string, Operation[]>();
  for (const r of finals) {
    const k = keyOf(r.key);
    const l = finalsByKey.get(k);
    if (l) l.push(r);
    else finalsByKey.set(k, [r]);
  }

  let judged = 0;
  const unjudged: string[] = [];
  for (const [key, w] of lastAcked) {
    const reads = (finalsByKey.get(key) ?? []).filter((r) => r.status === 'ok' && typeof r.meta?.version === 'number');
    if (reads.length === 0) {
      unjudged.push(key);
      continue;
    }
    judged++;
    for (const r of reads) {
      const v = r.meta!.version as number;
      if (v < w.version) {
        const lost = (ix.byKey.get(key) ?? []).filter((x) => x.acked && x.op.status === 'ok' && x.version > v && x.op.end < firstFinal);
        const active = activeBetween(faults, w.op.end, r.end);
        add({
          kind: 'lost-write',
          message:
            `acked write of ${JSON.stringify(w.value)} to block ${key} (version ${w.version}, events ${w.op.invokeIndex}..${w.op.completeIndex}) is lost: ` +
            `the final read (events ${r.invokeIndex}..${r.completeIndex}, node ${r.node ?? '?'}) shows version ${v} (${JSON.stringify(r.output)})` +
            (lost.length > 1 ? `, ${lost.length} acked write(s) to this block lost in all` : '') +
            `; faults between ack and final read: ${active.length ? active.map(describeFault).join(', ') : 'none'}`,
          events: [w.op.invokeIndex, w.op.completeIndex, r.invokeIndex, r.completeIndex],
          block: key,
          write: { invoke: w.op.invokeIndex, complete: w.op.completeIndex, version: w.version, value: w.value, node: w.op.node ?? null },
          finalRead: { invoke: r.invokeIndex, complete: r.completeIndex, version: v, value: r.output, node: r.node ?? null },
          lostWrites: lost.slice(0, 20).map((x) => ({ invoke: x.op.invokeIndex, complete: x.op.completeIndex, version: x.version })),
          faults: active.map((f) => ({ faultId: f.faultId, fault: f.fault, targets: f.targets, start: f.startIndex, stop: f.stopIndex })),
        });
        continue;
      }
      const got = ix.byVersion.get(v);
      if (got && (got.key !== key || !sameValue(got.value, r.output))) {
        add({
          kind: 'wrong-value',
          message: `final read of block ${key} (events ${r.invokeIndex}..${r.completeIndex}) returned ${JSON.stringify(r.output)} at version ${v}, but version ${v} wrote ${JSON.stringify(got.value)} to block ${got.key}`,
          events: [r.invokeIndex, r.completeIndex, got.op.invokeIndex],
          block: key,
        });
      } else if (!got && !cutUnknown) {
        add({
          kind: 'phantom-value',
          message: `final read of block ${key} (events ${r.invokeIndex}..${r.completeIndex}) returned ${JSON.stringify(r.output)} at version ${v}, which no write to that block could have produced`,
          events: [r.invokeIndex, r.completeIndex],
          block: key,
        });
      }
    }
  }
  // reads during the run, served in a later epoch than the newest write acked before them
  const lines = wi.index.map(ackLines);
  const reported = new Set<Operation>();
  let takeoverReads = 0;
  for (const r of ctx.paired.ops) {
    if (r.f !== 'read' || r.status !== 'ok' || r.meta?.final === true || r.meta?.source === 'cache') continue;
    const v = r.meta?.version;
    const re = r.meta?.epoch;
    if (typeof v !== 'number' || typeof re !== 'number') continue;
    const er = eraOf(wi.eras, r.start);
    if (er > 0 && wi.eras[er].carriedCut === null) continue;
    const line = lines[er].get(keyOf(r.key));
    if (!line) continue;
    const n = ackedBefore(line, r.start);
    if (n === 0) continue;
    const w = line.entries[line.maxAt[n - 1]];
    const we = w.op.meta?.epoch;
    if (typeof we !== 'number') continue;
    takeoverReads++;
    if (v >= w.version || re <= we || reported.has(w.op)) continue;
    reported.add(w.op);
    const active = activeBetween(faults, w.op.end, r.start);
    add({
      kind: 'lost-after-takeover',
      message:
        `acked write of ${JSON.stringify(w.value)} to block ${keyOf(r.key)} (version ${w.version}, epoch ${we}, events ${w.op.invokeIndex}..${w.op.completeIndex}) is lost: ` +
        `a read served by ${r.node ?? '?'} in epoch ${re} (events ${r.invokeIndex}..${r.completeIndex}, source ${r.meta?.source ?? '?'}) shows version ${v} (${JSON.stringify(r.output)})` +
        `; faults between ack and read: ${active.length ? active.map(describeFault).join(', ') : 'none'}`,
      events: [w.op.invokeIndex, w.op.completeIndex, r.invokeIndex, r.completeIndex],
      block: keyOf(r.key),
      write: { invoke: w.op.invokeIndex, complete: w.op.completeIndex, version: w.version, value: w.value, node: w.op.node ?? null, epoch: we },
      read: { invoke: r.invokeIndex, complete: r.completeIndex, version: v, value: r.output, node: r.node ?? null, epoch: re },
      faults: active.map((f) => ({ faultId: f.faultId, fault: f.fault, targets: f.targets, start: f.startIndex, stop: f.stopIndex })),
    });
  }

  // blocks read at the end that no acked write touched: may show an indeterminate write or none
  if (unjudged.length) unknowns.push(`${unjudged.length} block(s) with acked writes have no ok final read with a version (e.g. block ${unjudged.slice(0, 5).join(', ')})`);
  if (wi.unversionedAcked.length) unknowns.push(`${wi.unversionedAcked.length} ok write(s) carry no meta.version (first at event ${wi.unversionedAcked[0].completeIndex})`);
  const stats = {
    finalReads: finals.length,
    blocksWithAckedWrites: lastAcked.size,
    blocksJudged: judged,
    blocksUnjudged: unjudged.length,
    era: e,
    readsJudgedAcrossEpochs: takeoverReads,
    anomalies: total,
  };
  if (total > 0) return { valid: false, anomalies, stats };
  if (unknowns.length) return { valid: 'unknown', anomalies, reason: unknowns.join('; '), stats };
  return { valid: true, anomalies, stats };
};

export default durabilityChecker;
