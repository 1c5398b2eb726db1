// `chaos run`: pick the runtime, build the config (plan drawn from the seed), run, report.
import { resolve } from 'node:path';
import { exitFor } from '../../ground/errors.js';
import { buildConfig, reproduceCommand } from '../run/config.js';
import { createRuntime, selectRuntime } from '../run/runtime-select.js';
import { executeRun } from '../run/execute.js';
import { checkerLines, lastLine, liveDisplay } from '../run/display.js';
import type { RunConfig } from '../run/config.js';
import type { System } from '../../ground/system.js';
import { loadSystem, systemRef } from '../systems/load.js';
import { simSupport } from '../runtime/sim/index.js';

export async function runAndPrint(config: RunConfig, system: System, opts: { out: string; json?: boolean; firstLine: string; reproduce: string }): Promise<number> {
  const human = opts.json ? process.stderr : process.stdout;
  human.write(opts.firstLine + '\n');
  const tty = (human as NodeJS.WriteStream).isTTY === true;
  const display = tty ? liveDisplay(human as NodeJS.WriteStream, config.timeLimitS) : null;
  const abort = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      display?.clear();
      process.stderr.write('chaos run: interrupted; healing faults, reading back and cleaning up (Ctrl-C again to quit now)\n');
      abort.abort();
    } else process.exit(130);
  };
  process.on('SIGINT', onSigint);
  const runtime = await createRuntime(config.runtime, { seed: config.seed, runId: `${config.test}-s${config.seed}-${process.pid}` });
  let outcome;
  try {
    outcome = await executeRun(config, { runtime, system, outDir: opts.out, onProgress: display ? (p) => display.update(p) : undefined, signal: abort.signal });
  } finally {
    display?.clear();
    process.off('SIGINT', onSigint);
  }
  const { results, dir, errors } = outcome;
  if (opts.json) {
    process.stdout.write(JSON.stringify({ dir, ...results, ...(errors.length ? { errors } : {}) }, null, 2) + '\n');
  }
  const lines = [`run directory: ${dir}`, ...checkerLines(results)];
  if (errors.length) lines.push(`harness errors (${errors.length}):`, ...errors.slice(0, 10).map((e) => `  ${e}`));
  lines.push(`report: ${resolve(dir, 'report.html')}`);
  lines.push(lastLine(results, opts.reproduce));
  human.write(lines.join('\n') + '\n');
  return exitFor(results.valid);
}

export default async function run(_args: string[], opts: Record<string, unknown>): Promise<number> {
  const system = await loadSystem(opts.system as string | undefined);
  const sel = await selectRuntime(opts.runtime as string | undefined);
  if (sel.kind === 'sim') simSupport(system);
  const config = buildConfig({
    runtime: sel.kind,
    system: systemRef(opts.system as string | undefined),
    workload: opts.workload as string | undefined,
    nemesis: opts.nemesis as string | undefined,
    timeLimit: opts.timeLimit as string | undefined,
    seed: opts.seed as string | undefined,
    bug: opts.bug as string[] | undefined,
    concurrency: opts.concurrency as string | undefined,
    opLimit: opts.opLimit as string | undefined,
    thinkMs: opts.thinkMs as string | undefined,
  }, system);
  const first = `chaos run: runtime ${sel.kind} (${sel.reason}); system ${system.name}, workload ${config.workload}, nemesis ${config.nemesis.join(',') || 'none'} (${config.plan.length} faults planned), ${config.timeLimitS}s, ${config.concurrency} clients (think ${config.thinkMs} ms), bugs ${config.bugs.join(',') || 'none'}, seed ${config.seed}`;
  return runAndPrint(config, system, { out: (opts.out as string | undefined) ?? 'runs', json: opts.json === true, firstLine: first, reproduce: reproduceCommand(config) });
}
