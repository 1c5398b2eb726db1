// A suite's sim worker thread: runs one (case, seed) at a time through run-case.ts and answers
// with its record. A run that throws is a harness-failure record, not a dead worker.
import { parentPort } from 'node:worker_threads';
import { runCase } from './run-case.js';
import type { SuiteCase } from './schema.js';
import type { RunRecord } from './types.js';

export interface WorkerJob {
  c: SuiteCase;
  seed: number;
  outDir: string;
  dropPassing: boolean;
}

parentPort!.on('message', async (job: WorkerJob) => {
  let r: RunRecord;
  try {
    r = await runCase(job.c, job.seed, { outDir: job.outDir, html: false, dropPassing: job.dropPassing });
  } catch (e) {
    const msg = `run: ${(e as Error).message}`;
    r = { case: job.c.name, seed: job.seed, runtime: job.c.runtime, verdict: 'error', checkers: {}, anomalies: 0, kinds: [], summary: msg, reproduce: '', errors: [msg], durationMs: 0, startedAt: new Date().toISOString(), attempts: 1 };
  }
  parentPort!.postMessage(r);
});
