// runs/<test>/<UTC timestamp>-seed<N>-<unique>/ and the runs/latest symlink. The timestamp is
// wall clock on purpose: it names the directory only and never enters the history. The unique
// part (the pid and random bits) keeps two runs of one seed started in the same second apart,
// in this process or another: names, docker networks and volumes derive from it.
import { mkdirSync, symlinkSync, renameSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

export function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** `<pid base 36><4 random hex>`: unique per process, and per call within one. */
export function uniqueSuffix(): string {
  return `${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
}

export function makeRunDir(outDir: string, test: string, seed: number, now = new Date()): string {
  const base = join(outDir, test);
  mkdirSync(base, { recursive: true });
  for (;;) {
    const dir = join(base, `${stamp(now)}-seed${seed}-${uniqueSuffix()}`);
    try {
      // Not recursive: creating the directory is the claim, and it fails if another run has it.
      mkdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw e;
    }
    mkdirSync(join(dir, 'nodes'));
    pointLatest(outDir, dir);
    return dir;
  }
}

/** Points runs/latest at `dir` atomically (a fresh link renamed over the old one), so two runs
 *  finishing together leave a working link to one of them, never a missing one. */
export function pointLatest(outDir: string, dir: string): void {
  const link = join(outDir, 'latest');
  const tmp = join(outDir, `.latest-${uniqueSuffix()}`);
  try {
    symlinkSync(relative(resolve(outDir), resolve(dir)), tmp);
    renameSync(tmp, link);
  } catch {
    rmSync(tmp, { force: true });
  }
}
