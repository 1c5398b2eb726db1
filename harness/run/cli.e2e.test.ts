// The commands as a user runs them, on the sim runtime: first and last lines, exit codes,
// replay identical byte for byte, report rebuilt from the directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/chaos.mjs', import.meta.url));

/** Runs the real CLI in a child process (stdout is the test runner's own channel here). */
async function capture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = spawnSync(process.execPath, [BIN, ...argv], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test('chaos run / replay / report on the sim runtime', async () => {
  const out = mkdtempSync(join(tmpdir(), 'chaos-cli-'));
  try {
    const r = await capture(['run', '--runtime', 'sim', '--time-limit', '3', '--seed', '12', '--concurrency', '4', '--out', out]);
    const lines = r.out.trim().split('\n');
    assert.match(lines[0], /^chaos run: runtime sim \(asked for with --runtime sim\); system blockstore, workload register, .*seed 12$/);
    // The default nemesis is a swarm: the line names it, and the density the seed drew.
    assert.match(lines.at(-1)!, /^VALID; reproduce with: chaos run --runtime sim --workload register --nemesis swarm --time-limit 3 --concurrency 4 --think-ms \d+ --seed 12$/);
    assert.equal(r.code, 0);
    const dir = realpathSync(join(out, 'latest'));
    for (const f of ['config.json', 'history.jsonl', 'results.json', 'junit.xml', 'report.html', 'nodes/a.log']) assert.ok(existsSync(join(dir, f)), f);

    const rp = await capture(['replay', dir]);
    assert.equal(rp.code, 0);
    assert.match(rp.out, /history.jsonl is byte-identical to the original/);
    assert.notEqual(realpathSync(join(out, 'latest')), dir);
    assert.equal(readFileSync(join(realpathSync(join(out, 'latest')), 'history.jsonl'), 'utf8'), readFileSync(join(dir, 'history.jsonl'), 'utf8'));

    rmSync(join(dir, 'report.html'));
    const rep = await capture(['report', dir]);
    assert.equal(rep.code, 0);
    assert.ok(existsSync(join(dir, 'report.html')));
    assert.match(rep.out.trim().split('\n').at(-1)!, /^VALID; reproduce with: chaos run .* --seed 12$/);

    const json = await capture(['run', '--runtime', 'sim', '--time-limit', '1', '--seed', '3', '--nemesis', 'none', '--json', '--out', out]);
    const parsed = JSON.parse(json.out);
    assert.equal(parsed.valid, true);
    assert.ok(parsed.dir && parsed.checkers.durability);
    assert.match(json.err, /^chaos run: runtime sim/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('bad input is one line and exit 2', async () => {
  for (const argv of [['run', '--nemesis', 'meteor'], ['replay', '/nonexistent/run'], ['report', '/nonexistent/run']]) {
    const r = await capture(argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.equal(r.err.trim().split('\n').length, 1, `${argv.join(' ')}: ${r.err}`);
  }
});

test('one history rule for check, report, replay and shrink: a torn or garbage history is one line and exit 2', async () => {
  const out = mkdtempSync(join(tmpdir(), 'chaos-cli-'));
  try {
    const r = await capture(['run', '--runtime', 'sim', '--workload', 'failover', '--bug', 'no-index-replication', '--time-limit', '4', '--seed', '1', '--think-ms', '10', '--out', out]);
    assert.ok(r.code === 0 || r.code === 1, r.err);
    const dir = realpathSync(join(out, 'latest'));
    const hist = join(dir, 'history.jsonl');
    const good = readFileSync(hist, 'utf8');
    for (const [what, text] of [['torn mid-line', good.slice(0, good.length - 40)], ['garbage appended', good + 'garbage\x00\n{"half": \n']] as const) {
      writeFileSync(hist, text);
      for (const argv of [['check', hist], ['report', dir], ['replay', dir], ['shrink', dir]]) {
        const c = await capture(argv);
        assert.equal(c.code, 2, `${what}: ${argv[0]}: ${c.out}${c.err}`);
        const lines = c.err.trim().split('\n');
        assert.equal(lines.length, 1, `${what}: ${argv[0]}: ${c.err}`);
        assert.match(lines[0], /history\.jsonl:\d+: /, `${what}: ${argv[0]} names file:line`);
        assert.doesNotMatch(c.out + c.err, /determinism|VALID/);
      }
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('replay of an interrupted sim run does not blame determinism', async () => {
  const out = mkdtempSync(join(tmpdir(), 'chaos-cli-'));
  try {
    const { chaos, runUnderWay, until } = await import('./testing/cli-child.js');
    const c = chaos(['run', '--runtime', 'sim', '--time-limit', '2000', '--seed', '6', '--out', out]);
    await until('the run to start', () => runUnderWay(out) !== null, 60_000, 50);
    await new Promise((r) => setTimeout(r, 300));
    c.proc.kill('SIGTERM');
    assert.equal((await c.done).code, 3);
    const dir = realpathSync(join(out, 'latest'));
    // the replay is itself cut short at once: what matters is what it says of the original
    const rp = chaos(['replay', dir]);
    // runs/latest moves only when a run finishes: the replay has started once its directory exists
    await until('the replay to start', () => readdirSync(dirname(dir)).filter((d) => !d.startsWith('.')).length > 1, 60_000, 50);
    rp.proc.kill('SIGINT');
    const r = await rp.done;
    assert.equal(r.code, 3);
    assert.match(r.out, /history\.jsonl not compared: the original run was interrupted \(SIGTERM after [\d.]+ s of 2000 s\)/);
    assert.doesNotMatch(r.out, /determinism/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('flags are validated before any work: --time-limit in ms, --out naming a file, --param, --plan', async () => {
  const out = mkdtempSync(join(tmpdir(), 'chaos-cli-'));
  try {
    const file = join(out, 'afile');
    writeFileSync(file, 'x');
    const cases: [string[], RegExp][] = [
      [['run', '--runtime', 'sim', '--time-limit', '3600000'], /--time-limit: 3600000 s is more than 86400 s/],
      [['run', '--runtime', 'sim', '--time-limit', '1', '--out', file], /--out .*afile: is a file; expected a directory/],
      [['run', '--runtime', 'sim', '--param', 'nope=1'], /--param: unknown node parameter 'nope'/],
      [['run', '--runtime', 'sim', '--plan', join(out, 'missing.json')], /--plan .*missing\.json: cannot read/],
      [['run', '--runtime', 'auto', '--time-limit', '1', '--require-docker'], /./],
    ];
    for (const [argv, re] of cases) {
      const t = performance.now();
      const r = await capture(argv);
      if (argv.includes('--require-docker')) continue; // depends on the engine here; unit-tested in config.test.ts
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
      assert.match(r.err, re);
      assert.ok(performance.now() - t < 20_000, 'at once');
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a harness failure is exit 4 with one line on stderr and the stack in a log file, never exit 1', async () => {
  // A runs directory that cannot be written: the harness fails before any verdict.
  const out = mkdtempSync(join(tmpdir(), 'chaos-cli-'));
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', `
      const { harnessFailure } = await import(${JSON.stringify(new URL('./harness-failure.ts', import.meta.url).pathname)});
      setTimeout(() => { throw new Error('socket hang up'); }, 10);
      process.on('uncaughtException', (e) => process.exit(harnessFailure(e, ${JSON.stringify(out)})));
    `], { encoding: 'utf8' });
    assert.equal(r.status, 4);
    assert.match(r.stderr.trim(), /^chaos: harness failure: socket hang up \(stack in .*harness-error\.log\)$/);
    assert.match(readFileSync(join(out, 'harness-error.log'), 'utf8'), /Error: socket hang up\n\s+at /);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('no engine: image build is exit 2, and auto under CI refuses the simulator (one line naming DOCKER_HOST)', async () => {
  const env = { ...process.env, DOCKER_HOST: 'tcp://127.0.0.1:9', FORCE_COLOR: '0' };
  const img = spawnSync(process.execPath, [BIN, 'image', 'build'], { encoding: 'utf8', env });
  assert.equal(img.status, 2, img.stderr);
  assert.match(img.stderr.trim(), /^chaos: chaos image build: no Docker engine answers at DOCKER_HOST=tcp:\/\/127\.0\.0\.1:9; expected a running dockerd/);
  const auto = spawnSync(process.execPath, [BIN, 'run', '--runtime', 'auto', '--time-limit', '1'], { encoding: 'utf8', env: { ...env, CI: 'true' } });
  assert.equal(auto.status, 2, auto.stderr);
  assert.equal(auto.stderr.trim().split('\n').length, 1);
  assert.match(auto.stderr, /--runtime auto: no Docker engine answers at DOCKER_HOST=tcp:\/\/127\.0\.0\.1:9 and CI is set, so auto will not fall back to the simulator/);
  const local = spawnSync(process.execPath, [BIN, 'run', '--runtime', 'auto', '--time-limit', '1', '--nemesis', 'none', '--out', join(tmpdir(), `chaos-auto-${process.pid}`)], { encoding: 'utf8', env: { ...env, CI: '' } });
  rmSync(join(tmpdir(), `chaos-auto-${process.pid}`), { recursive: true, force: true });
  assert.match(local.stdout.split('\n')[0], /^chaos run: runtime sim \(no Docker engine answers; falling back to the simulator\)/);
});
