// Who made a docker resource, written into its labels so that a later harness (or `chaos down`)
// can tell the leftovers of a harness that died (even by kill -9) from those of a live run.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export const LABEL = {
  chaos: 'chaos',
  run: 'chaos.run',
  node: 'chaos.node',
  pid: 'chaos.pid',
  pidStart: 'chaos.pidstart',
  host: 'chaos.host',
} as const;

/** A process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat): together
 *  with the pid it names one process, so a recycled pid is not mistaken for the harness. */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses; fields resume after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? null;
  } catch {
    return null;
  }
}

export function ownerLabels(runId: string): Record<string, string> {
  return {
    [LABEL.chaos]: '1',
    [LABEL.run]: runId,
    [LABEL.pid]: String(process.pid),
    [LABEL.pidStart]: processStart(process.pid) ?? '',
    [LABEL.host]: hostname(),
  };
}

/**
 * Whether the harness that labelled a resource is gone. Resources made on another host (a shared
 * engine) are never judged dead from here: only `chaos down` removes those.
 */
export function ownerIsDead(labels: Record<string, string> | undefined): boolean {
  if (!labels || labels[LABEL.chaos] !== '1') return false;
  if (labels[LABEL.host] !== hostname()) return false;
  const pid = Number(labels[LABEL.pid]);
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return true;
  }
  const start = labels[LABEL.pidStart];
  return Boolean(start) && processStart(pid) !== start;
}
