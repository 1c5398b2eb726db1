// One row of the synthetic linearizability benchmark, in its own process so that its peak
// memory is its own: generates the history, checks it (timed: pairing, compiling and searching,
// not generating), and prints one JSON line. Run by check.bench.ts; by hand:
//   node --import tsx benchmarks/check-row.ts '{"ops":100000,"keys":4,"concurrency":5,"kind":"register"}'
import { checkHistory } from '../checkers/linearizability/index.js';
import { generateHistory, type GenOptions } from './gen-history.js';

const o = JSON.parse(process.argv[2] ?? '{}') as GenOptions & { rounds?: number; workers?: number | 'auto'; timeoutS?: number };
const events = generateHistory(o);
const model = o.kind === 'kv' ? 'kv' : 'cas-register';
const times: number[] = [];
const cpus: number[] = [];
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
let verdict: unknown;
let ops = 0;
let reason: string | undefined;
for (let r = 0; r < (o.rounds ?? 1); r++) {
  const c0 = cpuMs();
  const t0 = performance.now();
  const res = await checkHistory(events, { model, workers: o.workers ?? 'auto', ...(o.timeoutS ? { timeoutMs: o.timeoutS * 1000 } : {}) });
  times.push(performance.now() - t0);
  cpus.push(cpuMs() - c0);
  verdict = res.valid;
  ops = res.ops;
  reason = res.reason;
}
times.sort((a, b) => a - b);
cpus.sort((a, b) => a - b);
process.stdout.write(
  JSON.stringify({
    ms: times[(times.length - 1) >> 1],
    cpuMs: cpus[(cpus.length - 1) >> 1],
    valid: verdict,
    ops,
    events: events.length,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    ...(reason ? { reason } : {}),
  }) + '\n',
);
