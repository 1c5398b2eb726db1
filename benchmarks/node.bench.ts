// bench:node: write latency (p50/p99) and throughput of the real server processes on
// loopback, for a alone, a+b (sync partner), a+b+dr (async dr) and a+b+dr with the
// sync-dr-journal bug. SYSTEM.md's latency invariant: async dr adds under 5% to p99 over a+b.
//
// Every configuration runs as its own cluster, started once; measurement rounds interleave the
// configurations (a round of each, then the next round) so a noisy neighbour on the shared
// machine hits all of them alike, and each figure is the median over rounds.
//
// Knobs (env): BENCH_ROUNDS (8), BENCH_ROUND_MS (1500), BENCH_CLIENTS (4), BENCH_DIST=1 to run
// dist/nodes/server.js instead of the sources through tsx.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectClient, type TcpBlockClient } from '../nodes/blockstore/client/tcp.js';
import type { NodeName } from '../nodes/blockstore/core/types.js';
import { freePorts, nodeArgs, spawnServer, type NodeProc } from '../nodes/blockstore/server/procs.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 1500);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 4);
const DIST = process.env.BENCH_DIST === '1';
const BLOCKS = 256;

interface Config {
  label: string;
  nodes: NodeName[];
  bugs: string[];
}
const CONFIGS: Config[] = [
  { label: 'a alone', nodes: ['a'], bugs: [] },
  { label: 'a+b (sync partner)', nodes: ['a', 'b'], bugs: [] },
  { label: 'a+b+dr (async dr)', nodes: ['a', 'b', 'dr'], bugs: [] },
  { label: 'a+b+dr sync-dr-journal', nodes: ['a', 'b', 'dr'], bugs: ['sync-dr-journal'] },
];

interface Cluster {
  cfg: Config;
  root: string;
  procs: NodeProc[];
  clients: TcpBlockClient[];
  rounds: { p50: number; p99: number; opsPerSec: number; errors: number }[];
  all: number[];
  /** a's epoch when measuring began: every later claim is a re-pairing or a solo stretch. */
  epoch0: number;
}

/** Every process started, so a failed start still cleans up. */
const started: NodeProc[] = [];

async function up(cfg: Config): Promise<Cluster> {
  const root = mkdtempSync(join(tmpdir(), 'chaos-bench-node-'));
  const [pa, pb, pdr] = await freePorts(3);
  const ports: Record<NodeName, number> = { a: pa, b: pb, dr: pdr };
  const extra = ['--blocks', String(BLOCKS), ...cfg.bugs.flatMap((b) => ['--bug', b])];
  // Partner and dr first, so a finds them at once.
  const order = [...cfg.nodes].reverse();
  const procs: NodeProc[] = [];
  for (const n of order) {
    const p = await spawnServer(n, ports[n], nodeArgs(n, ports, { root }, cfg.nodes, extra), { dist: DIST });
    procs.push(p);
    started.push(p);
  }
  const clients = Array.from({ length: CLIENTS }, () => connectClient({ host: '127.0.0.1', port: pa, node: 'a', timeoutMs: 5000 }));
  const deadline = Date.now() + 20_000;
  // With a partner, measure the paired pair (the steady state), not its first resync.
  while (cfg.nodes.includes('b')) {
    const s = await clients[0].status();
    if (s.status === 'ok' && s.info.partner === 'paired') break;
    if (Date.now() > deadline) throw new Error(`${cfg.label}: a never paired with b: ${JSON.stringify(s)}`);
    await new Promise((res) => setTimeout(res, 50));
  }
  // Until a acks writes (alone, it first waits out the partner's read lease).
  for (;;) {
    const r = await clients[0].write(0, 'warm');
    if (r.status === 'ok') break;
    if (Date.now() > deadline) throw new Error(`${cfg.label}: a never acked a write: ${JSON.stringify(r)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
  const s = await clients[0].status();
  return { cfg, root, procs, clients, rounds: [], all: [], epoch0: s.status === 'ok' ? s.info.epoch : NaN };
}

async function round(c: Cluster, ms: number, record: boolean): Promise<void> {
  const lat: number[] = [];
  let errors = 0;
  let seq = 0;
  const t0 = performance.now();
  const end = t0 + ms;
  await Promise.all(
    c.clients.map(async (cl, i) => {
      let x = (i + 1) * 2654435761;
      while (performance.now() < end) {
        x = (x * 1103515245 + 12345) >>> 0;
        const s = performance.now();
        const r = await cl.write(x % BLOCKS, `v${i}-${seq++}`);
        const d = performance.now() - s;
        if (r.status === 'ok') lat.push(d);
        else errors++;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  if (!record) return;
  lat.sort((p, q) => p - q);
  c.rounds.push({ p50: pct(lat, 0.5), p99: pct(lat, 0.99), opsPerSec: lat.length / elapsed, errors });
  c.all.push(...lat);
}

function pct(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];

/** Peak resident memory of a process (VmHWM), in MiB. */
function peakMiB(pid: number | undefined): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

async function main(): Promise<void> {
  console.log(`bench:node  ${ROUNDS} rounds x ${ROUND_MS} ms per config, ${CLIENTS} closed-loop writers, ${DIST ? 'dist' : 'tsx'} servers on 127.0.0.1`);
  const clusters: Cluster[] = [];
  try {
    for (const cfg of CONFIGS) clusters.push(await up(cfg));
    for (const c of clusters) await round(c, 500, false); // warm up JIT and page cache
    // Rotate the order each round so no configuration always follows the same neighbour.
    for (let r = 0; r < ROUNDS; r++) for (let i = 0; i < clusters.length; i++) await round(clusters[(i + r) % clusters.length], ROUND_MS, true);

    console.log('');
    console.log(pad('config', 26) + pad('p50 ms', 10) + pad('p99 ms', 10) + pad('p99 pooled', 12) + pad('writes/s', 10) + pad('errors', 8) + pad('a epochs+', 10) + 'a peak RSS MiB');
    for (const c of clusters) {
      const st = await c.clients[0].status();
      const claims = st.status === 'ok' ? st.info.epoch - c.epoch0 : NaN;
      c.all.sort((p, q) => p - q);
      const a = c.procs.find((p) => p.name === 'a');
      console.log(
        pad(c.cfg.label, 26) +
          pad(median(c.rounds.map((x) => x.p50)).toFixed(3), 10) +
          pad(median(c.rounds.map((x) => x.p99)).toFixed(3), 10) +
          pad(pct(c.all, 0.99).toFixed(3), 12) +
          pad(median(c.rounds.map((x) => x.opsPerSec)).toFixed(0), 10) +
          pad(String(c.rounds.reduce((s, x) => s + x.errors, 0)), 8) +
          pad(String(claims), 10) +
          peakMiB(a?.proc.pid).toFixed(1),
      );
    }
    // The wire's own cost: reads on a alone touch no disk, so this is newline-JSON over TCP
    // plus one core step, the floor under every figure above.
    const alone = clusters.find((c) => c.cfg.nodes.length === 1)!;
    const rl: number[] = [];
    const rEnd = performance.now() + 1500;
    await Promise.all(
      alone.clients.map(async (cl, i) => {
        while (performance.now() < rEnd) {
          const s0 = performance.now();
          const r = await cl.read(i);
          if (r.status === 'ok') rl.push(performance.now() - s0);
        }
      }),
    );
    rl.sort((p, q) => p - q);
    console.log('');
    console.log(`wire round trip (reads on a alone, no disk, ${CLIENTS} clients): p50 ${pct(rl, 0.5).toFixed(3)} ms, p99 ${pct(rl, 0.99).toFixed(3)} ms, ${(rl.length / 1.5).toFixed(0)} reads/s`);

    // Paired per round: neighbouring rounds share the machine's load, so their ratio is steadier
    // than a ratio of medians taken minutes apart.
    const rounds = (label: string) => clusters.find((c) => c.cfg.label.startsWith(label))!.rounds;
    const ratio = (label: string, key: 'p50' | 'p99') =>
      (median(rounds(label).map((x, i) => x[key] / rounds('a+b (')[i][key])) - 1) * 100;
    const added = ratio('a+b+dr (', 'p99');
    const syncAdded = ratio('a+b+dr sync', 'p99');
    console.log('');
    console.log(`added over a+b (median of per-round ratios):  p50  p99`);
    console.log(`  a+b+dr (async dr)        ${fmt(ratio('a+b+dr (', 'p50'))}  ${fmt(added)}`);
    console.log(`  a+b+dr sync-dr-journal   ${fmt(ratio('a+b+dr sync', 'p50'))}  ${fmt(syncAdded)}`);
    console.log(`async dr adds ${added.toFixed(1)}% to p99 over a+b (must be < 5%): ${added < 5 ? 'PASS' : 'FAIL'}`);
    console.log(`sync-dr-journal adds ${syncAdded.toFixed(1)}% to p99 over a+b (the bug must show): ${syncAdded > Math.max(10, added + 5) ? 'SHOWN' : 'NOT SHOWN'}`);
  } finally {
    for (const c of clusters) await Promise.all(c.clients.map((cl) => cl.close()));
    await Promise.all(started.map((p) => p.kill('SIGTERM')));
    for (const c of clusters) rmSync(c.root, { recursive: true, force: true });
  }
}

function fmt(pct: number): string {
  return `${pct >= 0 ? '+' : ''}${pct.toFixed(1)}%`.padStart(7);
}

function pad(s: string, n: number): string {
  return s.padEnd(n);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
