// The native history format: one HistoryEvent as a JSON object per line.
import { InputError } from '../../errors.js';
import type { EventType, HistoryEvent } from '../types.js';
import type { ReadHistory } from './types.js';

const TYPES = new Set<EventType>(['invoke', 'ok', 'fail', 'info']);

export function readJsonl(text: string, file: string): ReadHistory {
  const events: HistoryEvent[] = [];
  const lines: number[] = [];
  let start = 0;
  let lineNo = 0;
  // the location is built only for an error message: this loop runs once per event
  const at = () => `${file}:${lineNo}`;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNo++;
    const raw = text.slice(start, end);
    start = end + 1;
    let o: unknown;
    try {
      o = JSON.parse(raw);
    } catch {
      if (raw.trim() === '') continue;
      throw new InputError(`not valid JSON; expected one history event (a JSON object) per line`, at());
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new InputError(`expected a JSON object (one history event per line)`, at());
    const e = o as Record<string, unknown>;
    if (!TYPES.has(e.type as EventType)) throw new InputError(`unknown type ${JSON.stringify(e.type)}; expected "invoke", "ok", "fail" or "info"`, at());
    const p = e.process;
    if (!(p === 'nemesis' || (typeof p === 'number' && Number.isInteger(p)))) throw new InputError(`bad process ${JSON.stringify(p)}; expected an integer or "nemesis"`, at());
    if (typeof e.f !== 'string' || e.f === '') throw new InputError(`bad f ${JSON.stringify(e.f)}; expected the operation name as a string`, at());
    if (e.time !== undefined && (typeof e.time !== 'number' || !Number.isFinite(e.time))) throw new InputError(`bad time ${JSON.stringify(e.time)}; expected a number of nanoseconds`, at());
    if (e.key !== undefined && e.key !== null && typeof e.key !== 'string' && typeof e.key !== 'number') throw new InputError(`bad key ${JSON.stringify(e.key)}; expected a string or a number`, at());
    // the parsed object is ours: renumber it in place rather than copy it
    const time = typeof e.time === 'number' ? e.time : events.length;
    e.index = events.length;
    e.time = time;
    events.push(e as unknown as HistoryEvent);
    lines.push(lineNo);
  }
  return { format: 'jsonl', events, locate: (i) => `${file}:${lines[i] ?? lineNo}` };
}
