// Record shapes of every file the core writes, and the pure helpers that read them back.
import type { NodeName } from './types.js';

// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) over a string's UTF-8 bytes. Written out here because the node image ships
// the core with no node_modules (nodes/image), and Node 20 has no zlib.crc32.
const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC-32 of a string's UTF-8 bytes, as a signed 32-bit integer. */
export function crc32(s: string): number {
  return crcRun(s, s.length, -1) ^ -1;
}

/** The running CRC register after `s`'s first `end` chars (UTF-8), from register `c`. */
function crcRun(s: string, end: number, c: number): number {
  for (let i = 0; i < end; i++) {
    const ch = s.charCodeAt(i);
    // Records are almost always ASCII (one byte per char); anything else goes through UTF-8.
    if (ch >= 0x80) {
      for (const byte of Buffer.from(s.slice(i, end), 'utf8')) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
      return c;
    }
    c = CRC_TABLE[(c ^ ch) & 0xff] ^ (c >>> 8);
  }
  return c;
}

const K_FIELD = ',"k":';
const CLOSE_BRACE = 0x7d;

/** Whether a sealed record's text checks out: the CRC of its text up to `,"k":`, closed with
 *  `}` (the JSON it was sealed from, sealedText), equals `k`. Computed over the text as it
 *  lies on disk, so nothing is re-serialized; a record whose text is not the sealer's (keys
 *  moved, spaces added) fails, which only corruption produces. */
function sealHolds(raw: string, k: number): boolean {
  const at = raw.lastIndexOf(K_FIELD);
  if (at < 0) return false;
  const c = crcRun(raw, at, -1);
  return (CRC_TABLE[(c ^ CLOSE_BRACE) & 0xff] ^ (c >>> 8) ^ -1) === k;
}

/** Versions are epoch-major: every version of epoch e+1 exceeds every version of epoch e, so a
 *  new owner never reuses a number an earlier incarnation may have handed to an unacked write. */
export const VERSION_SPAN = 1_000_000;
export const versionOf = (epoch: number, seq: number): number => epoch * VERSION_SPAN + seq;
export const epochOfVersion = (v: number): number => Math.floor(v / VERSION_SPAN);

/** Where a destaged write lives: record `index` of backend file `file` (write-anywhere). */
export interface Loc { file: string; index: number }

/** A write as the oplog, the partner's mirror and the backend know it. */
export interface Entry { v: number; block: number; value: string }

// ---- local `oplog` (the vault of dirty pages) ---------------------------------------------
// 'w': a write this node accepted as primary. 'm': a mirror entry replicated from the primary
// (mech 4). 'reset': the mirror below is superseded by a resync.
export type OplogRecord =
  | ({ t: 'w' } & Entry)
  | ({ t: 'm' } & Entry)
  | { t: 'reset'; epoch: number };

// ---- backend `data.<node>` ------------------------------------------------------------------
export type DataRecord = Entry;
export const dataFile = (n: NodeName): string => `data.${n}`;

// ---- backend `epoch`: the claim log ---------------------------------------------------------
// Appends to one shared file are ordered, so the first claim of an epoch number wins it.
export interface ClaimRecord { e: number; node: NodeName }
export interface EpochView { epoch: number; owner: NodeName | null }

export function epochView(claims: readonly ClaimRecord[]): EpochView {
  const owners = new Map<number, NodeName>();
  for (const c of claims) if (!owners.has(c.e)) owners.set(c.e, c.node);
  let epoch = 0;
  let owner: NodeName | null = null;
  for (const [e, n] of owners) if (e > epoch) { epoch = e; owner = n; }
  return { epoch, owner };
}

/** The latest epoch another node won: `me`'s current tenure began after it. */
export function lastEpochOfOthers(claims: readonly ClaimRecord[], me: NodeName): number {
  const owners = new Map<number, NodeName>();
  for (const c of claims) if (!owners.has(c.e)) owners.set(c.e, c.node);
  let e = 0;
  for (const [epoch, n] of owners) if (n !== me && epoch > e) e = epoch;
  return e;
}

/** The claim of `e` by `me` stands iff `me` was first for `e` and no later epoch exists. */
export function claimWon(claims: readonly ClaimRecord[], e: number, me: NodeName): boolean {
  const v = epochView(claims);
  return v.epoch === e && v.owner === me;
}

// ---- local `journal` (the splitter journal for dr) -------------------------------------------
export interface JEntry { v: number; block: number; value: string | null }
export type JournalRecord =
  | { t: 'init'; jid: number; base: number; cut: number; next: number }
  /** `n`: the entry's sequence number since the last init, so a missing entry shows. */
  | ({ t: 'e'; b: number; n?: number } & JEntry)
  /** `n`: the number of entries written since the init when the barrier closed. */
  | { t: 'close'; b: number; cut: number; n?: number }
  | { t: 'acked'; b: number; cut: number };

/** Journal records carry `k`, a CRC-32 of their JSON without it: a flipped bit or a torn
 *  record in the replication journal is detected at restart (mech 2's fallback). */
export function seal<T extends object>(rec: T): T & { k: number } {
  return { ...rec, k: crc32(JSON.stringify(rec)) };
}

/** `seal` straight to the record's text (one JSON.stringify: the journal's hot path). The same
 *  text as JSON.stringify(seal(rec)): `k` is the last key. */
export function sealedText(rec: object): string {
  const body = JSON.stringify(rec);
  return `${body.slice(0, -1)},"k":${crc32(body)}}`;
}

/** Reads raw journal records. Checked (the default): the records before the first one that is
 *  unreadable, fails its checksum or leaves a gap in the entries' sequence numbers (an entry
 *  whose append failed), and that record's index as `bad` (null if all are sound).
 *  Trusted (the `trust-journal` switch): every readable record, checksums ignored. */
export function openJournal(raw: readonly string[] | undefined, trust: boolean): { recs: JournalRecord[]; bad: number | null } {
  const recs: JournalRecord[] = [];
  const all = raw ?? [];
  let nextN = 0;
  for (let i = 0; i < all.length; i++) {
    let r: (JournalRecord & { k?: number }) | null = null;
    try { r = JSON.parse(all[i]) as JournalRecord & { k?: number }; } catch { r = null; }
    if (trust) { if (r && typeof r === 'object') recs.push(r); continue; }
    if (!r || typeof r !== 'object' || typeof r.k !== 'number' || !sealHolds(all[i], r.k)) return { recs, bad: i };
    const { k: _k, ...body } = r;
    const rec = body as JournalRecord;
    if (rec.t === 'init') nextN = 0;
    else if (rec.t === 'e') { if (rec.n !== nextN) return { recs, bad: i }; nextN++; }
    // A close counts the entries before it; a copy appended again later (persistSure) counts
    // fewer than have been read by then, which is fine. More means entries went missing.
    else if (rec.t === 'close' && typeof rec.n === 'number' && rec.n > nextN) return { recs, bad: i };
    recs.push(rec);
  }
  return { recs, bad: null };
}

// ---- local `bitmap` (recovery bitmap) -------------------------------------------------------
export type BitmapRecord = { t: 'set'; block: number } | { t: 'clear'; blocks: number[] } | { t: 'all' };

// ---- dr's local `dr` file ------------------------------------------------------------------
export type Change = [block: number, value: string, version: number];
export type DrRecord =
  | { t: 'apply'; jid: number; barrier: number; cut: number; consistent: boolean; changes: Change[]; maxV: number }
  | { t: 'partial'; barrier: number; changes: Change[] }
  | { t: 'promote'; epoch: number; barrier: number };

/** Latest entry per block among raw data records (highest version wins: write-anywhere).
 *  Indexes are record positions, so an unreadable record still occupies its slot. */
export function latestByBlock(files: ReadonlyArray<[string, readonly string[]]>): Map<number, { entry: Entry; loc: Loc }> {
  const out = new Map<number, { entry: Entry; loc: Loc }>();
  for (const [file, recs] of files) {
    recs.forEach((raw, index) => {
      let r: DataRecord;
      try { r = JSON.parse(raw) as DataRecord; } catch { return; }
      const cur = out.get(r.block);
      if (!cur || cur.entry.v < r.v) out.set(r.block, { entry: { v: r.v, block: r.block, value: r.value }, loc: { file, index } });
    });
  }
  return out;
}
