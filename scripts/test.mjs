#!/usr/bin/env node
// Runs every *.test.ts under the source folders with node's test runner through tsx.
// Node 20's --test takes no globs, so the files are listed here.
// CHAOS_TEST_FILTER=substring narrows the set (e.g. CHAOS_TEST_FILTER=checkers/).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = ['ground', 'harness', 'nodes', 'checkers', 'workloads', 'reports', 'scripts'];
const files = [];
function walk(dir) {
  let entries;
  try { entries = readdirSync(dir); } catch { return; }
  for (const name of entries.sort()) {
    if (name === 'node_modules' || name === 'dist') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts')) files.push(p);
  }
}
roots.forEach(walk);
const filter = process.env.CHAOS_TEST_FILTER;
const chosen = filter ? files.filter((f) => f.includes(filter)) : files;
if (chosen.length === 0) { console.error('no test files found'); process.exit(1); }
const args = ['--import', 'tsx', '--test', '--test-reporter=spec', ...process.argv.slice(2), ...chosen];
const r = spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, TESTCONTAINERS_RYUK_DISABLED: 'true', TESTCONTAINERS_HOST_OVERRIDE: 'localhost' } });
process.exit(r.status ?? 1);
