// One run, start to end: run directory and config.json, cluster up, workload and nemesis side
// by side with every event appended to history.jsonl as it happens, heal (in a finally, so
// errors heal too), recovery and final reads, dr's final image, checkers, reports, and
// runtime.down() whatever happened. Time inside the run comes only from the runtime.
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Runtime } from '../runtime/types.js';
import type { ComposedResult } from '../../checkers/types.js';
import type { NodeName } from '../../nodes/blockstore/core/types.js';
import { HistoryWriter } from '../../ground/history/writer.js';
import { Rng } from '../../ground/rng.js';
import { ClusterView } from '../nemesis/view.js';
import { NemesisExecutor } from '../nemesis/executor.js';
import { getWorkload } from '../../workloads/index.js';
import type { OpCounts, WorkloadContext } from '../../workloads/types.js';
import { finalDrSnapshot, finalReads, waitForPrimary } from './final.js';
import { makeRunDir, pointLatest } from './run-dir.js';
import { reproduceCommand, type RunConfig } from './config.js';
import { checkRun, writeReports } from '../../reports/index.js';

/** Processes reading blocks back in parallel after the heal (a failover run touches ~1000). */
const FINAL_READERS = 4;

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
  outDir: string;
  onProgress?: (p: Progress) => void;
  /** Skip report.html and its charts (sweeps, fast tests); results.json and junit.xml are still written. */
  skipHtml?: boolean;
  /** Ends the workload early (Ctrl-C); the run still heals, reads back, checks and cleans up. */
  signal?: AbortSignal;
  /** Names the cluster's resources (docker labels); defaults to test + run directory. */
  runId?: string;
}

export interface RunOutcome {
  dir: string;
  results: ComposedResult;
  /** Problems the harness met (fault refused, cluster never recovered); they make the verdict unknown at worst, never valid by accident. */
  errors: string[];
}

export async function executeRun(config: RunConfig, opts: ExecuteOptions): Promise<RunOutcome> {
  const { runtime } = opts;
  const dir = makeRunDir(opts.outDir, config.test, config.seed);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  const history = new HistoryWriter(join(dir, 'history.jsonl'), () => runtime.now(), { flush: runtime.kind === 'sim' ? 'replayable' : 'each-event' });
  const view = new ClusterView();
  const counts: OpCounts = { invoked: 0, ok: 0, fail: 0, info: 0 };
  const errors: string[] = [];
  const workload = getWorkload(config.workload);
  const rng = new Rng(config.seed);
  let t0 = 0;
  let phase: Progress['phase'] = 'up';
  const progress = () => opts.onProgress?.({ phase, counts, active: [...view.active.values()], elapsedS: (runtime.now() - t0) / 1e9 });
  const ctx: WorkloadContext = {
    runtime,
    history,
    view,
    rng: rng.fork('workload'),
    concurrency: config.concurrency,
    thinkMs: config.thinkMs,
    blocks: config.params.blocks,
    endNs: 0,
    budget: { left: config.opLimit ?? Infinity },
    counts,
    touched: new Set<number>(),
    onOp: progress,
    aborted: { value: false },
  };
  const nodes: NodeName[] = ['a', 'b', 'dr'];
  const onAbort = () => { ctx.aborted.value = true; nemesis?.halt(); };
  opts.signal?.addEventListener('abort', onAbort);
  if (opts.signal?.aborted) ctx.aborted.value = true;
  let nemesis: NemesisExecutor | null = null;
  let results: ComposedResult;
  let healNs: number | undefined;
  try {
    try {
      progress();
      await runtime.up({
        runId: opts.runId ?? `${config.test}-${basename(dir)}`,
        nodes,
        bugs: config.bugs,
        params: config.params,
        clientTimeoutMs: config.clientTimeoutMs,
        logDir: join(dir, 'nodes'),
        seed: config.seed,
      });
      t0 = runtime.now();
      ctx.endNs = t0 + config.timeLimitS * 1e9;
      phase = 'workload';
      nemesis = new NemesisExecutor(config.plan, runtime, history, view, t0);
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
    const blocks = [...ctx.touched].sort((x, y) => x - y);
    const fin = await finalReads(ctx, blocks, maxProcess + 1, FINAL_READERS, deadline);
    if (fin.missing.length) errors.push(`final reads failed for blocks ${fin.missing.slice(0, 20).join(', ')}${fin.missing.length > 20 ? ' ...' : ''}`);
    if (workload.finalDr) await finalDrSnapshot(ctx, maxProcess + 1 + FINAL_READERS, FINAL_READERS + 1, deadline);
    await collectLogs(runtime, dir, nodes);
  } catch (e) {
    errors.push(`run: ${(e as Error).message}`);
    await collectLogs(runtime, dir, nodes);
  } finally {
    try {
      await runtime.down();
    } catch (e) {
      errors.push(`down: ${(e as Error).message}`);
    }
    history.close();
  }
  opts.signal?.removeEventListener('abort', onAbort);
  phase = 'check';
  progress();
  results = await checkRun(history.events ?? [], config, errors, healNs);
  await writeReports(dir, { config, events: history.events ?? [], results, errors, healNs, reproduce: config.planGiven ? undefined : reproduceCommand(config) }, { html: !opts.skipHtml });
  pointLatest(opts.outDir, dir);
  phase = 'done';
  progress();
  return { dir, results, errors };
}

async function collectLogs(runtime: Runtime, dir: string, nodes: readonly NodeName[]): Promise<void> {
  for (const n of nodes) {
    try {
      writeFileSync(join(dir, 'nodes', `${n}.log`), await runtime.logs(n));
    } catch (e) {
      writeFileSync(join(dir, 'nodes', `${n}.log`), `(no log: ${(e as Error).message})\n`);
    }
  }
}
