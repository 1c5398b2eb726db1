// `chaos replay RUN_DIR`: reruns the recorded config (seed and fault plan included). Under the
// sim runtime the new history must equal the old byte for byte, and the command says so.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../../ground/errors.js';
import { loadRunConfig } from '../run/load-config.js';
import { selectRuntime } from '../run/runtime-select.js';
import { runAndPrint } from './run.js';

export default async function replay(args: string[], opts: Record<string, unknown>): Promise<number> {
  if (!args[0]) throw new InputError('expected a run directory', 'chaos replay');
  if (!existsSync(args[0])) throw new InputError('no such directory; expected a run directory made by chaos run', args[0]);
  // runs/latest is a symlink that this replay moves: work from the directory it names now.
  const dir = realpathSync(args[0]);
  const { config, system } = await loadRunConfig(join(dir, 'config.json'));
  const sel = await selectRuntime(config.runtime);
  // Beside the original by default: runs/<test>/<new stamp>-seed<N>.
  const out = (opts.out as string | undefined) ?? dirname(dirname(resolve(dir)));
  const code = await runAndPrint(config, system, {
    out,
    firstLine: `chaos replay: ${dir} on runtime ${sel.kind} (recorded); seed ${config.seed}, ${config.plan.length} faults as recorded`,
    reproduce: `chaos replay ${dir}`,
  });
  const latest = join(out, 'latest');
  try {
    const before = readFileSync(join(dir, 'history.jsonl'));
    const after = readFileSync(join(realpathSync(latest), 'history.jsonl'));
    const same = before.equals(after);
    process.stdout.write(
      same
        ? 'history.jsonl is byte-identical to the original\n'
        : config.runtime === 'sim'
          ? 'history.jsonl DIFFERS from the original: the code changed since it was recorded, or the simulator lost determinism (a bug)\n'
          : 'history.jsonl differs from the original (expected on docker: real timing varies)\n',
    );
  } catch {
    // the replay died before writing a history; its own output said why
  }
  return code;
}
