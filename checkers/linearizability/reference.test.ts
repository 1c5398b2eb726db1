// Every file of the shared reference set (porcupine's test data) through the real CLI, in one
// process: the verdict and the default model must match expected.tsv.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// the set sits beside the checkout (main) or two levels up (a worktree under wt/); CHAOS_REFERENCE overrides
const ref =
  process.env.CHAOS_REFERENCE ??
  [path.resolve(root, '..', 'shared'), path.resolve(root, '..', '..', 'shared')].map((d) => path.join(d, 'reference', 'linearizability')).find((d) => existsSync(d)) ??
  path.resolve(root, '..', 'shared', 'reference', 'linearizability');
const tsv = path.join(ref, 'expected.tsv');

test('chaos check gives every reference file its expected verdict', { skip: !existsSync(tsv) && !process.env.CI && 'no ../shared/reference (CI fails instead)' }, () => {
  const rows = readFileSync(tsv, 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  assert.equal(rows.length, 109);
  const files = rows.map(([f]) => path.join(ref, f));
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'chaos.mjs'), 'check', '--json', ...files], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.stderr, '');
  const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; model: string; valid: unknown; counterexample?: unknown });
  assert.equal(out.length, rows.length);
  const wrong: string[] = [];
  rows.forEach(([f, model, expected], i) => {
    const got = out[i];
    assert.equal(got.file, files[i]);
    const verdict = got.valid === true ? 'valid' : got.valid === false ? 'invalid' : 'unknown';
    if (verdict !== expected || got.model !== model) wrong.push(`${f}: expected ${expected} (${model}), got ${verdict} (${got.model})`);
    if (verdict === 'invalid') assert.ok(got.counterexample, `${f} has a counterexample`);
  });
  assert.deepEqual(wrong, []);
  assert.equal(r.status, 1, 'a violation in the set makes the exit status 1');
});
