// Runs a sweep's seeds on K worker threads (or inline for K = 1), in seed order, and stops
// handing out seeds after the first failure unless asked to keep going. Seeds already
// running when a failure arrives still finish, so the lowest failing seed among those handed
// out is reported whatever the threads' timing.
import { Worker } from 'node:worker_threads';
import { runSeed, type SeedResult, type SweepRunOptions } from './seed-run.js';

export interface PoolOptions {
  workers: number;
  keepGoing: boolean;
  onResult?: (r: SeedResult, done: number, total: number) => void;
  /** Run seeds in this thread (tests) instead of in worker threads (even K = 1). */
  inline?: boolean;
  /** Which result stops the sweep (unless keepGoing); default: any failing seed. */
  stopWhen?: (r: SeedResult) => boolean;
  /** A signal (harness/run/lifecycle.ts): no new seed is handed out; running ones finish. */
  signal?: AbortSignal;
}

export interface PoolOutcome {
  results: SeedResult[];
  /** Seeds never run because the sweep stopped early. */
  skipped: number;
  stoppedEarly: boolean;
}

const isFailure = (r: SeedResult) => r.valid === false;

/**
 * Each worker's V8 limits. A sim run allocates short-lived objects by the million (events,
 * messages, history lines); a 64 MiB young generation lets most die young between scavenges.
 * 300-seed sweeps of 30-sim-s runs, 2 workers: failover 1,284-1,315 seeds/min with V8's default
 * against 1,674 at 64 MiB (1,453 at 128), register 2,385-2,568 against 2,641.
 */
export const WORKER_LIMITS = { maxYoungGenerationSizeMb: 64 };

export async function runPool(opts: SweepRunOptions, seeds: readonly number[], pool: PoolOptions): Promise<PoolOutcome> {
  const results: SeedResult[] = [];
  let next = 0;
  let stop = false;
  const take = (): number | undefined => (stop || pool.signal?.aborted || next >= seeds.length ? undefined : seeds[next++]);
  const record = (r: SeedResult) => {
    results.push(r);
    if ((pool.stopWhen ?? isFailure)(r) && !pool.keepGoing) stop = true;
    pool.onResult?.(r, results.length, seeds.length);
  };

  const k = Math.max(1, Math.min(pool.workers, seeds.length));
  if (pool.inline) {
    for (let s = take(); s !== undefined; s = take()) {
      try {
        record(await runSeed(opts, s));
      } catch (e) {
        record({ seed: s, valid: 'unknown', kinds: [], simS: 0, wallMs: 0, errors: [`seed ${s}: ${(e as Error).message}`] });
      }
    }
  } else {
    const entry = new URL('./worker-entry.mjs', import.meta.url);
    await Promise.all(
      Array.from({ length: k }, () =>
        new Promise<void>((resolve) => {
          const w = new Worker(entry, { workerData: { opts }, resourceLimits: WORKER_LIMITS });
          let current: number | undefined;
          const feed = () => {
            current = take();
            if (current === undefined) {
              void w.terminate().then(() => resolve());
              return;
            }
            w.postMessage(current);
          };
          w.on('message', (r: SeedResult) => {
            record(r);
            feed();
          });
          w.on('error', (e) => {
            if (current !== undefined) record({ seed: current, valid: 'unknown', kinds: [], simS: 0, wallMs: 0, errors: [`worker died on seed ${current}: ${e.message}`] });
            resolve();
          });
          w.on('online', feed);
        }),
      ),
    );
  }
  results.sort((x, y) => x.seed - y.seed);
  return { results, skipped: seeds.length - results.length, stoppedEarly: stop };
}
