// The semantics of the core's storage effects, in one place for every interpreter that keeps a
// disk in memory: the simulator's world (harness/runtime/sim) and the core's test cluster
// (testing/cluster.ts). They follow the real shell's store (server/store.ts):
//
// - append: visible at once (a record's location is its index), volatile until synced.
// - fsync: covers the records the file held when it was issued; they become durable when it
//   completes, and only if the node that issued it is still in the same life. A node that
//   crashed with an fsync in flight never learned it finished, and the real store records a
//   sync (its sidecar) only after fsync returns, so a restart that drops the unsynced tail
//   cuts back to before that fsync. A crash voids every fsync its node had in flight.
// - crash with the unsynced tail dropped (power loss; kill-unsynced): the node's trailing run of
//   unsynced records goes from each file; another node's records appended after them stay (on
//   the shared backend, a crash of a must not take b's records). A plain kill drops nothing
//   (the page cache survives a process), but still voids the fsyncs in flight.
// - failed fsync: what it covered that was still unsynced is lost at the next power loss, even
//   if a later fsync succeeds (the kernel dropped those dirty pages: Linux's behaviour that bit
//   PostgreSQL, "fsyncgate"). Local volumes only: a backend record missing from the middle
//   would move every later location.
// - delete: a metadata operation, durable at once.
//
// Each record remembers which node appended it, because the shared backend is written by both
// a and b.

export interface FsyncToken {
  file: string;
  writer: string;
  /** Records [0, upTo) are covered. */
  upTo: number;
  /** The writer's life in this volume when the fsync was issued. */
  life: number;
}

interface FileState {
  records: string[];
  writers: string[];
  /** Records [0, synced) are on stable storage, except `lost` ones. */
  synced: number;
  /** Records a failed fsync covered: a power loss takes them whatever later fsyncs report. */
  lost?: Set<number>;
}

export class RecordVolume {
  private files = new Map<string, FileState>();
  private lives = new Map<string, number>();

  constructor(readonly name: string) {}

  private file(name: string): FileState {
    let f = this.files.get(name);
    if (!f) {
      f = { records: [], writers: [], synced: 0 };
      this.files.set(name, f);
    }
    return f;
  }

  append(file: string, records: readonly string[], writer: string): number {
    const f = this.file(file);
    const at = f.records.length;
    for (const r of records) {
      f.records.push(r);
      f.writers.push(writer);
    }
    return at;
  }

  /** An fsync issued now by `writer`: what it covers, for `fsyncDone` when it completes. */
  fsync(file: string, writer: string): FsyncToken {
    return { file, writer, upTo: this.files.get(file)?.records.length ?? 0, life: this.lives.get(writer) ?? 0 };
  }

  /** The fsync completed. Returns false (and syncs nothing) when its writer crashed since. */
  fsyncDone(t: FsyncToken): boolean {
    if ((this.lives.get(t.writer) ?? 0) !== t.life) return false;
    const f = this.files.get(t.file);
    if (f) f.synced = Math.max(f.synced, Math.min(t.upTo, f.records.length));
    return true;
  }

  /** How many records an fsync issued now would cover. */
  length(file: string): number {
    return this.files.get(file)?.records.length ?? 0;
  }

  /** An fsync issued when the file had `upTo` records failed: the unsynced ones among them are
   *  lost at the next power loss. */
  failSync(file: string, upTo: number): void {
    const f = this.files.get(file);
    if (!f) return;
    for (let i = f.synced; i < Math.min(upTo, f.records.length); i++) (f.lost ??= new Set()).add(i);
  }

  /** Overwrites record `index` in place (media corruption: the record keeps its position and
   *  its synced state, whoever wrote it). */
  replace(file: string, index: number, record: string): void {
    const f = this.files.get(file);
    if (!f || index < 0 || index >= f.records.length) throw new Error(`disk: ${this.name}/${file} has no record ${index}`);
    f.records[index] = record;
  }

  read(file: string, from: number, to: number): string[] {
    const f = this.files.get(file);
    if (!f) return [];
    return f.records.slice(Math.max(0, from), Math.max(0, to));
  }

  delete(file: string): void {
    this.files.delete(file);
  }

  /**
   * A crash of `writer`: its fsyncs in flight are void; with `dropUnsynced`, its trailing run of
   * unsynced records leaves every file. Returns the records dropped.
   */
  crash(writer: string, dropUnsynced = true): number {
    this.lives.set(writer, (this.lives.get(writer) ?? 0) + 1);
    if (!dropUnsynced) return 0;
    let dropped = 0;
    for (const f of this.files.values()) {
      if (f.lost) {
        // Pages a failed fsync dropped never reached the disk (only the writer's own records).
        const keep = (_: unknown, i: number) => !f.lost!.has(i) || f.writers[i] !== writer;
        const before = f.records.length;
        const syncedLost = [...f.lost].filter((i) => i < f.synced && f.writers[i] === writer).length;
        f.records = f.records.filter(keep);
        f.writers = f.writers.filter(keep);
        dropped += before - f.records.length;
        f.synced -= syncedLost;
        f.lost = undefined;
      }
      while (f.records.length > f.synced && f.writers[f.writers.length - 1] === writer) {
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

  /** Records of one file, for tests. */
  recordsOf(file: string): string[] {
    return this.files.get(file)?.records.slice() ?? [];
  }

  wipe(): void {
    this.files.clear();
  }
}
