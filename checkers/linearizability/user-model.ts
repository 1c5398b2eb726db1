// User models: loading and validating a module (`--model PATH`), and compiling a partition of a
// history for the search. The search works on integer states, so each distinct state a user
// model produces gets an id: states are bucketed by hash (the model's, else their JSON text) and
// a new state is compared with `equal` against its bucket, never merged on a hash alone. Each
// (state, op) transition is computed once. Built-in models do not come through here: they keep
// their own compiled fast paths (models.ts).
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError } from '../../ground/errors.js';
import { importModule } from '../../ground/import-module.js';
import type { Operation } from '../../ground/history/types.js';
import { ClosureSteps, type Compiled } from './models.js';
import type { CheckOptions, LoadedModel, ModelOp, UserModel } from './types.js';

const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0];

/** Imports a model module and checks its shape; any fault is an InputError naming the file. */
export async function loadModel(file: string): Promise<LoadedModel> {
  const abs = path.resolve(file);
  if (!existsSync(abs) || !statSync(abs).isFile()) throw new InputError('cannot read (no such file); expected a model module (.js, .mjs or .ts)', file);
  if (abs.endsWith('.ts') || abs.endsWith('.mts')) {
    // TypeScript models load through tsx, whether the CLI runs from sources or compiled
    const { register } = (await importModule('tsx/esm/api')) as typeof import('tsx/esm/api');
    register();
  }
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(pathToFileURL(abs).href);
  } catch (e) {
    throw new InputError(`cannot load the model module: ${firstLine(e)}`, file);
  }
  const impl = (mod.default ?? mod.model) as UserModel | undefined;
  const expected = 'expected a default export (or `export const model`) with init(), step(state, op), equal(a, b) and optionally partition(op), describe(state), hash(state)';
  if (impl === null || typeof impl !== 'object') throw new InputError(`no model object exported; ${expected}`, file);
  for (const f of ['init', 'step', 'equal'] as const) {
    if (typeof impl[f] !== 'function') throw new InputError(`the model has no function ${f}; ${expected}`, file);
  }
  for (const f of ['partition', 'describe', 'hash'] as const) {
    if (impl[f] !== undefined && typeof impl[f] !== 'function') throw new InputError(`the model's ${f} is a ${typeof impl[f]}; expected a function or nothing`, file);
  }
  if (impl.name !== undefined && typeof impl.name !== 'string') throw new InputError(`the model's name is a ${typeof impl.name}; expected a string`, file);
  let s0: unknown;
  try {
    s0 = impl.init();
  } catch (e) {
    throw new InputError(`the model's init() threw: ${firstLine(e)}`, file);
  }
  if (s0 === undefined) throw new InputError('the model\'s init() returned undefined; expected the initial state', file);
  try {
    if (impl.equal(s0, s0) !== true) throw new InputError('the model\'s equal(init(), init()) is not true; expected equal to be an equivalence', file);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`the model's equal() threw: ${firstLine(e)}`, file);
  }
  return { name: impl.name ?? path.basename(abs).replace(/\.[^.]+$/, ''), path: abs, impl };
}

export const modelOp = (op: Operation): ModelOp => ({
  f: op.f,
  ...(op.key !== undefined ? { key: op.key } : {}),
  input: op.input,
  output: op.status === 'ok' ? op.output : undefined,
  status: op.status as ModelOp['status'],
});

/** The key an op's partition is known by. */
export function userKey(m: LoadedModel, op: Operation, locate: (i: number) => string): string | number | null {
  if (!m.impl.partition) return op.key ?? null;
  let k: unknown;
  try {
    k = m.impl.partition(modelOp(op));
  } catch (e) {
    throw new InputError(`model ${m.name}: partition() threw: ${firstLine(e)}`, locate(op.invokeIndex));
  }
  if (k === undefined || k === null) return null;
  if (typeof k !== 'string' && typeof k !== 'number') throw new InputError(`model ${m.name}: partition() returned ${JSON.stringify(k)}; expected a string, a number or nothing`, locate(op.invokeIndex));
  return k;
}

export function compileUser(part: readonly Operation[], m: LoadedModel, opts: CheckOptions): Compiled {
  const locate = opts.locate ?? ((i: number) => `event ${i}`);
  const impl = m.impl;
  const kept = part.filter((op) => op.status !== 'fail');
  const n = kept.length;
  const mops = kept.map(modelOp);
  const call = new Float64Array(n);
  const ret = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    call[i] = kept[i].invokeIndex;
    ret[i] = kept[i].status === 'ok' && kept[i].completeIndex >= 0 ? kept[i].completeIndex : Infinity;
  }
  const guard = <T>(what: string, at: number, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      throw new InputError(`model ${m.name}: ${what} threw: ${firstLine(e)}`, at >= 0 ? locate(at) : m.path);
    }
  };
  // state interning: id -> state, and hash -> ids sharing it
  const states: unknown[] = [];
  const buckets = new Map<string | number, number[]>();
  const hashOf = (s: unknown): string | number => {
    if (impl.hash) return impl.hash(s);
    const j = JSON.stringify(s);
    return j === undefined ? String(s) : j;
  };
  const intern = (s: unknown, at: number): number => {
    const h = guard('hash()', at, () => hashOf(s));
    let ids = buckets.get(h);
    if (!ids) buckets.set(h, (ids = []));
    for (const id of ids) if (guard('equal()', at, () => impl.equal(states[id], s)) === true) return id;
    const id = states.length;
    states.push(s);
    ids.push(id);
    return id;
  };
  const init = intern(guard('init()', -1, () => impl.init()), -1);
  // transitions computed once: key state * n + op (exact below 2^53 for any history that fits in memory)
  const memo = new Map<number, number>();
  const step = (s: number, i: number): number => {
    const k = s * n + i;
    const hit = memo.get(k);
    if (hit !== undefined) return hit;
    const next = guard('step()', kept[i].invokeIndex, () => impl.step(states[s], mops[i]));
    const id = next === undefined ? -1 : intern(next, kept[i].invokeIndex);
    memo.set(k, id);
    return id;
  };
  // ops that never returned and look the same to step are interchangeable
  const sameAs = new Int32Array(n).fill(-1);
  const last = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    if (ret[i] !== Infinity) continue;
    const k = `${mops[i].f}\u0000${mops[i].status}\u0000${JSON.stringify(mops[i].input) ?? ''}`;
    const p = last.get(k);
    if (p !== undefined) sameAs[i] = p;
    last.set(k, i);
  }
  const describe = (s: number): unknown => (impl.describe ? guard('describe()', -1, () => impl.describe!(states[s])) : states[s]);
  return { n, ops: kept, call, ret, init, steps: new ClosureSteps(step), describe, sameAs, readOnly: new Uint8Array(n) };
}
