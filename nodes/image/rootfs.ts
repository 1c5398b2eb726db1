// Which host files make up the node image's root filesystem. No registry is reachable, so the
// image is the host's own `node`, `sh`, `iptables` and a few coreutils plus exactly the shared
// libraries they load, placed at the paths the host uses (symlinks kept as symlinks, so the
// merged-/usr layout and the ELF interpreter path resolve inside the container too).
import { execFileSync } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync, readlinkSync, existsSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { InputError } from '../../ground/errors.js';

/** One entry of the rootfs: a regular file copied from the host, a symlink, or a generated file. */
export type RootfsEntry =
  | { kind: 'file'; path: string; from: string; mode: number }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'content'; path: string; content: Buffer; mode: number };

/** Programs the image needs: the runtime, a shell for the entry script, iptables for partitions,
 *  and enough coreutils to look around with `docker exec` when debugging a run. */
const PROGRAMS = [
  'node', 'sh', 'iptables', 'iptables-save', 'iptables-restore',
  'cat', 'ls', 'mkdir', 'rm', 'touch', 'sleep', 'cp', 'mv', 'ln', 'head', 'tail', 'wc', 'sync', 'true', 'false', 'env', 'id', 'date', 'stat', 'du', 'df',
];

/** xtables extension modules are dlopen'd by iptables at run time, so ldd cannot see them. */
export const XTABLES_DIR = '/usr/lib/x86_64-linux-gnu/xtables';

export function which(prog: string): string {
  for (const dir of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    const p = join(dir, prog);
    if (existsSync(p)) return p;
  }
  throw new InputError(`image: host program '${prog}' not found (run scripts/setup.sh)`);
}

/** Shared libraries (and the ELF interpreter) the given binaries load, per ldd. */
export function sharedLibs(binaries: readonly string[]): string[] {
  if (binaries.length === 0) return [];
  const out = execFileSync('ldd', [...binaries], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const libs = new Set<string>();
  for (const line of out.split('\n')) {
    const arrow = /=>\s+(\/\S+)/.exec(line);
    const bare = /^\s+(\/\S+)\s+\(0x/.exec(line);
    const p = arrow?.[1] ?? bare?.[1];
    if (p) libs.add(p);
  }
  return [...libs].sort();
}

/**
 * Adds `path` as the host has it: every symlinked component along the way becomes a symlink in
 * the image and its target is added too, so lookups inside the container walk the same chain.
 * With `root`, the path is looked up under that directory instead of `/` (an unpacked Debian
 * package): the image gets it at `path`, and absolute link targets stay inside `root`.
 */
export function addHostPath(path: string, entries: Map<string, RootfsEntry>, root = '', depth = 0): void {
  if (depth > 40) throw new InputError(`image: symlink loop at ${root}${path}`);
  const parts = resolve(path).split('/').filter(Boolean);
  let cur = '';
  for (let i = 0; i < parts.length; i++) {
    cur = `${cur}/${parts[i]}`;
    const st = lstatSync(root + cur);
    if (st.isSymbolicLink()) {
      const target = readlinkSync(root + cur);
      if (!entries.has(cur)) entries.set(cur, { kind: 'symlink', path: cur, target });
      const abs = posix.isAbsolute(target) ? target : posix.join(posix.dirname(cur), target);
      const rest = parts.slice(i + 1).join('/');
      addHostPath(rest ? posix.join(abs, rest) : abs, entries, root, depth + 1);
      return;
    }
    if (i === parts.length - 1) {
      if (st.isFile()) entries.set(cur, { kind: 'file', path: cur, from: root + cur, mode: st.mode & 0o7777 });
      else if (!st.isDirectory()) throw new InputError(`image: ${root}${cur} is neither a file nor a directory`);
    }
  }
}

/** The server's compiled closure: dist/nodes/blockstore/server.js and every relative import it reaches. */
export function serverClosure(distRoot: string): string[] {
  const entry = join(distRoot, 'nodes', 'blockstore', 'server.js');
  if (!existsSync(entry)) throw new InputError(`image: ${entry} is missing (npm run build)`);
  const seen = new Set<string>();
  const todo = [entry];
  const spec = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(spec)) {
      const s = m[1] ?? m[2] ?? m[3]!;
      if (s.startsWith('node:')) continue;
      if (!s.startsWith('.')) throw new InputError(`image: ${file} imports '${s}'; the node image ships no node_modules`);
      todo.push(resolve(dirname(file), s));
    }
  }
  return [...seen].sort();
}

export const IMAGE_APP_DIR = '/chaos';

/** The container's command: the server itself as PID 1, so SIGKILL from the engine is a crash
 *  of the node and nothing else. A crash that should lose the unsynced tail is asked for with
 *  the server's own marker file in the data dir (nodes/server/README.md), not a wrapper. */
export function entrypoint(): string[] {
  return [which('node'), `${IMAGE_APP_DIR}/dist/nodes/blockstore/server.js`];
}

/** Every entry of the image, sorted by path (so the tar and the hash are stable). */
export function collectRootfs(distRoot: string): RootfsEntry[] {
  const entries = new Map<string, RootfsEntry>();
  const programs = PROGRAMS.map(which);
  const xtables = existsSync(XTABLES_DIR)
    ? readdirSync(XTABLES_DIR).filter((f) => f.endsWith('.so')).map((f) => join(XTABLES_DIR, f))
    : [];
  const realBinaries = [...new Set(programs.map((p) => execFileSync('readlink', ['-f', p], { encoding: 'utf8' }).trim()))];
  const realModules = xtables.filter((p) => !lstatSync(p).isSymbolicLink());
  // The merged-/usr top-level links (/bin, /sbin, /lib, /lib64) come in through these paths.
  for (const p of ['/bin/sh', '/sbin/iptables', ...programs, ...xtables, ...sharedLibs([...realBinaries, ...realModules])]) addHostPath(p, entries);
  for (const f of serverClosure(distRoot)) {
    const rel = f.slice(resolve(distRoot).length);
    const st = lstatSync(f);
    entries.set(`${IMAGE_APP_DIR}/dist${rel}`, { kind: 'file', path: `${IMAGE_APP_DIR}/dist${rel}`, from: f, mode: st.mode & 0o777 });
  }
  // dist is ESM ("type": "module" comes from the package.json nearest the files).
  entries.set(`${IMAGE_APP_DIR}/package.json`, { kind: 'content', path: `${IMAGE_APP_DIR}/package.json`, content: Buffer.from('{"type":"module"}\n'), mode: 0o644 });
  // Minimal /etc so name lookups of peers go through docker's DNS and root has a name.
  entries.set('/etc/passwd', { kind: 'content', path: '/etc/passwd', content: Buffer.from('root:x:0:0:root:/root:/bin/sh\n'), mode: 0o644 });
  entries.set('/etc/group', { kind: 'content', path: '/etc/group', content: Buffer.from('root:x:0:\n'), mode: 0o644 });
  entries.set('/etc/nsswitch.conf', { kind: 'content', path: '/etc/nsswitch.conf', content: Buffer.from('hosts: files dns\n'), mode: 0o644 });
  return [...entries.values()].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}
