// One anomaly drawn: a lane per process, each op a bar from invoke to completion coloured by
// outcome, fault bands behind, the ops the checker named outlined, numbered and labelled (value,
// node, epoch, version) and linked to their event lines; other ops on the same keys in the
// window drawn faintly for context (the writes a stale read missed, the reads after a loss).
import type { Anomaly } from '../checkers/types.js';
import type { HistoryEvent } from '../ground/history/types.js';
import { axisSvg, esc, fmtDuration, makeAxis, px, WIDTH, type Axis } from './axis.js';
import { isWriteLike, type RunShape } from './facts.js';
import { faultBands, faultHue, OUTCOME_COLOUR, OUTCOME_NAME } from './overview.js';
import { describeEvent, focusKeys, shortValue } from './values.js';

const LANE = 34;
const MAX_CONTEXT = 40;
/** Named ops drawn per anomaly. */
export const MAX_NAMED = 30;

export interface DrawnOp {
  op: number;
  named: boolean;
  /** 1-based badge number for named ops. */
  badge?: number;
}

/** The ops an anomaly names (in the order its events list them) and, for context, other ops
 *  on the same keys inside the named ops' window, nearest first. */
type Drawn = { ops: DrawnOp[]; from: number; to: number; nemesis: HistoryEvent[]; more: number };
const drawnCache = new WeakMap<RunShape, WeakMap<Anomaly, Drawn>>();

export function anomalyOps(shape: RunShape, a: Anomaly): Drawn {
  let perShape = drawnCache.get(shape);
  if (!perShape) drawnCache.set(shape, (perShape = new WeakMap()));
  let d = perShape.get(a);
  if (!d) perShape.set(a, (d = findOps(shape, a)));
  return d;
}

function findOps(shape: RunShape, a: Anomaly): Drawn {
  const seen = new Map<number, DrawnOp>();
  const nemesis: HistoryEvent[] = [];
  const found = new Set<number>();
  for (const ix of a.events ?? []) {
    const k = shape.opOfEvent(ix);
    if (k >= 0) {
      found.add(k);
      continue;
    }
    const e = shape.eventAt(ix);
    if (e && e.process === 'nemesis') nemesis.push(e);
  }
  // numbered in time order, so the badges read as the story: the write (1), then the read (2)
  const all = [...found].sort((x, y) => shape.ops.start[x] - shape.ops.start[y] || x - y);
  // a drawing stays readable: the first MAX_NAMED named ops in time order; the event list says how many more
  const named = all.slice(0, MAX_NAMED);
  named.forEach((k, i) => seen.set(k, { op: k, named: true, badge: i + 1 }));
  if (!named.length) return { ops: [], from: 0, to: 0, nemesis, more: 0 };
  const { ops } = shape;
  let from = Infinity;
  let to = -Infinity;
  for (const k of named) {
    from = Math.min(from, ops.start[k]);
    to = Math.max(to, ops.outcome[k] >= 2 ? ops.start[k] : ops.end[k]);
  }
  const pad = Math.max((to - from) * 0.06, 2e6);
  from = Math.max(0, from - pad);
  to = Math.min(shape.span, to + pad);
  const keys = new Set<string>();
  for (const k of named) {
    const key = shape.eventAt(ops.invokeIndex[k])?.key;
    if (key !== undefined && key !== null) keys.add(String(key));
  }
  for (const b of focusKeys(a as Record<string, unknown>)) keys.add(b);
  // The writes between the versions the anomaly talks about (a cache's version and the latest
  // acked one; the cut a dr image claims and the cut it holds): the writes it missed or holds.
  const [vlo, vhi] = versionRange(a as Record<string, unknown>);
  if (vlo < vhi) {
    const found: { k: number; d: number }[] = [];
    const mid = (from + to) / 2;
    const wv = shape.writesByVersion();
    // first version above vlo, by binary search; then every write up to vhi
    let lo = 0;
    let hi = wv.version.length;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (wv.version[m] <= vlo) lo = m + 1;
      else hi = m;
    }
    for (let i = lo; i < wv.version.length && wv.version[i] <= vhi && found.length < 5000; i++) {
      const k = wv.op[i];
      if (seen.has(k)) continue;
      if (keys.size) {
        const key = shape.eventAt(ops.invokeIndex[k])?.key;
        if (key === undefined || key === null || !keys.has(String(key))) continue;
      }
      found.push({ k, d: Math.abs(ops.start[k] - mid) });
    }
    found.sort((x, y) => x.d - y.d);
    for (const c of found.slice(0, 16)) {
      seen.set(c.k, { op: c.k, named: false });
      from = Math.min(from, Math.max(0, ops.start[c.k] - pad));
      to = Math.max(to, Math.min(shape.span, ops.end[c.k] + pad));
    }
  }
  // for each key the anomaly is about, the last write acked before its ops ended: what the
  // primary held there (a replica that diverged, an image missing a block)
  if (keys.size) {
    const byKey = shape.opsByKey();
    const namedEnd = to;
    for (const key of [...keys].slice(0, 12)) {
      const list = byKey.get(key) ?? [];
      for (let i = list.length - 1; i >= 0; i--) {
        const k = list[i];
        if (ops.outcome[k] !== 0 || ops.end[k] > namedEnd) continue;
        const done = shape.eventAt(ops.completeIndex[k]);
        if (!done || !isWriteLike(done)) continue;
        if (!seen.has(k)) {
          seen.set(k, { op: k, named: false });
          from = Math.min(from, Math.max(0, ops.start[k] - pad));
        }
        break;
      }
    }
  }
  if (keys.size) {
    const ctx: { k: number; d: number }[] = [];
    const mid = (from + to) / 2;
    const byKey = shape.opsByKey();
    for (const key of keys) {
      for (const k of byKey.get(key) ?? []) {
        if (seen.has(k) || ops.end[k] < from || ops.start[k] > to) continue;
        ctx.push({ k, d: Math.abs(ops.start[k] - mid) });
      }
    }
    ctx.sort((x, y) => x.d - y.d);
    for (const c of ctx.slice(0, MAX_CONTEXT)) seen.set(c.k, { op: c.k, named: false });
  }
  return { ops: [...seen.values()], from, to, nemesis, more: all.length - named.length };
}

/** The lowest and highest version or cut number an anomaly names (fields whose name says
 *  version or cut, one level of nesting, arrays included); [0, 0] when it names fewer than two. */
export function versionRange(a: Record<string, unknown>): [number, number] {
  const xs: number[] = [];
  const take = (k: string, v: unknown, depth: number) => {
    if (/version|cut/i.test(k)) {
      if (typeof v === 'number' && Number.isFinite(v)) xs.push(v);
      else if (Array.isArray(v)) for (const x of v) if (typeof x === 'number' && Number.isFinite(x)) xs.push(x);
    }
    if (depth < 1 && v && typeof v === 'object' && !Array.isArray(v)) for (const [k2, v2] of Object.entries(v)) take(k2, v2, depth + 1);
  };
  for (const [k, v] of Object.entries(a)) if (k !== 'events' && k !== 'counterexample') take(k, v, 0);
  if (xs.length < 2) return [0, 0];
  return [Math.min(...xs), Math.max(...xs)];
}

/** The label of an op: what it did or saw, and where (node, epoch, version, reason). */
export function opLabel(shape: RunShape, k: number, focus: ReadonlySet<string>): { what: string; where: string } {
  const inv = shape.eventAt(shape.ops.invokeIndex[k]);
  const done = shape.ops.completeIndex[k] >= 0 ? shape.eventAt(shape.ops.completeIndex[k]) : undefined;
  const f = shape.ops.fs[shape.ops.f[k]];
  const key = inv?.key !== undefined && inv?.key !== null ? ` ${inv.key}` : '';
  const isRead = /^(read|get)/.test(f);
  const value = isRead ? (done?.type === 'ok' ? ` → ${shortValue(done.value, focus, 2)}` : '') : inv?.value !== undefined ? ` ${shortValue(inv.value, focus, 2)}` : '';
  const meta = { ...(inv?.meta ?? {}), ...(done?.meta ?? {}) };
  const where = [
    done?.node ?? inv?.node ? `@${done?.node ?? inv?.node}` : '',
    typeof meta.epoch === 'number' ? `e${meta.epoch}` : '',
    typeof meta.version === 'number' ? `v${meta.version}` : '',
    typeof meta.source === 'string' ? `from ${meta.source}` : '',
    meta.final ? 'final' : '',
    shape.ops.outcome[k] !== 0 ? `${OUTCOME_NAME[shape.ops.outcome[k]]}${meta.error ? ` (${meta.error})` : ''}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return { what: `${f}${key}${value}`, where };
}

/** Rough label width at 11 px: enough to keep labels from running over each other. */
const textWidth = (s: string, size = 11) => s.length * size * 0.58;

function bar(shape: RunShape, axis: Axis, k: number, y: number, d: DrawnOp, focus: ReadonlySet<string>, anchor: string, cursor: { x: number }): string {
  const { ops } = shape;
  const o = ops.outcome[k];
  const x0 = Math.max(axis.left, axis.x(ops.start[k]));
  const openEnd = o >= 2;
  const x1 = Math.min(axis.right, Math.max(x0 + 3, axis.x(openEnd ? axis.to : ops.end[k])));
  const { what, where } = opLabel(shape, k, focus);
  const tip = `${ops.lanes[ops.lane[k]]} ${what} ${where}; ${fmtDuration(ops.start[k])} to ${openEnd ? '?' : fmtDuration(ops.end[k])} (events ${ops.invokeIndex[k]}..${ops.completeIndex[k]})`;
  const fill = OUTCOME_COLOUR[o];
  const h = 12;
  if (!d.named) {
    const v = / v\d+/.exec(where)?.[0] ?? '';
    const text = `${what}${v}`;
    const fits = x0 >= cursor.x;
    if (fits) cursor.x = x0 + textWidth(text, 9) + 6;
    return `<g class="ctx-op" opacity="0.55"><rect x="${px(x0)}" y="${y + 14}" width="${px(x1 - x0)}" height="${h}" fill="${fill}"${openEnd ? ' fill-opacity="0.4"' : ''}/><title>${esc(tip)}</title></g>` +
      (fits ? `<text x="${px(x0)}" y="${y + 11}" class="ctxlabel">${esc(text)}</text>` : '');
  }
  const label = `${d.badge} ${what}`;
  cursor.x = Math.max(cursor.x, x0 + 9 + textWidth(label) + 6);
  return (
    `<a href="#${anchor}-op${d.badge}" class="named-op" data-events="${ops.invokeIndex[k]} ${ops.completeIndex[k]}"><g>` +
    `<rect x="${px(x0)}" y="${y + 14}" width="${px(x1 - x0)}" height="${h}" fill="${fill}" stroke="#000" stroke-width="2"${openEnd ? ' stroke-dasharray="4 2" fill-opacity="0.5"' : ''}/>` +
    `<circle cx="${px(x0)}" cy="${y + 20}" r="7" fill="#b00020"/><text x="${px(x0)}" y="${y + 24}" class="badge" text-anchor="middle">${d.badge}</text>` +
    `<text x="${px(x0 + 9)}" y="${y + 10}" class="oplabel">${esc(label)}</text>` +
    `<text x="${px(x1 + 4)}" y="${y + 24}" class="where">${esc(where)}</text>` +
    `<title>${esc(tip)}</title></g></a>`
  );
}

/** The drawing of one anomaly as SVG, or '' when it names no client op. */
export function anomalySvg(shape: RunShape, a: Anomaly, anchor: string): string {
  const drawn = anomalyOps(shape, a);
  if (!drawn.ops.length) return '';
  const focus = focusKeys(a as Record<string, unknown>);
  const { ops } = shape;
  const lanes = [...new Set(drawn.ops.map((d) => ops.lane[d.op]))].sort((x, y) => x - y);
  // named lanes first so the story reads top-down; context lanes after
  const namedLanes = new Set(drawn.ops.filter((d) => d.named).map((d) => ops.lane[d.op]));
  lanes.sort((x, y) => Number(namedLanes.has(y)) - Number(namedLanes.has(x)) || x - y);
  const axis = makeAxis(drawn.from, drawn.to, 80, WIDTH, 230);
  const top = 30;
  const h = top + lanes.length * LANE;
  const parts: string[] = [];
  // faults in the window, behind, with their names at the top
  parts.push(faultBands(shape, axis, top, h, 0.16));
  // two rows of fault names, so neighbouring faults both get theirs
  const rowEnd = [-Infinity, -Infinity];
  for (const w of shape.faults) {
    if (w.end < axis.from || w.start > axis.to) continue;
    const x = Math.max(axis.left, axis.x(w.start));
    const row = rowEnd.findIndex((end) => end <= x);
    if (row < 0) continue;
    parts.push(`<text x="${px(x + 2)}" y="${11 + row * 12}" class="faultlabel" fill="${faultHue(w.kind)}">${esc(w.label)}</text>`);
    rowEnd[row] = x + textWidth(w.label, 10) + 8;
  }
  for (const [i, lane] of lanes.entries()) {
    const y = top + i * LANE;
    parts.push(`<line x1="${axis.left}" x2="${axis.right}" y1="${y + LANE}" y2="${y + LANE}" stroke="#eee"/><text x="4" y="${y + 24}" class="lane">${esc(ops.lanes[lane])}</text>`);
    // named ops claim their label room first; context ops are labelled where room is left,
    // and drawn under the named ones
    const namedCursor = { x: -Infinity };
    const named = drawn.ops.filter((x) => ops.lane[x.op] === lane && x.named).map((d) => bar(shape, axis, d.op, y, d, focus, anchor, namedCursor));
    const cursor = { x: -Infinity };
    const ctx = drawn.ops
      .filter((x) => ops.lane[x.op] === lane && !x.named)
      .sort((p, q) => ops.start[p.op] - ops.start[q.op])
      .map((d) => {
        // skip label room a named op already took
        const x0 = axis.x(ops.start[d.op]);
        if (x0 < namedCursor.x && x0 + 80 > axis.x(ops.start[d.op])) cursor.x = Math.max(cursor.x, Math.min(namedCursor.x, x0 + 1));
        return bar(shape, axis, d.op, y, d, focus, anchor, cursor);
      });
    parts.push(...ctx, ...named);
  }
  parts.push(axisSvg(axis, h + 2, 6));
  const H = h + 22;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${H}" viewBox="0 0 ${WIDTH} ${H}" class="anomaly-svg" role="img" aria-label="${esc(`${a.kind}: the operations it names over time`)}">${parts.join('')}</svg>`;
}

/** The named ops as numbered event lines, each an anchor the drawing links to. */
export function anomalyEvents(shape: RunShape, a: Anomaly, anchor: string): string {
  const focus = focusKeys(a as Record<string, unknown>);
  const rows: string[] = [];
  const drawn = anomalyOps(shape, a);
  for (const d of drawn.ops.filter((x) => x.named)) {
    const k = d.op;
    const evs = [shape.ops.invokeIndex[k], shape.ops.completeIndex[k]].filter((i) => i >= 0).map((i) => shape.eventAt(i)).filter((e): e is HistoryEvent => !!e);
    rows.push(`<li id="${anchor}-op${d.badge}" value="${d.badge}">${evs.map((e) => `<code>${esc(describeEvent(e, focus))}</code>`).join('<br>')}${fullValue(evs, focus)}</li>`);
  }
  if (drawn.more) rows.push(`<li class="nem">${drawn.more} more op(s) named: see the anomaly's events in results.json</li>`);
  for (const e of drawn.nemesis) rows.push(`<li class="nem"><code>${esc(describeEvent(e, focus))}</code></li>`);
  // events that are neither ops nor nemesis (an index the history lacks) are named, not hidden
  const known = new Set<number>();
  for (const d of drawn.ops) known.add(shape.ops.invokeIndex[d.op]).add(shape.ops.completeIndex[d.op]);
  for (const e of drawn.nemesis) known.add(e.index);
  const missing = (a.events ?? []).filter((i) => !known.has(i) && !shape.eventAt(i));
  if (missing.length) rows.push(`<li class="nem">not in this history: events ${missing.slice(0, 20).join(', ')}</li>`);
  return rows.length ? `<ol class="events">${rows.join('')}</ol>` : '';
}

const ABSENT = Symbol('absent');

/** A big value (a dr image) whole, folded, so no report line has to cut it mid-JSON. */
function fullValue(evs: HistoryEvent[], focus: ReadonlySet<string>): string {
  for (const e of evs) {
    if (!e.value || typeof e.value !== 'object') continue;
    const json = JSON.stringify(e.value);
    if (json.length < 120) continue;
    const entries = Object.entries(e.value as Record<string, unknown>);
    const has = new Set(entries.map(([k]) => k));
    // the blocks the anomaly names, as this value holds them, or absent: a torn image's story
    // is often the blocks it lacks
    const about: [string, unknown][] = Array.isArray(e.value) ? [] : [...focus].slice(0, 24).map((k) => [k, has.has(k) ? (e.value as Record<string, unknown>)[k] : ABSENT]);
    const shown = json.length > 20000 ? `${entries.length} entries; the first 200:\n${JSON.stringify(Object.fromEntries(entries.slice(0, 200)), null, 1)}` : JSON.stringify(e.value, null, 1);
    return (
      (about.length ? `<div class="about">in #${e.index}, the blocks this anomaly names: ${about.map(([k, v]) => `<code>${esc(k)} = ${v === ABSENT ? 'absent' : esc(JSON.stringify(v))}</code>`).join(' ')}</div>` : '') +
      `<details><summary>#${e.index} value in full (${entries.length} entries)</summary><pre>${esc(shown)}</pre></details>`
    );
  }
  return '';
}
