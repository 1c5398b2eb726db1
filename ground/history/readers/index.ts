// Reads a history file in any supported format (auto-detected unless named) into native events.
import { InputError } from '../../errors.js';
import { readEdnHistory } from './edn-history.js';
import { readJepsenLog } from './jepsen-log.js';
import { readJsonl } from './jsonl.js';
import type { Format, ReadHistory } from './types.js';

export type { Format, ReadHistory } from './types.js';
export { readEdnHistory, readJepsenLog, readJsonl };

/** Text, or an InputError pointing at the first line holding binary data. */
export function decodeText(buf: Uint8Array, file: string): string {
  let text: string;
  let bad = buf.indexOf(0);
  if (bad < 0) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
    } catch {
      // find the offending byte to name its line
      text = '';
      bad = firstInvalidUtf8(buf);
    }
  } else text = '';
  if (bad >= 0) {
    let line = 1;
    for (let i = 0; i < bad; i++) if (buf[i] === 10) line++;
    throw new InputError(`binary data (byte ${bad}); expected a text history (JSON Lines, EDN or a jepsen log)`, `${file}:${line}`);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function firstInvalidUtf8(buf: Uint8Array): number {
  const d = new TextDecoder('utf-8', { fatal: true });
  let lo = 0;
  let hi = buf.length;
  // the longest valid prefix, by bisection (a cut inside a multi-byte char fails too, which only
  // moves the answer back by at most 3 bytes)
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    try {
      d.decode(buf.subarray(0, mid));
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return lo;
}

export function detectFormat(text: string): Format | 'empty' | 'unknown' {
  const t = text.trimStart();
  if (t === '') return 'empty';
  if (/^\{\s*"/.test(t)) return 'jsonl';
  const head = t.slice(0, 8192);
  if (/^[^\n{[(;]*jepsen\.util - /m.test(head) && !/^[{[(]/.test(t)) return 'jepsen-log';
  if (/^[{[(;#]/.test(t)) return 'edn';
  return 'unknown';
}

export function readHistory(buf: Uint8Array | string, file: string, format: Format | 'auto' = 'auto'): ReadHistory {
  const text = typeof buf === 'string' ? buf : decodeText(buf, file);
  const f: Format | 'empty' | 'unknown' = format === 'auto' ? detectFormat(text) : format;
  if (f === 'empty') {
    // nothing to detect from; the extension names the tool that wrote it (it decides the default model)
    const byExt: Format = /\.log$/i.test(file) ? 'jepsen-log' : /\.edn$/i.test(file) ? 'edn' : 'jsonl';
    return { format: byExt, events: [], locate: () => `${file}:1` };
  }
  switch (f) {
    case 'jsonl':
      return readJsonl(text, file);
    case 'jepsen-log':
      return readJepsenLog(text, file);
    case 'edn':
    case 'porcupine-kv': {
      const r = readEdnHistory(text, file);
      return format === 'auto' ? r : { ...r, format: f };
    }
    default: {
      const first = text.trimStart().split('\n', 1)[0];
      const line = text.slice(0, text.length - text.trimStart().length).split('\n').length;
      throw new InputError(
        `unrecognised history starting ${JSON.stringify(first.slice(0, 30))}; expected JSON Lines, EDN maps, a jepsen log or a porcupine kv log (or pass --format)`,
        `${file}:${line}`,
      );
    }
  }
}
