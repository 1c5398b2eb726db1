// Images of programs we did not write, built with no registry: a system names the binaries it
// needs (from Debian packages unpacked without installing them, or from the host), and gets an
// image holding exactly those, the shared libraries they load (found with ldd) and an
// entrypoint, loaded with `docker import` and tagged by a hash of its content. etcd, Redis and
// the partition helper are all built this way; the block store keeps its own builder (build.ts)
// because it also compiles and ships its server.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { InputError } from '../../ground/errors.js';
import type { ImageSpec } from '../../ground/system.js';
import { contentTag, imageExists, importRootfs, projectRoot, statKey, unchanged } from './build.js';
import { addHostPath, sharedLibs, which, type RootfsEntry } from './rootfs.js';

const HERE = dirname(fileURLToPath(import.meta.url));

export interface BinaryImageSpec {
  /** Docker repository of the image (`chaos-etcd`); the tag is a content hash. */
  repo: string;
  /** Debian packages to unpack (never install) into the package cache first. */
  debs?: readonly string[];
  /** In-image absolute paths of programs: taken from the unpacked packages when there, else
   *  from the host at the same path; their shared libraries come along. */
  binaries: readonly string[];
  /** Host programs by name (`sh`, `sleep`), at the host's paths. */
  programs?: readonly string[];
  /** Files loaded with dlopen (ldd cannot see them): host paths, libraries resolved too. */
  modules?: readonly string[];
  /** Generated files. */
  files?: readonly { path: string; content: string | Buffer; mode?: number }[];
  /** Empty directories to create (`/data`, `/tmp` is always there). */
  dirs?: readonly string[];
  entrypoint: readonly string[];
}

/** Where fetch-debs.sh unpacks packages (CHAOS_DEB_CACHE, else <checkout>/.debs). */
export function debCache(): string {
  return process.env.CHAOS_DEB_CACHE ?? join(projectRoot(), '.debs');
}

/** Unpacks the packages (scripts/fetch-debs.sh) unless already there; returns the tree root. */
export function ensureDebs(pkgs: readonly string[]): string {
  const root = join(debCache(), 'root');
  const missing = pkgs.filter((p) => !existsSync(join(root, '.chaos-have', p)));
  if (missing.length === 0) return root;
  const script = join(projectRoot(), 'scripts', 'fetch-debs.sh');
  const r = spawnSync('bash', [script, ...missing], { encoding: 'utf8', env: { ...process.env, CHAOS_DEB_CACHE: debCache() } });
  if (r.status !== 0) {
    const why = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').pop() || r.error?.message || `exit ${r.status}`;
    throw new InputError(`image: could not fetch Debian packages ${missing.join(', ')} (run scripts/setup.sh): ${why}`);
  }
  return root;
}

/** The lib directories of an unpacked tree, for ldd to resolve its own libraries first. */
function libDirs(root: string): string[] {
  return ['/usr/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu', '/usr/lib', '/lib'].map((d) => root + d).filter((d) => existsSync(d));
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Every entry of the image, sorted by path (stable tar, stable hash). */
export function collectBinaryRootfs(spec: BinaryImageSpec): RootfsEntry[] {
  const pkgRoot = spec.debs?.length ? ensureDebs(spec.debs) : null;
  const entries = new Map<string, RootfsEntry>();
  const realFiles: string[] = [];
  for (const bin of spec.binaries) {
    if (pkgRoot && exists(pkgRoot + bin)) {
      addHostPath(bin, entries, pkgRoot);
      realFiles.push(realpathSync(pkgRoot + bin));
    } else if (exists(bin)) {
      addHostPath(bin, entries);
      realFiles.push(realpathSync(bin));
    } else {
      throw new InputError(`image ${spec.repo}: ${bin} is in neither the unpacked packages (${spec.debs?.join(', ') || 'none'}) nor the host`);
    }
  }
  for (const prog of spec.programs ?? []) {
    const p = which(prog);
    addHostPath(p, entries);
    realFiles.push(realpathSync(p));
  }
  for (const m of spec.modules ?? []) {
    addHostPath(m, entries);
    realFiles.push(realpathSync(m));
  }
  const prev = process.env.LD_LIBRARY_PATH;
  try {
    // ldd resolves a packaged program's libraries from the package tree first, then the host.
    if (pkgRoot) process.env.LD_LIBRARY_PATH = [...libDirs(pkgRoot), prev].filter(Boolean).join(':');
    for (const lib of sharedLibs([...new Set(realFiles)])) {
      if (pkgRoot && lib.startsWith(`${pkgRoot}/`)) addHostPath(lib.slice(pkgRoot.length), entries, pkgRoot);
      else addHostPath(lib, entries);
    }
  } finally {
    if (prev === undefined) delete process.env.LD_LIBRARY_PATH;
    else process.env.LD_LIBRARY_PATH = prev;
  }
  const etc: Record<string, string> = {
    '/etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n',
    '/etc/group': 'root:x:0:\n',
    // Peers are found by container name through docker's DNS.
    '/etc/nsswitch.conf': 'hosts: files dns\n',
  };
  for (const [path, content] of Object.entries(etc)) entries.set(path, { kind: 'content', path, content: Buffer.from(content), mode: 0o644 });
  for (const f of spec.files ?? []) entries.set(f.path, { kind: 'content', path: f.path, content: Buffer.from(f.content), mode: f.mode ?? 0o644 });
  return [...entries.values()].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

function builderSources(): string[] {
  return ['binary.ts', 'rootfs.ts', 'tar.ts', 'binary.js', 'rootfs.js', 'tar.js'].map((f) => join(HERE, f)).filter((f) => existsSync(f));
}


interface Cached { tag: string; stats: [string, number, number][] }

function statePath(repo: string): string {
  return join(projectRoot(), '.image-build', `${repo}.json`);
}

/** Fast path: every input has the size and mtime it had when the tag was built. */
function cachedTag(repo: string, specKey: string): string | null {
  try {
    const c = JSON.parse(readFileSync(statePath(repo), 'utf8')) as Cached & { spec: string };
    return c.spec === specKey && unchanged(c.stats) ? c.tag : null;
  } catch {
    return null;
  }
}

/** Builds the image unless one with the same content hash exists; returns its tag. */
export async function ensureBinaryImage(spec: BinaryImageSpec, opts: { docker?: Docker; force?: boolean; log?: (l: string) => void } = {}): Promise<{ tag: string; built: boolean; ms: number }> {
  const t0 = performance.now();
  const docker = opts.docker ?? new Docker();
  const specKey = createHash('sha256').update(JSON.stringify(spec)).digest('hex');
  if (!opts.force) {
    const quick = cachedTag(spec.repo, specKey);
    if (quick && (await imageExists(docker, quick))) return { tag: quick, built: false, ms: performance.now() - t0 };
  }
  const entries = collectBinaryRootfs(spec);
  const extra = builderSources();
  const cfg = { kind: 'content' as const, path: '/.chaos-image', content: Buffer.from(JSON.stringify({ entrypoint: spec.entrypoint, dirs: spec.dirs ?? [] })), mode: 0o644 };
  const all = [...entries, cfg];
  const tag = contentTag(all, extra, spec.repo);
  const inputs = [...all.filter((e) => e.kind === 'file').map((e) => (e as { from: string }).from), ...extra];
  const remember = () => {
    mkdirSync(dirname(statePath(spec.repo)), { recursive: true });
    writeFileSync(statePath(spec.repo), JSON.stringify({ tag, stats: statKey(inputs), spec: specKey }));
  };
  if (!opts.force && (await imageExists(docker, tag))) {
    remember();
    return { tag, built: false, ms: performance.now() - t0 };
  }
  opts.log?.(`image: building ${tag} from ${entries.length} paths`);
  await importRootfs(docker, tag, all, ['/tmp', '/root', ...(spec.dirs ?? [])], spec.entrypoint);
  remember();
  // Older tags of this repository that no container uses are dead weight.
  for (const img of await docker.listImages({ filters: { reference: [spec.repo] } })) {
    if ((img.RepoTags ?? []).includes(tag)) continue;
    await docker.getImage(img.Id).remove().catch(() => {});
  }
  return { tag, built: true, ms: performance.now() - t0 };
}

/** An ImageSpec (ground/system.ts) for a system module: built on first use, then reused.
 *  CHAOS_IMAGE_<REPO> (e.g. CHAOS_IMAGE_CHAOS_ETCD) names a tag to use as is. */
export function binaryImage(spec: BinaryImageSpec): ImageSpec {
  let pending: Promise<string> | undefined;
  return {
    name: spec.repo,
    ensure() {
      const override = process.env[`CHAOS_IMAGE_${spec.repo.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}`];
      if (override) return Promise.resolve(override);
      pending ??= ensureBinaryImage(spec).then((r) => r.tag, (e) => {
        pending = undefined;
        throw e;
      });
      return pending;
    },
  };
}

/** Files of a directory that a dlopen-ing program loads (xtables extensions). */
export function modulesIn(dir: string, suffix = '.so'): string[] {
  if (!existsSync(dir)) return [];
  // Symlinked ones too: a program asks for an extension by its linked name.
  return readdirSync(dir).filter((f) => f.endsWith(suffix)).map((f) => join(dir, f));
}
