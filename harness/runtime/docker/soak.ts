// The cleanup soak of issue 5: many `chaos run --runtime docker`, every other one SIGKILLed
// halfway (the last one too), then `chaos down`; after each normal run nothing of it (nor of any run killed before
// it, whose leftovers its start removes) may remain, and after `chaos down` nothing at all.
//
//   node --import tsx harness/runtime/docker/soak.ts [--runs 20] [--time-limit 6] [--down]
//
// --down ends with `chaos down` (which removes only dead runs' resources, so it is safe on a shared
// engine); otherwise the soak removes dead runs' resources itself, as every run's start does.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { projectRoot } from '../../../nodes/image/build.js';
import { removeChaosResources } from './cleanup.js';
import { LABEL } from './ownership.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg('runs', 20);
const TIME_LIMIT = arg('time-limit', 6);
const root = projectRoot();
const chaos = join(root, 'bin', 'chaos.mjs');
const out = mkdtempSync(join(tmpdir(), 'chaos-soak-'));
const docker = new Docker();

interface Counts { containers: number; networks: number; volumes: number }
type Labels = Record<string, string> | undefined;

async function resources(): Promise<{ labels: Labels[]; counts: Counts }> {
  const label = [`${LABEL.chaos}=1`];
  const c = await docker.listContainers({ all: true, filters: { label } });
  const n = await docker.listNetworks({ filters: { label } });
  const v = (await docker.listVolumes({ filters: { label } })).Volumes ?? [];
  return {
    labels: [...c.map((x) => x.Labels), ...n.map((x) => x.Labels), ...v.map((x) => x.Labels as Labels)],
    counts: { containers: c.length, networks: n.length, volumes: v.length },
  };
}

/** Resources of runs started by this soak (their pid is one of ours). */
async function ours(pids: Set<number>): Promise<Counts> {
  const label = [`${LABEL.chaos}=1`];
  const mine = (l: Labels) => pids.has(Number(l?.[LABEL.pid]));
  return {
    containers: (await docker.listContainers({ all: true, filters: { label } })).filter((x) => mine(x.Labels)).length,
    networks: (await docker.listNetworks({ filters: { label } })).filter((x) => mine(x.Labels)).length,
    volumes: ((await docker.listVolumes({ filters: { label } })).Volumes ?? []).filter((x) => mine(x.Labels as Labels)).length,
  };
}

const show = (c: Counts) => `${c.containers} containers, ${c.networks} networks, ${c.volumes} volumes`;
const zero = (c: Counts) => c.containers + c.networks + c.volumes === 0;

function run(seed: number, killAfterMs: number | null): Promise<{ pid: number; code: number | null; killed: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [chaos, 'run', '--runtime', 'docker', '--time-limit', String(TIME_LIMIT), '--seed', String(seed), '--out', out], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let killed = false;
    let exited = false;
    child.stdout.resume();
    child.stderr.resume();
    child.once('exit', (code) => {
      exited = true;
      resolve({ pid: child.pid!, code, killed });
    });
    // Halfway = half the workload after its three nodes are up.
    const watch = async () => {
      while (!exited) {
        if ((await ours(new Set([child.pid!]))).containers >= 3) {
          setTimeout(() => {
            killed = !exited;
            child.kill('SIGKILL');
          }, killAfterMs!);
          return;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    if (killAfterMs !== null) void watch();
  });
}

async function main(): Promise<number> {
  let failures = 0;
  const pids = new Set<number>();
  let deadBefore = false;
  for (let i = 1; i <= RUNS; i++) {
    // The last run is killed too, so that `chaos down` has a dead run's leftovers to remove.
    const kill = i % 2 === 1 || i === RUNS ? (TIME_LIMIT * 1000) / 2 : null;
    const r = await run(i, kill);
    pids.add(r.pid);
    const left = await ours(new Set([r.pid]));
    const all = await ours(pids);
    if (r.killed) {
      console.log(`run ${String(i).padStart(2)} SIGKILLed halfway: left ${show(left)}`);
      deadBefore = deadBefore || !zero(left);
    } else {
      const ok = zero(all);
      if (!ok) failures++;
      console.log(`run ${String(i).padStart(2)} exit ${r.code}: ${ok ? 'nothing' : show(all)} left of this or earlier runs${deadBefore ? ' (its start removed the killed runs\' leftovers)' : ''}${ok ? '' : '  <-- FAIL'}`);
      deadBefore = false;
    }
  }
  const before = await ours(pids);
  if (!process.argv.includes('--down')) {
    // Without --down the soak stays off other harnesses' clusters: the killed runs' leftovers
    // go the way every run's start removes them (owner gone), which is what `chaos down` does
    // for dead runs too.
    await removeChaosResources(docker, { onlyDead: true });
    const after = await ours(pids);
    console.log(`leftovers of the soak's runs: before cleanup ${show(before)}; after removing dead runs' resources: ${show(after)}`);
    if (!zero(after)) failures++;
  } else {
    // `chaos down` removes the resources of dead runs (every harness of this soak is gone by
    // now), sparing live runs of others: so what is counted after it is this soak's own.
    const down = spawnSync(process.execPath, [chaos, 'down'], { cwd: root, encoding: 'utf8' });
    const after = await ours(pids);
    console.log(`before chaos down: ${show(before)} of the soak's runs; chaos down: ${down.stdout.trim()}; after: ${show(after)}`);
    if (!zero(after)) failures++;
  }
  console.log(`run directories under ${out}`);
  return failures ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`soak: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
