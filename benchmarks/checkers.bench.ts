// Storage checkers on a 1,000,000-op synthetic history (checkers/stats/synthetic.ts: a
// correct model with reads from all three sources, cas, indeterminate writes, faults,
// dr snapshots and restores, final reads). Each checker runs in its own child process, so
// its time and peak memory are its own: the figures are the checker's wall time and the
// child's peak RSS (the history alone is `base`). Target: each < 5 s and < 2 GiB.
// Wall time on a loaded machine (other jobs on the same cores) overstates; the CPU time
// column is the checker's own work, and the load average is printed with the figures.
//
//   npm run bench:checkers [-- --ops N --blocks B --seed S --only name,name]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpus, loadavg } from 'node:os';
import { synthHistory } from '../checkers/stats/synthetic.js';
import { pairHistory } from '../ground/history/pair.js';
import { storageCheckers } from '../checkers/compose.js';

const { values } = parseArgs({
  options: {
    ops: { type: 'string', default: '1000000' },
    blocks: { type: 'string', default: '256' },
    seed: { type: 'string', default: '1' },
    only: { type: 'string' },
    child: { type: 'string' },
  },
});
const ops = Number(values.ops);
const blocks = Number(values.blocks);
const seed = Number(values.seed);
const MiB = 2 ** 20;
const peakMiB = (): number => Math.round(process.resourceUsage().maxRSS / 1024);

interface Figures {
  name: string;
  valid: unknown;
  reason?: string;
  events: number;
  genMs: number;
  pairMs: number;
  baseMiB: number;
  ms: number;
  /** CPU time of the checker (user + system; GC threads included): steadier than wall time
   *  on a shared machine. */
  cpuMs: number;
  peakMiB: number;
  heapMiB: number;
}

async function child(name: string): Promise<void> {
  const check = storageCheckers()[name];
  if (!check) throw new Error(`no checker ${name}`);
  let t = performance.now();
  // one snapshot every ~330 ops, a restore every ~1,700, a fault change every ~6,700
  const { events } = synthHistory({ seed, ops, blocks, snapshotEvery: 1000, restoreEvery: 5000, faultEvery: 20000 });
  const genMs = performance.now() - t;
  t = performance.now();
  const paired = pairHistory(events);
  const pairMs = performance.now() - t;
  const baseMiB = peakMiB();
  // collect the generator's garbage first, so the checker is not billed for it
  (globalThis as { gc?: () => void }).gc?.();
  const cpu0 = process.cpuUsage();
  t = performance.now();
  const r = await check({ events, paired });
  const ms = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const out: Figures = { name, valid: r.valid, reason: r.reason, events: events.length, genMs, pairMs, baseMiB, ms, cpuMs, peakMiB: peakMiB(), heapMiB: Math.round(process.memoryUsage().heapUsed / MiB) };
  process.stdout.write(JSON.stringify(out) + '\n');
}

function parent(): void {
  const names = values.only ? values.only.split(',') : Object.keys(storageCheckers());
  const self = fileURLToPath(import.meta.url);
  console.log(`storage checkers on a synthetic history: ${ops.toLocaleString('en')} client ops, ${blocks} blocks, seed ${seed} (one child process per checker)`);
  console.log(`load average at start: ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} cores`);
  console.log('checker              verdict   wall (ms)   cpu (ms)   peak RSS (MiB)   history alone (MiB)');
  const rows: Figures[] = [];
  for (const name of names) {
    const r = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=4096', '--import', 'tsx', self, '--child', name, '--ops', String(ops), '--blocks', String(blocks), '--seed', String(seed)], {
      encoding: 'utf8',
      maxBuffer: 16 * MiB,
    });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    let f: Figures;
    try {
      f = JSON.parse(line) as Figures;
    } catch {
      console.log(`${name.padEnd(20)} failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
      continue;
    }
    rows.push(f);
    const ok = f.cpuMs >= 5000 || f.peakMiB >= 2048 ? '  (over target)' : f.ms >= 5000 ? '  (wall over 5 s: the machine is loaded)' : '';
    console.log(`${name.padEnd(20)} ${String(f.valid).padEnd(9)} ${f.ms.toFixed(0).padStart(9)}   ${f.cpuMs.toFixed(0).padStart(8)}   ${String(f.peakMiB).padStart(14)}   ${String(f.baseMiB).padStart(19)}${ok}${f.reason ? `  reason: ${f.reason}` : ''}`);
  }
  if (rows.length) {
    const f = rows[0];
    console.log(`history: ${f.events.toLocaleString('en')} events, generated in ${f.genMs.toFixed(0)} ms, paired in ${f.pairMs.toFixed(0)} ms`);
    console.log(`slowest checker: ${Math.max(...rows.map((x) => x.ms)).toFixed(0)} ms wall, ${Math.max(...rows.map((x) => x.cpuMs)).toFixed(0)} ms cpu; highest peak RSS: ${Math.max(...rows.map((x) => x.peakMiB))} MiB (target: < 5000 ms, < 2048 MiB)`);
  }
}

if (values.child) await child(values.child);
else parent();
