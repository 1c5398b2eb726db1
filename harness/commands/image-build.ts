// `chaos image build [--force]`: builds the node image from the host's own binaries (no
// registry), or says which tag is already current.
import { ensureImage } from '../../nodes/image/build.js';

export default async function imageBuild(_args: string[], opts: Record<string, unknown>): Promise<number> {
  const r = await ensureImage({ force: opts.force === true, log: (l) => process.stderr.write(`${l}\n`) });
  process.stdout.write(`${r.tag} ${r.built ? 'built' : 'up to date'} in ${(r.ms / 1000).toFixed(1)} s\n`);
  return 0;
}
