// Which runtime a run uses. `auto` takes docker when an engine answers and the simulator
// otherwise, and says why; `docker` with no engine is bad input (one line, exit 2), not a
// quiet fallback. Runtime modules are imported only when chosen.
import { InputError } from '../../ground/errors.js';
import type { Runtime } from '../runtime/types.js';

export type RuntimeChoice = 'auto' | 'docker' | 'sim';

export interface Selection {
  kind: 'docker' | 'sim';
  reason: string;
}

async function dockerAnswers(): Promise<boolean> {
  try {
    const { isDockerAvailable } = await import('../runtime/docker/engine.js');
    return await isDockerAvailable();
  } catch {
    return false;
  }
}

export async function selectRuntime(choice: string | undefined, probe: () => Promise<boolean> = dockerAnswers): Promise<Selection> {
  const c = choice ?? 'auto';
  if (c === 'sim') return { kind: 'sim', reason: 'asked for with --runtime sim' };
  if (c === 'docker') {
    if (!(await probe())) {
      throw new InputError('no Docker engine answers (is dockerd running and /var/run/docker.sock reachable?); use --runtime sim or start docker', '--runtime docker');
    }
    return { kind: 'docker', reason: 'asked for with --runtime docker' };
  }
  if (c !== 'auto') throw new InputError(`unknown runtime '${c}'; expected docker, sim or auto`, '--runtime');
  return (await probe())
    ? { kind: 'docker', reason: 'a Docker engine answers' }
    : { kind: 'sim', reason: 'no Docker engine answers' };
}

export async function createRuntime(kind: 'docker' | 'sim', opts: { seed: number; runId: string }): Promise<Runtime> {
  if (kind === 'docker') {
    // The generic container runtime: any system's images, partitions from a helper in each
    // node's network namespace (the images need no iptables, the nodes no NET_ADMIN).
    const { createContainerRuntime } = await import('../runtime/docker/cluster.js');
    return createContainerRuntime({ runId: opts.runId });
  }
  const { createSimRuntime } = await import('../runtime/sim/index.js');
  return createSimRuntime(opts);
}
