#!/usr/bin/env node
// The record that lets bin/chaos.mjs run the compiled CLI: after `tsc -p tsconfig.build.json`,
// `node scripts/build-stamp.mjs` writes dist/.sources.json, the size and mtime of every source
// file that went into dist/. The bin trusts dist/ only while each of them is unchanged (an edit,
// a checkout or a deleted file sends it back to the sources through tsx).
// `check` is the same record for what dist/cli-check.cjs was built from alone (its sources and
// commander's package.json; scripts/bundle-check.mjs lists them): `chaos check` needs only those
// unchanged to start from that bundle, and the bin stats ~20 files for it instead of all of them.
// `--check` exits 0 when dist/ is fresh, 1 otherwise (scripts/setup.sh builds then).
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stampFile = join(root, 'dist', '.sources.json');
// tsconfig.build.json: tsconfig.json's folders, without tests and benchmarks
const roots = ['ground', 'harness', 'nodes', 'checkers', 'workloads', 'reports', 'scripts'];

function sources() {
  const out = [];
  const walk = (dir) => {
    let names;
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      if (name === 'node_modules' || name === 'dist') continue;
      const p = join(dir, name);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) out.push([relative(root, p), s.mtimeMs, s.size]);
    }
  };
  for (const r of roots) walk(join(root, r));
  return out;
}

if (process.argv.includes('--check')) {
  let fresh = false;
  try {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
    const now = sources();
    fresh = now.length === stamp.files.length && now.every(([f, m, s], i) => stamp.files[i][0] === f && stamp.files[i][1] === m && stamp.files[i][2] === s);
  } catch {
    fresh = false;
  }
  process.exit(fresh ? 0 : 1);
}
const files = sources();
let check;
try {
  const tracked = new Map(files.map((e) => [e[0], e]));
  check = JSON.parse(readFileSync(join(root, 'dist', 'cli-check.sources.json'), 'utf8')).map((f) => {
    if (tracked.has(f)) return tracked.get(f);
    const s = statSync(join(root, f)); // a bundled package's package.json
    return [f, s.mtimeMs, s.size];
  });
} catch {
  check = undefined; // no bundle: chaos check starts from dist/harness/main.js
}
writeFileSync(stampFile, JSON.stringify(check ? { files, check } : { files }) + '\n');
