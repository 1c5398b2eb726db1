// npm run bench:check [-- --rounds N]: the whole reference set (porcupine's test data) read and
// checked in one process, as `chaos check` does it. Prints ms per file (median over rounds, and
// the first, cold round), totals per group, and memory. Wall time and CPU time are both shown:
// on a shared machine CPU time is the steadier figure. Targets: the 103 etcd logs < 500 ms in
// total, kv/c50-ok.txt < 100 ms, no file over 1 GiB of heap.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readHistory } from '../ground/history/readers/index.js';
import { checkHistory, type ModelName } from '../checkers/linearizability/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// the set sits beside the checkout (main) or two levels up (a worktree under wt/); CHAOS_REFERENCE overrides
const ref =
  process.env.CHAOS_REFERENCE ??
  [path.resolve(root, '..', 'shared'), path.resolve(root, '..', '..', 'shared')].map((d) => path.join(d, 'reference', 'linearizability')).find((d) => existsSync(d)) ??
  path.resolve(root, '..', 'shared', 'reference', 'linearizability');
const argRounds = process.argv.indexOf('--rounds');
const rounds = argRounds > 0 ? Number(process.argv[argRounds + 1]) : 7;

const rows = readFileSync(path.join(ref, 'expected.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t') as [string, ModelName, string]);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const times = new Map<string, number[]>();
const cpuTimes = new Map<string, number[]>();
const roundTotals: { etcd: number; kv: number; etcdCpu: number; kvCpu: number }[] = [];
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
let peakHeap = 0;
let peakFile = '';
let mismatches = 0;
for (let r = 0; r < rounds; r++) {
  const tot = { etcd: 0, kv: 0, etcdCpu: 0, kvCpu: 0 };
  for (const [file, model, expected] of rows) {
    const c0 = cpuMs();
    const t0 = performance.now();
    const h = readHistory(readFileSync(path.join(ref, file)), file);
    const res = await checkHistory(h.events, { model, locate: h.locate, nilReadIsUnknown: h.format === 'edn' });
    const ms = performance.now() - t0;
    const cpu = cpuMs() - c0;
    const m = process.memoryUsage();
    if (m.heapUsed + m.arrayBuffers > peakHeap) {
      peakHeap = m.heapUsed + m.arrayBuffers;
      peakFile = file;
    }
    const verdict = res.valid === true ? 'valid' : res.valid === false ? 'invalid' : 'unknown';
    if (r === 0 && verdict !== expected) {
      mismatches++;
      console.log(`MISMATCH ${file}: expected ${expected}, got ${verdict}`);
    }
    (times.get(file) ?? times.set(file, []).get(file)!).push(ms);
    (cpuTimes.get(file) ?? cpuTimes.set(file, []).get(file)!).push(cpu);
    if (file.startsWith('jepsen/')) {
      tot.etcd += ms;
      tot.etcdCpu += cpu;
    } else {
      tot.kv += ms;
      tot.kvCpu += cpu;
    }
  }
  roundTotals.push(tot);
}

console.log(`chaos check, reference set (${rows.length} files), ${rounds} rounds in one process, node ${process.version}`);
console.log('file                      median ms   cold ms   median cpu ms');
for (const [file] of rows) {
  const ts = times.get(file)!;
  console.log(`${file.padEnd(26)}${median(ts).toFixed(2).padStart(9)}${ts[0].toFixed(2).padStart(10)}${median(cpuTimes.get(file)!).toFixed(2).padStart(14)}`);
}
const etcdMed = median(roundTotals.map((t) => t.etcd));
const c50 = median(times.get('kv/c50-ok.txt')!);
const fmt = (x: number) => `${x.toFixed(1)} ms`;
console.log('');
console.log(`etcd logs (103), total:  median round ${fmt(etcdMed)} (cpu ${fmt(median(roundTotals.map((t) => t.etcdCpu)))})   cold round ${fmt(roundTotals[0].etcd)} (cpu ${fmt(roundTotals[0].etcdCpu)})   (target < 500 ms; porcupine 560 ms)`);
console.log(`kv histories (6), total: median round ${fmt(median(roundTotals.map((t) => t.kv)))} (cpu ${fmt(median(roundTotals.map((t) => t.kvCpu)))})   cold round ${fmt(roundTotals[0].kv)}`);
console.log(`kv/c50-ok.txt:           median ${fmt(c50)} (cpu ${fmt(median(cpuTimes.get('kv/c50-ok.txt')!))})   cold ${fmt(times.get('kv/c50-ok.txt')![0])}   (target < 100 ms; porcupine 120 ms)`);
console.log(`load average while measuring: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')} on ${(await import('node:os')).availableParallelism()} cores`);
console.log(`whole set:               median round ${fmt(median(roundTotals.map((t) => t.etcd + t.kv)))}`);
console.log(`peak heap+buffers after a file: ${(peakHeap / 2 ** 20).toFixed(1)} MiB (${peakFile}); max RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MiB   (target: no file over 1 GiB)`);
console.log(`verdicts: ${rows.length - mismatches}/${rows.length} as expected`);
console.log(`targets: etcd ${etcdMed < 500 ? 'met' : 'MISSED'}, c50-ok ${c50 < 100 ? 'met' : 'MISSED'}, memory ${peakHeap < 2 ** 30 ? 'met' : 'MISSED'}`);
if (mismatches) process.exitCode = 1;
