// The search against a brute-force oracle on thousands of small random histories. The oracle
// shares nothing with the checker but the history schema: it pairs events itself, applies each
// model's semantics from their plain statement (fail: did not happen, except etcd's cas which
// returned false; info / unfinished: may take effect any time after the call, or never; a read
// that did not return ok constrains nothing) and tries every order that respects real time.
// Outputs are drawn at random, so about half the histories are not linearizable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { HistoryEvent } from '../../ground/history/types.js';
import { checkEvents } from './check.js';
import type { LoadedModel, ModelName, ModelOp, UserModel } from './types.js';

interface BOp {
  f: string;
  key: string;
  input: unknown;
  output: unknown;
  call: number;
  /** Infinity: may take effect any time after the call, or never. */
  ret: number;
}

/** The sequential models (the op names say which): whether o can happen in `s`, and the next state. */
function apply(s: unknown, o: BOp): { ok: boolean; next: unknown } {
  const fail = { ok: false, next: s };
  switch (o.f) {
    case 'read':
    case 'get':
      return o.output === s ? { ok: true, next: s } : fail;
    case 'write':
    case 'put':
      return { ok: true, next: o.input };
    case 'append':
      return { ok: true, next: `${s as string}${o.input as string}` };
    case 'cas-false': // etcd: a cas that ran and found another value
      return (o.input as unknown[])[0] !== s ? { ok: true, next: s } : fail;
    default: {
      const [want, next] = o.input as unknown[];
      return want === s ? { ok: true, next } : fail;
    }
  }
}

/** The ops a model constrains, with the semantics above. */
function bruteOps(model: ModelName, events: HistoryEvent[]): BOp[] {
  const open = new Map<unknown, HistoryEvent>();
  const out: BOp[] = [];
  const done = (inv: HistoryEvent, comp: HistoryEvent | undefined) => {
    const status = comp?.type ?? 'open';
    const key = String(inv.key ?? '');
    const ret = status === 'ok' ? comp!.index : Infinity;
    if (inv.f === 'read' || inv.f === 'get') {
      if (status !== 'ok') return;
      if (model === 'kv' && (comp!.value === null || comp!.value === undefined)) return;
      out.push({ f: inv.f, key, input: null, output: comp!.value ?? null, call: inv.index, ret });
      return;
    }
    if (status === 'fail') {
      if (model === 'etcd-cas-register' && inv.f === 'cas') out.push({ f: 'cas-false', key, input: inv.value, output: null, call: inv.index, ret: comp!.index });
      else if (model === 'etcd-cas-register' && inv.f === 'write') out.push({ f: 'write', key, input: inv.value, output: null, call: inv.index, ret: Infinity });
      return;
    }
    out.push({ f: inv.f, key, input: inv.value, output: null, call: inv.index, ret });
  };
  for (const e of events) {
    if (e.type === 'invoke') open.set(e.process, e);
    else {
      done(open.get(e.process)!, e);
      open.delete(e.process);
    }
  }
  for (const inv of open.values()) done(inv, undefined);
  return out;
}

/** Whether some order of the ops (every returned op included, the rest optional) is legal. */
function bruteLinearizable(model: ModelName, ops: BOp[]): boolean {
  const keys = new Set(ops.map((o) => o.key));
  for (const k of keys) {
    const part = ops.filter((o) => o.key === k);
    const seen = new Set<string>();
    const dfs = (done: number, s: unknown): boolean => {
      let pendingRequired = false;
      for (let i = 0; i < part.length; i++) if (!(done & (1 << i)) && part[i].ret !== Infinity) pendingRequired = true;
      if (!pendingRequired) return true;
      const memo = `${done},${JSON.stringify(s)}`;
      if (seen.has(memo)) return false;
      seen.add(memo);
      for (let i = 0; i < part.length; i++) {
        if (done & (1 << i)) continue;
        // every op not yet placed must not have returned before op i was called
        let ok = true;
        for (let j = 0; j < part.length; j++) if (j !== i && !(done & (1 << j)) && part[j].ret < part[i].call) ok = false;
        if (!ok) continue;
        const r = apply(s, part[i]);
        if (r.ok && dfs(done | (1 << i), r.next)) return true;
      }
      return false;
    };
    if (!dfs(0, model === 'kv' ? '' : null)) return false;
  }
  return true;
}

interface Pick {
  kind: number;
  v: number;
  w: number;
  key: number;
  status: number;
}

/** Processes run their ops in turn; `schedule` says which process moves next. */
function history(model: ModelName, procs: Pick[][], schedule: number[]): HistoryEvent[] {
  const kinds = model === 'kv' ? ['get', 'put', 'append'] : model === 'register' ? ['read', 'write'] : ['read', 'write', 'cas'];
  const vals = [null, 0, 1, 2];
  const next = procs.map(() => 0);
  const pending = procs.map(() => false);
  const events: HistoryEvent[] = [];
  const emit = (e: Omit<HistoryEvent, 'index' | 'time'>) => events.push({ index: events.length, time: events.length, ...e });
  const step = (p: number) => {
    const op = procs[p][next[p]];
    const f = kinds[op.kind % kinds.length];
    const key = model === 'kv' ? { key: `k${op.key % 2}` } : {};
    const arg = f === 'read' || f === 'get' ? null : f === 'cas' ? [vals[op.w % 4], vals[op.v % 4]] : model === 'kv' ? (f === 'put' ? `p${op.v % 3}` : `${op.v % 3}`) : vals[op.v % 4];
    if (!pending[p]) {
      emit({ process: p, type: 'invoke', f, ...key, value: arg });
      pending[p] = true;
      return;
    }
    // 70% ok, 15% fail, 15% info
    const type = op.status < 14 ? 'ok' : op.status < 17 ? 'fail' : 'info';
    const read = f === 'read' || f === 'get';
    const out = read ? (model === 'kv' ? ['', '0', '01', 'p1', 'p12', 'p2', null][op.w % 7] : vals[op.w % 4]) : arg;
    emit({ process: p, type, f, ...key, value: type === 'info' ? undefined : out });
    pending[p] = false;
    next[p]++;
  };
  for (const s of schedule) {
    const p = s % procs.length;
    if (next[p] < procs[p].length) step(p);
  }
  // finish the rest in order, leaving the very last op of process 0 unfinished sometimes
  for (let p = 0; p < procs.length; p++) while (next[p] < procs[p].length) {
    if (p === 0 && next[p] === procs[p].length - 1 && pending[p] && procs[p][next[p]].status % 5 === 0) break;
    step(p);
  }
  return events;
}

const pick = fc.record({ kind: fc.nat(2), v: fc.nat(11), w: fc.nat(13), key: fc.nat(1), status: fc.nat(19) });
const procs = fc.array(fc.array(pick, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 });
const schedule = fc.array(fc.nat(7), { maxLength: 30 });

for (const model of ['register', 'cas-register', 'etcd-cas-register', 'kv'] as ModelName[]) {
  test(`${model}: the search agrees with brute force on small random histories`, () => {
    let valid = 0;
    let invalid = 0;
    fc.assert(
      fc.property(procs, schedule, (ps, sched) => {
        const events = history(model, ps, sched);
        const expected = bruteLinearizable(model, bruteOps(model, events));
        const r = checkEvents(events, { model });
        if (expected) valid++;
        else invalid++;
        assert.equal(r.valid, expected, JSON.stringify(events));
      }),
      { numRuns: 2500 },
    );
    // both verdicts are exercised, so the test can fail either way
    assert.ok(valid > 200 && invalid > 200, `valid ${valid}, invalid ${invalid}`);
  });
}

/** The same models written as users would (porcupine style), through the open interface. */
function userModel(model: ModelName): LoadedModel {
  const kv = model === 'kv';
  const impl: UserModel = {
    name: `user-${model}`,
    init: () => (kv ? '' : null),
    step(s: unknown, op: ModelOp) {
      if (op.f === 'read' || op.f === 'get') return op.output === undefined || (kv && op.output === null) || op.output === s ? s : undefined;
      if (op.f === 'write' || op.f === 'put') return op.input;
      if (op.f === 'append') return `${s as string}${op.input as string}`;
      const [want, next] = op.input as unknown[];
      return want === s ? next : undefined;
    },
    equal: (a, b) => a === b,
    partition: (op) => op.key,
    describe: (s) => s,
  };
  return { name: impl.name!, path: '(in memory)', impl };
}

for (const model of ['register', 'cas-register', 'kv'] as ModelName[]) {
  test(`a user model (${model}, written against the open interface) agrees with brute force`, () => {
    const user = userModel(model);
    fc.assert(
      fc.property(procs, schedule, (ps, sched) => {
        const events = history(model, ps, sched);
        const expected = bruteLinearizable(model, bruteOps(model, events));
        assert.equal(checkEvents(events, { model: user }).valid, expected, JSON.stringify(events));
      }),
      { numRuns: 1000 },
    );
  });
}
