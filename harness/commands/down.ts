// `chaos down`: removes every container, network and volume any chaos run made, including the
// leftovers of runs whose harness was killed. Live runs lose their cluster too: that is the point.
import Docker from 'dockerode';
import { isDockerAvailable } from '../runtime/docker/engine.js';
import { removeChaosResources } from '../runtime/docker/cleanup.js';

export default async function down(): Promise<number> {
  if (!(await isDockerAvailable())) {
    process.stderr.write('chaos down: no docker engine answers; nothing to remove\n');
    return 0;
  }
  const r = await removeChaosResources(new Docker());
  process.stdout.write(`removed ${r.containers} containers, ${r.networks} networks, ${r.volumes} volumes\n`);
  return 0;
}
