// A worker thread's side of parallel checking: each message is a share of the keys' operations.
import { parentPort } from 'node:worker_threads';
import { checkOps } from './check.js';
import type { Operation } from '../../ground/history/types.js';
import type { CheckOptions } from './types.js';

parentPort?.on('message', (m: { ops: Operation[]; opts: CheckOptions }) => {
  try {
    parentPort!.postMessage({ result: checkOps(m.ops, m.opts) });
  } catch (e) {
    parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
});
