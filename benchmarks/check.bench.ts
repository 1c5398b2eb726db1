// npm run bench:check [-- --only reference|synthetic|startup] [--rounds N] [--min-ops N]
//                      [--max-ops N] [--concurrency 5,20,50] [--rows SUBSTRING] [--timeout S]
//                      [--runs N]
// npm run bench:startup (the start-up part alone)
// Three parts, each printing its figures with the load average beside them:
// - reference: the whole reference set (porcupine's test data) read and checked in one process,
//   as `chaos check` does it: ms per file (median over rounds, and the first, cold round), totals
//   per group, memory. Targets: the 103 etcd logs < 500 ms in total, kv/c50-ok.txt < 100 ms.
// - synthetic: generated histories (benchmarks/gen-history.ts): 1k to 1M ops, concurrency 5 /
//   20 / 50, 1 and 4 keys, with and without info ops, valid and invalid. Each row runs in its own
//   process (check-row.ts) so its peak RSS is its own (the history itself is part of it); the
//   check time covers pairing, compiling and searching, not generating. A row that passes
//   --timeout (default 60 s) reports unknown.
// - startup: `chaos check` on a 100-op file (bin/chaos.mjs as the README runs it), median wall
//   and mean CPU of --runs runs (default 21), interleaved with a bare `node -e 0` and with the
//   two slower paths (dist/harness/main.js, tsx). Target: chaos check < 100 ms median wall.
// Wall time and CPU time are both shown: on a shared machine CPU time is the steadier figure.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { readHistory } from '../ground/history/readers/index.js';
import { checkHistory, type ModelName } from '../checkers/linearizability/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// the set sits beside the checkout (main) or two levels up (a worktree under wt/); CHAOS_REFERENCE overrides
const ref =
  process.env.CHAOS_REFERENCE ??
  [path.resolve(root, '..', 'shared'), path.resolve(root, '..', '..', 'shared')].map((d) => path.join(d, 'reference', 'linearizability')).find((d) => existsSync(d)) ??
  path.resolve(root, '..', 'shared', 'reference', 'linearizability');
const flag = (name: string, d: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : d;
};
const rounds = Number(flag('rounds', '7'));
const only = flag('only', 'all');
const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');

async function reference(): Promise<void> {
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
  console.log(`load average while measuring: ${load()} on ${(await import('node:os')).availableParallelism()} cores`);
  console.log(`whole set:               median round ${fmt(median(roundTotals.map((t) => t.etcd + t.kv)))}`);
  console.log(`peak heap+buffers after a file: ${(peakHeap / 2 ** 20).toFixed(1)} MiB (${peakFile}); max RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MiB   (target: no file over 1 GiB)`);
  console.log(`verdicts: ${rows.length - mismatches}/${rows.length} as expected`);
  console.log(`targets: etcd ${etcdMed < 500 ? 'met' : 'MISSED'}, c50-ok ${c50 < 100 ? 'met' : 'MISSED'}, memory ${peakHeap < 2 ** 30 ? 'met' : 'MISSED'}`);
  if (mismatches) process.exitCode = 1;
}

interface RowResult {
  ms: number;
  cpuMs: number;
  valid: unknown;
  ops: number;
  events: number;
  maxRssMiB: number;
  reason?: string;
}

/** The table: porcupine's figures on this machine, and what chaos must show. */
const PORCUPINE: Record<string, string> = {
  'register 100000 ops 4 keys c5 no-info valid': '0.32 s',
  'register 100000 ops 4 keys c20 no-info valid': '0.76 s',
  'kv 100000 ops 4 keys c5 no-info valid': '0.41 s',
  'register 100000 ops 1 keys c5 no-info valid': '2.2 s',
};

async function synthetic(): Promise<void> {
  const maxOps = Number(flag('max-ops', '1000000'));
  const minOps = Number(flag('min-ops', '0'));
  const conc = flag('concurrency', '5,20,50').split(',').map(Number);
  const rowFilter = flag('rows', '');
  const timeoutS = Number(flag('timeout', '60'));
  const here = path.dirname(fileURLToPath(import.meta.url));
  const rows: { kind: 'register' | 'kv'; ops: number; keys: number; concurrency: number; info: boolean; invalid: boolean }[] = [];
  for (const ops of [1_000, 10_000, 100_000, 1_000_000])
    for (const concurrency of conc)
      for (const keys of [1, 4])
        for (const info of [false, true])
          for (const invalid of [false, true]) {
            rows.push({ kind: 'register', ops, keys, concurrency, info, invalid });
            // the kv model on the rows the issue names (4 keys, no info)
            if (keys === 4 && !info) rows.push({ kind: 'kv', ops, keys, concurrency, info, invalid });
          }
  console.log(`\nsynthetic histories (2% fail; info rows 2% info), one process per row, timeout ${timeoutS} s, node ${process.version}`);
  console.log('| history | verdict | check ms | cpu ms | peak RSS MiB | porcupine | load avg |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const name = `${r.kind} ${r.ops} ops ${r.keys} keys c${r.concurrency} ${r.info ? 'info' : 'no-info'} ${r.invalid ? 'invalid' : 'valid'}`;
    if (r.ops > maxOps || r.ops < minOps || (rowFilter && !name.includes(rowFilter))) continue;
    const job = { kind: r.kind, ops: r.ops, keys: r.keys, concurrency: r.concurrency, infoRate: r.info ? 0.02 : 0, invalid: r.invalid, seed: 1, timeoutS, rounds: r.ops <= 10_000 ? 5 : 1 };
    const p = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, 'check-row.ts'), JSON.stringify(job)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (p.status !== 0) {
      console.log(`| ${name} | failed (${p.status}): ${(p.stderr || '').split('\n').find((l) => l.trim()) ?? ''} | | | | | ${load()} |`);
      continue;
    }
    const o = JSON.parse(p.stdout) as RowResult;
    const verdict = o.valid === true ? 'valid' : o.valid === false ? 'invalid' : `unknown (${o.reason ?? ''})`;
    const wrong = o.valid !== 'unknown' && (o.valid === false) !== r.invalid ? ' WRONG' : '';
    console.log(`| ${name} | ${verdict}${wrong} | ${o.ms.toFixed(0)} | ${o.cpuMs.toFixed(0)} | ${o.maxRssMiB.toFixed(0)} | ${PORCUPINE[name] ?? ''} | ${load()} |`);
  }
}

async function startup(): Promise<void> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const { generateHistory, toJsonl } = await import('./gen-history.js');
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const runs = Number(flag('runs', '21'));
  const dir = mkdtempSync(path.join(tmpdir(), 'chaos-startup-'));
  const file = path.join(dir, 'small.jsonl');
  writeFileSync(file, toJsonl(generateHistory({ ops: 100, keys: 1, concurrency: 5, kind: 'register' })));
  const bin = path.join(here, '..', 'bin', 'chaos.mjs');
  // The figures mean something only if the bin takes the paths named below.
  const fresh = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-stamp.mjs'), '--check']).status === 0;
  const cached = existsSync(path.join(root, 'dist', 'cli-check.cjs.cache'));
  if (!fresh || !cached) console.log(`\nstart-up: WARNING dist/ is ${fresh ? 'fresh but has no dist/cli-check.cjs.cache' : 'not fresh'}; run \`npm run build\` first`);
  const variants: { name: string; args: string[]; env?: NodeJS.ProcessEnv }[] = [
    { name: 'node -e 0', args: ['-e', '0'] },
    { name: 'chaos check (dist/cli-check.cjs + code cache)', args: [bin, 'check', file] },
    { name: 'chaos check, CHAOS_CHECK_BUNDLE=0 (dist/harness/main.js)', args: [bin, 'check', file], env: { CHAOS_CHECK_BUNDLE: '0' } },
    { name: 'chaos check, CHAOS_FROM_SOURCE=1 (tsx)', args: [bin, 'check', file], env: { CHAOS_FROM_SOURCE: '1' } },
  ];
  const walls = variants.map(() => [] as number[]);
  const cpus = variants.map(() => [] as number[]);
  // Interleaved, so that every variant sees the same load. Wall time from a bare spawn of node;
  // CPU time (user + sys, 10 ms ticks) from a second spawn under /usr/bin/time.
  for (let i = 0; i < runs; i++) {
    for (const [j, v] of variants.entries()) {
      const env = { ...process.env, ...v.env };
      const t0 = performance.now();
      const r = spawnSync(process.execPath, v.args, { encoding: 'utf8', env });
      walls[j].push(performance.now() - t0);
      if (r.status !== 0 || (j > 0 && !/: valid \(/.test(r.stdout))) throw new Error(`${v.name}: exit ${r.status}: ${r.stdout}${r.stderr}`);
      const t = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, ...v.args], { encoding: 'utf8', env });
      const [u, s] = (t.stderr ?? '').trim().split('\n').pop()!.split(' ').map(Number);
      if (Number.isFinite(u + s)) cpus[j].push((u + s) * 1000);
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1];
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(`\nstart-up: chaos check on a 100-op file, ${runs} runs of each, interleaved (load average ${load()}, node ${process.version}):`);
  console.log('| | median wall ms | fastest ms | mean CPU ms | over node -e 0 (median wall) |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const [j, v] of variants.entries()) {
    const over = j === 0 ? '' : `+${(med(walls[j]) - med(walls[0])).toFixed(0)} ms`;
    console.log(`| ${v.name} | ${med(walls[j]).toFixed(0)} | ${Math.min(...walls[j]).toFixed(0)} | ${cpus[j].length ? mean(cpus[j]).toFixed(0) : '?'} | ${over} |`);
  }
  const m = med(walls[1]);
  console.log(`target: chaos check < 100 ms median wall: ${m < 100 ? 'met' : 'NOT met'} (${m.toFixed(0)} ms; node -e 0 ${med(walls[0]).toFixed(0)} ms)`);
  rmSync(dir, { recursive: true, force: true });
}

if (only === 'all' || only === 'reference') await reference();
if (only === 'all' || only === 'startup') await startup();
if (only === 'all' || only === 'synthetic') await synthetic();
