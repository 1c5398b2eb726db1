// One run, start to end: run directory and config.json, cluster up, workload and nemesis side
// by side with every event appended to history.jsonl as it happens, heal (in a finally, so
// errors heal too), recovery and final reads, dr's final image, checkers, reports, and
// runtime.down() whatever happened. Time inside the run comes only from the runtime.
import { rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Runtime } from '../runtime/types.js';
import type { ComposedResult } from '../../checkers/types.js';
import type { System } from '../../ground/system.js';
import { HistoryWriter } from '../../ground/history/writer.js';
import { Rng } from '../../ground/rng.js';
import { ClusterView } from '../nemesis/view.js';
import { NemesisExecutor } from '../nemesis/executor.js';
import { getWorkload } from '../../workloads/index.js';
import type { OpCounts, WorkloadContext } from '../../workloads/types.js';
import { waitForPrimary } from '../../workloads/final.js';
import { makeRunDir, pointLatest } from './run-dir.js';
import { logFailure, setFailureDir } from './harness-failure.js';
import { reproduceCommand, spaceOf, type RunConfig } from './config.js';
import { applyRunEnd, checkRun, crashesIn, writeReports } from '../../reports/index.js';
import type { Interruption } from '../../ground/errors.js';
import type { HistoryEvent } from '../../ground/history/types.js';

export interface Progress {
  phase: 'up' | 'workload' | 'heal' | 'final' | 'check' | 'done';
  counts: OpCounts;
  /** Faults in effect now. */
  active: string[];
  /** Runtime seconds since the workload started. */
  elapsedS: number;
}

export interface ExecuteOptions {
  runtime: Runtime;
  /** The system the config names, already loaded (harness/systems/load.ts). */
  system: System;
  outDir: string;
  onProgress?: (p: Progress) => void;
  /** Skip report.html and its charts (sweeps, fast tests); results.json and junit.xml are still written. */
  skipHtml?: boolean;
  /** Ends the workload early (SIGINT, SIGTERM: harness/run/lifecycle.ts); the run still heals,
   *  reads back, tears down and checks, and its verdict says `interrupted` (never valid). The
   *  abort's reason names the signal. */
  signal?: AbortSignal;
  /** Names the cluster's resources (docker labels); defaults to test + run directory. */
  runId?: string;
  /** A run this returns true for (given its verdict) leaves nothing on disk: sweeps drop their
   *  passing seeds. On the simulator its history is then held in memory until the verdict
   *  (ground/history/writer.ts, `held`) instead of being written only to be deleted. */
  discard?: (results: ComposedResult) => boolean;
}

export interface RunOutcome {
  dir: string;
  results: ComposedResult;
  /** Problems the harness met (fault refused, cluster never recovered); they make the verdict unknown at worst, never valid by accident. */
  errors: string[];
  /** `discard` said so: `dir` is gone. */
  discarded?: true;
}

export async function executeRun(config: RunConfig, opts: ExecuteOptions): Promise<RunOutcome> {
  const { runtime, system } = opts;
  const dir = makeRunDir(opts.outDir, config.test, config.seed);
  setFailureDir(dir);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  const history = new HistoryWriter(join(dir, 'history.jsonl'), () => runtime.now(), { flush: runtime.kind !== 'sim' ? 'each-event' : opts.discard ? 'held' : 'replayable' });
  const nodes = system.nodes(config.params);
  const view = new ClusterView(system.topology(nodes));
  const space = spaceOf(system, config);
  const counts: OpCounts = { invoked: 0, ok: 0, fail: 0, info: 0 };
  const errors: string[] = [];
  const workload = getWorkload(config.workload)!;
  const rng = new Rng(config.seed);
  let t0 = 0;
  let phase: Progress['phase'] = 'up';
  const progress = () => opts.onProgress?.({ phase, counts, active: [...view.active.values()], elapsedS: (runtime.now() - t0) / 1e9 });
  const ctx: WorkloadContext = {
    runtime,
    history,
    view,
    primaryRole: system.roles.primary,
    rng: rng.fork('workload'),
    concurrency: config.concurrency,
    thinkMs: config.thinkMs,
    keys: system.workloads[config.workload]?.keys ?? 4,
    endNs: 0,
    budget: { left: config.opLimit ?? Infinity },
    counts,
    touched: new Set<number>(),
    onOp: progress,
    aborted: { value: false },
  };
  let nemesis: NemesisExecutor | null = null;
  const cut = interruptionClock(runtime, () => phase, () => t0);
  const onAbort = () => { cut.mark(opts.signal?.reason); ctx.aborted.value = true; nemesis?.halt(); };
  opts.signal?.addEventListener('abort', onAbort);
  if (opts.signal?.aborted) onAbort();
  let results: ComposedResult;
  let healNs: number | undefined;
  let logsKept = false;
  let marks: Record<string, number> | undefined;
  try {
    try {
      progress();
      await runtime.up({
        runId: opts.runId ?? `${config.test}-${basename(dir)}`,
        system,
        nodes,
        bugs: config.bugs,
        params: config.params,
        clientTimeoutMs: config.clientTimeoutMs,
        logDir: join(dir, 'nodes'),
        seed: config.seed,
        ...(config.swarm?.sim ? { sim: config.swarm.sim } : {}),
      });
      t0 = runtime.now();
      ctx.endNs = t0 + config.timeLimitS * 1e9;
      phase = 'workload';
      // A signal during up() ends the run before any op or fault.
      nemesis = new NemesisExecutor(ctx.aborted.value ? [] : config.plan, space, runtime, history, view, t0);
      const nem = nemesis;
      const nemDone = nem.run(ctx.endNs).catch((e) => {
        errors.push(`nemesis: ${(e as Error).message}`);
      });
      try {
        await workload.run(ctx);
      } finally {
        nem.halt();
        await nemDone;
      }
    } finally {
      // Heal before anything else, on error too; the stops go into the history.
      phase = 'heal';
      progress();
      ctx.aborted.value = true;
      if (nemesis) {
        await nemesis.healAll();
        errors.push(...nemesis.errors);
      } else {
        try {
          await runtime.healAll();
        } catch {
          // the cluster never came up; down() below cleans what there is
        }
      }
    }
    healNs = runtime.now();
    phase = 'final';
    progress();
    // Final reads happen after a Ctrl-C too: a partial run is still judged.
    ctx.aborted.value = false;
    const deadline = runtime.now() + config.recoveryS * 1e9;
    const primary = await waitForPrimary(ctx, deadline);
    if (!primary) errors.push(`no node of ${view.pair.join('/')} served as primary within ${config.recoveryS}s of the heal`);
    let maxProcess = -1;
    for (const e of history.events ?? []) if (typeof e.process === 'number' && e.process > maxProcess) maxProcess = e.process;
    errors.push(...(await workload.final(ctx, { firstProcess: maxProcess + 1, deadlineNs: deadline })));
    // The mechanisms' paths this run took (a count per mark), read before the cluster goes.
    if (system.marks?.length && runtime.coverage) marks = await runtime.coverage().catch(() => undefined);
    await collectLogs(runtime, dir, nodes);
    logsKept = true;
  } catch (e) {
    errors.push(`run: ${(e as Error).message}`);
    logFailure(e instanceof Error ? (e.stack ?? e.message) : String(e), dir);
    await collectLogs(runtime, dir, nodes);
    logsKept = true;
  } finally {
    // An error in the heal itself skips the catch above: keep the logs before they go.
    if (!logsKept) await collectLogs(runtime, dir, nodes).catch(() => {});
    try {
      await runtime.down();
    } catch (e) {
      errors.push(`down: ${(e as Error).message}`);
    }
    history.close();
  }
  phase = 'check';
  progress();
  const events = history.events ?? [];
  results = await checkRun(events, config, (c) => system.checkers(c), errors, healNs, { crashes: crashesIn(dir) });
  if (marks && system.marks) results = { ...results, coverage: Object.fromEntries(system.marks.map((m) => [m, marks![m] ?? 0])) };
  // Interrupted: any signal before the verdict is written, even one during the checks (the
  // user or the CI asked the run to stop; a verdict then is never `valid`).
  opts.signal?.removeEventListener('abort', onAbort);
  const interrupted = cut.result(config, events);
  if (interrupted) results = applyRunEnd(results, { interrupted });
  const discarded = opts.discard?.(results) === true;
  if (discarded) rmSync(dir, { recursive: true, force: true });
  else {
    history.save();
    // A given plan is named by a file that holds it: its --plan file, else this run's config.json.
    const reproduce = reproduceCommand(config, config.planGiven && !config.planFile ? join(resolve(dir), 'config.json') : undefined);
    await writeReports(dir, { config, events, results, errors, healNs, reproduce: reproduce && interrupted ? `${reproduce}   (the whole shape; this run was interrupted)` : reproduce }, { html: !opts.skipHtml });
    pointLatest(opts.outDir, dir);
  }
  phase = 'done';
  progress();
  setFailureDir(null);
  return { dir, results, errors, ...(discarded ? { discarded: true as const } : {}) };
}

/** When a signal cut the run: the phase and runtime time it came at, and what had run by then. */
function interruptionClock(runtime: Runtime, phase: () => string, t0: () => number) {
  let at: { signal: string; phase: string; ns: number } | null = null;
  return {
    mark(reason: unknown) {
      at ??= { signal: typeof reason === 'string' ? reason : 'abort', phase: phase(), ns: runtime.now() };
    },
    result(config: RunConfig, events: readonly HistoryEvent[]): Interruption | undefined {
      if (!at) return undefined;
      const ranS = at.phase === 'up' ? 0 : Math.min(config.timeLimitS, Math.max(0, (at.ns - t0()) / 1e9));
      const faultsStarted = events.filter((e) => e.process === 'nemesis' && e.f === 'start').length;
      return { signal: at.signal, phase: at.phase, ranS: Math.round(ranS * 1000) / 1000, plannedS: config.timeLimitS, faultsStarted, faultsPlanned: config.plan.length };
    },
  };
}

async function collectLogs(runtime: Runtime, dir: string, nodes: readonly string[]): Promise<void> {
  for (const n of nodes) {
    try {
      writeFileSync(join(dir, 'nodes', `${n}.log`), await runtime.logs(n));
    } catch (e) {
      writeFileSync(join(dir, 'nodes', `${n}.log`), `(no log: ${(e as Error).message})\n`);
    }
  }
}
