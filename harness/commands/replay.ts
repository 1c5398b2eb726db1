// `chaos replay RUN_DIR`: reruns the recorded config (seed and fault plan included). Under the
// sim runtime the new history must equal the old byte for byte, and the command says so.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../../ground/errors.js';
import { readRunHistory } from '../../ground/history/run-history.js';
import { loadRunConfig } from '../run/load-config.js';
import { selectRuntime } from '../run/runtime-select.js';
import { checkOutDir, runAndPrint } from './run.js';

export default async function replay(args: string[], opts: Record<string, unknown>): Promise<number> {
  if (!args[0]) throw new InputError('expected a run directory', 'chaos replay');
  if (!existsSync(args[0])) throw new InputError('no such directory; expected a run directory made by chaos run', args[0]);
  // runs/latest is a symlink that this replay moves: work from the directory it names now.
  const dir = realpathSync(args[0]);
  const { config, system } = await loadRunConfig(join(dir, 'config.json'));
  // The original history is read (and judged) before anything runs: a torn or garbage one is
  // bad input, the same rule as check, report and shrink. A run that never finished (killed,
  // interrupted) recorded only part of its history, so the replay cannot be compared with it.
  const originalPath = join(dir, 'history.jsonl');
  if (existsSync(originalPath)) readRunHistory(originalPath);
  const partial = partialReason(dir);
  const sel = await selectRuntime(config.runtime);
  // Beside the original by default: runs/<test>/<new stamp>-seed<N>.
  const out = (opts.out as string | undefined) ?? dirname(dirname(resolve(dir)));
  checkOutDir(out);
  const code = await runAndPrint(config, system, {
    out,
    firstLine: `chaos replay: ${dir} on runtime ${sel.kind} (recorded); seed ${config.seed}, ${config.plan.length} faults as recorded`,
    reproduce: `chaos replay ${dir}`,
    command: 'chaos replay',
  });
  const latest = join(out, 'latest');
  if (partial) {
    process.stdout.write(`history.jsonl not compared: ${partial}\n`);
    return code;
  }
  try {
    const before = readFileSync(originalPath);
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

/** Why the original run's history is partial, or null when it ran to its end. */
function partialReason(dir: string): string | null {
  if (!existsSync(join(dir, 'history.jsonl'))) return 'the original run has no history.jsonl (it died before running)';
  let prev: { interrupted?: { signal?: string; ranS?: number; plannedS?: number } };
  try {
    prev = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
  } catch {
    return 'the original run never finished (no readable results.json), so its history is partial';
  }
  const i = prev.interrupted;
  return i ? `the original run was interrupted (${i.signal ?? 'a signal'} after ${i.ranS ?? '?'} s of ${i.plannedS ?? '?'} s), so its history is partial` : null;
}
