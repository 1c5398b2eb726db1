// The start-up paths of `chaos check` (bin/chaos.mjs): the bundle dist/cli-check.cjs with its
// code cache, dist/harness/main.js, and the sources through tsx give the same output and exit
// status; the bin takes the bundle only while the sources it was built from are unchanged, and
// never a cache made from another build. Each test works on a copy of the checkout (bin, dist/
// and the sources, node_modules linked), so the real dist/ is never touched. Not timed: the
// figures come from `npm run bench:startup`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const built = spawnSync(process.execPath, [join(root, 'scripts', 'build-stamp.mjs'), '--check']).status === 0 && existsSync(join(root, 'dist', 'cli-check.cjs'));
const skip = built ? false : 'dist/ is not built from these sources (npm run build)';

let copy = '';
let histories: Record<string, string> = {};
const cache = () => join(copy, 'dist', 'cli-check.cjs.cache');
const restamp = () => assert.equal(spawnSync(process.execPath, [join(copy, 'scripts', 'build-stamp.mjs')]).status, 0);

interface Out {
  code: number | null;
  stdout: string;
  stderr: string;
}
function chaos(args: string[], env: NodeJS.ProcessEnv = {}): Out {
  const r = spawnSync(process.execPath, [join(copy, 'bin', 'chaos.mjs'), ...args], { encoding: 'utf8', env: { ...process.env, CHAOS_FROM_SOURCE: '', CHAOS_CHECK_BUNDLE: '', ...env } });
  // the check time differs from run to run
  const norm = (s: string) => s.replace(/\d+(?:\.\d+)? ms\)/g, 'N ms)').replace(/"ms":[\d.]+/g, '"ms":N');
  return { code: r.status, stdout: norm(r.stdout), stderr: norm(r.stderr) };
}
const c0 = () => chaos(['check', histories.valid]);

/** The argument lists every path must agree on: valid, invalid, bad input, --json, a user model. */
function cases(): { args: string[]; code: number }[] {
  return [
    { args: ['check', histories.valid], code: 0 },
    { args: ['check', histories.invalid], code: 1 },
    { args: ['check', '--json', histories.valid, histories.invalid], code: 1 },
    { args: ['check', histories.bad], code: 2 },
    { args: ['check', '--model', join(root, 'docs/examples/counter-model.mjs'), join(root, 'docs/examples/counter-history.jsonl')], code: 1 },
    { args: ['check', '--timeout', 'soon', histories.valid], code: 2 },
  ];
}

before(() => {
  if (skip) return;
  copy = mkdtempSync(join(tmpdir(), 'chaos-startup-'));
  for (const d of ['bin', 'dist', 'scripts', 'ground', 'harness', 'nodes', 'checkers', 'workloads', 'reports', 'package.json', 'tsconfig.json']) {
    cpSync(join(root, d), join(copy, d), { recursive: true, filter: (src) => !/[/\\](?:node_modules|runs)$/.test(src) });
  }
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
  // the copy's files have new mtimes: record them, as `npm run build` would have
  restamp();
  const h = join(copy, 'histories');
  cpSync(join(root, 'docs', 'examples'), h, { recursive: true });
  const ev = (i: number, process: number, type: string, f: string, value: unknown) => JSON.stringify({ index: i, time: i, process, type, f, value });
  writeFileSync(join(h, 'valid.jsonl'), [ev(0, 0, 'invoke', 'write', 1), ev(1, 0, 'ok', 'write', 1), ev(2, 1, 'invoke', 'read', null), ev(3, 1, 'ok', 'read', 1)].join('\n') + '\n');
  writeFileSync(join(h, 'invalid.jsonl'), [ev(0, 0, 'invoke', 'write', 1), ev(1, 0, 'ok', 'write', 1), ev(2, 1, 'invoke', 'read', null), ev(3, 1, 'ok', 'read', 2)].join('\n') + '\n');
  writeFileSync(join(h, 'bad.jsonl'), '{"process":0,"type":"start","f":"read"}\n');
  histories = { valid: join(h, 'valid.jsonl'), invalid: join(h, 'invalid.jsonl'), bad: join(h, 'bad.jsonl') };
});

after(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
});

test('the bundle, dist/harness/main.js and the sources give the same output and exit status', { skip }, () => {
  for (const c of cases()) {
    rmSync(cache(), { force: true });
    const fromBundle = chaos(c.args);
    // the bundle ran: it writes its code cache when there is none
    assert.ok(existsSync(cache()), `${c.args.join(' ')}: the bundle did not run`);
    assert.equal(fromBundle.code, c.code, `${c.args.join(' ')}: ${fromBundle.stdout}${fromBundle.stderr}`);
    assert.deepEqual(chaos(c.args), fromBundle, `${c.args.join(' ')}: again, with the code cache`);
    rmSync(cache(), { force: true });
    assert.deepEqual(chaos(c.args, { CHAOS_CHECK_BUNDLE: '0' }), fromBundle, `${c.args.join(' ')}: from dist/harness/main.js`);
    assert.ok(!existsSync(cache()), 'CHAOS_CHECK_BUNDLE=0 does not run the bundle');
    assert.deepEqual(chaos(c.args, { CHAOS_FROM_SOURCE: '1' }), fromBundle, `${c.args.join(' ')}: from the sources`);
  }
});

test('a cache from another build, or one V8 rejects, is not used, and is written anew', { skip }, () => {
  const expected = c0();
  assert.equal(expected.code, 0);
  const head = readFileSync(join(copy, 'dist', 'cli-check.cjs'), 'utf8').split('\n')[0] + '\n';
  assert.match(head, /^\/\/ chaos cli-check [0-9a-f]{16}\n$/);
  for (const stale of [Buffer.from('// chaos cli-check 0123456789abcdef\nnot a V8 code cache'), Buffer.concat([Buffer.from(head), Buffer.alloc(4096, 7)])]) {
    writeFileSync(cache(), stale);
    assert.deepEqual(c0(), expected);
    const written = readFileSync(cache());
    assert.ok(written.subarray(0, head.length).toString() === head && written.length > 4096 + head.length, 'the cache was written anew for this build');
  }
});

test('an edited source of the bundle sends chaos check to the sources', { skip }, () => {
  const file = join(copy, 'harness', 'commands', 'check.ts');
  const original = readFileSync(file);
  try {
    appendFileSync(file, "\nprocess.stderr.write('check.ts as edited\\n');\n");
    const r = c0();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^check\.ts as edited$/m);
  } finally {
    writeFileSync(file, original);
    restamp();
  }
  assert.equal(c0().stderr, '', 'fresh again after a build');
});

test('an edited source outside the bundle leaves chaos check on it; the other commands go to the sources', { skip }, () => {
  const file = join(copy, 'harness', 'commands', 'systems.ts');
  const original = readFileSync(file);
  try {
    appendFileSync(file, "\nprocess.stderr.write('systems.ts as edited\\n');\n");
    rmSync(cache(), { force: true });
    const r = c0();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.ok(existsSync(cache()), 'chaos check still ran the bundle');
    const s = chaos(['systems', '--json']);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stderr, /^systems\.ts as edited$/m);
  } finally {
    writeFileSync(file, original);
    restamp();
  }
});

test('without the bundle, chaos check starts from dist/harness/main.js', { skip }, () => {
  const expected = c0();
  const bundle = join(copy, 'dist', 'cli-check.cjs');
  const text = readFileSync(bundle);
  rmSync(bundle);
  try {
    rmSync(cache(), { force: true });
    assert.deepEqual(c0(), expected);
    assert.ok(!existsSync(cache()));
  } finally {
    writeFileSync(bundle, text);
  }
  assert.ok(statSync(bundle).size > 0);
});
