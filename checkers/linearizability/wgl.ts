// The Wing-Gong-Lowe search over one partition. Entries (calls and returns) sit in a doubly
// linked list ordered by history position; the search linearizes the first call it can, lifting
// it and its return out of the list, and backtracks when it meets a return whose op is not yet
// linearized.
//
// Lowe's memoisation: a configuration (linearized ops, model state) is explored once. Ops that
// never returned (info / unfinished) are kept apart from the rest: a configuration is skipped
// when one with the same returned ops and state, using a SUBSET of the open ops, was seen
// (it had every option this one has). Returned ops are a bitset with an incremental Zobrist
// hash; the memo is a flat open-addressing table over typed arrays, so the hot loop allocates
// nothing. A read-only op (a read, etcd's failed cas) that is legal when its call is reached is
// linearized there and never moved: every op that precedes it in real time is linearized
// already, and it leaves the state as it is, so any linearization that places it later can place
// it here instead. Backtracking past it therefore backtracks its parent too.
// The search is resumable (run(budget)) so partitions can be interleaved.
import { grown, type Compiled } from './models.js';

export type Outcome =
  | { kind: 'valid'; explored: number }
  | { kind: 'invalid'; explored: number; prefix: number[]; states: number[]; blocked: number; state: number }
  | { kind: 'unknown'; explored: number; reason: string };

/** Memo memory above which the search gives up with `unknown`. */
const MAX_MEMO_BYTES = 768 * 1024 * 1024;

function zobrist(n: number, seed: number): Int32Array {
  const z = new Int32Array(n);
  let x = seed | 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    z[i] = x;
  }
  return z;
}

export class Search {
  private readonly n: number;
  private readonly TAIL: number;
  private readonly entOp: Int32Array;
  private readonly isRet: Uint8Array;
  private readonly callEnt: Int32Array;
  private readonly retEnt: Int32Array;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  /** Open ops: their slot in the open bitset, else -1. Returned ops: their slot in the other. */
  private readonly slot: Int32Array;
  private readonly open: Uint8Array;
  private readonly z1: Int32Array;
  private readonly z2: Int32Array;
  private readonly fw: number; // words of the returned-ops bitset
  private readonly ow: number; // words of the open-ops bitset
  private readonly bits: Uint32Array; // returned ops, then open ops
  private h1 = 0;
  private h2 = 0;

  // The memo. Groups: one per (returned ops, state), found through an open-addressing table
  // whose slots hold group+1. Each group lists the open-op sets seen with it, kept an antichain
  // (a new set evicts the supersets it dominates).
  private gCap = 1024;
  private gBits: Uint32Array; // fw words per group
  private gState: Int32Array;
  private gH: Int32Array;
  private gH2: Int32Array;
  private gHead: Int32Array;
  private groups = 0;
  private mask: number;
  private table: Int32Array;
  private oCap = 1024;
  private oBits: Uint32Array; // ow words per open set
  private oNext: Int32Array;
  private sets = 0;
  private configs = 0;

  private readonly stackOp: Int32Array;
  private readonly stackSt: Int32Array;
  private readonly stackForced: Uint8Array;
  private depth = 0;
  private state: number;
  private entry: number;
  private best = -1;
  private bestPrefix: number[] = [];
  private bestStates: number[] = [];
  private bestBlocked = -1;
  private bestState = 0;
  private done: Outcome | null = null;
  /** Reset ops (kv puts) by call order; see Compiled.canStillRead. */
  private readonly resetOps: Int32Array;

  constructor(private readonly p: Compiled) {
    const n = (this.n = p.n);
    const { call, ret } = p;
    const E = 2 * n;
    const order = new Array<number>(E);
    for (let i = 0; i < E; i++) order[i] = i;
    const t = (e: number) => ((e & 1) === 0 ? call[e >> 1] : ret[e >> 1]);
    order.sort((x, y) => t(x) - t(y) || (x & 1) - (y & 1) || x - y);
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
    let nf = 0;
    let no = 0;
    for (let i = 0; i < n; i++) {
      if (ret[i] === Infinity) {
        this.open[i] = 1;
        this.slot[i] = no++;
      } else this.slot[i] = nf++;
    }
    this.fw = (nf + 31) >>> 5;
    this.ow = (no + 31) >>> 5;
    // open ops' slots live after the returned ops' words
    for (let i = 0; i < n; i++) if (this.open[i]) this.slot[i] += this.fw * 32;
    this.bits = new Uint32Array(this.fw + this.ow);
    this.z1 = zobrist(n, 0x2545f491);
    this.z2 = zobrist(n, 0x6c8e9cf5);
    this.gBits = new Uint32Array(this.gCap * this.fw);
    this.gState = new Int32Array(this.gCap);
    this.gH = new Int32Array(this.gCap);
    this.gH2 = new Int32Array(this.gCap);
    this.gHead = new Int32Array(this.gCap);
    this.mask = 2 * this.gCap - 1;
    this.table = new Int32Array(this.mask + 1);
    this.oBits = new Uint32Array(this.oCap * Math.max(1, this.ow));
    this.oNext = new Int32Array(this.oCap);
    this.stackOp = new Int32Array(n);
    this.stackSt = new Int32Array(n);
    this.stackForced = new Uint8Array(n);
    this.state = p.init;
    this.bestState = p.init;
    this.entry = this.next[0];
    if (n === 0) this.done = { kind: 'valid', explored: 0 };
    const resets: number[] = [];
    if (p.resets) for (let i = 0; i < n; i++) if (p.resets[i]) resets.push(i);
    resets.sort((x, y) => call[x] - call[y]);
    this.resetOps = Int32Array.from(resets);
  }

  /** Configurations recorded in the memo. */
  get explored(): number {
    return this.configs;
  }

  private memoBytes(): number {
    return this.gCap * (this.fw * 4 + 20) * 2 + this.oCap * (this.ow * 4 + 4);
  }

  private growGroups(): void {
    const ncap = this.gCap * 2;
    this.gBits = grown(this.gBits, ncap * this.fw);
    this.gState = grown(this.gState, ncap);
    this.gH = grown(this.gH, ncap);
    this.gH2 = grown(this.gH2, ncap);
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

  /** Records (bits, s) unless it, or a configuration that dominates it, was seen; false then. */
  private remember(s: number): boolean {
    let x = this.h1 ^ Math.imul(s + 0x632be5ab, 0x9e3779b1);
    x ^= x >>> 16;
    x = Math.imul(x, 0x85ebca6b);
    x ^= x >>> 13;
    const kh = x;
    const h2 = this.h2;
    const { fw, ow, bits, gBits, gH, gH2, gState, table } = this;
    const mask = this.mask;
    let i = kh & mask;
    let g = -1;
    for (;;) {
      const v = table[i];
      if (v === 0) break;
      const e = v - 1;
      if (gH[e] === kh && gH2[e] === h2 && gState[e] === s) {
        const base = e * fw;
        let w = 0;
        while (w < fw && gBits[base + w] === bits[w]) w++;
        if (w === fw) {
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
      for (let w = 0; w < fw; w++) this.gBits[g * fw + w] = bits[w];
      this.gState[g] = s;
      this.gH[g] = kh;
      this.gH2[g] = h2;
      this.gHead[g] = this.newSet(-1);
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

  /** Runs about `budget` steps; returns the outcome, or null if not finished yet. */
  run(budget: number, deadline = Infinity): Outcome | null {
    if (this.done) return this.done;
    const { entOp, isRet, callEnt, retEnt, next, prev, slot, open, z1, z2, bits, stackOp, stackSt, stackForced, TAIL } = this;
    const { step, ret, sameAs, readOnly, canStillRead, readVal, producers } = this.p;
    const resetOps = this.resetOps;
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
        if (this.memoBytes() > MAX_MEMO_BYTES) {
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
        let ns = step(state, op);
        if (ns >= 0 && ns !== state && canStillRead !== undefined) {
          // would a pending read become impossible? (pending: calls before the first return).
          // Only reads that return before every reset still to linearize can be judged.
          let resetAt = Infinity;
          for (let k = 0; k < resetOps.length; k++) {
            const r = resetOps[k];
            if (r !== op && (bits[slot[r] >>> 5] & (1 << (slot[r] & 31))) === 0) {
              resetAt = this.p.call[r];
              break;
            }
          }
          for (let e = next[0]; isRet[e] === 0; e = next[e]) {
            const g = entOp[e];
            if (g !== op && readOnly[g] === 1 && ret[g] < resetAt && !canStillRead(ns, g)) {
              ns = -1;
              prunedOp = op;
              prunedFor = g;
              break;
            }
          }
        }
        if (ns >= 0 && ns !== state && readVal !== undefined) {
          for (let e = next[0]; isRet[e] === 0; e = next[e]) {
            const g = entOp[e];
            const want = readVal[g];
            if (want < 0 || want === ns || g === op) continue;
            const ps = producers!.get(want);
            let served = false;
            if (ps) {
              const until = ret[g];
              for (let k = 0; k < ps.length; k++) {
                const q = ps[k];
                if (this.p.call[q] > until) break;
                if (q !== op && (bits[slot[q] >>> 5] & (1 << (slot[q] & 31))) === 0) {
                  served = true;
                  break;
                }
              }
            }
            if (!served) {
              ns = -1;
              prunedOp = op;
              prunedFor = g;
              break;
            }
          }
        }
        if (ns >= 0) {
          const b = slot[op];
          const w = b >>> 5;
          const bit = 1 << (b & 31);
          bits[w] |= bit;
          if (open[op] === 0) {
            this.h1 ^= z1[op];
            this.h2 ^= z2[op];
          }
          if (this.remember(ns)) {
            stackOp[depth] = op;
            stackSt[depth] = state;
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
          bits[w] &= ~bit;
          if (open[op] === 0) {
            this.h1 ^= z1[op];
            this.h2 ^= z2[op];
          }
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
        this.best = depth;
        this.bestPrefix = Array.from(stackOp.subarray(0, depth));
        const states: number[] = [];
        for (let k = 1; k < depth; k++) states.push(stackSt[k]);
        if (depth > 0) states.push(state);
        this.bestStates = states;
        this.bestBlocked = prunedOp >= 0 ? prunedFor : op;
        this.bestState = state;
      }
      let forced = 1;
      while (forced === 1) {
        if (depth === 0) {
          out = { kind: 'invalid', explored: this.configs, prefix: this.bestPrefix, states: this.bestStates, blocked: this.bestBlocked, state: this.bestState };
          break;
        }
        depth--;
        const top = stackOp[depth];
        forced = stackForced[depth];
        prunedOp = -1;
        state = stackSt[depth];
        const b = slot[top];
        bits[b >>> 5] &= ~(1 << (b & 31));
        if (open[top] === 0) {
          this.h1 ^= z1[top];
          this.h2 ^= z2[top];
        }
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
