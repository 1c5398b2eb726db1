// `chaos report` on a 1,000,000-op history: wall and CPU time of the whole command (read the
// history and the recorded verdict, write junit.xml and report.html) and the size of
// report.html. Targets: under 10 s, under 20 MB. The history is checkers/stats/synthetic.ts's
// correct model with `--lost N` final reads turned empty; its results.json comes from the
// storage checkers (run once here, as `chaos run` would have), so the report draws real
// lost-write anomalies. Each run is a child process (`node bin/chaos.mjs report DIR`), as a
// user runs it; the figure is the median of --runs. `--recheck` also times
// `chaos report --recheck`, which runs every checker again (linearizability on a million ops
// alone may take its whole 60 s budget: that is the checkers' figure, see bench:checkers).
//
//   npm run bench:report [-- --ops N --lost N --runs N --seed S --recheck]
import { buildConfig } from '../harness/run/config.js';
import { blockstore } from '../nodes/blockstore/system.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { synthHistory } from '../checkers/stats/synthetic.js';
import { resultsJson, runCheckers, storageCheckers } from '../checkers/compose.js';

const { values } = parseArgs({
  options: {
    ops: { type: 'string', default: '1000000' },
    lost: { type: 'string', default: '25' },
    runs: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    recheck: { type: 'boolean', default: false },
  },
});
const ops = Number(values.ops);
const lost = Number(values.lost);
const runs = Math.max(1, Number(values.runs));
const seed = Number(values.seed);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const MB = 1e6;

const dir = mkdtempSync(join(tmpdir(), 'chaos-bench-report-'));
try {
  const t0 = performance.now();
  const { events } = synthHistory({ seed, ops, final: true });
  // lose some acked writes: their blocks' final reads come back empty
  let turned = 0;
  for (let i = events.length - 1; i >= 0 && turned < lost; i--) {
    const e = events[i];
    if (e.type === 'ok' && e.f === 'read' && e.meta?.final && e.value !== null) {
      events[i] = { ...e, value: null, meta: { ...e.meta, version: 0 } };
      turned++;
    }
  }
  mkdirSync(join(dir, 'nodes'));
  // A config as chaos run writes it (the report command checks it against its system).
  writeFileSync(join(dir, 'config.json'), JSON.stringify(buildConfig({ runtime: 'sim', workload: 'register', nemesis: 'none', seed, test: 'bench-report' }, blockstore)));
  writeFileSync(join(dir, 'history.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const histMB = statSync(join(dir, 'history.jsonl')).size / MB;
  const nOps = events.filter((e) => e.type === 'invoke' && e.process !== 'nemesis').length;
  process.stdout.write(`history: ${nOps.toLocaleString('en')} ops, ${events.length.toLocaleString('en')} events, ${histMB.toFixed(0)} MB (made in ${((performance.now() - t0) / 1000).toFixed(1)} s); ${turned} final reads emptied\n`);

  const tc = performance.now();
  const results = await runCheckers(events, storageCheckers(), { run: { workload: 'register' } });
  writeFileSync(join(dir, 'results.json'), resultsJson(results));
  const found = Object.entries(results.checkers).map(([n, c]) => `${n} ${c.anomalies.length}`).join(', ');
  process.stdout.write(`recorded verdict: ${String(results.valid)} (anomalies: ${found}) in ${((performance.now() - tc) / 1000).toFixed(1)} s\n`);

  // wall and CPU (user+sys) of a child, measured by bash's `times` around it
  const timed = (args: string[]) => {
    const s = performance.now();
    const p = spawnSync('bash', ['-c', `"$0" bin/chaos.mjs ${args.map((a) => `'${a}'`).join(' ')} >/dev/null; rc=$?; times >&2; exit $rc`, process.execPath], { encoding: 'utf8' });
    const wall = (performance.now() - s) / 1000;
    if (p.status !== 0 && p.status !== 1 && p.status !== 3) throw new Error(`chaos ${args.join(' ')} exited ${p.status}: ${p.stderr}`);
    const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(p.stderr.trim());
    const cpu = m ? Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]) : NaN;
    return { wall, cpu, status: p.status };
  };
  const load0 = loadavg()[0];
  const reps = Array.from({ length: runs }, () => timed(['report', dir]));
  const htmlMB = statSync(join(dir, 'report.html')).size / MB;
  const wall = median(reps.map((r) => r.wall));
  const cpu = median(reps.map((r) => r.cpu));
  const load = loadavg().map((x) => x.toFixed(2)).join(' ');
  process.stdout.write(
    `chaos report: median wall ${wall.toFixed(2)} s, cpu ${cpu.toFixed(2)} s of ${runs} (wall ${reps.map((r) => r.wall.toFixed(2)).join(', ')}), exit ${reps[0].status}  [target < 10 s: ${wall < 10 ? 'met' : cpu > 0 && cpu < 10 ? 'met in CPU time; wall inflated by load' : 'NOT met'}]\n` +
      `report.html:  ${htmlMB.toFixed(2)} MB  [target < 20 MB: ${htmlMB < 20 ? 'met' : 'NOT met'}]\n` +
      `load average: ${load0.toFixed(2)} at start, ${load} at end (2 cores here; wall time above 2 overstates)\n`,
  );
  if (values.recheck) {
    const r = timed(['report', dir, '--recheck']);
    process.stdout.write(`chaos report --recheck: wall ${r.wall.toFixed(2)} s, cpu ${r.cpu.toFixed(2)} s (every checker again)\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
