// Append-only record files on real volumes, with real fsync, for the shell.
//
// Layout of a volume directory:
//   <file>                 one record a line, each line JSON.stringify(record) + "\n"
//   .synced/<file>@<node>  fixed-width decimal: bytes of <file> known durable by <node>'s fsync
//
// Why a sidecar per (file, writer): the harness's "kill with the unsynced tail dropped" fault
// keeps the page cache (the host did not crash), so the shell itself must forget what was
// never fsynced. At start with --drop-unsynced, every file of the node's own (local) volume is
// cut back to its synced length. The shared backend is other storage that did not lose power
// with the node, and its files are read by location by the partner, so it is never cut.
// The sidecar is written only after the fsync it records returns, and stores the size taken
// *before* that fsync, so it never claims more than is durable.
//
// The shared backend (mounted by a and b): appends are single O_APPEND write(2) calls of whole
// lines, so records from two writers never interleave within a line even on one file; the core
// still gives each writer its own files (SYSTEM.md's write-anywhere), which is what keeps record
// indices stable. Only files that carry this node's sidecar are ever truncated here, so a
// restarting b never cuts a file a is still writing. A torn last line (no newline) is invisible
// to readers and, on files this node owns, cut away at start.
//
// Node built-ins only.
import { promises as fsp, constants as C, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DiskImage, NodeName, RecordFile, Volume } from '../core/types.js';

const SIDECAR_DIR = '.synced';
const WIDTH = 16;

/** Encodes a core file name as one safe path segment (and back). */
export function fileSegment(name: string): string {
  const s = encodeURIComponent(name).replace(/\*/g, '%2A');
  return s.startsWith('.') ? `%2E${s.slice(1)}` : s;
}
export function segmentName(seg: string): string {
  return decodeURIComponent(seg);
}

interface OpenFile {
  volume: Volume;
  /** A failed append's errno, reported by the file's next fsync (as Linux reports a failed
   *  writeback), so a caller that waits only on the fsync learns of it. */
  appendErr?: string;
  path: string;
  sidecar: string;
  handle: fsp.FileHandle | null;
  side: fsp.FileHandle | null;
  /** Every operation on this file, in issue order: appends, fsyncs, reads, deletes. */
  queue: QueuedOp[];
  busy: boolean;
  /** Byte offsets where records start, for files read at locations (complete lines only). */
  offsets: number[];
  scanned: number;
}

type OpSpec = { kind: 'append'; data: string } | { kind: 'fsync' } | { kind: 'other'; run: () => Promise<unknown> };
type QueuedOp = OpSpec & { resolve: (v: unknown) => void; reject: (e: unknown) => void };

export interface StoreStats {
  appends: number;
  fsyncs: number;
  bytes: number;
  /** IO failed on purpose by an injected disk fault. */
  injected: number;
}

/**
 * An injected disk fault (the `disk-errors` admin request): the next `count` fsyncs (or append
 * groups) fail with `code`. A failed fsync syncs nothing and leaves the sidecar alone (what it
 * covered stays unsynced, so a later --drop-unsynced start drops it); a failed append writes
 * nothing. Appends fail only on the local volume: backend records are located by index.
 */
export interface InjectedDiskFault {
  op: 'fsync' | 'append';
  code: 'EIO' | 'ENOSPC';
  count: number;
  volume?: Volume;
}

function injectedError(code: string, what: string): Error {
  return Object.assign(new Error(`${code}: ${what} failed (injected disk fault)`), { code });
}

export class RecordStore {
  private files = new Map<string, OpenFile>();
  readonly stats: StoreStats = { appends: 0, fsyncs: 0, bytes: 0, injected: 0 };
  private fault: InjectedDiskFault | null = null;

  /** Arms (count > 0) or clears (null, or count 0) an injected disk fault. */
  injectDiskFault(fault: InjectedDiskFault | null): void {
    if (fault && fault.op === 'append' && fault.volume === 'backend') throw new Error('append errors are injected on the local volume only');
    this.fault = fault && fault.count > 0 ? { ...fault } : null;
  }

  get diskFault(): InjectedDiskFault | null {
    return this.fault ? { ...this.fault } : null;
  }

  private takeFault(op: 'fsync' | 'append', volume: Volume): string | null {
    const f = this.fault;
    if (!f || f.op !== op) return null;
    if (f.volume ? f.volume !== volume : op === 'append' && volume !== 'local') return null;
    if (--f.count <= 0) this.fault = null;
    this.stats.injected++;
    return f.code;
  }

  /** Rewrites a local file's records in place (journal corruption). `edit` gets the records and
   *  returns the new ones, or null to leave the file alone. Runs in the file's queue. */
  rewrite(file: string, edit: (records: string[]) => string[] | null): Promise<boolean> {
    const f = this.file({ volume: 'local', file });
    return this.enqueue(f, async () => {
      const buf = await fsp.readFile(f.path).catch(() => null);
      if (!buf) return false;
      const next = edit(parseLines(buf));
      if (!next) return false;
      // Same inode: an O_APPEND handle keeps appending after the rewritten records.
      await fsp.writeFile(f.path, next.map((r) => `${JSON.stringify(r)}\n`).join(''));
      f.offsets = [0];
      f.scanned = 0;
      return true;
    });
  }

  constructor(
    private readonly dirs: Partial<Record<Volume, string>>,
    private readonly owner: NodeName,
  ) {
    for (const d of Object.values(dirs)) if (d) mkdirSync(join(d, SIDECAR_DIR), { recursive: true });
  }

  hasVolume(v: Volume): boolean {
    return !!this.dirs[v];
  }

  /**
   * Everything visible at start. With dropUnsynced, local files are first cut back to what the
   * last fsync covered. Torn last lines of files only this node writes are cut either way.
   */
  load(dropUnsynced: boolean): { image: DiskImage; dropped: number } {
    const image: DiskImage = { local: {}, backend: {} };
    let dropped = 0;
    for (const volume of ['local', 'backend'] as const) {
      const dir = this.dirs[volume];
      if (!dir) continue;
      for (const seg of readdirSync(dir).sort()) {
        if (seg.startsWith('.')) continue;
        const path = join(dir, seg);
        if (!statSync(path).isFile()) continue;
        const sidecar = join(dir, SIDECAR_DIR, `${seg}@${this.owner}`);
        const owned = volume === 'local' || (existsSync(sidecar) && !otherWriters(dir, seg, this.owner));
        if (volume === 'local' && dropUnsynced) {
          const synced = existsSync(sidecar) ? readSidecar(sidecar) : 0;
          const size = statSync(path).size;
          if (size > synced) {
            truncateSync(path, synced);
            dropped += size - synced;
          }
        }
        const buf = readFileSync(path);
        const end = buf.lastIndexOf(10) + 1;
        if (owned && end < buf.length) truncateSync(path, end);
        image[volume][segmentName(seg)] = parseLines(buf.subarray(0, end));
      }
    }
    return { image, dropped };
  }

  append(target: RecordFile, records: string[]): Promise<void> {
    const data = records.map((r) => `${JSON.stringify(r)}\n`).join('');
    return this.push(this.file(target), { kind: 'append', data }) as Promise<void>;
  }

  fsync(target: RecordFile): Promise<void> {
    return this.push(this.file(target), { kind: 'fsync' }) as Promise<void>;
  }

  /** Records [from, to) of a file, as it is on disk now (another node may be its writer). */
  read(target: RecordFile, from: number, to: number): Promise<string[] | null> {
    const f = this.file(target);
    return this.enqueue(f, async () => {
      if (to > f.offsets.length - 1) await this.scan(f);
      const count = f.offsets.length - 1;
      // The core asks for [from, to) and takes what exists: to may run past the end.
      if (from < 0 || to < from) return null;
      from = Math.min(from, count);
      to = Math.min(to, count);
      if (to === from) return [];
      const start = f.offsets[from];
      const len = f.offsets[to] - start;
      const h = await fsp.open(f.path, 'r');
      try {
        const buf = Buffer.alloc(len);
        await h.read(buf, 0, len, start);
        return parseLines(buf);
      } finally {
        await h.close();
      }
    });
  }

  delete(target: RecordFile): Promise<void> {
    const f = this.file(target);
    return this.enqueue(f, async () => {
      await this.closeFile(f);
      await fsp.rm(f.path, { force: true });
      await fsp.rm(f.sidecar, { force: true });
      f.offsets = [0];
      f.scanned = 0;
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.files.values()].map((f) => this.enqueue(f, () => this.closeFile(f))));
  }

  // ---- internals ---------------------------------------------------------------------------

  private file(target: RecordFile): OpenFile {
    const key = `${target.volume}/${target.file}`;
    let f = this.files.get(key);
    if (!f) {
      const dir = this.dirs[target.volume];
      if (!dir) throw new Error(`no ${target.volume} volume mounted (give --${target.volume === 'local' ? 'data' : 'backend'} DIR)`);
      const seg = fileSegment(target.file);
      f = {
        volume: target.volume,
        path: join(dir, seg),
        sidecar: join(dir, SIDECAR_DIR, `${seg}@${this.owner}`),
        handle: null,
        side: null,
        queue: [],
        busy: false,
        offsets: [0],
        scanned: 0,
      };
      this.files.set(key, f);
    }
    return f;
  }

  private enqueue<T>(f: OpenFile, run: () => Promise<T>): Promise<T> {
    return this.push(f, { kind: 'other', run }) as Promise<T>;
  }

  private push(f: OpenFile, op: OpSpec): Promise<unknown> {
    return new Promise((resolve, reject) => {
      f.queue.push({ ...op, resolve, reject } as QueuedOp);
      if (!f.busy) void this.pump(f);
    });
  }

  /**
   * Runs a file's queue in order. Group commit: every append and fsync waiting at the head
   * (up to the next read or delete) goes out as one write and at most one fsync, which covers
   * every append before each of those fsyncs; while that fsync runs, the next group gathers.
   */
  private async pump(f: OpenFile): Promise<void> {
    f.busy = true;
    while (f.queue.length > 0) {
      const head = f.queue[0];
      if (head.kind === 'other') {
        f.queue.shift();
        await head.run().then(head.resolve, head.reject);
        continue;
      }
      let n = 0;
      while (n < f.queue.length && f.queue[n].kind !== 'other') n++;
      const group = f.queue.splice(0, n);
      try {
        const h = await this.openAppend(f);
        const data = group.map((o) => (o.kind === 'append' ? o.data : '')).join('');
        const appendErr = data ? this.takeFault('append', f.volume) : null;
        if (appendErr) {
          f.appendErr = appendErr;
          for (const o of group) if (o.kind === 'append') o.reject(injectedError(appendErr, 'append'));
        } else if (data) {
          await h.write(data);
          this.stats.appends += group.filter((o) => o.kind === 'append').length;
          this.stats.bytes += data.length;
        }
        if (!appendErr) for (const o of group) if (o.kind === 'append') o.resolve(undefined);
        const hasSync = group.some((o) => o.kind === 'fsync');
        let syncErr = hasSync ? this.takeFault('fsync', f.volume) : null;
        if (hasSync && f.appendErr) { syncErr ??= f.appendErr; f.appendErr = undefined; }
        if (syncErr) {
          for (const o of group) if (o.kind === 'fsync') o.reject(injectedError(syncErr, 'fsync'));
        } else if (group.some((o) => o.kind === 'fsync')) {
          const { size } = await h.stat();
          await h.sync();
          this.stats.fsyncs++;
          await this.writeSidecar(f, size);
          for (const o of group) if (o.kind === 'fsync') o.resolve(undefined);
        }
      } catch (e) {
        for (const o of group) o.reject(e);
      }
    }
    f.busy = false;
  }

  private async openAppend(f: OpenFile): Promise<fsp.FileHandle> {
    if (f.handle) return f.handle;
    const existed = existsSync(f.path);
    f.handle = await fsp.open(f.path, C.O_WRONLY | C.O_APPEND | C.O_CREAT, 0o644);
    if (!existsSync(f.sidecar)) {
      // What was there before this node first wrote is someone else's (or an earlier life's)
      // and not ours to drop; a file we create starts with nothing synced.
      const base = existed ? (await f.handle.stat()).size : 0;
      writeFileSync(f.sidecar, pad(base));
    }
    return f.handle;
  }

  private async writeSidecar(f: OpenFile, size: number): Promise<void> {
    if (!f.side) f.side = await fsp.open(f.sidecar, 'r+');
    await f.side.write(pad(size), 0, 'utf8');
  }

  private async scan(f: OpenFile): Promise<void> {
    const st = await fsp.stat(f.path).catch(() => null);
    if (!st || st.size <= f.scanned) return;
    const h = await fsp.open(f.path, 'r');
    try {
      const len = st.size - f.scanned;
      const buf = Buffer.alloc(len);
      const { bytesRead } = await h.read(buf, 0, len, f.scanned);
      let i = 0;
      for (;;) {
        const nl = buf.indexOf(10, i);
        if (nl === -1 || nl >= bytesRead) break;
        i = nl + 1;
        f.offsets.push(f.scanned + i);
      }
      f.scanned += i;
    } finally {
      await h.close();
    }
  }

  private async closeFile(f: OpenFile): Promise<void> {
    const h = f.handle;
    const s = f.side;
    f.handle = null;
    f.side = null;
    await h?.close().catch(() => undefined);
    await s?.close().catch(() => undefined);
  }
}

/** Another node has appended to this backend file too (the shared epoch claim log). */
function otherWriters(dir: string, seg: string, me: NodeName): boolean {
  return readdirSync(join(dir, SIDECAR_DIR)).some((n) => n.startsWith(`${seg}@`) && n !== `${seg}@${me}`);
}

function pad(n: number): string {
  return `${String(n).padStart(WIDTH, '0')}\n`;
}

function readSidecar(path: string): number {
  const n = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
  return Number.isFinite(n) && n >= 0 ? n : 0;
}

function parseLines(buf: Buffer): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    const nl = buf.indexOf(10, i);
    if (nl === -1) break;
    const line = buf.toString('utf8', i, nl);
    i = nl + 1;
    try {
      const v = JSON.parse(line);
      out.push(typeof v === 'string' ? v : line);
    } catch {
      // A corrupt line keeps its place so record indices (locations) stay stable; the core
      // will not recognise it as one of its records.
      out.push(line);
    }
  }
  return out;
}

/** Removes a leftover marker and says whether it was there (the docker runtime's alternative to the flag). */
export function takeMarker(dir: string, name: string): boolean {
  const p = join(dir, name);
  if (!existsSync(p)) return false;
  unlinkSync(p);
  return true;
}
