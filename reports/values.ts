// Short, whole renderings of values for labels and event lines: never cut mid-JSON. A map-like
// value (a dr image {block: value}) shows the entries an anomaly is about, then a count.
import type { HistoryEvent } from '../ground/history/types.js';

const MAX_STR = 48;

function scalar(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > MAX_STR ? `${v.slice(0, MAX_STR - 1)}…` : v);
  if (v === undefined) return '?';
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return '';
}

/** A value in at most a few dozen characters; `focus` names map keys worth showing first. */
export function shortValue(v: unknown, focus: ReadonlySet<string> = new Set(), room = 4): string {
  const s = scalar(v);
  if (s) return s;
  if (Array.isArray(v)) {
    const shown = v.slice(0, room).map((x) => shortValue(x, focus, 2));
    return `[${shown.join(', ')}${v.length > room ? `, …+${v.length - room}` : ''}]`;
  }
  if (v && typeof v === 'object') {
    const keys = Object.keys(v);
    const first = keys.filter((k) => focus.has(k));
    const pick = (first.length ? first : keys).slice(0, room);
    const body = pick.map((k) => `${k}: ${shortValue((v as Record<string, unknown>)[k], focus, 2)}`);
    const rest = keys.length - pick.length;
    return `{${body.join(', ')}${rest > 0 ? `${body.length ? ', ' : ''}…+${rest} ${first.length ? 'more' : 'entries'}` : ''}}`;
  }
  return String(v);
}

/** Block/key names an anomaly is about, from any `block` or `key` field up to three levels down. */
export function focusKeys(a: Record<string, unknown>): Set<string> {
  const out = new Set<string>();
  const walk = (v: unknown, depth: number) => {
    if (depth > 3 || !v || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v.slice(0, 50)) walk(x, depth + 1);
      return;
    }
    for (const [k, x] of Object.entries(v)) {
      if ((k === 'block' || k === 'key') && (typeof x === 'string' || typeof x === 'number')) {
        out.add(String(x));
      } else if (k === 'blocks' && Array.isArray(x)) {
        for (const b of x.slice(0, 50)) {
          if (typeof b === 'string' || typeof b === 'number') out.add(String(b));
          else walk(b, depth + 1);
        }
      } else {
        walk(x, depth + 1);
      }
    }
  };
  walk(a, 0);
  return out;
}

/** One line for an event: index, time, process, outcome, op, key, value, node, facts. */
export function describeEvent(e: HistoryEvent, focus: ReadonlySet<string> = new Set()): string {
  const parts = [`#${e.index}`, `t=${(e.time / 1e9).toFixed(3)}s`, typeof e.process === 'number' ? `p${e.process}` : String(e.process), e.type, e.f];
  if (e.key !== undefined && e.key !== null) parts.push(`key ${e.key}`);
  if (e.value !== undefined) parts.push(shortValue(e.value, focus));
  if (e.node) parts.push(`@${e.node}`);
  const m = e.meta ?? {};
  const facts = Object.entries(m)
    .filter(([k]) => k !== 'versions')
    .map(([k, v]) => `${k}=${typeof v === 'object' && v !== null ? shortValue(v, focus, 3) : v}`);
  if (facts.length) parts.push(`[${facts.join(' ')}]`);
  return parts.join(' ');
}
