// Jepsen / knossos EDN histories: one vector or list of op maps, or loose maps; keys in any
// order, maps over several lines, `;` comments. Also porcupine's kv logs (EDN maps with :key).
import { InputError } from '../../errors.js';
import type { EventType, HistoryEvent, ProcessId } from '../types.js';
import { EdnMap, EdnParser, Keyword, Sym, type EdnValue, type Located } from './edn.js';
import type { ReadHistory } from './types.js';

const TYPES = new Set<string>(['invoke', 'ok', 'fail', 'info']);

/** EDN -> plain JSON-like data. Keywords keep their colon so `:timed-out` never equals a string. */
export function ednToPlain(v: EdnValue): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Keyword) return `:${v.name}`;
  if (v instanceof Sym) return v.name;
  if (Array.isArray(v)) return v.map(ednToPlain);
  if (v instanceof EdnMap) {
    const o: Record<string, unknown> = {};
    for (const [k, val] of v.entries) o[k instanceof Keyword ? k.name : typeof k === 'string' ? k : JSON.stringify(ednToPlain(k))] = ednToPlain(val);
    return o;
  }
  return v;
}

const name = (v: EdnValue | undefined): string | undefined =>
  v instanceof Keyword || v instanceof Sym ? v.name : typeof v === 'string' ? v : undefined;

function toEvent(m: EdnValue, where: string, index: number): HistoryEvent {
  if (!(m instanceof EdnMap)) throw new InputError(`expected an operation map like {:process 0 :type :invoke :f :read :value nil}`, where);
  const t = m.get('type');
  if (t === undefined) throw new InputError(`operation map has no :type; expected :type :invoke, :ok, :fail or :info`, where);
  const type = t instanceof Keyword ? t.name : undefined;
  if (!type || !TYPES.has(type)) throw new InputError(`unknown :type ${t instanceof Keyword ? `:${t.name}` : JSON.stringify(ednToPlain(t))}; expected :invoke, :ok, :fail or :info`, where);
  const p = m.get('process');
  let process: ProcessId;
  if (typeof p === 'number' && Number.isInteger(p)) process = p;
  else if (p instanceof Keyword && p.name === 'nemesis') process = 'nemesis';
  else throw new InputError(`bad :process ${p === undefined ? '(missing)' : JSON.stringify(ednToPlain(p))}; expected an integer or :nemesis`, where);
  const f = name(m.get('f'));
  if (f === undefined) throw new InputError(`operation map has no usable :f; expected a keyword like :read`, where);
  const time = m.get('time');
  if (time !== undefined && typeof time !== 'number') throw new InputError(`bad :time; expected a number`, where);
  const ev: HistoryEvent = { index, time: typeof time === 'number' ? time : index, process, type: type as EventType, f };
  if (m.has('value')) ev.value = ednToPlain(m.get('value')!);
  if (m.has('key')) {
    const k = ednToPlain(m.get('key')!);
    if (k !== null && typeof k !== 'string' && typeof k !== 'number') throw new InputError(`bad :key; expected a string, keyword or number`, where);
    ev.key = k;
  }
  return ev;
}

/** Jepsen's independent checker wraps each value as a [key value] tuple. A file is read that
 *  way only if every client op carries one (and each cas a [key [old new]]), so a plain cas's
 *  [old new] is never mistaken for a tuple. */
function unwrapTuples(events: HistoryEvent[]): void {
  let clientOps = 0;
  for (const e of events) {
    if (e.process === 'nemesis') continue;
    clientOps++;
    if (e.key !== undefined) return;
    const v = e.value;
    if (!Array.isArray(v) || v.length !== 2) return;
    if (v[0] !== null && typeof v[0] !== 'string' && typeof v[0] !== 'number') return;
    if (e.f === 'cas' && v[1] !== null && !(Array.isArray(v[1]) && v[1].length === 2)) return;
  }
  if (clientOps === 0) return;
  for (const e of events) {
    if (e.process === 'nemesis') continue;
    const [k, v] = e.value as [string | number | null, unknown];
    e.key = k;
    e.value = v;
  }
}

export function readEdnHistory(text: string, file: string): ReadHistory {
  const parser = new EdnParser(text, file);
  const first = parser.peekChar();
  let forms: Located[];
  if (first === '[' || first === '(') forms = parser.readSeqElements();
  else forms = parser.readAll();
  const events: HistoryEvent[] = [];
  const lines: number[] = [];
  for (const { value, line } of forms) {
    events.push(toEvent(value, `${file}:${line}`, events.length));
    lines.push(line);
  }
  unwrapTuples(events);
  const kvFs = new Set(['get', 'put', 'append']);
  const isKv = events.length > 0 && events.every((e) => e.process === 'nemesis' || (e.key !== undefined && kvFs.has(e.f)));
  return { format: isKv ? 'porcupine-kv' : 'edn', events, locate: (i) => `${file}:${lines[i] ?? 1}` };
}
