// A sweep worker thread: takes seeds one at a time from the pool and answers with each
// seed's result. A run that throws is an `unknown` seed, not a dead worker.
import { parentPort, workerData } from 'node:worker_threads';
import { runSeed, type SeedResult, type SweepRunOptions } from './seed-run.js';

const opts = (workerData as { opts: SweepRunOptions }).opts;

parentPort!.on('message', async (seed: number) => {
  let result: SeedResult;
  try {
    result = await runSeed(opts, seed);
  } catch (e) {
    result = { seed, valid: 'unknown', kinds: [], simS: 0, wallMs: 0, errors: [`seed ${seed}: ${(e as Error).message}`] };
  }
  parentPort!.postMessage(result);
});
