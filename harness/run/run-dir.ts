// runs/<test>/<UTC timestamp>-seed<N>/ and the runs/latest symlink (the last finished run). The timestamp is wall
// clock on purpose: it names the directory only and never enters the history.
import { mkdirSync, symlinkSync, rmSync, lstatSync, existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export function makeRunDir(outDir: string, test: string, seed: number, now = new Date()): string {
  const base = join(outDir, test);
  mkdirSync(base, { recursive: true });
  let dir = join(base, `${stamp(now)}-seed${seed}`);
  // Two runs of the same seed in one second (a sweep, a test) get distinct directories.
  for (let i = 2; existsSync(dir); i++) dir = join(base, `${stamp(now)}-seed${seed}-${i}`);
  mkdirSync(join(dir, 'nodes'), { recursive: true });
  // runs/latest moves when the run has finished (executeRun), not here: it names the last
  // finished run, so a run under way or one that died never hides the last verdict.
  return dir;
}

export function pointLatest(outDir: string, dir: string): void {
  const link = join(outDir, 'latest');
  try {
    if (lstatSync(link)) rmSync(link, { force: true });
  } catch {
    // no previous link
  }
  try {
    symlinkSync(relative(resolve(outDir), resolve(dir)), link);
  } catch {
    // a concurrent run won the race; its link is as good
  }
}
