// Test and benchmark support: run nodes as real processes on 127.0.0.1 and wait for their
// ready line. Not used by the server itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { NodeName } from '../core/types.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Ports free right now (bound to 0 and released; a small race the tests accept). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<import('node:net').Server>((res) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => res(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export interface NodeProc {
  name: NodeName;
  port: number;
  proc: ChildProcess;
  /** Everything it printed so far (stdout and stderr, in arrival order). */
  output: string[];
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface SpawnOptions {
  /** Run dist/nodes/server.js instead of the TypeScript source through tsx. */
  dist?: boolean;
  readyTimeoutMs?: number;
}

/** Starts a server with `args` and resolves once it printed `ready <name> <host:port>`. */
export function spawnServer(name: NodeName, port: number, args: string[], opts: SpawnOptions = {}): Promise<NodeProc> {
  const entry = opts.dist ? [join(REPO_ROOT, 'dist', 'nodes', 'blockstore', 'server.js')] : ['--import', 'tsx', join(REPO_ROOT, 'nodes', 'blockstore', 'server.ts')];
  const proc = spawn(process.execPath, [...entry, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const exited = new Promise<number | null>((res) => proc.once('exit', (code, sig) => res(code ?? (sig ? 128 : null))));
  const node: NodeProc = {
    name,
    port,
    proc,
    output,
    exited,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${name} not ready in time:\n${output.join('')}`));
    }, opts.readyTimeoutMs ?? 20_000);
    proc.stdout!.on('data', (d: Buffer) => {
      output.push(d.toString());
      buf += d.toString();
      if (new RegExp(`^ready ${name} \\S+:${port}$`, 'm').test(buf)) {
        clearTimeout(timer);
        buf = '';
        resolve(node);
      }
    });
    proc.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before ready:\n${output.join('')}`));
    });
  });
}

/** The flags of one node of a standard a/b/dr cluster on loopback. */
export function nodeArgs(
  name: NodeName,
  ports: Record<NodeName, number>,
  dirs: { root: string },
  present: readonly NodeName[],
  extra: string[] = [],
  role?: 'primary' | 'partner' | 'dr',
): string[] {
  const r = role ?? (name === 'a' ? 'primary' : name === 'b' ? 'partner' : 'dr');
  const args = ['--name', name, '--role', r, '--data', join(dirs.root, name), '--listen', `127.0.0.1:${ports[name]}`];
  if (name !== 'dr') args.push('--backend', join(dirs.root, 'backend'));
  for (const p of present) if (p !== name) args.push('--peer', `${p}=127.0.0.1:${ports[p]}`);
  return [...args, ...extra];
}
