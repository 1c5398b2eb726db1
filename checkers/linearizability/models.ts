// Models compiled for the search: each partition's ops become typed arrays, model states become
// small integers (values interned), and step(state, op) returns the next state or -1 if the op
// is illegal there. Which ops take part, and with what semantics, is decided here once.
import { InputError } from '../../harness/errors.js';
import type { Operation } from '../../harness/history/types.js';
import type { CheckOptions, ModelName } from './types.js';

export interface Compiled {
  n: number;
  /** The source operation of op i. */
  ops: Operation[];
  /** Call and return positions in history order (Infinity: may take effect any time later, or never). */
  call: Float64Array;
  ret: Float64Array;
  init: number;
  step: (state: number, op: number) => number;
  /** The state id as a plain value for counterexamples. */
  describe: (state: number) => unknown;
  /** For an op that never returned: the previous such op (by call) with the same effect, else -1.
   *  Interchangeable ops are linearized in call order only, a symmetry the search exploits. */
  sameAs: Int32Array;
}

function sameAs(encs: Enc[], ret: Float64Array): Int32Array {
  const out = new Int32Array(encs.length).fill(-1);
  const last = new Map<string, number>();
  for (let i = 0; i < encs.length; i++) {
    if (ret[i] !== Infinity) continue;
    const k = `${encs[i].kind},${encs[i].a},${encs[i].b}`;
    const p = last.get(k);
    if (p !== undefined) out[i] = p;
    last.set(k, i);
  }
  return out;
}

const READ = 0, WRITE = 1, CAS = 2, CAS_FALSE = 3;
const GET = 0, PUT = 1, APPEND = 2;

const canon = (v: unknown): string =>
  v === null || v === undefined ? 'nil' : typeof v === 'number' ? `n${v}` : typeof v === 'string' ? `s${v}` : `j${JSON.stringify(v)}`;

class Interner {
  readonly values: unknown[] = [null];
  private readonly ids = new Map<string, number>([['nil', 0]]);
  id(v: unknown): number {
    const k = canon(v);
    let id = this.ids.get(k);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(v === undefined ? null : v);
      this.ids.set(k, id);
    }
    return id;
  }
}

type Locate = (i: number) => string;

function fOf(model: ModelName): Set<string> {
  return model === 'kv' ? new Set(['get', 'put', 'append']) : model === 'register' ? new Set(['read', 'write']) : new Set(['read', 'write', 'cas']);
}

/** Keeps the ops that constrain the search; throws InputError on ops the model cannot take. */
export function selectOps(all: readonly Operation[], opts: CheckOptions): Operation[] {
  const allowed = fOf(opts.model);
  const locate: Locate = opts.locate ?? ((i) => `event ${i}`);
  const out: Operation[] = [];
  for (const op of all) {
    if (!allowed.has(op.f)) {
      if (opts.ignoreOtherF) continue;
      throw new InputError(`operation :${op.f} is not part of model ${opts.model}; expected ${[...allowed].join(', ')}`, locate(op.invokeIndex));
    }
    out.push(op);
  }
  return out;
}

interface Enc {
  kind: number;
  a: number;
  b: number;
  open: boolean;
}

export function compile(part: readonly Operation[], opts: CheckOptions): Compiled {
  return opts.model === 'kv' ? compileKv(part, opts) : compileRegister(part, opts);
}

function finish(kept: Operation[], open: boolean[]): { call: Float64Array; ret: Float64Array } {
  const call = new Float64Array(kept.length);
  const ret = new Float64Array(kept.length);
  for (let i = 0; i < kept.length; i++) {
    call[i] = kept[i].invokeIndex;
    ret[i] = open[i] || kept[i].completeIndex < 0 ? Infinity : kept[i].completeIndex;
  }
  return { call, ret };
}

function compileRegister(part: readonly Operation[], opts: CheckOptions): Compiled {
  const etcd = opts.model === 'etcd-cas-register';
  const locate: Locate = opts.locate ?? ((i) => `event ${i}`);
  const values = new Interner();
  const init = values.id(opts.initial ?? null);
  const kept: Operation[] = [];
  const encs: Enc[] = [];
  for (const op of part) {
    const enc = encodeRegister(op, etcd, opts.nilReadIsUnknown === true, values, locate);
    if (enc) {
      kept.push(op);
      encs.push(enc);
    }
  }
  const n = kept.length;
  const kind = new Uint8Array(n);
  const a = new Int32Array(n);
  const b = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    kind[i] = encs[i].kind;
    a[i] = encs[i].a;
    b[i] = encs[i].b;
  }
  const { call, ret } = finish(kept, encs.map((e) => e.open));
  const step = (s: number, i: number): number => {
    switch (kind[i]) {
      case READ:
        return s === a[i] ? s : -1;
      case WRITE:
        return a[i];
      case CAS:
        return s === a[i] ? b[i] : -1;
      default:
        return s !== a[i] ? s : -1;
    }
  };
  return { n, ops: kept, call, ret, init, step, describe: (s) => values.values[s], sameAs: sameAs(encs, ret) };
}

/** One op's encoding, or null when it cannot constrain anything (so the search skips it):
 *  failed ops (did not happen), unknown reads, reads that never completed. */
function encodeRegister(op: Operation, etcd: boolean, nilReadUnknown: boolean, values: Interner, locate: Locate): Enc | null {
  const st = op.status;
  if (op.f === 'read') {
    if (st !== 'ok') return null; // failed, indeterminate or unfinished reads: any value, no effect
    if (op.output === null || op.output === undefined) {
      if (nilReadUnknown && !etcd) return null;
      return { kind: READ, a: 0, b: 0, open: false };
    }
    return { kind: READ, a: values.id(op.output), b: 0, open: false };
  }
  const arg = op.input ?? op.output;
  if (op.f === 'write') {
    if (st === 'fail' && !etcd) return null;
    return { kind: WRITE, a: values.id(arg), b: 0, open: st !== 'ok' };
  }
  // cas
  if (!Array.isArray(arg) || arg.length !== 2) throw new InputError(`cas value ${JSON.stringify(arg)}; expected [expected new]`, locate(op.invokeIndex));
  const ea = values.id(arg[0]);
  const eb = values.id(arg[1]);
  if (st === 'fail') {
    // etcd logs: a :fail cas ran and returned false; knossos: it did not happen
    if (!etcd) return null;
    return { kind: CAS_FALSE, a: ea, b: 0, open: false };
  }
  return { kind: CAS, a: ea, b: eb, open: st !== 'ok' };
}

function compileKv(part: readonly Operation[], opts: CheckOptions): Compiled {
  const locate: Locate = opts.locate ?? ((i) => `event ${i}`);
  const strs: string[] = [''];
  const ids = new Map<string, number>([['', 0]]);
  const sid = (s: string) => {
    let id = ids.get(s);
    if (id === undefined) {
      id = strs.length;
      strs.push(s);
      ids.set(s, id);
    }
    return id;
  };
  const kept: Operation[] = [];
  const encs: Enc[] = [];
  const appendArg: string[] = [];
  const str = (v: unknown, op: Operation): string => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
    throw new InputError(`${op.f} value ${JSON.stringify(v)}; expected a string`, locate(op.invokeIndex));
  };
  for (const op of part) {
    const st = op.status;
    if (op.f === 'get') {
      if (st !== 'ok' || op.output === null || op.output === undefined) continue;
      kept.push(op);
      encs.push({ kind: GET, a: sid(str(op.output, op)), b: 0, open: false });
      continue;
    }
    if (st === 'fail') continue;
    const arg = str(op.input ?? op.output, op);
    kept.push(op);
    if (op.f === 'put') encs.push({ kind: PUT, a: sid(arg), b: 0, open: st !== 'ok' });
    else {
      encs.push({ kind: APPEND, a: appendArg.length, b: 0, open: st !== 'ok' });
      appendArg.push(arg);
    }
  }
  const n = kept.length;
  const kind = new Uint8Array(n);
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    kind[i] = encs[i].kind;
    a[i] = encs[i].a;
  }
  // appends build new strings; remember each (state, op) transition so the hot loop allocates once
  const appended = new Map<number, number>();
  const step = (s: number, i: number): number => {
    switch (kind[i]) {
      case GET:
        return s === a[i] ? s : -1;
      case PUT:
        return a[i];
      default: {
        const k = s * n + i;
        let r = appended.get(k);
        if (r === undefined) {
          r = sid(strs[s] + appendArg[a[i]]);
          appended.set(k, r);
        }
        return r;
      }
    }
  };
  const { call, ret } = finish(kept, encs.map((e) => e.open));
  // appends of the same string are interchangeable too, whatever their position in appendArg
  const effect = encs.map((e) => (e.kind === APPEND ? { ...e, a: sid(appendArg[e.a]) } : e));
  return { n, ops: kept, call, ret, init: 0, step, describe: (s) => strs[s], sameAs: sameAs(effect, ret) };
}
