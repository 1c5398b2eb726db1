// npm run bench:harness — the docker runtime's costs: image check, cluster boot to ready,
// fault apply/heal latency, teardown, and sustained ops/s from 10 clients against a+b+dr.
// Prints figures only; the targets (boot < 3 s, fault p99 < 100 ms, > 2,000 ops/s) are read
// by people, not asserted.
import Docker from 'dockerode';
import type { NodeName } from '../nodes/blockstore/core/types.js';
import { ensureImage } from '../nodes/image/build.js';
import { isDockerAvailable } from '../harness/runtime/docker/engine.js';
import { createContainerRuntime, type ContainerRuntime } from '../harness/runtime/docker/cluster.js';
import { connectClient } from '../nodes/blockstore/client/tcp.js';
import { BlockstoreClient } from '../nodes/blockstore/client/generic.js';
import { blockstore, NODE_PORT } from '../nodes/blockstore/system.js';
import type { Client } from '../ground/system.js';
import type { ClusterSpec } from '../harness/runtime/types.js';
import { benchSystems } from './systems.js';

const BOOTS = Number(process.env.BENCH_BOOTS ?? 3);
const FAULT_REPS = Number(process.env.BENCH_FAULT_REPS ?? 50);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_S ?? 8);
const CLIENTS = 10;

function q(xs: number[], p: number): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
}
const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
function line(name: string, xs: number[], unit = 'ms'): void {
  console.log(`${name.padEnd(34)} n=${String(xs.length).padStart(3)}  p50 ${fmt(q(xs, 0.5)).padStart(6)} ${unit}  p99 ${fmt(q(xs, 0.99)).padStart(6)} ${unit}  max ${fmt(Math.max(...xs)).padStart(6)} ${unit}`);
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

function spec(runId: string): ClusterSpec {
  return { runId, system: blockstore, nodes: ['a', 'b', 'dr'], bugs: [], params: {}, clientTimeoutMs: 2000, logDir: '', seed: 1 };
}

async function main(): Promise<void> {
  if (!(await isDockerAvailable())) {
    console.log('bench:harness: no docker engine answers (bash scripts/setup.sh); nothing measured');
    return;
  }
  console.log(`bench:harness  (node ${process.version}, ${(await import('node:os')).cpus().length} cpus)`);
  if (process.env.CHAOS_NODE_IMAGE) console.log(`image ${process.env.CHAOS_NODE_IMAGE} (CHAOS_NODE_IMAGE)`);
  else {
    const img = await ensureImage({ log: (l) => console.log(l) });
    console.log(`image ${img.tag}: ${img.built ? 'built' : 'reused'} in ${fmt(img.ms)} ms`);
    const again = await ensureImage({});
    console.log(`image check when current: ${fmt(again.ms)} ms`);
  }

  const boots: number[] = [];
  const downs: number[] = [];
  const phases: Record<string, number[]> = {};
  for (let i = 0; i < BOOTS; i++) {
    const id = `bench-boot-${process.pid}-${i}`;
    const rt = createContainerRuntime({ runId: id });
    try {
      boots.push(await timed(() => rt.up(spec(id))));
      for (const [k, v] of Object.entries(rt.upTimings)) (phases[k] ??= []).push(v);
    } finally {
      downs.push(await timed(() => rt.down()));
    }
  }
  line('boot a+b+dr to ready', boots);
  for (const [k, v] of Object.entries(phases)) line(`  of which ${k}`, v);
  line('teardown (down)', downs);

  const id = `bench-${process.pid}`;
  const rt = createContainerRuntime({ runId: id });
  try {
    await rt.up(spec(id));
    const pairs: Record<string, [number[], number[]]> = { 'cut/heal a->b': [[], []], 'pause/resume b': [[], []] };
    for (let i = 0; i < FAULT_REPS; i++) {
      pairs['cut/heal a->b']![0].push(await timed(() => rt.cut('a', 'b')));
      pairs['cut/heal a->b']![1].push(await timed(() => rt.heal('a', 'b')));
      pairs['pause/resume b']![0].push(await timed(() => rt.pause('b')));
      pairs['pause/resume b']![1].push(await timed(() => rt.resume('b')));
    }
    const kills: number[] = [];
    const starts: number[] = [];
    for (let i = 0; i < 5; i++) {
      kills.push(await timed(() => rt.kill('dr')));
      starts.push(await timed(() => rt.start('dr')));
    }
    const heals: number[] = [];
    for (let i = 0; i < 10; i++) {
      await rt.cut('a', 'b');
      await rt.cut('b', 'dr');
      await rt.pause('dr');
      heals.push(await timed(() => rt.healAll()));
    }
    for (const [name, [apply, heal]] of Object.entries(pairs)) {
      const [kinds, target] = name.split(' ') as [string, string];
      const [on, off] = kinds.split('/') as [string, string];
      line(`fault apply: ${on} ${target}`, apply);
      line(`fault heal: ${off} ${target}`, heal);
    }
    line('kill dr (SIGKILL, stopped)', kills);
    line('start dr (to ready)', starts);
    line('healAll (2 cuts + 1 pause)', heals);

    await waitPrimary(rt);
    await load(rt, 'published ports (docker-proxy)', (n) => rt.client(n), true);
    // The same load straight to the containers' bridge addresses: what the engine's userland
    // proxy costs (the runtime's clients use the published ports; this is for comparison only).
    await load(rt, 'bridge addresses (no proxy)', (n) => new BlockstoreClient(connectClient({ host: rt.where(n).ip!, port: NODE_PORT, node: n, timeoutMs: 2000 })), false);
    const peak = process.memoryUsage().rss / 2 ** 20;
    console.log(`harness rss ${peak.toFixed(0)} MiB`);
  } finally {
    await rt.down();
  }
  // The bench leaves nothing behind.
  const d = new Docker();
  const left = await d.listContainers({ all: true, filters: { label: [`chaos.run=${id}`] } });
  if (left.length) console.log(`WARNING: ${left.length} containers left`);
  // The systems that are not ours, on the generic runtime.
  await benchSystems();
}

/**
 * Closed-loop load: 10 clients, writes to a, reads spread over a and b. With `faults`, the a->dr
 * link is cut and healed over and over meanwhile (dr is async, so this measures fault latency
 * under load without stalling the writes).
 */
async function load(rt: ContainerRuntime, how: string, client: (n: NodeName) => Client, faults: boolean): Promise<void> {
  const stopAt = performance.now() + LOAD_SECONDS * 1000;
  const counts = { ok: 0, fail: 0, info: 0 };
  const lat: number[] = [];
  const underLoad: number[] = [];
  const workers = Array.from({ length: CLIENTS }, async (_, k) => {
    const w = client('a');
    const r = client(k % 2 ? 'b' : 'a');
    let i = 0;
    while (performance.now() < stopAt) {
      const block = (k * 7 + i) % 32;
      const t0 = performance.now();
      const out = i % 2 === 0 ? await w.invoke({ f: 'write', key: block, value: `c${k}-${i}` }) : await r.invoke({ f: 'read', key: block });
      lat.push(performance.now() - t0);
      counts[out.status]++;
      i++;
    }
    await Promise.all([w.close(), r.close()]);
  });
  const faulting = (async () => {
    while (faults && performance.now() < stopAt - 200) {
      underLoad.push(await timed(() => rt.cut('a', 'dr')));
      underLoad.push(await timed(() => rt.heal('a', 'dr')));
      await rt.sleep(100);
    }
  })();
  const t0 = performance.now();
  await Promise.all([...workers, faulting]);
  const secs = (performance.now() - t0) / 1000;
  const total = counts.ok + counts.fail + counts.info;
  console.log(`load via ${how}: ${CLIENTS} clients, ${secs.toFixed(1)} s: ${Math.round(total / secs)} ops/s (ok ${counts.ok}, fail ${counts.fail}, info ${counts.info}); 50% writes to a, reads over a and b`);
  line('  op latency', lat);
  if (faults) line('  cut/heal a->dr under load', underLoad);
}

async function waitPrimary(rt: ContainerRuntime): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const st = await rt.status('a' as NodeName);
    const w = st?.role === 'primary' ? await rt.client('a').invoke({ f: 'write', key: 0, value: 'warm' }) : null;
    if (w?.status === 'ok') return;
    await rt.sleep(100);
  }
  throw new Error('a never accepted a write');
}

main().catch((e) => {
  console.error(`bench:harness: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
