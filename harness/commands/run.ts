// `chaos run`: pick the runtime, build the config (plan drawn from the seed), run, report.
import { resolve } from 'node:path';
import { statSync } from 'node:fs';
import { EXIT, InputError, exitForRun, runVerdict } from '../../ground/errors.js';
import { buildConfig, reproduceCommand } from '../run/config.js';
import { createRuntime, selectRuntime } from '../run/runtime-select.js';
import { executeRun } from '../run/execute.js';
import { checkerLines, lastLine, liveDisplay } from '../run/display.js';
import { installLifecycle, type Lifecycle } from '../run/lifecycle.js';
import { uniqueSuffix } from '../run/run-dir.js';
import { setEmergencyCleanup } from '../run/harness-failure.js';
import type { RunConfig } from '../run/config.js';
import type { System } from '../../ground/system.js';
import { loadSystem, systemRef } from '../systems/load.js';
import { simSupport } from '../runtime/sim/index.js';

export async function runAndPrint(config: RunConfig, system: System, opts: { out: string; json?: boolean; firstLine: string; reproduce: string; command?: string; life?: Lifecycle }): Promise<number> {
  const human = opts.json ? process.stderr : process.stdout;
  human.write(opts.firstLine + '\n');
  const tty = (human as NodeJS.WriteStream).isTTY === true;
  const display = tty ? liveDisplay(human as NodeJS.WriteStream, config.timeLimitS) : null;
  const life = opts.life ?? installLifecycle({ command: opts.command ?? 'chaos run' });
  life.beforeMessage(() => display?.clear());
  if (life.received()) {
    // Stopped while flags were checked and the engine probed: nothing was made, nothing ran.
    life.dispose();
    human.write(`INTERRUPTED; ${life.received()} before the run started: nothing ran and nothing was made\n`);
    return EXIT.interrupted;
  }
  let outcome;
  try {
    // Unique per process and per run: two runs of one seed started together never share a name.
    const runtime = await createRuntime(config.runtime, { seed: config.seed, runId: `${config.test}-s${config.seed}-${uniqueSuffix()}` });
    setEmergencyCleanup(() => runtime.down());
    outcome = await executeRun(config, { runtime, system, outDir: opts.out, onProgress: display ? (p) => display.update(p) : undefined, signal: life.signal });
  } finally {
    setEmergencyCleanup(null);
    display?.clear();
    life.dispose();
  }
  const { results, dir, errors } = outcome;
  // A signal after the checks had judged the whole run (while the report was being written)
  // changes nothing on disk: say so rather than let the first message stand alone.
  if (life.received() && !results.interrupted) process.stderr.write(`${opts.command ?? 'chaos run'}: the ${life.received()} came after the verdict was written; it stands\n`);
  if (opts.json) {
    process.stdout.write(JSON.stringify({ dir, ...results, ...(errors.length ? { errors } : {}) }, null, 2) + '\n');
  }
  const lines = [`run directory: ${dir}`, ...checkerLines(results)];
  if (errors.length) lines.push(`harness errors (${errors.length}):`, ...errors.slice(0, 10).map((e) => `  ${e}`));
  lines.push(`report: ${resolve(dir, 'report.html')}`);
  lines.push(lastLine(results, opts.reproduce));
  const verdict = results.verdict ?? runVerdict(results.valid);
  // The run itself broke (cluster never up, a harness step threw): a harness failure, exit 4,
  // unless the checkers found a violation in what was recorded or a signal cut it short.
  const broken = results.checkers.harness?.valid === 'unknown' && verdict === 'unknown';
  human.write(lines.join('\n') + '\n');
  // Exit 4 says so in one line on stderr, naming the first thing that broke and the log.
  if (broken) process.stderr.write(`chaos: harness failure: ${(errors.find((e) => e.startsWith('run:')) ?? 'the run broke').replace(/^run: /, '').split('\n')[0]} (stack in ${resolve(dir, 'harness-error.log')})\n`);
  return broken ? EXIT.harness : exitForRun(verdict);
}

export default async function run(_args: string[], opts: Record<string, unknown>): Promise<number> {
  // Every flag is validated (buildConfig) before the runtime is probed or anything starts.
  const system = await loadSystem(opts.system as string | undefined);
  const build = (runtime: 'docker' | 'sim') =>
    buildConfig({
      runtime,
      system: systemRef(opts.system as string | undefined),
      workload: opts.workload as string | undefined,
      nemesis: opts.nemesis as string | undefined,
      timeLimit: opts.timeLimit as string | undefined,
      seed: opts.seed as string | undefined,
      bug: opts.bug as string[] | undefined,
      concurrency: opts.concurrency as string | undefined,
      opLimit: opts.opLimit as string | undefined,
      thinkMs: opts.thinkMs as string | undefined,
      planFile: opts.plan as string | undefined,
      param: opts.param as string[] | undefined,
    }, system);
  checkOutDir((opts.out as string | undefined) ?? 'runs');
  const wanted = (opts.runtime as string | undefined) ?? 'auto';
  // A system with no sans-IO core runs on docker only: judge its flags as docker will.
  build(wanted === 'docker' || !system.sim ? 'docker' : 'sim');
  // From here a signal ends the command the orderly way (lifecycle.ts), even before the run.
  const life = installLifecycle({ command: 'chaos run' });
  let sel, config;
  try {
    sel = await selectRuntime(wanted, { requireDocker: opts.requireDocker === true });
    if (sel.kind === 'sim') simSupport(system);
    config = build(sel.kind);
  } catch (e) {
    life.dispose();
    throw e;
  }
  const first = `chaos run: runtime ${sel.kind} (${sel.reason}); system ${system.name}, workload ${config.workload}, nemesis ${config.swarm ? `swarm: ${config.nemesis.join(',') || 'none'}` : config.nemesis.join(',') || 'none'} (${config.plan.length} faults ${config.planGiven ? 'given' : 'planned'}), ${config.timeLimitS}s, ${config.concurrency} clients (think ${config.thinkMs} ms), bugs ${config.bugs.join(',') || 'none'}, seed ${config.seed}`;
  return runAndPrint(config, system, { out: (opts.out as string | undefined) ?? 'runs', json: opts.json === true, firstLine: first, reproduce: reproduceCommand(config), life });
}

/** `--out` must name a directory (or nothing yet): a file there is bad input, found before any work. */
export function checkOutDir(out: string): void {
  let st;
  try {
    st = statSync(out);
  } catch {
    return; // made on demand
  }
  if (!st.isDirectory()) throw new InputError('is a file; expected a directory for run directories', `--out ${out}`);
}
