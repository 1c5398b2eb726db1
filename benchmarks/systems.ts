// Boot-to-ready and the generic fault surface per system on the generic docker runtime
// (harness/runtime/docker/cluster.ts): etcd (3 nodes) and Redis (primary + 2 replicas).
// `npm run bench:harness` ends with this; `npm run bench:systems` runs it alone.
// Figures only; targets (etcd boot p50 < 3 s, cut/heal p99 < 100 ms) are read by people.
import { loadavg } from 'node:os';
import type { System } from '../ground/system.js';
import { ContainerRuntime } from '../harness/runtime/docker/cluster.js';
import { isDockerAvailable } from '../harness/runtime/docker/engine.js';
import { netHelperImage } from '../harness/runtime/docker/netns.js';
import { system as etcd } from '../nodes/etcd/system.js';
import { system as redis } from '../nodes/redis/system.js';

const BOOTS = Number(process.env.BENCH_BOOTS ?? 5);
const FAULT_REPS = Number(process.env.BENCH_FAULT_REPS ?? 50);

function q(xs: number[], p: number): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
}
const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
function line(name: string, xs: number[]): void {
  console.log(`${name.padEnd(40)} n=${String(xs.length).padStart(3)}  p50 ${fmt(q(xs, 0.5)).padStart(6)} ms  p99 ${fmt(q(xs, 0.99)).padStart(6)} ms  max ${fmt(Math.max(...xs)).padStart(6)} ms`);
}
const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

function spec(system: System, runId: string) {
  const params = system.params.parse({});
  return { runId, system, nodes: system.nodes(params), bugs: [], params, clientTimeoutMs: 2000, logDir: '', seed: 1 };
}

async function benchOne(system: System): Promise<void> {
  const t = await timed(async () => {
    await Promise.all(system.nodes(system.params.defaults).map((n) => system.container(n, { runId: 'x', nodes: [n], host: (h) => h, bugs: [], params: system.params.defaults, seed: 1 }).image.ensure()));
  });
  console.log(`${system.name}: image ready in ${fmt(t)} ms (built on first use, reused after)`);
  const boots: number[] = [];
  const downs: number[] = [];
  const phases: Record<string, number[]> = {};
  for (let i = 0; i < BOOTS; i++) {
    const id = `bench-${system.name}-${process.pid}-${i}`;
    const rt = new ContainerRuntime({ runId: id });
    try {
      boots.push(await timed(() => rt.up(spec(system, id))));
      for (const [k, v] of Object.entries(rt.upTimings)) (phases[k] ??= []).push(v);
    } finally {
      downs.push(await timed(() => rt.down()));
    }
  }
  const nodes = system.nodes(system.params.defaults);
  line(`${system.name}: boot ${nodes.length} nodes to ready`, boots);
  for (const [k, v] of Object.entries(phases)) line(`  of which ${k}`, v);
  line(`${system.name}: teardown (down)`, downs);
  console.log(`  (load average ${load()})`);

  const id = `bench-${system.name}-${process.pid}`;
  const rt = new ContainerRuntime({ runId: id });
  try {
    await rt.up(spec(system, id));
    const [x, y] = [nodes[0]!, nodes[1]!];
    const cut: number[] = [];
    const heal: number[] = [];
    const pause: number[] = [];
    const resume: number[] = [];
    for (let i = 0; i < FAULT_REPS; i++) {
      cut.push(await timed(() => rt.cut(x, y)));
      heal.push(await timed(() => rt.heal(x, y)));
      pause.push(await timed(() => rt.pause(y)));
      resume.push(await timed(() => rt.resume(y)));
    }
    line(`${system.name}: cut ${x}->${y} (helper iptables)`, cut);
    line(`${system.name}: heal ${x}->${y}`, heal);
    line(`${system.name}: pause ${y}`, pause);
    line(`${system.name}: resume ${y}`, resume);
    const kills: number[] = [];
    const starts: number[] = [];
    const last = nodes[nodes.length - 1]!;
    for (let i = 0; i < 5; i++) {
      kills.push(await timed(() => rt.kill(last)));
      starts.push(await timed(() => rt.start(last)));
    }
    line(`${system.name}: kill ${last} (SIGKILL, stopped)`, kills);
    line(`${system.name}: start ${last} (ready + new helper)`, starts);
    console.log(`  (load average ${load()})`);
  } finally {
    await rt.down();
  }
}

export async function benchSystems(): Promise<void> {
  if (!(await isDockerAvailable())) {
    console.log('bench systems: no docker engine answers (bash scripts/setup.sh); nothing measured');
    return;
  }
  const t = await timed(() => netHelperImage.ensure());
  console.log(`partition helper image ready in ${fmt(t)} ms`);
  for (const s of [etcd, redis]) await benchOne(s);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchSystems().catch((e) => {
    console.error(`bench systems: ${(e as Error).stack ?? e}`);
    process.exit(1);
  });
}
