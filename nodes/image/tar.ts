// A streaming ustar writer: just enough for `docker import` (files, symlinks, directories).
// Written here because the image is assembled from paths scattered over the host and the only
// alternative, copying ~100 MB into a staging tree on every build, costs more than it saves.
import { closeSync, openSync, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { RootfsEntry } from './rootfs.js';

const BLOCK = 512;

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, opts: { type: '0' | '2' | '5'; size: number; mode: number; linkname?: string }): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  let path = name.replace(/^\/+/, '');
  let prefix = '';
  if (Buffer.byteLength(path) > 100) {
    // ustar splits long names at a '/' into prefix (155) + name (100).
    const cut = path.lastIndexOf('/', 155);
    if (cut <= 0 || Buffer.byteLength(path.slice(cut + 1)) > 100) throw new Error(`tar: path too long: ${name}`);
    prefix = path.slice(0, cut);
    path = path.slice(cut + 1);
  }
  h.write(path, 0, 100, 'utf8');
  h.write(octal(opts.mode, 8), 100, 8, 'ascii');
  h.write(octal(0, 8), 108, 8, 'ascii'); // uid
  h.write(octal(0, 8), 116, 8, 'ascii'); // gid
  h.write(octal(opts.size, 12), 124, 12, 'ascii');
  h.write(octal(0, 12), 136, 12, 'ascii'); // mtime: fixed, so equal inputs give equal tars
  h.write('        ', 148, 8, 'ascii'); // checksum placeholder
  h.write(opts.type, 156, 1, 'ascii');
  if (opts.linkname) h.write(opts.linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 8, 'ascii');
  return h;
}

function* fileChunks(from: string, size: number): Generator<Buffer> {
  const fd = openSync(from, 'r');
  try {
    let done = 0;
    while (done < size) {
      const buf = Buffer.allocUnsafe(Math.min(1 << 20, size - done));
      const n = readSync(fd, buf, 0, buf.length, done);
      if (n <= 0) throw new Error(`tar: ${from} shrank while being read`);
      done += n;
      yield n === buf.length ? buf : buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

function* tarChunks(entries: readonly RootfsEntry[], dirs: readonly string[], sizes: Map<string, number>): Generator<Buffer> {
  for (const d of dirs) yield header(d + '/', { type: '5', size: 0, mode: d === '/tmp' ? 0o1777 : 0o755 });
  for (const e of entries) {
    if (e.kind === 'symlink') {
      yield header(e.path, { type: '2', size: 0, mode: 0o777, linkname: e.target });
      continue;
    }
    const size = e.kind === 'file' ? sizes.get(e.from)! : e.content.length;
    yield header(e.path, { type: '0', size, mode: e.mode });
    if (e.kind === 'file') yield* fileChunks(e.from, size);
    else yield e.content;
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad) yield Buffer.alloc(pad, 0);
  }
  yield Buffer.alloc(BLOCK * 2, 0);
}

/** Every parent directory of the entries (plus extra ones), sorted so parents come first. */
export function parentDirs(entries: readonly RootfsEntry[], extra: readonly string[]): string[] {
  const symlinks = new Set(entries.filter((e) => e.kind === 'symlink').map((e) => e.path));
  const dirs = new Set<string>(extra);
  for (const e of entries) {
    let p = e.path;
    for (;;) {
      p = p.slice(0, p.lastIndexOf('/'));
      if (!p) break;
      if (!symlinks.has(p)) dirs.add(p);
    }
  }
  return [...dirs].sort();
}

export function tarStream(entries: readonly RootfsEntry[], dirs: readonly string[], sizes: Map<string, number>): Readable {
  return Readable.from(tarChunks(entries, dirs, sizes), { objectMode: false });
}
