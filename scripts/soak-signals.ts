// Soak of the signal lifecycle on docker: N runs (default 20) under CPU load, each ended by a
// random signal (SIGINT or SIGTERM) at a random time (0 .. --max-delay s after launch: while
// the engine probe runs, while the cluster comes up, during the workload and its faults).
// Then: resources left by each run (containers, networks, volumes labelled with its pid, so
// other users of a shared engine are not counted), and the verdicts: none may be `valid`.
//
//   node --import tsx scripts/soak-signals.ts [--runs 20] [--load 2] [--max-delay 25] [--seed S]
//
// Prints one line per run and a summary; exit 0 when 0 leftovers and 0 valid, 1 otherwise.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../ground/rng.js';
import { chaos, ownedBy } from '../harness/run/testing/cli-child.js';
import { startCpuLoad } from './cpu-load.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

const runs = arg('runs', 20);
const load = arg('load', 2);
const maxDelayS = arg('max-delay', 25);
const seed = arg('seed', Date.now() % 1_000_000);
const rng = new Rng(seed);
const out = mkdtempSync(join(tmpdir(), 'chaos-soak-'));
process.stdout.write(`soak: ${runs} docker runs, ${load} CPU hog(s), signal at 0..${maxDelayS} s, seed ${seed}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
const hogs = startCpuLoad(load);
const rows: { signal: string; atS: number; code: number | null; verdict: string; phase: string; left: number; wallS: number }[] = [];
const t0 = performance.now();
try {
  for (let i = 0; i < runs; i++) {
    const signal = rng.float() < 0.5 ? 'SIGINT' : 'SIGTERM';
    const atS = Math.round(rng.float() * maxDelayS * 10) / 10;
    const workload = (['register', 'failover', 'dr'] as const)[Math.floor(rng.float() * 3)];
    const start = performance.now();
    const c = chaos(['run', '--runtime', 'docker', '--workload', workload, '--time-limit', '30', '--seed', String(i + 1), '--out', out]);
    const timer = setTimeout(() => c.proc.kill(signal), atS * 1000);
    const r = await c.done;
    clearTimeout(timer);
    const dir = r.out.match(/^run directory: (.+)$/m)?.[1];
    let verdict = 'none';
    let phase = '-';
    if (dir) {
      try {
        const res = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
        verdict = String(res.verdict ?? res.valid);
        phase = res.interrupted?.phase ?? 'not interrupted';
      } catch {
        verdict = 'no results.json';
      }
    } else if (/before the run started/.test(r.out)) {
      verdict = 'interrupted';
      phase = 'before start';
    }
    const o = await ownedBy(c.pid);
    const left = o.containers + o.networks + o.volumes;
    const wallS = (performance.now() - start) / 1000;
    rows.push({ signal, atS, code: r.code, verdict, phase, left, wallS });
    process.stdout.write(`run ${String(i + 1).padStart(2)}: ${workload.padEnd(8)} ${signal.padEnd(7)} at ${atS.toFixed(1).padStart(4)} s -> exit ${r.code}, verdict ${verdict} (${phase}), ${left} left, ${wallS.toFixed(1)} s; load ${loadavg()[0].toFixed(1)}\n`);
  }
} finally {
  hogs.stop();
}
const valid = rows.filter((r) => r.verdict === 'valid' || r.verdict === 'true' || r.code === 0).length;
const left = rows.reduce((s, r) => s + r.left, 0);
const codes = new Map<string, number>();
for (const r of rows) codes.set(String(r.code), (codes.get(String(r.code)) ?? 0) + 1);
process.stdout.write(
  `soak: ${rows.length} runs in ${((performance.now() - t0) / 1000).toFixed(0)} s: ${left} resources left, ${valid} valid; ` +
    `exit codes ${[...codes].map(([k, v]) => `${k}x${v}`).join(' ')}; load average now ${loadavg().map((x) => x.toFixed(1)).join(' ')}\n`,
);
rmSync(out, { recursive: true, force: true });
process.exit(left === 0 && valid === 0 ? 0 : 1);
