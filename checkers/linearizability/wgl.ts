// The Wing-Gong-Lowe search over one partition. Entries (calls and returns) sit in a doubly
// linked list ordered by history position; the search linearizes the first call it can, lifting
// it and its return out of the list, and backtracks when it meets a return whose op is not yet
// linearized.
//
// Lowe's memoisation: a configuration (linearized ops, model state) is explored once. What makes
// it cheap at any history length is how the linearized set is stored. Ops that returned are
// numbered in call order ("slots"); the frontier F is the first slot not linearized. Every slot
// below F is linearized, and a linearized slot above F was called before F returned (the search
// only reaches calls that precede the first unlinearized return), so the set is exactly
// (F, bits of the window of slots called before F's return). A configuration costs a few words
// however long the history: the window is about as wide as the concurrency.
// The memo is a flat open-addressing table over typed arrays keyed by (F, state, window bits),
// with every key compared in full on a hash match (no verdict rests on a hash alone), so the hot
// loop allocates nothing.
//
// Ops that never returned (info / unfinished) are kept apart: a configuration is skipped when
// one with the same returned ops and state, using a SUBSET of the open ops, was seen (it had
// every option this one has).
//
// A read-only op (a read, etcd's failed cas) that is legal when its call is reached is
// linearized there and never moved: every op that precedes it in real time is linearized
// already, and it leaves the state as it is, so any linearization that places it later can place
// it here instead. Backtracking past it therefore backtracks its parent too.
// The search is resumable (run(budget)) so partitions can be interleaved.
import { grown, type Compiled } from './models.js';

/** How many ops of the linearizable prefix a counterexample carries (its last ones). */
export const PREFIX_TAIL = 8;

export type Outcome =
  | { kind: 'valid'; explored: number }
  | {
      kind: 'invalid';
      explored: number;
      /** Length of the longest linearizable prefix found, and its last ops with the state after each. */
      prefixLength: number;
      tail: number[];
      states: number[];
      blocked: number;
      state: number;
    }
  | { kind: 'unknown'; explored: number; reason: string };

/** Memo memory above which a check gives up with `unknown`, shared by the keys searched in one
 *  thread (and split between threads): with the history itself, a process stays under 2 GiB. */
export const MEMO_BUDGET_BYTES = 512 * 1024 * 1024;

/** The memo bytes of every search drawing on one budget. */
export interface MemoAccount {
  bytes: number;
  limit: number;
}

function inOrder(ops: readonly number[], call: Float64Array): boolean {
  for (let k = 1; k < ops.length; k++) if (call[ops[k - 1]] > call[ops[k]]) return false;
  return true;
}

/** Entries (2*op for a call, 2*op+1 for a return) in history order; returns that never happened
 *  (Infinity) last, by op. Positions are distinct event indexes: when they are dense (one key of
 *  a few) each entry is dropped at its position, otherwise the entries are packed as
 *  position * (E + 1) + entry and sorted as numbers (a typed-array sort, no comparator). */
export function entryOrder(call: Float64Array, ret: Float64Array): Int32Array {
  const n = call.length;
  const E = 2 * n;
  let first = Infinity;
  let last = -1;
  let never = 0;
  for (let i = 0; i < n; i++) {
    if (call[i] < first) first = call[i];
    if (call[i] > last) last = call[i];
    if (ret[i] === Infinity) never++;
    else if (ret[i] > last) last = ret[i];
  }
  const order = new Int32Array(E);
  if (n === 0) return order;
  const range = last - first + 1;
  if (Number.isInteger(first) && Number.isInteger(last) && range <= 4 * E + 1024) {
    const at = new Int32Array(range).fill(-1);
    let dense = true;
    for (let e = 0; e < E && dense; e++) {
      const t = (e & 1) === 0 ? call[e >> 1] : ret[e >> 1];
      if (t === Infinity) continue;
      const k = t - first;
      if (!Number.isInteger(k) || at[k] !== -1) dense = false;
      else at[k] = e;
    }
    if (dense) {
      let k = 0;
      for (let t = 0; t < range; t++) if (at[t] >= 0) order[k++] = at[t];
      if (never > 0) for (let i = 0; i < n; i++) if (ret[i] === Infinity) order[k++] = 2 * i + 1;
      return order;
    }
  }
  const keys = new Float64Array(E);
  for (let e = 0; e < E; e++) {
    const t = (e & 1) === 0 ? call[e >> 1] : ret[e >> 1];
    keys[e] = (t === Infinity ? last + 1 : t) * (E + 1) + e;
  }
  if ((last + 2) * (E + 1) > Number.MAX_SAFE_INTEGER) throw new Error('history too long to order exactly');
  keys.sort();
  for (let k = 0; k < E; k++) order[k] = keys[k] % (E + 1);
  return order;
}

export class Search {
  private readonly TAIL: number;
  private readonly entOp: Int32Array;
  private readonly isRet: Uint8Array;
  private readonly callEnt: Int32Array;
  private readonly retEnt: Int32Array;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  /** Returned ops: their slot (call order). Open ops: fw*32 + their index in the open bitset. */
  private readonly slot: Int32Array;
  private readonly open: Uint8Array;
  /** Returned ops in call order. */
  private readonly nf: number;
  /** Per slot F: the first slot called after F returned (the window of F is F+1 .. wEnd-1). */
  private readonly wEnd: Int32Array;
  private readonly fw: number; // words of the returned-ops bitset (two spare words for window reads)
  private readonly ow: number; // words of the open-ops bitset
  private readonly bits: Uint32Array; // returned ops, then open ops
  private readonly win: Uint32Array; // the current window's words, built by remember()
  private frontier = 0;

  // The memo. Groups: one per (frontier, state, window), found through an open-addressing table
  // whose slots hold group+1. Each group lists the open-op sets seen with it, kept an antichain
  // (a new set evicts the supersets it dominates).
  private gCap = 1024;
  private gF: Int32Array;
  private gState: Int32Array;
  private gH: Int32Array;
  private gOff: Int32Array; // where the group's window words start in `pool`
  private gHead: Int32Array;
  private groups = 0;
  private mask: number;
  private table: Int32Array;
  private pool: Uint32Array;
  private poolUsed = 0;
  private oCap = 1024;
  private oBits: Uint32Array; // ow words per open set
  private oNext: Int32Array;
  private sets = 0;
  private configs = 0;

  private readonly stackOp: Int32Array;
  private readonly stackSt: Int32Array;
  private readonly stackF: Int32Array;
  private readonly stackForced: Uint8Array;
  private depth = 0;
  private state: number;
  private entry: number;
  private best = -1;
  private bestTail: number[] = [];
  private bestStates: number[] = [];
  private bestBlocked = -1;
  private bestState = 0;
  private done: Outcome | null = null;
  /** Reset ops (kv puts): returned ones by slot, as "first reset at or after slot s"; open ones by call. */
  private readonly resetFrom: Int32Array;
  private readonly openResets: Int32Array;
  /** Registers: per value, its returned producers by slot and its open producers by call. */
  private readonly retProducers: Map<number, Int32Array> | undefined;
  private readonly openProducers: Map<number, Int32Array> | undefined;

  private reported = 0;

  constructor(
    private readonly p: Compiled,
    private readonly account: MemoAccount = { bytes: 0, limit: MEMO_BUDGET_BYTES },
  ) {
    const n = p.n;
    const { call, ret } = p;
    const E = 2 * n;
    const order = entryOrder(call, ret);
    this.TAIL = E + 1;
    this.entOp = new Int32Array(E + 2);
    this.isRet = new Uint8Array(E + 2);
    this.callEnt = new Int32Array(n);
    this.retEnt = new Int32Array(n);
    this.next = new Int32Array(E + 2);
    this.prev = new Int32Array(E + 2);
    for (let k = 0; k < E; k++) {
      const e = k + 1;
      const op = order[k] >> 1;
      this.entOp[e] = op;
      if (order[k] & 1) {
        this.isRet[e] = 1;
        this.retEnt[op] = e;
      } else this.callEnt[op] = e;
    }
    for (let e = 0; e <= E; e++) {
      this.next[e] = e + 1;
      this.prev[e + 1] = e;
    }
    this.slot = new Int32Array(n);
    this.open = new Uint8Array(n);
    const returned: number[] = [];
    const opens: number[] = [];
    for (let i = 0; i < n; i++) {
      if (ret[i] === Infinity) {
        this.open[i] = 1;
        opens.push(i);
      } else returned.push(i);
    }
    // ops come in call order from pairing; sort only if a caller gave them otherwise
    const byCall = (x: number, y: number) => call[x] - call[y] || x - y;
    if (!inOrder(returned, call)) returned.sort(byCall);
    if (!inOrder(opens, call)) opens.sort(byCall);
    const nf = (this.nf = returned.length);
    returned.forEach((op, s) => (this.slot[op] = s));
    this.fw = ((nf + 31) >>> 5) + 2;
    this.ow = (opens.length + 31) >>> 5;
    opens.forEach((op, k) => (this.slot[op] = this.fw * 32 + k));
    // windows: slots called before F returned (calls are sorted by slot, so a binary search)
    this.wEnd = new Int32Array(nf + 1);
    let maxWords = 1;
    for (let f = 0; f < nf; f++) {
      const r = ret[returned[f]];
      let lo = f + 1;
      let hi = nf;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (call[returned[mid]] < r) lo = mid + 1;
        else hi = mid;
      }
      this.wEnd[f] = lo;
      maxWords = Math.max(maxWords, (lo - f - 1 + 31) >>> 5);
    }
    this.wEnd[nf] = nf;
    this.win = new Uint32Array(maxWords);
    this.bits = new Uint32Array(this.fw + this.ow);
    // The memo starts near the problem's size and doubles as it fills: at a fixed 1,024 a key of
    // a few ops (a failover run checks hundreds of them) took ~40 KB of typed arrays, memory
    // outside the JS heap that made the garbage collector work during the next run.
    this.gCap = this.oCap = Math.min(this.gCap, Math.max(16, nextPow2(8 * n)));
    this.gF = new Int32Array(this.gCap);
    this.gState = new Int32Array(this.gCap);
    this.gH = new Int32Array(this.gCap);
    this.gOff = new Int32Array(this.gCap);
    this.gHead = new Int32Array(this.gCap);
    this.mask = 2 * this.gCap - 1;
    this.table = new Int32Array(this.mask + 1);
    this.pool = new Uint32Array(this.gCap);
    this.oBits = new Uint32Array(this.oCap * Math.max(1, this.ow));
    this.oNext = new Int32Array(this.oCap);
    this.stackOp = new Int32Array(n);
    this.stackSt = new Int32Array(n);
    this.stackF = new Int32Array(n);
    this.stackForced = new Uint8Array(n);
    this.state = p.init;
    this.bestState = p.init;
    this.entry = this.next[0];
    if (n === 0) this.done = { kind: 'valid', explored: 0 };
    // first reset at or after each slot (nf: none)
    this.resetFrom = new Int32Array(nf + 1).fill(nf);
    const openResets: number[] = [];
    if (p.resets) {
      for (let s = nf - 1; s >= 0; s--) this.resetFrom[s] = p.resets[returned[s]] ? s : this.resetFrom[s + 1];
      for (const op of opens) if (p.resets[op]) openResets.push(op);
    }
    this.openResets = Int32Array.from(openResets);
    if (p.producers) {
      this.retProducers = new Map();
      this.openProducers = new Map();
      for (const [v, list] of p.producers) {
        const r: number[] = [];
        const o: number[] = [];
        for (const q of list) (ret[q] === Infinity ? o : r).push(q);
        if (!inOrder(r, call)) r.sort(byCall);
        if (!inOrder(o, call)) o.sort(byCall);
        this.retProducers.set(v, Int32Array.from(r));
        this.openProducers.set(v, Int32Array.from(o));
      }
    }
    this.returnedBySlot = Int32Array.from(returned);
  }

  private readonly returnedBySlot: Int32Array;

  /** Configurations recorded in the memo. */
  get explored(): number {
    return this.configs;
  }

  private memoBytes(): number {
    return this.gCap * 20 + this.table.length * 4 + this.pool.length * 4 + this.oCap * (this.ow * 4 + 4);
  }

  private growGroups(): void {
    const ncap = this.gCap * 2;
    this.gF = grown(this.gF, ncap);
    this.gState = grown(this.gState, ncap);
    this.gH = grown(this.gH, ncap);
    this.gOff = grown(this.gOff, ncap);
    this.gHead = grown(this.gHead, ncap);
    this.gCap = ncap;
    const mask = (this.mask = 2 * ncap - 1);
    const table = (this.table = new Int32Array(mask + 1));
    const gH = this.gH;
    for (let e = 0; e < this.groups; e++) {
      let s = gH[e] & mask;
      while (table[s] !== 0) s = (s + 1) & mask;
      table[s] = e + 1;
    }
  }

  private newSet(nextSet: number): number {
    if (this.sets === this.oCap) {
      const ncap = this.oCap * 2;
      this.oBits = grown(this.oBits, ncap * Math.max(1, this.ow));
      this.oNext = grown(this.oNext, ncap);
      this.oCap = ncap;
    }
    const k = this.sets++;
    const ow = this.ow;
    const fw = this.fw;
    for (let w = 0; w < ow; w++) this.oBits[k * ow + w] = this.bits[fw + w];
    this.oNext[k] = nextSet;
    return k;
  }

  /** Records (linearized set, s) unless it, or a configuration that dominates it, was seen; false then. */
  private remember(s: number): boolean {
    const F = this.frontier;
    const { bits, win } = this;
    // the window's bits, slots F+1 .. wEnd-1, packed from bit 0
    const len = this.wEnd[F] - F - 1;
    const wc = len > 0 ? (len + 31) >>> 5 : 0;
    let x = Math.imul(F ^ 0x632be5ab, 0x85ebca6b) ^ Math.imul(s + 0x9e3779b9, 0xc2b2ae35);
    for (let k = 0; k < wc; k++) {
      const p = F + 1 + 32 * k;
      const w = p >>> 5;
      const sh = p & 31;
      let v = sh === 0 ? bits[w] : (bits[w] >>> sh) | (bits[w + 1] << (32 - sh));
      if (k === wc - 1 && (len & 31) !== 0) v &= 0xffffffff >>> (32 - (len & 31));
      win[k] = v;
      x = Math.imul(x ^ win[k], 0x9e3779b1);
      x ^= x >>> 15;
    }
    x ^= x >>> 16;
    x = Math.imul(x, 0x85ebca6b);
    x ^= x >>> 13;
    const kh = x;
    const { ow, fw, gF, gH, gState, gOff, table, pool } = this;
    const mask = this.mask;
    let i = kh & mask;
    let g = -1;
    for (;;) {
      const v = table[i];
      if (v === 0) break;
      const e = v - 1;
      if (gH[e] === kh && gF[e] === F && gState[e] === s) {
        const base = gOff[e];
        let k = 0;
        while (k < wc && pool[base + k] === win[k]) k++;
        if (k === wc) {
          g = e;
          break;
        }
      }
      i = (i + 1) & mask;
    }
    if (g < 0) {
      if (this.groups === this.gCap) {
        this.growGroups();
        i = kh & this.mask;
        while (this.table[i] !== 0) i = (i + 1) & this.mask;
      }
      g = this.groups++;
      this.table[i] = g + 1;
      if (this.poolUsed + wc > this.pool.length) this.pool = grown(this.pool, Math.max(2 * this.pool.length, this.poolUsed + wc));
      const off = this.poolUsed;
      for (let k = 0; k < wc; k++) this.pool[off + k] = win[k];
      this.poolUsed += wc;
      this.gOff[g] = off;
      this.gF[g] = F;
      this.gState[g] = s;
      this.gH[g] = kh;
      this.gHead[g] = ow === 0 ? -1 : this.newSet(-1);
      this.configs++;
      return true;
    }
    if (ow === 0) return false;
    // dominated if a seen open set is a subset of ours; evict seen supersets of ours
    const oBits = this.oBits;
    const oNext = this.oNext;
    let prevK = -1;
    let k = this.gHead[g];
    while (k >= 0) {
      const base = k * ow;
      let sub = true;
      let sup = true;
      for (let w = 0; w < ow; w++) {
        const a = oBits[base + w];
        const b = bits[fw + w];
        if ((a & ~b) !== 0) sub = false;
        if ((b & ~a) !== 0) sup = false;
      }
      if (sub) return false;
      const nk = oNext[k];
      if (sup) {
        if (prevK < 0) this.gHead[g] = nk;
        else oNext[prevK] = nk;
      } else prevK = k;
      k = nk;
    }
    this.gHead[g] = this.newSet(this.gHead[g]);
    this.configs++;
    return true;
  }

  private linearized(op: number): boolean {
    const b = this.slot[op];
    return (this.bits[b >>> 5] & (1 << (b & 31))) !== 0;
  }

  /** Call position of the first reset (kv put) still to linearize, other than `op`; Infinity if none. */
  private nextReset(op: number): number {
    const { resetFrom, returnedBySlot, openResets, nf } = this;
    let at = Infinity;
    for (let s = resetFrom[this.frontier]; s < nf; s = resetFrom[s + 1]) {
      const r = returnedBySlot[s];
      if (r !== op && !this.linearized(r)) {
        at = this.p.call[r];
        break;
      }
    }
    for (let k = 0; k < openResets.length; k++) {
      const r = openResets[k];
      if (this.p.call[r] >= at) break;
      if (r !== op && !this.linearized(r)) {
        at = this.p.call[r];
        break;
      }
    }
    return at;
  }

  /** Whether some producer of value `want` other than `op`, still to linearize, was called by `until`. */
  private canServe(want: number, op: number, until: number): boolean {
    const call = this.p.call;
    const rp = this.retProducers!.get(want);
    if (rp) {
      // producers below the frontier are linearized: start at the first slot >= frontier
      let lo = 0;
      let hi = rp.length;
      const F = this.frontier;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.slot[rp[mid]] < F) lo = mid + 1;
        else hi = mid;
      }
      for (let k = lo; k < rp.length; k++) {
        const q = rp[k];
        if (call[q] > until) break;
        if (q !== op && !this.linearized(q)) return true;
      }
    }
    const op2 = this.openProducers!.get(want);
    if (op2) {
      for (let k = 0; k < op2.length; k++) {
        const q = op2[k];
        if (call[q] > until) break;
        if (q !== op && !this.linearized(q)) return true;
      }
    }
    return false;
  }

  /** With `op` just linearized into state `ns` (its bit set): a pending read (a call before the
   *  first return) that can no longer be linearized, or -1. kv: until a put is linearized states
   *  only grow, so only reads returning before every remaining put can be judged. Registers: a
   *  read of a value the state does not hold, that no producer still to linearize can serve
   *  before the read returns. */
  private doomedRead(op: number, ns: number): number {
    const { next, isRet, entOp } = this;
    const { ret, readOnly, canStillRead, readVal } = this.p;
    if (canStillRead !== undefined) {
      let resetAt = -1;
      for (let e = next[0]; isRet[e] === 0; e = next[e]) {
        const g = entOp[e];
        if (g === op || readOnly[g] !== 1) continue;
        if (resetAt < 0) resetAt = this.nextReset(op);
        if (ret[g] < resetAt && !canStillRead(ns, g)) return g;
      }
    }
    if (readVal !== undefined) {
      for (let e = next[0]; isRet[e] === 0; e = next[e]) {
        const g = entOp[e];
        const want = readVal[g];
        if (want < 0 || want === ns || g === op) continue;
        if (!this.canServe(want, op, ret[g])) return g;
      }
    }
    return -1;
  }

  /** Runs about `budget` steps; returns the outcome, or null if not finished yet. */
  run(budget: number, deadline = Infinity): Outcome | null {
    if (this.done) return this.done;
    const { entOp, isRet, callEnt, retEnt, next, prev, slot, bits, stackOp, stackSt, stackF, stackForced, TAIL, nf } = this;
    const { steps, ret, sameAs, readOnly } = this.p;
    let { entry, state, depth } = this;
    let iter = 0;
    // an op refused at this configuration because a pending read would become impossible, and
    // that read: if the search gets stuck here, the read is the op to blame
    let prunedOp = -1;
    let prunedFor = -1;
    let out: Outcome | null = null;
    for (;;) {
      if ((++iter & 0x3fff) === 0) {
        if (performance.now() > deadline) {
          out = { kind: 'unknown', explored: this.configs, reason: 'time limit reached before a verdict' };
          break;
        }
        const mine = this.memoBytes();
        this.account.bytes += mine - this.reported;
        this.reported = mine;
        if (this.account.bytes > this.account.limit) {
          out = { kind: 'unknown', explored: this.configs, reason: 'memory limit reached before a verdict' };
          break;
        }
        if (iter >= budget) break;
      }
      if (entry === TAIL) {
        out = { kind: 'valid', explored: this.configs };
        break;
      }
      const op = entOp[entry];
      if (isRet[entry] === 0) {
        // an open op waits for its identical, earlier-called twin (symmetry)
        const twin = sameAs[op];
        if (twin >= 0 && (bits[slot[twin] >>> 5] & (1 << (slot[twin] & 31))) === 0) {
          entry = next[entry];
          continue;
        }
        const ns = steps.step(state, op);
        if (ns >= 0) {
          const b = slot[op];
          const w = b >>> 5;
          const bit = 1 << (b & 31);
          bits[w] |= bit;
          const F = this.frontier;
          if (b === F) {
            let f = F + 1;
            while (f < nf && (bits[f >>> 5] & (1 << (f & 31))) !== 0) f++;
            this.frontier = f;
          }
          // A new configuration is first recorded, then judged: if a pending read can no longer
          // be served it is a dead end, and staying in the memo keeps it from being judged again.
          if (this.remember(ns)) {
            const doomed = ns === state ? -1 : this.doomedRead(op, ns);
            if (doomed < 0) {
              stackOp[depth] = op;
              stackSt[depth] = state;
              stackF[depth] = F;
              stackForced[depth] = readOnly[op];
              depth++;
              prunedOp = -1;
              state = ns;
              const r = retEnt[op];
              next[prev[entry]] = next[entry];
              prev[next[entry]] = prev[entry];
              next[prev[r]] = next[r];
              prev[next[r]] = prev[r];
              entry = next[0];
              continue;
            }
            prunedOp = op;
            prunedFor = doomed;
          }
          bits[w] &= ~bit;
          this.frontier = F;
        }
        entry = next[entry];
        continue;
      }
      // A return whose op is not linearized. If it never returned, no finite return is left:
      // every op that had to take effect has, and the rest may never have happened.
      if (ret[op] === Infinity) {
        out = { kind: 'valid', explored: this.configs };
        break;
      }
      if (depth > this.best) {
        // keep only what a counterexample shows: the prefix's length and its last ops
        this.best = depth;
        const from = Math.max(0, depth - PREFIX_TAIL);
        this.bestTail = Array.from(stackOp.subarray(from, depth));
        const states: number[] = [];
        for (let k = from + 1; k < depth; k++) states.push(stackSt[k]);
        if (depth > 0) states.push(state);
        this.bestStates = states;
        this.bestBlocked = prunedOp >= 0 ? prunedFor : op;
        this.bestState = state;
      }
      let forced = 1;
      while (forced === 1) {
        if (depth === 0) {
          out = {
            kind: 'invalid',
            explored: this.configs,
            prefixLength: this.best,
            tail: this.bestTail,
            states: this.bestStates,
            blocked: this.bestBlocked,
            state: this.bestState,
          };
          break;
        }
        depth--;
        const top = stackOp[depth];
        forced = stackForced[depth];
        prunedOp = -1;
        state = stackSt[depth];
        this.frontier = stackF[depth];
        const b = slot[top];
        bits[b >>> 5] &= ~(1 << (b & 31));
        const c = callEnt[top];
        const r = retEnt[top];
        next[prev[r]] = r;
        prev[next[r]] = r;
        next[prev[c]] = c;
        prev[next[c]] = c;
        entry = next[c];
      }
      if (out) break;
    }
    this.entry = entry;
    this.state = state;
    this.depth = depth;
    if (out) {
      // finished: its memo goes back to the budget of the keys still searching
      this.account.bytes -= this.reported;
      this.reported = 0;
    }
    if (out && out.kind !== 'unknown') this.done = out;
    return out;
  }
}

/** Runs one partition's search to the end (or the deadline). */
export function search(p: Compiled, deadline = Infinity): Outcome {
  const s = new Search(p);
  for (;;) {
    const o = s.run(Infinity, deadline);
    if (o) return o;
  }
}

function nextPow2(x: number): number {
  let p = 1;
  while (p < x) p *= 2;
  return p;
}
