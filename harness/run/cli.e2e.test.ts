// The commands as a user runs them, on the sim runtime: first and last lines, exit codes,
// replay identical byte for byte, report rebuilt from the directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    assert.match(lines[0], /^chaos run: runtime sim \(asked for with --runtime sim\); workload register, .*seed 12$/);
    assert.match(lines.at(-1)!, /^VALID; reproduce with: chaos run --runtime sim --workload register --nemesis partition,kill,pause --time-limit 3 --concurrency 4 --think-ms 300 --seed 12$/);
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
