// `chaos image build [--force]`: builds the node image from the host's own binaries (no
// registry), or says which tag is already current. No engine to build into is bad input
// (one line, exit 2), like `chaos run --runtime docker` without one.
import { InputError } from '../../ground/errors.js';
import { isDockerAvailable } from '../runtime/docker/engine.js';
import { ensureImage } from '../../nodes/image/build.js';

export default async function imageBuild(_args: string[], opts: Record<string, unknown>): Promise<number> {
  if (!(await isDockerAvailable())) {
    throw new InputError(`no Docker engine answers${process.env.DOCKER_HOST ? ` at DOCKER_HOST=${process.env.DOCKER_HOST}` : ''}; expected a running dockerd to build the image into`, 'chaos image build');
  }
  const r = await ensureImage({ force: opts.force === true, log: (l) => process.stderr.write(`${l}\n`) });
  process.stdout.write(`${r.tag} ${r.built ? 'built' : 'up to date'} in ${(r.ms / 1000).toFixed(1)} s\n`);
  return 0;
}
