// Models compiled for the search: each partition's ops become typed arrays, model states become
// small integers (values interned), and step(state, op) returns the next state or -1 if the op
// is illegal there. Which ops take part, and with what semantics, is decided here once.
import { InputError } from '../../ground/errors.js';
import type { Operation } from '../../ground/history/types.js';
import type { CheckOptions, ModelName } from './types.js';
import { compileUser } from './user-model.js';

/** A copy of `a` in a new array of the same kind with `length` elements (the rest zero). */
export function grown<T extends Int32Array | Uint32Array | Float64Array>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  return b;
}

export interface Steps {
  step(state: number, op: number): number;
}

/** A model whose step is a closure (kv, user models): one class around it all the same. */
export class ClosureSteps implements Steps {
  constructor(private readonly f: (state: number, op: number) => number) {}
  step(state: number, op: number): number {
    return this.f(state, op);
  }
}

class RegisterSteps implements Steps {
  constructor(
    private readonly kind: Uint8Array,
    private readonly a: Int32Array,
    private readonly b: Int32Array,
  ) {}
  step(s: number, i: number): number {
    switch (this.kind[i]) {
      case READ:
        return s === this.a[i] ? s : -1;
      case WRITE:
        return this.a[i];
      case CAS:
        return s === this.a[i] ? this.b[i] : -1;
      default:
        return s !== this.a[i] ? s : -1;
    }
  }
}

export interface Compiled {
  n: number;
  /** The source operation of op i. */
  ops: Operation[];
  /** Call and return positions in history order (Infinity: may take effect any time later, or never). */
  call: Float64Array;
  ret: Float64Array;
  init: number;
  /** step(state, op): the next state, or -1 if the op is illegal there. An object of one class
   *  per model rather than a closure per key: the search's call site then sees one target
   *  whatever the number of keys, and the step can be inlined into it. */
  steps: Steps;
  /** The state id as a plain value for counterexamples. */
  describe: (state: number) => unknown;
  /** For an op that never returned: the previous such op (by call) with the same effect, else -1.
   *  Interchangeable ops are linearized in call order only, a symmetry the search exploits. */
  sameAs: Int32Array;
  /** Ops that never change the state (reads, etcd's failed cas). */
  readOnly: Uint8Array;
  /** kv: until a `reset` op (put) is linearized, states only grow by appends, so a pending get
   *  that returns before any remaining put is invoked, and whose value does not start with the
   *  state, can never be linearized: canStillRead(state, get) false drops that branch at once. */
  resets?: Uint8Array;
  canStillRead?: (state: number, op: number) => boolean;
  /** Registers: the state a read needs (else -1), and for each state the ops that can set it
   *  (writes and cas), by call. A pending read whose value the state does not hold, and which
   *  no producer still to linearize can serve before the read returns, is impossible. */
  readVal?: Int32Array;
  producers?: Map<number, Int32Array>;
}

function readOnlyOf(kind: Uint8Array, kinds: number[]): Uint8Array {
  const out = new Uint8Array(kind.length);
  for (let i = 0; i < kind.length; i++) out[i] = kinds.includes(kind[i]) ? 1 : 0;
  return out;
}

function sameAs(kind: ArrayLike<number>, a: ArrayLike<number>, b: ArrayLike<number>, ret: Float64Array): Int32Array {
  const out = new Int32Array(ret.length).fill(-1);
  const last = new Map<string, number>();
  for (let i = 0; i < ret.length; i++) {
    if (ret[i] !== Infinity) continue;
    const k = `${kind[i]},${a[i]},${b[i]}`;
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
  // numbers, the common case, skip building a canonical string
  private readonly nums = new Map<number, number>();
  id(v: unknown): number {
    if (typeof v === 'number') {
      let id = this.nums.get(v);
      if (id === undefined) {
        id = this.general(v);
        this.nums.set(v, id);
      }
      return id;
    }
    return this.general(v);
  }
  private general(v: unknown): number {
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
  // a user model takes every op (its step decides); failed ops are dropped when it is compiled
  if (typeof opts.model !== 'string') return all as Operation[];
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
  if (typeof opts.model !== 'string') return compileUser(part, opts.model, opts);
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
  const m = part.length;
  const kind0 = new Uint8Array(m);
  const a0 = new Int32Array(m);
  const b0 = new Int32Array(m);
  const open: boolean[] = [];
  const enc = scratch;
  for (const op of part) {
    if (encodeRegister(op, etcd, opts.nilReadIsUnknown === true, values, locate, enc)) {
      const i = kept.length;
      kind0[i] = enc.kind;
      a0[i] = enc.a;
      b0[i] = enc.b;
      open.push(enc.open);
      kept.push(op);
    }
  }
  const n = kept.length;
  const kind = kind0.slice(0, n);
  const a = a0.slice(0, n);
  const b = b0.slice(0, n);
  const { call, ret } = finish(kept, open);
  const readVal = new Int32Array(n).fill(-1);
  const prod = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    if (kind[i] === READ) readVal[i] = a[i];
    const v = kind[i] === WRITE ? a[i] : kind[i] === CAS ? b[i] : -1;
    if (v >= 0) (prod.get(v) ?? prod.set(v, []).get(v)!).push(i);
  }
  const producers = new Map<number, Int32Array>();
  for (const [v, list] of prod) {
    let sorted = true;
    for (let k = 1; k < list.length; k++) if (call[list[k - 1]] > call[list[k]]) sorted = false;
    producers.set(v, Int32Array.from(sorted ? list : list.sort((x, y) => call[x] - call[y])));
  }
  return { n, ops: kept, call, ret, init, steps: new RegisterSteps(kind, a, b), describe: (s) => values.values[s], sameAs: sameAs(kind, a, b, ret), readOnly: readOnlyOf(kind, [READ, CAS_FALSE]), readVal, producers };
}

/** Where encodeRegister writes (one reused object: no allocation per op). */
const scratch: Enc = { kind: 0, a: 0, b: 0, open: false };

const put = (e: Enc, kind: number, a: number, b: number, open: boolean): true => {
  e.kind = kind;
  e.a = a;
  e.b = b;
  e.open = open;
  return true;
};

/** One op's encoding into `e`, or false when it cannot constrain anything (so the search skips
 *  it): failed ops (did not happen), unknown reads, reads that never completed. */
function encodeRegister(op: Operation, etcd: boolean, nilReadUnknown: boolean, values: Interner, locate: Locate, e: Enc): boolean {
  const st = op.status;
  if (op.f === 'read') {
    if (st !== 'ok') return false; // failed, indeterminate or unfinished reads: any value, no effect
    if (op.output === null || op.output === undefined) {
      if (nilReadUnknown && !etcd) return false;
      return put(e, READ, 0, 0, false);
    }
    return put(e, READ, values.id(op.output), 0, false);
  }
  const arg = op.input ?? op.output;
  if (op.f === 'write') {
    if (st === 'fail' && !etcd) return false;
    return put(e, WRITE, values.id(arg), 0, st !== 'ok');
  }
  // cas
  if (!Array.isArray(arg) || arg.length !== 2) throw new InputError(`cas value ${JSON.stringify(arg)}; expected [expected new]`, locate(op.invokeIndex));
  const ea = values.id(arg[0]);
  const eb = values.id(arg[1]);
  if (st === 'fail') {
    // etcd logs: a :fail cas ran and returned false; knossos: it did not happen
    if (!etcd) return false;
    return put(e, CAS_FALSE, ea, 0, false);
  }
  return put(e, CAS, ea, eb, st !== 'ok');
}

// kv states are strings that appends make longer. Building and hashing each new string would
// cost O(length) per transition, so a state is an id with two polynomial hashes and a length
// (the hash of s+t follows from those of s and t in O(1)); each id also keeps its parent and the
// appended piece, so the string is rebuilt only to confirm that two ids with equal hashes really
// hold equal strings (a collision then gets its own id, never a wrong merge).
const P1 = 67108859;
const P2 = 67108837;
const B1 = 48271;
const B2 = 69621;

/** Hashes of every prefix of t (index = prefix length). */
function prefixHashes(t: string): [Int32Array, Int32Array] {
  const a = new Int32Array(t.length + 1);
  const b = new Int32Array(t.length + 1);
  let h1 = 0, h2 = 0;
  for (let k = 0; k < t.length; k++) {
    const c = t.charCodeAt(k) + 1;
    h1 = (h1 * B1 + c) % P1;
    h2 = (h2 * B2 + c) % P2;
    a[k + 1] = h1;
    b[k + 1] = h2;
  }
  return [a, b];
}

function hashOf(t: string): [number, number, number, number] {
  let h1 = 0, h2 = 0, p1 = 1, p2 = 1;
  for (let k = 0; k < t.length; k++) {
    const c = t.charCodeAt(k) + 1;
    h1 = (h1 * B1 + c) % P1;
    h2 = (h2 * B2 + c) % P2;
    p1 = (p1 * B1) % P1;
    p2 = (p2 * B2) % P2;
  }
  return [h1, h2, p1, p2];
}

class KvStates {
  private count = 0;
  private cap = 1024;
  private parent = new Int32Array(this.cap);
  private h1 = new Int32Array(this.cap);
  private h2 = new Int32Array(this.cap);
  private len = new Float64Array(this.cap);
  /** The appended piece (an index into `pieces`) or, for a root, the whole string. */
  private pieceOf = new Int32Array(this.cap);
  private readonly pieces: string[] = [];
  private readonly pieceIds = new Map<string, number>();
  private table = new Int32Array(2 * this.cap);

  constructor() {
    this.root('');
  }

  piece(t: string): number {
    let id = this.pieceIds.get(t);
    if (id === undefined) {
      this.pieceIds.set(t, (id = this.pieces.length));
      this.pieces.push(t);
    }
    return id;
  }

  /** Whether state id's string is a prefix of the string with prefix hashes (p1, p2). */
  isPrefixOf(id: number, p1: Int32Array, p2: Int32Array): boolean {
    const l = this.len[id];
    return l < p1.length && this.h1[id] === p1[l] && this.h2[id] === p2[l];
  }

  pieceText(p: number): string {
    return this.pieces[p];
  }

  /** The id of a whole string (puts, gets, the initial ''). */
  root(t: string): number {
    const [h1, h2] = hashOf(t);
    return this.intern(-1, this.piece(t), h1, h2, t.length);
  }

  /** The id of str(s) + the piece, given the piece's hash and power. */
  append(s: number, piece: number, th1: number, th2: number, tp1: number, tp2: number): number {
    const h1 = (this.h1[s] * tp1 + th1) % P1;
    const h2 = (this.h2[s] * tp2 + th2) % P2;
    return this.intern(s, piece, h1, h2, this.len[s] + this.pieces[piece].length);
  }

  str(id: number): string {
    const parts: string[] = [];
    for (let k = id; k >= 0; k = this.parent[k]) parts.push(this.pieces[this.pieceOf[k]]);
    return parts.reverse().join('');
  }

  private intern(parent: number, piece: number, h1: number, h2: number, len: number): number {
    let mask = this.table.length - 1;
    let j = (Math.imul(h1, 0x9e3779b1) ^ h2) & mask;
    let want: string | undefined;
    for (;;) {
      const v = this.table[j];
      if (v === 0) break;
      const id = v - 1;
      if (this.h1[id] === h1 && this.h2[id] === h2 && this.len[id] === len) {
        want ??= (parent < 0 ? '' : this.str(parent)) + this.pieces[piece];
        if (this.str(id) === want) return id;
      }
      j = (j + 1) & mask;
    }
    if (this.count === this.cap) {
      this.grow();
      mask = this.table.length - 1;
      j = (Math.imul(h1, 0x9e3779b1) ^ h2) & mask;
      while (this.table[j] !== 0) j = (j + 1) & mask;
    }
    const id = this.count++;
    this.parent[id] = parent;
    this.pieceOf[id] = piece;
    this.h1[id] = h1;
    this.h2[id] = h2;
    this.len[id] = len;
    this.table[j] = id + 1;
    return id;
  }

  private grow(): void {
    const cap = (this.cap *= 2);
    this.parent = grown(this.parent, cap);
    this.h1 = grown(this.h1, cap);
    this.h2 = grown(this.h2, cap);
    this.pieceOf = grown(this.pieceOf, cap);
    this.len = grown(this.len, cap);
    const mask = 2 * cap - 1;
    this.table = new Int32Array(2 * cap);
    for (let id = 0; id < this.count; id++) {
      let j = (Math.imul(this.h1[id], 0x9e3779b1) ^ this.h2[id]) & mask;
      while (this.table[j] !== 0) j = (j + 1) & mask;
      this.table[j] = id + 1;
    }
  }
}

function compileKv(part: readonly Operation[], opts: CheckOptions): Compiled {
  const locate: Locate = opts.locate ?? ((i) => `event ${i}`);
  const states = new KvStates();
  const kept: Operation[] = [];
  const encs: Enc[] = [];
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
      encs.push({ kind: GET, a: states.root(str(op.output, op)), b: 0, open: false });
      continue;
    }
    if (st === 'fail') continue;
    const arg = str(op.input ?? op.output, op);
    kept.push(op);
    if (op.f === 'put') encs.push({ kind: PUT, a: states.root(arg), b: 0, open: st !== 'ok' });
    else {
      encs.push({ kind: APPEND, a: states.piece(arg), b: 0, open: st !== 'ok' });
    }
  }
  const n = kept.length;
  const kind = new Uint8Array(n);
  const a = new Int32Array(n);
  const th1 = new Float64Array(n), th2 = new Float64Array(n), tp1 = new Float64Array(n), tp2 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    kind[i] = encs[i].kind;
    a[i] = encs[i].a;
    if (kind[i] === APPEND) [th1[i], th2[i], tp1[i], tp2[i]] = hashOf(states.pieceText(a[i]));
  }
  // Each (state, op) transition is computed once and kept in a flat open-addressing table; the
  // last transition of each op is checked first, as the search retries ops from one state.
  const lastFrom = new Int32Array(n).fill(-1);
  const lastTo = new Int32Array(n);
  let tCap = 1 << 12;
  let tFrom = new Int32Array(tCap).fill(-1);
  let tOp = new Int32Array(tCap);
  let tTo = new Int32Array(tCap);
  let tCount = 0;
  const slotOf = (s: number, i: number, mask: number) => {
    let x = Math.imul(s, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b);
    x ^= x >>> 15;
    return x & mask;
  };
  const growT = () => {
    const of = tFrom, oo = tOp, ot = tTo;
    tCap *= 2;
    tFrom = new Int32Array(tCap).fill(-1);
    tOp = new Int32Array(tCap);
    tTo = new Int32Array(tCap);
    for (let k = 0; k < of.length; k++) {
      if (of[k] < 0) continue;
      let j = slotOf(of[k], oo[k], tCap - 1);
      while (tFrom[j] >= 0) j = (j + 1) & (tCap - 1);
      tFrom[j] = of[k];
      tOp[j] = oo[k];
      tTo[j] = ot[k];
    }
  };
  const append = (s: number, i: number): number => {
    const mask = tCap - 1;
    let j = slotOf(s, i, mask);
    for (;;) {
      const f = tFrom[j];
      if (f < 0) break;
      if (f === s && tOp[j] === i) return tTo[j];
      j = (j + 1) & mask;
    }
    const r = states.append(s, a[i], th1[i], th2[i], tp1[i], tp2[i]);
    tFrom[j] = s;
    tOp[j] = i;
    tTo[j] = r;
    if (++tCount * 2 > tCap) growT();
    return r;
  };
  const step = (s: number, i: number): number => {
    const k = kind[i];
    if (k === GET) return s === a[i] ? s : -1;
    if (k === PUT) return a[i];
    if (lastFrom[i] === s) return lastTo[i];
    const r = append(s, i);
    lastFrom[i] = s;
    lastTo[i] = r;
    return r;
  };
  const { call, ret } = finish(kept, encs.map((e) => e.open));
  const resets = new Uint8Array(n);
  for (let i = 0; i < n; i++) if (kind[i] === PUT) resets[i] = 1;
  // Prefix hashes of a get's value, made when the get is first pending and shared by gets of
  // the same value; the cache is dropped when it grows past a bound, so memory stays linear in
  // the values in flight rather than in the whole history.
  const prefixes = new Map<number, [Int32Array, Int32Array]>();
  let cached = 0;
  const prefixOf = (v: number) => {
    let p = prefixes.get(v);
    if (!p) {
      p = prefixHashes(states.str(v));
      cached += p[0].length;
      if (cached > 1 << 24) {
        prefixes.clear();
        cached = p[0].length;
      }
      prefixes.set(v, p);
    }
    return p;
  };
  // hash equality may (rarely) say "prefix" wrongly; that only prunes less, never wrongly
  const canStillRead = (s: number, i: number) => {
    const [p1, p2] = prefixOf(a[i]);
    return states.isPrefixOf(s, p1, p2);
  };
  return { n, ops: kept, call, ret, init: 0, steps: new ClosureSteps(step), describe: (s) => states.str(s), sameAs: sameAs(kind, a, new Int32Array(n), ret), readOnly: readOnlyOf(kind, [GET]), resets, canStillRead };
}
