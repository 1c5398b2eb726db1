// Builds the node image with `docker import` (no registry is reachable) and tags it by a content
// hash of everything that goes in, so an unchanged host + dist reuses the image it already has.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { InputError } from '../../ground/errors.js';
import { collectRootfs, entrypoint, serverClosure, type RootfsEntry } from './rootfs.js';
import { parentDirs, tarStream } from './tar.js';

export const IMAGE_REPO = 'chaos-node';
const HERE = dirname(fileURLToPath(import.meta.url));

/** The checkout root, whether this runs from source (tsx) or from dist/. */
export function projectRoot(): string {
  const up = join(HERE, '..', '..');
  return basename(up) === 'dist' ? dirname(up) : up;
}

export interface BuildOptions {
  force?: boolean;
  docker?: Docker;
  log?: (line: string) => void;
  root?: string;
}

export interface BuildResult { tag: string; built: boolean; ms: number }

/** Sources of the builder itself: a change to how the image is made is a change of the image. */
function builderSources(): string[] {
  return readdirSync(HERE)
    .filter((f) => /\.(ts|js)$/.test(f) && !/\.test\.(ts|js)$/.test(f))
    .map((f) => join(HERE, f))
    .sort();
}

function sha(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function fileSha(path: string): string {
  const h = createHash('sha256');
  h.update(readFileSync(path));
  return h.digest('hex');
}

/**
 * Compiles with tsc when dist/ is older than the sources the server is built from. tsc emits even
 * when other areas have type errors, so success is judged by the server being there afterwards.
 */
export function compileIfStale(root: string, log: (l: string) => void): void {
  const dist = join(root, 'dist');
  const server = join(dist, 'nodes', 'blockstore', 'server.js');
  const started = Date.now() - 1000;
  let stale = !existsSync(server);
  if (!stale) {
    for (const js of serverClosure(dist)) {
      const ts = join(root, relative(dist, js)).replace(/\.js$/, '.ts');
      if (existsSync(ts) && statSync(ts).mtimeMs > statSync(js).mtimeMs) { stale = true; break; }
    }
  }
  if (!stale) return;
  // Only the server's import closure: the whole project takes several times longer to compile,
  // and nothing else goes into the image. Same options and layout as `npm run build`.
  const cfgDir = join(root, '.image-build');
  mkdirSync(cfgDir, { recursive: true });
  const cfg = join(cfgDir, 'tsconfig.server.json');
  writeFileSync(cfg, JSON.stringify({
    extends: '../tsconfig.build.json',
    compilerOptions: { outDir: '../dist', rootDir: '..', noEmit: false },
    files: ['../nodes/blockstore/server.ts'],
    include: [],
  }, null, 2));
  log('image: compiling the server into dist/ (tsc)');
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', cfg], { cwd: root, encoding: 'utf8' });
  if (!existsSync(server) || statSync(server).mtimeMs < started) {
    throw new InputError(`image: tsc did not produce dist/nodes/blockstore/server.js: ${(r.stdout + r.stderr).split('\n').find((l) => l.trim()) ?? 'no output'}`);
  }
}

interface Cached { tag: string; stats: [string, number, number][] }

/** Size and mtime of each input path, recorded beside a built tag. */
export function statKey(paths: readonly string[]): [string, number, number][] {
  return paths.map((p) => {
    const st = statSync(p);
    return [p, st.size, st.mtimeMs];
  });
}

function cachePath(root: string): string {
  return join(root, '.image-build', 'state.json');
}

/** Whether every input path still has the size and mtime recorded (false when one is gone). */
export function unchanged(stats: readonly [string, number, number][]): boolean {
  try {
    return stats.every(([p, size, mtime]) => {
      const st = statSync(p);
      return st.size === size && st.mtimeMs === mtime;
    });
  } catch {
    return false;
  }
}

/** Fast path: every input file has the size and mtime it had when `tag` was built. */
function cachedTag(root: string): string | null {
  try {
    const c = JSON.parse(readFileSync(cachePath(root), 'utf8')) as Cached;
    return unchanged(c.stats) ? c.tag : null;
  } catch {
    return null;
  }
}

/** The tag for a set of entries: a hash of paths, modes, link targets and contents. */
export function contentTag(entries: readonly RootfsEntry[], extra: readonly string[], repo: string = IMAGE_REPO): string {
  const h = createHash('sha256');
  for (const e of entries) {
    h.update(`${e.kind}\0${e.path}\0`);
    if (e.kind === 'symlink') h.update(`${e.target}\n`);
    else h.update(`${e.mode}\0${e.kind === 'file' ? fileSha(e.from) : sha(e.content)}\n`);
  }
  for (const p of extra) h.update(`builder\0${basename(p)}\0${fileSha(p)}\n`);
  return `${repo}:${h.digest('hex').slice(0, 16)}`;
}

export async function imageExists(docker: Docker, tag: string): Promise<boolean> {
  return docker.getImage(tag).inspect().then(() => true, () => false);
}

/** `docker import` of a root filesystem (files, symlinks, and the directories they and `dirs`
 *  need) as `tag`, labelled as ours, with its entrypoint; throws unless the tag then exists. */
export async function importRootfs(docker: Docker, tag: string, entries: readonly RootfsEntry[], dirs: readonly string[], entry: readonly string[]): Promise<void> {
  const sizes = new Map<string, number>();
  for (const e of entries) if (e.kind === 'file') sizes.set(e.from, statSync(e.from).size);
  const [repo, version] = tag.split(':') as [string, string];
  const stream = await docker.importImage(tarStream([...entries], parentDirs([...entries], [...dirs]), sizes), {
    repo,
    tag: version,
    changes: ['LABEL chaos.image=1', 'WORKDIR /', `ENTRYPOINT ${JSON.stringify(entry)}`],
  } as Record<string, unknown>);
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) => {
      const failed = out?.find((o) => o.error);
      if (err || failed) reject(err ?? new Error(`docker import: ${failed!.error}`));
      else resolve();
    });
  });
  if (!(await imageExists(docker, tag))) throw new Error(`docker import finished but ${tag} is missing`);
}

/** Image ready to run: reuses the tag when inputs are unchanged, else builds and imports it. */
export async function ensureImage(opts: BuildOptions = {}): Promise<BuildResult> {
  const t0 = performance.now();
  const root = opts.root ?? projectRoot();
  const log = opts.log ?? (() => {});
  const docker = opts.docker ?? new Docker();
  compileIfStale(root, log);

  if (!opts.force) {
    const quick = cachedTag(root);
    if (quick && (await imageExists(docker, quick))) return { tag: quick, built: false, ms: performance.now() - t0 };
  }

  const entries = collectRootfs(join(root, 'dist'));
  const builder = builderSources();
  const tag = contentTag(entries, builder);
  const files = [...entries.filter((e) => e.kind === 'file').map((e) => (e as { from: string }).from), ...builder];
  const remember = () => {
    mkdirSync(dirname(cachePath(root)), { recursive: true });
    writeFileSync(cachePath(root), JSON.stringify({ tag, stats: statKey(files) } satisfies Cached));
  };
  if (!opts.force && (await imageExists(docker, tag))) {
    remember();
    return { tag, built: false, ms: performance.now() - t0 };
  }

  log(`image: building ${tag} from ${entries.length} host paths`);
  // A forced rebuild moves the tag; the image it leaves behind would dangle, unnamed, forever.
  const previous = await docker.getImage(tag).inspect().then((i) => i.Id, () => null);
  await importRootfs(docker, tag, entries, ['/tmp', '/root', '/data', '/data/local', '/data/backend'], entrypoint());
  remember();
  const now = (await docker.getImage(tag).inspect()).Id;
  if (previous && previous !== now) await docker.getImage(previous).remove().catch(() => {});
  await removeOldImages(docker, tag, log);
  return { tag, built: true, ms: performance.now() - t0 };
}

/** Older chaos-node tags no container uses are dead weight (~120 MB each). */
async function removeOldImages(docker: Docker, keep: string, log: (l: string) => void): Promise<void> {
  // Untagged ones too: two harnesses importing the same tag at once leave the loser's unnamed.
  const dangling = await docker.listImages({ filters: { dangling: ['true'], label: ['chaos.image=1'] } });
  const images = [...(await docker.listImages({ filters: { reference: [IMAGE_REPO] } })), ...dangling];
  for (const img of images) {
    if ((img.RepoTags ?? []).includes(keep)) continue;
    try {
      await docker.getImage(img.Id).remove();
      log(`image: removed old ${(img.RepoTags ?? [img.Id]).join(',')}`);
    } catch {
      // In use by a live run's container: leave it for a later build.
    }
  }
}
