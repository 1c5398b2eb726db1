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

export interface SelectOptions {
  /** Refuse to fall back to the simulator (`--require-docker`; implied by CI=true). */
  requireDocker?: boolean;
  /** For tests: the environment to read CI from. */
  env?: NodeJS.ProcessEnv;
  probe?: () => Promise<boolean>;
}

/** CI=true (set by GitHub Actions, GitLab, most CI systems) or CI=1. */
function inCi(env: NodeJS.ProcessEnv): boolean {
  const v = (env.CI ?? '').toLowerCase();
  return v !== '' && v !== 'false' && v !== '0';
}

export async function selectRuntime(choice: string | undefined, o: SelectOptions = {}): Promise<Selection> {
  const probe = o.probe ?? dockerAnswers;
  const c = choice ?? 'auto';
  if (c === 'sim') return { kind: 'sim', reason: 'asked for with --runtime sim' };
  if (c === 'docker') {
    if (!(await probe())) {
      throw new InputError('no Docker engine answers (is dockerd running and /var/run/docker.sock reachable?); use --runtime sim or start docker', '--runtime docker');
    }
    return { kind: 'docker', reason: 'asked for with --runtime docker' };
  }
  if (c !== 'auto') throw new InputError(`unknown runtime '${c}'; expected docker, sim or auto`, '--runtime');
  if (await probe()) return { kind: 'docker', reason: 'a Docker engine answers' };
  // A CI chaos suite must not pass without touching a container because DOCKER_HOST is wrong.
  const why = o.requireDocker ? '--require-docker' : inCi(o.env ?? process.env) ? 'CI is set' : null;
  if (why) throw new InputError(`no Docker engine answers${process.env.DOCKER_HOST ? ` at DOCKER_HOST=${process.env.DOCKER_HOST}` : ''} and ${why}, so auto will not fall back to the simulator; start docker, fix DOCKER_HOST, or pass --runtime sim`, '--runtime auto');
  return { kind: 'sim', reason: 'no Docker engine answers; falling back to the simulator' };
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
