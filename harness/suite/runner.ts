// Runs a suite's (case, seed) list: sim runs first, on worker threads (as `chaos sweep`), then
// docker runs in-process, one at a time unless --parallel K. The phases do not overlap: a
// docker run's timing (and the latency checker) must not compete with simulator threads for
// the cores. A docker seed that ends unknown under `unknown: retry` runs again.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { moduleWorker } from '../../ground/threads.js';
import { WORKER_LIMITS } from '../sweep/pool.js';
import { readHistory, writeReports } from '../../reports/index.js';
import { runCase } from './run-case.js';
import type { Suite, SuiteCase } from './schema.js';
import type { RunSpec } from './expand.js';
import type { RunRecord } from './types.js';
import type { WorkerJob } from './worker.js';

export interface RunnerOptions {
  suite: Suite;
  specs: readonly RunSpec[];
  /** Where run directories go (<runsDir>/<case>/<stamp>-seed<N>/). */
  runsDir: string;
  /** Sim worker threads. */
  workers: number;
  /** Docker runs at once. */
  parallel: number;
  /** Run sim seeds in this thread (tests). */
  inline?: boolean;
  signal?: AbortSignal;
  onStart?: (s: RunSpec, c: SuiteCase) => void;
  onRun?: (r: RunRecord, done: number, total: number) => void;
  /** The run itself (tests of the scheduling and retry rules pass their own); default runCase. */
  runOne?: typeof runCase;
}

export interface RunnerOutcome {
  records: RunRecord[];
  notRun: RunSpec[];
  interrupted: boolean;
}

export async function runSuite(o: RunnerOptions): Promise<RunnerOutcome> {
  const byName = new Map(o.suite.cases.map((c) => [c.name, c]));
  const caseOf = (s: RunSpec) => byName.get(s.case)!;
  const dropPassing = o.suite.keep === 'failing';
  const runOne = o.runOne ?? runCase;
  const records: RunRecord[] = [];
  const started = new Set<number>();
  let done = 0;
  const finish = (r: RunRecord) => {
    records.push(r);
    o.onRun?.(r, ++done, o.specs.length);
  };
  const stopped = () => o.signal?.aborted === true;
  const queue = (list: readonly RunSpec[]) => {
    let i = 0;
    return () => {
      if (stopped() || i >= list.length) return undefined;
      const s = list[i++];
      started.add(s.index);
      o.onStart?.(s, caseOf(s));
      return s;
    };
  };

  // ---- sim ----
  const sim = o.specs.filter((s) => caseOf(s).runtime === 'sim');
  if (sim.length) {
    const take = queue(sim);
    // Reports (canvas charts) are drawn here, not in the workers: canvas is not safe to load in
    // worker threads. The main thread is idle otherwise, so this overlaps the simulation.
    let reports = Promise.resolve();
    const withReport = (r: RunRecord) => {
      reports = reports.then(async () => {
        if (r.dir) await drawReport(r);
        finish(r);
      });
    };
    if (o.inline) {
      for (let s = take(); s; s = take()) withReport(await runOne(caseOf(s), s.seed, { outDir: o.runsDir, html: false, dropPassing }));
    } else {
      const k = Math.max(1, Math.min(o.workers, sim.length));
      await Promise.all(Array.from({ length: k }, () => workerLoop(take, caseOf, o.runsDir, dropPassing, withReport)));
    }
    await reports;
  }

  // ---- docker ----
  const docker = o.specs.filter((s) => caseOf(s).runtime === 'docker');
  if (docker.length) {
    const take = queue(docker);
    const slot = async () => {
      for (let s = take(); s; s = take()) {
        const c = caseOf(s);
        let r: RunRecord;
        let attempt = 1;
        for (;;) {
          r = await runOne(c, s.seed, { outDir: o.runsDir, html: true, dropPassing, signal: o.signal, attempt });
          if (r.verdict !== 'unknown' || c.unknown !== 'retry' || attempt > c.retries || stopped()) break;
          attempt++;
        }
        finish(r);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(o.parallel, docker.length)) }, slot));
  }

  const notRun = o.specs.filter((s) => !started.has(s.index));
  records.sort((a, b) => a.case.localeCompare(b.case) || a.seed - b.seed);
  return { records, notRun, interrupted: stopped() };
}

/** One worker thread taking jobs until the queue is empty; a worker that dies is replaced and
 *  its run recorded as a harness failure. */
async function workerLoop(take: () => RunSpec | undefined, caseOf: (s: RunSpec) => SuiteCase, outDir: string, dropPassing: boolean, done: (r: RunRecord) => void): Promise<void> {
  let w: Worker | null = null;
  try {
    for (let s = take(); s; s = take()) {
      w ??= moduleWorker(import.meta.url, 'worker', { resourceLimits: WORKER_LIMITS });
      const job: WorkerJob = { c: caseOf(s), seed: s.seed, outDir, dropPassing };
      const worker = w;
      const r = await new Promise<RunRecord>((resolve) => {
        const onMsg = (m: RunRecord) => { cleanup(); resolve(m); };
        const onErr = (e: Error) => {
          cleanup();
          w = null;
          void worker.terminate();
          const msg = `worker thread died: ${e.message}`;
          resolve({ case: s.case, seed: s.seed, runtime: 'sim', verdict: 'error', checkers: {}, anomalies: 0, kinds: [], summary: msg, reproduce: '', errors: [msg], durationMs: 0, startedAt: new Date().toISOString(), attempts: 1 });
        };
        const cleanup = () => { worker.off('message', onMsg); worker.off('error', onErr); };
        worker.on('message', onMsg);
        worker.on('error', onErr);
        worker.postMessage(job);
      });
      done(r);
    }
  } finally {
    if (w) await (w as Worker).terminate();
  }
}

/** report.html and its charts for a run a worker thread left without them. */
async function drawReport(r: RunRecord): Promise<void> {
  const dir = r.dir!;
  try {
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    const { healNs, errors, ...results } = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    const events = readHistory(join(dir, 'history.jsonl'));
    await writeReports(dir, { config, events, results, errors, healNs, reproduce: r.reproduce }, { html: true });
    if (existsSync(join(dir, 'report.html'))) r.report = join(dir, 'report.html');
  } catch (e) {
    r.errors = [...r.errors, `report: ${(e as Error).message}`];
  }
}
