// The signal lifecycle as a user, a CI job limit or `docker stop` meets it: SIGINT and SIGTERM
// mid-run heal, tear down, write what was recorded and end `interrupted` (exit 3, never valid);
// a second signal quits at once and says how to clean up. On the simulator here, on docker in
// docker-lifecycle.e2e.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chaos, runUnderWay, until } from './testing/cli-child.js';

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  test(`sim: ${sig} mid-run ends interrupted (exit 3) in every output, and the line offers the whole run`, async () => {
    const out = mkdtempSync(join(tmpdir(), 'chaos-sig-'));
    try {
      const c = chaos(['run', '--runtime', 'sim', '--time-limit', '3000', '--seed', '4', '--out', out]);
      await until('the run to start', () => { const d = runUnderWay(out); return d !== null && readFileSync(join(d, 'history.jsonl'), 'utf8').length > 10_000; }, 60_000, 50);
      c.proc.kill(sig);
      const r = await c.done;
      assert.equal(r.code, 3, r.err);
      const last = r.out.trim().split('\n').at(-1)!;
      assert.match(last, new RegExp(`^INTERRUPTED( \\([^)]*\\))?; interrupted by ${sig} during workload after [\\d.]+ s of 3000 s, \\d+ of \\d+ planned faults started; the whole run: chaos run .*--time-limit 3000 .*--seed 4$`), `${r.out}\n${r.err}`);
      assert.doesNotMatch(last, /reproduce with/);
      assert.match(r.err, new RegExp(`${sig} received; stopping the workload`));
      const dir = realpathSync(join(out, 'latest'));
      const res = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
      assert.equal(res.verdict, 'interrupted');
      assert.notEqual(res.valid, true);
      assert.equal(res.interrupted.signal, sig);
      assert.match(readFileSync(join(dir, 'junit.xml'), 'utf8'), /type="interrupted"/);
      assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /<b>INTERRUPTED<\/b>[^<]*<\/p>\s*<p class="unk">Interrupted by/);
      if (sig === 'SIGTERM') {
        // a rebuilt report keeps the interruption: still exit 3, still never valid
        const rep = await chaos(['report', dir]).done;
        assert.equal(rep.code, 3, rep.err);
        assert.match(rep.out.trim().split('\n').at(-1)!, /^INTERRUPTED( \([^)]*\))?; interrupted by SIGTERM/);
        assert.equal(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).verdict, 'interrupted');
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}

test('sim: a second signal quits at once (128+signal) and names chaos down', async () => {
  const out = mkdtempSync(join(tmpdir(), 'chaos-sig-'));
  try {
    // A dense run with a long history behind it: the orderly end after the first signal (heal,
    // final reads, checks) takes long enough for the second to land in it.
    const c = chaos(['run', '--runtime', 'sim', '--time-limit', '3000', '--think-ms', '5', '--seed', '4', '--out', out]);
    await until('the run to be well under way', () => { const d = runUnderWay(out); return d !== null && statSync(join(d, 'history.jsonl')).size > 4_000_000; }, 60_000, 20);
    c.proc.kill('SIGINT');
    await until('the first signal to be seen', () => /SIGINT received/.test(c.err()), 10_000, 5);
    c.proc.kill('SIGTERM');
    const r = await c.done;
    assert.equal(r.code, 143);
    assert.match(r.err, /second signal \(SIGTERM\); quitting now without cleanup\. .*`chaos down` removes those of runs whose process is gone/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('sim: a signal stops a sweep handing out seeds; it ends interrupted (exit 3), never a pass', async () => {
  const out = mkdtempSync(join(tmpdir(), 'chaos-sig-'));
  try {
    const c = chaos(['sweep', '--seeds', '1..100000', '--workers', '1', '--time-limit', '5', '--out', out]);
    await until('the sweep to start', () => /chaos sweep: 100000 seed/.test(c.err()), 60_000, 50);
    await new Promise((r) => setTimeout(r, 1500));
    c.proc.kill('SIGTERM');
    const r = await c.done;
    assert.equal(r.code, 3, r.err);
    assert.match(r.out, /INTERRUPTED by SIGTERM after \d+ of 100000 seed\(s\)/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a signal while the CLI is still loading ends it with exit 3 and one line, not death by signal', async () => {
  // From the sources (the compiled dist/ loads in tens of ms, too fast to hit): late enough for
  // node itself to have started (a signal before node runs any of our code can only kill it),
  // early enough to land while tsx loads the sources
  const c = chaos(['run', '--runtime', 'sim', '--time-limit', '3000', '--seed', '1', '--out', join(tmpdir(), 'chaos-never')], { CHAOS_FROM_SOURCE: '1' });
  await new Promise((r) => setTimeout(r, 700));
  c.proc.kill('SIGTERM');
  const r = await c.done;
  assert.equal(r.signal, null);
  assert.equal(r.code, 3, r.err);
  assert.match(r.err.trim(), /SIGTERM (before the command started|before the run started|received)/);
});
