// Removal of chaos-labelled containers, networks and volumes. No reaper container watches a run
// (one would need a registry image), so this is the only thing that cleans up after the harness.
import type Docker from 'dockerode';
import { LABEL, ownerIsDead } from './ownership.js';

export interface CleanupFilter {
  /** Only resources of this run. */
  runId?: string;
  /** Only resources whose harness process is gone. */
  onlyDead?: boolean;
}

export interface CleanupResult { containers: number; networks: number; volumes: number }

function labelFilter(f: CleanupFilter): string[] {
  return f.runId ? [`${LABEL.run}=${f.runId}`] : [`${LABEL.chaos}=1`];
}

function ignoreMissing(e: unknown): void {
  const code = (e as { statusCode?: number }).statusCode;
  if (code === 404 || code === 409) return; // gone already, or being removed by someone else
  throw e;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A network whose containers are still being removed (by us or by another harness sweeping the
 *  same dead run) answers 403 "has active endpoints" for a moment: try again briefly. */
async function removeNetwork(docker: Docker, id: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await docker.getNetwork(id).remove();
      return;
    } catch (e) {
      const code = (e as { statusCode?: number }).statusCode;
      if (code === 403 && attempt < 10) {
        await sleep(200 * attempt);
        continue;
      }
      ignoreMissing(e);
      return;
    }
  }
}

/** Removes what matches; containers first, since networks and volumes in use cannot go. */
export async function removeChaosResources(docker: Docker, f: CleanupFilter = {}): Promise<CleanupResult> {
  const label = labelFilter(f);
  const keep = (labels: Record<string, string> | undefined) => !f.onlyDead || ownerIsDead(labels);
  const containers = (await docker.listContainers({ all: true, filters: { label } })).filter((c) => keep(c.Labels));
  // Runs whose harness died: their networks/volumes may have lost their containers already,
  // so deadness is judged per resource from its own labels.
  await settle(f, containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(ignoreMissing)));
  const networks = (await docker.listNetworks({ filters: { label } })).filter((n) => keep(n.Labels));
  await settle(f, networks.map((n) => removeNetwork(docker, n.Id)));
  const volumes = ((await docker.listVolumes({ filters: { label } })).Volumes ?? []).filter((v) => keep(v.Labels as Record<string, string>));
  await settle(f, volumes.map((v) => docker.getVolume(v.Name).remove().catch(ignoreMissing)));
  return { containers: containers.length, networks: networks.length, volumes: volumes.length };
}

/** Sweeping other runs' leftovers (onlyDead) is a courtesy and never fails a run: another
 *  harness may be sweeping the same ones. A run's own teardown and `down --all` do report. */
async function settle(f: CleanupFilter, ps: Promise<unknown>[]): Promise<void> {
  const rs = await Promise.allSettled(ps);
  if (f.onlyDead && !f.runId) return;
  const bad = rs.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (bad) throw bad.reason;
}
