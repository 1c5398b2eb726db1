// Runs the real `chaos` CLI as a child process, for the end-to-end tests of signals, exit
// codes and parallel runs: its output, its exit status, and a way to signal it mid-run.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { LABEL } from '../../runtime/docker/ownership.js';

export const BIN = fileURLToPath(new URL('../../../bin/chaos.mjs', import.meta.url));

export interface Child {
  proc: ChildProcess;
  pid: number;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>;
  out(): string;
  err(): string;
}

export function chaos(argv: string[], env: NodeJS.ProcessEnv = {}): Child {
  const proc = spawn(process.execPath, [BIN, ...argv], { env: { ...process.env, FORCE_COLOR: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) => {
    proc.on('close', (code, signal) => resolve({ code, signal, out, err }));
  });
  return { proc, pid: proc.pid!, done, out: () => out, err: () => err };
}

export interface Owned { containers: number; running: number; networks: number; volumes: number }

/** Docker resources labelled as made by one harness process (its pid on this host): what a test
 *  may count on a shared engine without seeing anyone else's. */
export async function ownedBy(pid: number, docker = new Docker()): Promise<Owned> {
  const label = [`${LABEL.pid}=${pid}`];
  const cs = await docker.listContainers({ all: true, filters: { label } });
  const ns = await docker.listNetworks({ filters: { label } });
  const vs = (await docker.listVolumes({ filters: { label } })).Volumes ?? [];
  // Partition helpers (one per node life, in its network namespace) are the run's too, but
  // `running` counts the nodes themselves.
  const nodes = cs.filter((c) => !c.Labels?.[`${LABEL.chaos}.helper`]);
  return { containers: cs.length, running: nodes.filter((c) => c.State === 'running').length, networks: ns.length, volumes: vs.length };
}

export async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 120_000, everyMs = 250): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
