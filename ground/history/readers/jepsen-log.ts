// porcupine's jepsen logs: `INFO  jepsen.util - 3	:ok	:read	nil` (process, type, f, value),
// with tabs or runs of spaces between fields. Other log lines are not operations and are skipped.
import { InputError } from '../../errors.js';
import type { EventType, HistoryEvent, ProcessId } from '../types.js';
import { parseEdnValue } from './edn.js';
import { ednToPlain } from './edn-history.js';
import type { ReadHistory } from './types.js';

const OP_LINE = /jepsen\.util - (\S+)\s+:(\S+)\s+:(\S+)(?:\s+(.*?))?\s*$/;
const TYPES = new Set(['invoke', 'ok', 'fail', 'info']);

export function readJepsenLog(text: string, file: string): ReadHistory {
  const events: HistoryEvent[] = [];
  const lines: number[] = [];
  const all = text.split('\n');
  for (let n = 0; n < all.length; n++) {
    const raw = all[n];
    if (!raw.includes('jepsen.util - ')) continue;
    const where = `${file}:${n + 1}`;
    const m = OP_LINE.exec(raw);
    if (!m) continue; // jepsen.util logs more than operations
    const [, proc, type, f, valueText] = m;
    let process: ProcessId;
    if (/^\d+$/.test(proc)) process = Number(proc);
    else if (proc === ':nemesis') process = 'nemesis';
    else continue;
    if (!TYPES.has(type)) throw new InputError(`unknown type :${type}; expected :invoke, :ok, :fail or :info`, where);
    const ev: HistoryEvent = { index: events.length, time: events.length, process, type: type as EventType, f };
    if (valueText !== undefined && valueText !== '') ev.value = ednToPlain(parseEdnValue(valueText, file, n + 1));
    else ev.value = null;
    events.push(ev);
    lines.push(n + 1);
  }
  if (events.length === 0 && text.trim() !== '') throw new InputError(`no operation lines found; expected lines like "INFO  jepsen.util - 3 :ok :read nil"`, `${file}:1`);
  return { format: 'jepsen-log', events, locate: (i) => `${file}:${lines[i] ?? 1}` };
}
