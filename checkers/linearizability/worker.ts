// A worker thread's side of parallel checking: one job, a share of the keys' operations. It
// reports its op count once compiled, then its verdict. Input faults (a user model that throws)
// come back as such, so the CLI still answers with one line and exit status 2.
import { parentPort } from 'node:worker_threads';
import { InputError } from '../../ground/errors.js';
import { KeyRounds } from './check.js';
import { loadModel } from './user-model.js';
import type { WorkerJob } from './parallel.js';
import type { CheckOptions, ModelName } from './types.js';

export type WorkerMessage =
  | { kind: 'compiled'; ops: number }
  | { kind: 'result'; result: ReturnType<KeyRounds['round']> }
  | { kind: 'input'; message: string; where?: string }
  | { kind: 'error'; message: string };

parentPort?.once('message', async (job: WorkerJob) => {
  const post = (m: WorkerMessage) => parentPort!.postMessage(m);
  try {
    const { modelPath, model, ...rest } = job.opts;
    const opts: CheckOptions = { ...rest, model: modelPath ? await loadModel(modelPath) : (model as ModelName) };
    const rounds = new KeyRounds(new Map(job.parts), opts);
    post({ kind: 'compiled', ops: rounds.base.ops });
    for (;;) {
      const r = rounds.round();
      if (r) return post({ kind: 'result', result: r });
    }
  } catch (e) {
    if (e instanceof InputError) post({ kind: 'input', message: e.message.slice(e.where ? e.where.length + 2 : 0), where: e.where });
    else post({ kind: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});
