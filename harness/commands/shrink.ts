// `chaos shrink RUN_DIR`: shrink a failing sim run to the faults and ops that matter, and
// write the minimal run beside the original as RUN_DIR-shrunk (config with its seed and fault
// plan, history, results, shrink.json). Exit 1 when the minimal run still shows the
// violation (it always should). Reruns go to a scratch folder beside the run (same disk, so
// the minimal run is moved, not copied), 2 on bad input, 3 when the original no longer reproduces.
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError, EXIT } from '../../ground/errors.js';
import { reproduceCommand } from '../run/config.js';
import { loadRunConfig } from '../run/load-config.js';
import { anomalyKinds, runOnSim } from '../sweep/seed-run.js';
import { countOps, shrink as shrinkRun, tryConfig } from '../shrink/shrink.js';
import type { ComposedResult } from '../../checkers/types.js';
import { readRunHistory } from '../../ground/history/run-history.js';
import { installLifecycle } from '../run/lifecycle.js';

export default async function shrink(args: string[], _opts: Record<string, unknown> = {}): Promise<number> {
  const dir = resolve(args[0] ?? '');
  const cfgPath = join(dir, 'config.json');
  const resPath = join(dir, 'results.json');
  if (!args[0] || !existsSync(cfgPath) || !existsSync(resPath)) throw new InputError('not a finished run directory; expected config.json and results.json in it', args[0] ?? 'RUN_DIR');
  const { config } = await loadRunConfig(cfgPath);
  // The history first: a torn or garbage one is bad input whatever the results say.
  const ops = countOps(readRunHistory(join(dir, 'history.jsonl')));
  if (config.runtime !== 'sim') throw new InputError(`a ${config.runtime} run cannot be shrunk; expected a sim run (rerun it with --runtime sim --seed ${config.seed})`, cfgPath);
  const results = readJson(resPath) as ComposedResult;
  if (!results || typeof results !== 'object' || !results.checkers) throw new InputError('not a results file; expected checker verdicts', resPath);
  const kinds = anomalyKinds(results);
  if (results.valid !== false || kinds.length === 0) throw new InputError('this run found no violation; expected a failing run to shrink', resPath);
  const target = pickTarget(kinds);

  const scratch = mkdtempSync(join(dirname(dir), '.shrink-'));
  const life = installLifecycle({ command: 'chaos shrink' });
  try {
    process.stderr.write(`chaos shrink: target '${target}'; ${config.plan.length} fault(s), ${ops} op(s), ${config.timeLimitS}s, concurrency ${config.concurrency}\n`);
    const again = await tryConfig({ ...config, planGiven: true }, scratch, target);
    if (life.received()) {
      process.stderr.write(`chaos shrink: interrupted by ${life.received()} before shrinking began; nothing written\n`);
      return EXIT.interrupted;
    }
    if (!again.still) {
      process.stderr.write(`chaos shrink: the run no longer shows '${target}' (found: ${again.kinds.join(', ') || 'nothing'}); the code changed since it was recorded\n`);
      return EXIT.unknown;
    }
    const r = await shrinkRun(config, target, again.ops, {
      scratch,
      signal: life.signal,
      onAttempt: (a, n) => process.stderr.write(`  try ${n}: ${a.what} -> ${a.still ? 'still fails, kept' : 'passes, undone'}\n`),
    });
    // The minimal run, recorded whole, beside the original.
    const fin = await runOnSim(r.config, scratch);
    let out = `${dir}-shrunk`;
    for (let i = 2; existsSync(out); i++) out = `${dir}-shrunk-${i}`;
    renameSync(fin.dir, out);
    const cut = life.received();
    const summary = { from: dir, target, ...(cut ? { interrupted: cut } : {}), attempts: r.attempts, accepted: r.accepted, original: r.original, minimal: r.minimal, seed: r.config.seed, plan: r.config.plan, kinds: anomalyKinds(fin.results) };
    writeFileSync(join(out, 'shrink.json'), JSON.stringify(summary, null, 2) + '\n');
    process.stdout.write(
      `shrunk in ${r.attempts} rerun(s): faults ${r.original.faults} -> ${r.minimal.faults}, ops ${r.original.ops} -> ${r.minimal.ops}, ` +
        `${r.original.timeLimitS}s -> ${r.minimal.timeLimitS}s, concurrency ${r.original.concurrency} -> ${r.minimal.concurrency}; still '${target}'.\n` +
        `${cut ? `INTERRUPTED by ${cut}: this is the smallest failing run found so far, not the minimal one.\n` : ''}` +
        `minimal run: ${out}\nreproduce: chaos replay ${out}   (or: ${reproduceCommand(r.config, join(out, 'config.json'))})\n`,
    );
    // Interrupted: the shrink did not finish its job (3), whatever the run shows.
    return cut ? EXIT.interrupted : fin.results.valid === false ? EXIT.invalid : EXIT.unknown;
  } finally {
    life.dispose();
    rmSync(scratch, { recursive: true, force: true });
  }
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new InputError('not JSON; expected the file a run wrote', path);
  }
}

// The kind to keep while shrinking: the invariant closest to data loss first, since a lost
// write usually drags dr and convergence anomalies along but not the other way round.
const PRIORITY = ['durability', 'cache-invalidation', 'linearizability', 'dr-prefix', 'convergence', 'latency'];
export function pickTarget(kinds: readonly string[]): string {
  const rank = (k: string) => {
    const i = PRIORITY.indexOf(k.split(':')[0]);
    return i < 0 ? PRIORITY.length : i;
  };
  return [...kinds].sort((x, y) => rank(x) - rank(y) || x.localeCompare(y))[0];
}
