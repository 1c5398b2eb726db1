// `chaos down [--all]`: removes the containers, networks and volumes of chaos runs whose
// harness process is gone (killed, crashed, quit on a second signal); on a shared engine the
// live runs of others are spared (ownership.ts). `--all` removes every chaos-labelled resource.
import Docker from 'dockerode';
import { isDockerAvailable } from '../runtime/docker/engine.js';
import { removeChaosResources } from '../runtime/docker/cleanup.js';

export default async function down(_args: string[], opts: Record<string, unknown> = {}): Promise<number> {
  if (!(await isDockerAvailable())) {
    process.stderr.write('chaos down: no docker engine answers; nothing to remove\n');
    return 0;
  }
  const all = opts.all === true;
  const r = await removeChaosResources(new Docker(), { onlyDead: !all });
  process.stdout.write(`removed ${r.containers} containers, ${r.networks} networks, ${r.volumes} volumes${all ? ' (all chaos runs, live ones included)' : ' of dead runs (live runs spared; --all removes those too)'}\n`);
  return 0;
}
