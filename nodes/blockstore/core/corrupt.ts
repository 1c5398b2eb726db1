// Journal corruption as a fault (issue 14): a flipped bit in an entry's data, or a torn last
// record. Pure functions over a file's raw records, shared by the simulator (which edits its
// simulated volume) and the real shell (which rewrites the file on disk), so both runtimes
// corrupt the journal the same way. The core detects either at restart (records.ts `openJournal`).
import type { JournalRecord } from './records.js';

export type JournalCorruption = 'flip' | 'torn';
export const JOURNAL_CORRUPTIONS: readonly JournalCorruption[] = ['flip', 'torn'];

/** What was changed: the record's index and a short description for logs and histories. */
export interface Corrupted { records: string[]; index: number; what: string }

/**
 * Corrupts a copy of `records` (a journal file). `pick(n)` chooses an integer in [0, n): the
 * caller's seeded stream (sim) or any source (docker). `flip` changes one bit of one character
 * of one entry's value, preferring entries after the last `acked` record (those a restart would
 * still ship to dr) that are their block's latest; the record stays valid JSON, so only its checksum can tell. `torn` cuts the
 * last record in half, as a write that reached the disk only partly. Null: nothing to corrupt.
 */
export function corruptJournal(records: readonly string[], how: JournalCorruption, pick: (n: number) => number): Corrupted | null {
  if (records.length === 0) return null;
  const out = records.slice();
  if (how === 'torn') {
    const last = out.length - 1;
    const r = out[last];
    out[last] = r.slice(0, Math.max(1, Math.floor(r.length / 2)));
    return { records: out, index: last, what: `torn record ${last} (${r.length} -> ${out[last].length} chars)` };
  }
  const entries: number[] = [];
  let lastAcked = -1;
  records.forEach((raw, i) => {
    const r = parse(raw);
    if (!r) return;
    if (r.t === 'acked' || r.t === 'init') lastAcked = i;
    if (r.t === 'e' && typeof r.value === 'string' && r.value.length > 0) entries.push(i);
  });
  // Prefer an entry still to be shipped whose block no later entry overwrites: its wrong value
  // then stays in dr's image instead of being papered over by the next barrier.
  const lastOfBlock = new Map<number, number>();
  for (const i of entries) lastOfBlock.set(Number((parse(records[i]) as { block?: number }).block), i);
  const latest = new Set(lastOfBlock.values());
  const later = entries.filter((i) => i > lastAcked);
  const best = later.filter((i) => latest.has(i));
  const pool = best.length ? best : later.length ? later : entries;
  if (pool.length === 0) return null;
  const index = pool[pick(pool.length)];
  const rec = parse(records[index]) as JournalRecord & { value: string };
  const chars = [...rec.value];
  const at = pick(chars.length);
  const flipped = flipChar(chars[at]);
  chars[at] = flipped;
  const was = rec.value;
  rec.value = chars.join('');
  out[index] = JSON.stringify(rec);
  return { records: out, index, what: `flipped a bit of record ${index}'s value (${JSON.stringify(was)} -> ${JSON.stringify(rec.value)})` };
}

/** One bit flipped, kept printable and free of JSON escapes so the record still parses and
 *  keeps its length (the real shell rewrites the file in place). */
function flipChar(c: string): string {
  const code = c.charCodeAt(0);
  for (const bit of [1, 2, 4, 8, 16]) {
    const x = code ^ bit;
    if (x >= 0x20 && x < 0x7f && x !== 0x22 && x !== 0x5c) return String.fromCharCode(x);
  }
  return c === 'x' ? 'y' : 'x';
}

function parse(raw: string): (JournalRecord & { value?: unknown }) | null {
  try {
    const r = JSON.parse(raw) as unknown;
    return r && typeof r === 'object' ? (r as JournalRecord) : null;
  } catch {
    return null;
  }
}
