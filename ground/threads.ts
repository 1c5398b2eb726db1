// Worker threads for modules of this project, whether it runs compiled (dist/, plain .js) or
// from its TypeScript sources. A worker does not inherit the tsx loader the CLI registered
// (hooks do not cross threads on node 20), so from sources the worker registers tsx first.
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** A worker running the module `name` that sits beside `from` (the caller's import.meta.url). */
export function moduleWorker(from: string, name: string, options: WorkerOptions = {}): Worker {
  const fromSources = from.endsWith('.ts');
  const url = new URL(`./${name}.${fromSources ? 'ts' : 'js'}`, from);
  if (!fromSources) return new Worker(url, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}
