// Synthetic histories for the linearizability benchmark (and for anyone who wants a big file:
// `node --import tsx benchmarks/gen-history.ts --ops 100000 --keys 4 --concurrency 5 > h.jsonl`).
//
// A history is made linearizable by construction: `concurrency` processes each cycle through
// invoke -> take effect -> complete, one random step of one random process at a time, and an
// op's effect is applied to the true per-key state at its "take effect" step, which lies inside
// its interval. A `fail` op (failRate) never takes effect; an `info` op (infoRate) takes effect
// half of the time, is never acknowledged, and its process is retired (a new id takes over, as
// in Jepsen). Values come from a small domain (0..4) so that many orders are plausible.
//
// An invalid history gets one stale read halfway through: the generator lets every pending op
// complete, then one process writes two fresh values (never written by anything else) one after
// the other and, strictly after, reads the first. Nothing else is in flight and nothing else
// can produce the first value, so no order can explain it. (Reading back the value the register
// held before is not enough: an earlier info write of that value may take effect at any time.)
import { Rng } from '../ground/rng.js';
import type { HistoryEvent } from '../ground/history/types.js';

export interface GenOptions {
  ops: number;
  keys: number;
  concurrency: number;
  /** 'register': read / write / cas (the cas-register model); 'kv': get / put / append. */
  kind: 'register' | 'kv';
  failRate?: number;
  infoRate?: number;
  invalid?: boolean;
  seed?: number;
}

interface Pending {
  f: string;
  key: number;
  arg: unknown;
  /** What the completion reports; set when the op takes effect. */
  result?: unknown;
  effect: 'pending' | 'done' | 'skipped';
  fate: 'ok' | 'fail' | 'info';
}

export function generateHistory(o: GenOptions): HistoryEvent[] {
  const rng = new Rng(o.seed ?? 1);
  const failRate = o.failRate ?? 0.02;
  const infoRate = o.infoRate ?? 0;
  const kv = o.kind === 'kv';
  const state: unknown[] = Array.from({ length: o.keys }, () => (kv ? '' : null));
  const events: HistoryEvent[] = [];
  const procId = Array.from({ length: o.concurrency }, (_, i) => i);
  const slots: (Pending | null)[] = Array.from({ length: o.concurrency }, () => null);
  let nextProc = o.concurrency;
  let invoked = 0;
  let time = 0;
  let staleDone = !o.invalid;
  let inFlight = 0;
  let fresh = 1000;
  const emit = (e: Omit<HistoryEvent, 'index' | 'time'>) => events.push({ index: events.length, time: (time += 1000), ...e });
  const keyOf = (k: number) => (o.keys === 1 && !kv ? undefined : kv ? `k${k}` : k);
  const withKey = (k: number) => {
    const key = keyOf(k);
    return key === undefined ? {} : { key };
  };

  const pick = (): Pending => {
    const key = rng.int(0, o.keys - 1);
    const r = rng.int(0, 100 - 1);
    const fate = rng.bool(failRate) ? 'fail' : rng.bool(infoRate) ? 'info' : 'ok';
    if (kv) {
      if (r < 50) return { f: 'get', key, arg: null, effect: 'pending', fate };
      if (r < 60) return { f: 'put', key, arg: `p${rng.int(0, 5 - 1)}`, effect: 'pending', fate };
      return { f: 'append', key, arg: `${rng.int(0, 10 - 1)}`, effect: 'pending', fate };
    }
    if (r < 50) return { f: 'read', key, arg: null, effect: 'pending', fate };
    if (r < 75) return { f: 'write', key, arg: rng.int(0, 5 - 1), effect: 'pending', fate };
    return { f: 'cas', key, arg: [rng.int(0, 5 - 1), rng.int(0, 5 - 1)], effect: 'pending', fate };
  };

  const takeEffect = (p: Pending) => {
    if (p.fate === 'fail' || (p.fate === 'info' && rng.bool(0.5))) {
      p.effect = 'skipped';
      return;
    }
    p.effect = 'done';
    const cur = state[p.key];
    if (p.f === 'read' || p.f === 'get') p.result = cur;
    else if (p.f === 'write' || p.f === 'put') state[p.key] = p.arg;
    else if (p.f === 'append') state[p.key] = `${cur as string}${p.arg as string}`;
    else {
      const [want, next] = p.arg as [unknown, unknown];
      if (cur === want) state[p.key] = next;
      else p.fate = 'fail'; // a cas whose expectation is not met fails and changes nothing
    }
  };

  const complete = (i: number) => {
    const p = slots[i]!;
    const base = { process: procId[i], f: p.f, ...withKey(p.key) };
    if (p.fate === 'info') {
      emit({ ...base, type: 'info' });
      procId[i] = nextProc++;
    } else if (p.fate === 'fail') emit({ ...base, type: 'fail', value: p.arg });
    else emit({ ...base, type: 'ok', value: p.f === 'read' || p.f === 'get' ? p.result : p.arg });
    slots[i] = null;
    inFlight--;
  };

  const stale = () => {
    // quiesce, then write a fresh value and read the one it replaced, alone
    for (let i = 0; i < slots.length; i++) {
      const p = slots[i];
      if (!p) continue;
      if (p.effect === 'pending') takeEffect(p);
      complete(i);
    }
    const key = 0;
    const p = procId[0];
    const first = kv ? `fresh${fresh++}` : fresh++;
    for (const value of [first, kv ? `fresh${fresh++}` : fresh++]) {
      emit({ process: p, type: 'invoke', f: kv ? 'put' : 'write', ...withKey(key), value });
      state[key] = value;
      emit({ process: p, type: 'ok', f: kv ? 'put' : 'write', ...withKey(key), value });
    }
    emit({ process: p, type: 'invoke', f: kv ? 'get' : 'read', ...withKey(key), value: null });
    emit({ process: p, type: 'ok', f: kv ? 'get' : 'read', ...withKey(key), value: first });
    invoked += 3;
  };

  while (invoked < o.ops || inFlight > 0) {
    if (!staleDone && invoked >= o.ops / 2) {
      stale();
      staleDone = true;
      continue;
    }
    const i = rng.int(0, o.concurrency - 1);
    const p = slots[i];
    if (!p) {
      if (invoked >= o.ops) continue;
      const q = (slots[i] = pick());
      invoked++;
      inFlight++;
      emit({ process: procId[i], type: 'invoke', f: q.f, ...withKey(q.key), value: q.arg });
    } else if (p.effect === 'pending') takeEffect(p);
    else complete(i);
  }
  return events;
}

/** The history as JSON Lines (the native format `chaos check` reads). */
export function toJsonl(events: readonly HistoryEvent[]): string {
  return events.map((e) => JSON.stringify(e)).join('\n') + '\n';
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''))) {
  const arg = (name: string, d: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : d;
  };
  const events = generateHistory({
    ops: Number(arg('ops', '1000')),
    keys: Number(arg('keys', '1')),
    concurrency: Number(arg('concurrency', '5')),
    kind: arg('kind', 'register') as 'register' | 'kv',
    failRate: Number(arg('fail', '0.02')),
    infoRate: Number(arg('info', '0')),
    invalid: process.argv.includes('--invalid'),
    seed: Number(arg('seed', '1')),
  });
  process.stdout.write(toJsonl(events));
}
