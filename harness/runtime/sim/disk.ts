// Simulated storage: append-only record files on named volumes. Appended records are
// visible at once (a record's location is its index) but stay volatile until an fsync of
// their file that was issued after them completes; a crash drops exactly that unsynced tail.
// Each record remembers which node appended it, because the shared backend is written by
// both a and b and a crash of one must not take the other's records with it.
import type { NodeName } from '../../../nodes/blockstore/core/types.js';

interface FileState {
  records: string[];
  writers: NodeName[];
  /** Records [0, synced) are on stable storage, except `lost` ones. */
  synced: number;
  /** Records a failed fsync covered: their pages were dropped, so a power loss takes them even
   *  if a later fsync succeeded (Linux's behaviour that bit PostgreSQL: "fsyncgate"). */
  lost?: Set<number>;
}

export class SimVolume {
  private files = new Map<string, FileState>();

  constructor(readonly name: string) {}

  private file(name: string): FileState {
    let f = this.files.get(name);
    if (!f) {
      f = { records: [], writers: [], synced: 0 };
      this.files.set(name, f);
    }
    return f;
  }

  append(file: string, records: readonly string[], writer: NodeName): number {
    const f = this.file(file);
    const at = f.records.length;
    for (const r of records) {
      f.records.push(r);
      f.writers.push(writer);
    }
    return at;
  }

  /** How many records an fsync issued now would cover. */
  length(file: string): number {
    return this.files.get(file)?.records.length ?? 0;
  }

  /** An fsync issued when the file had `upTo` records has completed. */
  markSynced(file: string, upTo: number): void {
    const f = this.files.get(file);
    if (f) f.synced = Math.max(f.synced, Math.min(upTo, f.records.length));
  }

  read(file: string, from: number, to: number): string[] {
    const f = this.files.get(file);
    if (!f) return [];
    return f.records.slice(Math.max(0, from), Math.max(0, to));
  }

  /** An fsync issued when the file had `upTo` records failed: the unsynced ones among them are
   *  lost at the next power loss, whatever later fsyncs report. Local volumes only: a backend
   *  record missing from the middle would move every later location. */
  failSync(file: string, upTo: number): void {
    const f = this.files.get(file);
    if (!f) return;
    for (let i = f.synced; i < Math.min(upTo, f.records.length); i++) (f.lost ??= new Set()).add(i);
  }

  /** Overwrites record `index` in place (media corruption: the record keeps its position and
   *  its synced state, whoever wrote it). */
  replace(file: string, index: number, record: string): void {
    const f = this.files.get(file);
    if (!f || index < 0 || index >= f.records.length) throw new Error(`sim: ${this.name}/${file} has no record ${index}`);
    f.records[index] = record;
  }

  /** Removing a file is a metadata operation we treat as durable at once. */
  delete(file: string): void {
    this.files.delete(file);
  }

  /**
   * A crash of `node`: drop its unsynced records from the tail of every file. Another
   * node's unsynced records further on stay (they were written after, at their own
   * locations), so only a trailing run of `node`'s records is removed.
   */
  crash(node: NodeName): number {
    let dropped = 0;
    for (const f of this.files.values()) {
      if (f.lost) {
        // Pages a failed fsync dropped never reached the disk (only the writer's own files).
        const keep = (_: unknown, i: number) => !f.lost!.has(i) || f.writers[i] !== node;
        const before = f.records.length;
        const syncedLost = [...f.lost].filter((i) => i < f.synced && f.writers[i] === node).length;
        f.records = f.records.filter(keep);
        f.writers = f.writers.filter(keep);
        dropped += before - f.records.length;
        f.synced -= syncedLost;
        f.lost = undefined;
      }
      while (f.records.length > f.synced && f.writers[f.writers.length - 1] === node) {
        f.records.pop();
        f.writers.pop();
        dropped++;
      }
    }
    return dropped;
  }

  /** Unsynced record count across files (tests and status). */
  unsynced(): number {
    let n = 0;
    for (const f of this.files.values()) n += f.records.length - f.synced;
    return n;
  }

  /** Every file's records, in creation order, for a (re)starting node. */
  image(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [name, f] of this.files) out[name] = f.records.slice();
    return out;
  }

  wipe(): void {
    this.files.clear();
  }
}
