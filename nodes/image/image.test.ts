// The image's pure parts: which dist files go in, the tar the engine imports, and a tag that
// moves exactly when an input does. (The docker runtime tests run the image itself.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InputError } from '../../ground/errors.js';
import { contentTag } from './build.js';
import { serverClosure, type RootfsEntry } from './rootfs.js';
import { parentDirs, tarStream } from './tar.js';

function tmpDist(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-image-'));
  for (const [p, src] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), src);
  }
  return dir;
}

test('the server closure follows relative imports only, and refuses packages', () => {
  const dist = tmpDist({
    'nodes/blockstore/server.js': "import { a } from './server/a.js';\nimport net from 'node:net';\nexport * from '../../ground/errors.js';\n",
    'nodes/blockstore/server/a.js': "import('./lazy.js');\nexport const a = 1;\n",
    'nodes/blockstore/server/lazy.js': 'export {};\n',
    'ground/errors.js': 'export class InputError extends Error {}\n',
    'nodes/unused.js': 'export {};\n',
  });
  try {
    const rel = serverClosure(dist).map((f) => f.slice(dist.length + 1));
    assert.deepEqual(rel, ['ground/errors.js', 'nodes/blockstore/server.js', 'nodes/blockstore/server/a.js', 'nodes/blockstore/server/lazy.js']);
    writeFileSync(join(dist, 'nodes/blockstore/server/lazy.js'), "import z from 'zod';\n");
    assert.throws(() => serverClosure(dist), (e) => e instanceof InputError && /no node_modules/.test(e.message));
  } finally {
    rmSync(dist, { recursive: true, force: true });
  }
});

test('the tar lists files, links and parent directories the way tar(1) reads them', async () => {
  const dist = tmpDist({ 'f.txt': 'hello\n' });
  const long = `/chaos/${'d'.repeat(80)}/${'e'.repeat(60)}/file.js`;
  const entries: RootfsEntry[] = [
    { kind: 'file', path: '/usr/bin/f', from: join(dist, 'f.txt'), mode: 0o755 },
    { kind: 'symlink', path: '/bin', target: 'usr/bin' },
    { kind: 'content', path: long, content: Buffer.from('x'.repeat(700)), mode: 0o644 },
  ];
  try {
    const dirs = parentDirs(entries, ['/tmp']);
    assert.ok(dirs.includes('/usr') && dirs.includes('/usr/bin') && !dirs.includes('/bin'));
    const chunks: Buffer[] = [];
    for await (const c of tarStream(entries, dirs, new Map([[join(dist, 'f.txt'), 6]]))) chunks.push(c as Buffer);
    const tar = Buffer.concat(chunks);
    assert.equal(tar.length % 512, 0);
    const r = spawnSync('tar', ['-tvf', '-'], { input: tar, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^drwxrwxrwt .* tmp\/$/m);
    assert.match(r.stdout, /^-rwxr-xr-x .* 6 .* usr\/bin\/f$/m);
    assert.match(r.stdout, /^lrwxrwxrwx .* bin -> usr\/bin$/m);
    assert.ok(r.stdout.includes(long.slice(1)), 'a long path survives the ustar prefix split');
    const x = spawnSync('tar', ['-xOf', '-', 'usr/bin/f'], { input: tar, encoding: 'utf8' });
    assert.equal(x.stdout, 'hello\n');
  } finally {
    rmSync(dist, { recursive: true, force: true });
  }
});

test('the tag changes with content, mode or link target, and only then', () => {
  const dist = tmpDist({ 'f.txt': 'one' });
  try {
    const f = join(dist, 'f.txt');
    const base: RootfsEntry[] = [
      { kind: 'file', path: '/f', from: f, mode: 0o644 },
      { kind: 'symlink', path: '/l', target: 'f' },
    ];
    const t1 = contentTag(base, []);
    assert.match(t1, /^chaos-node:[0-9a-f]{16}$/);
    assert.equal(contentTag(base, []), t1);
    assert.notEqual(contentTag([{ ...base[0]!, mode: 0o755 } as RootfsEntry, base[1]!], []), t1);
    assert.notEqual(contentTag([base[0]!, { kind: 'symlink', path: '/l', target: 'g' }], []), t1);
    writeFileSync(f, 'two');
    assert.notEqual(contentTag(base, []), t1);
  } finally {
    rmSync(dist, { recursive: true, force: true });
  }
});
