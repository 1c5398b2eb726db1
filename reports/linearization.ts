// The linearization view of a nonlinearizable key (porcupine's partial linearization, drawn
// statically): the longest linearizable prefix the search found, in order, with the model's
// state after each step; the op it got stuck on; and the concurrent ops it could have tried
// instead. Read from the anomaly's `counterexample` (checkers/linearizability/types.ts); any
// anomaly without one is left to the generic drawing.
import { axisSvg, esc, makeAxis, px, WIDTH } from './axis.js';
import type { RunShape } from './facts.js';
import { faultBands, faultHue, OUTCOME_COLOUR } from './overview.js';
import { shortValue } from './values.js';

interface Ref {
  index: number;
  completeIndex: number;
  process: number | string;
  f: string;
  key?: unknown;
  input?: unknown;
  output?: unknown;
  status: string;
}
interface Counterexample {
  key?: unknown;
  op: Ref;
  prefix: { op: Ref; state: unknown }[];
  state: unknown;
  concurrent: Ref[];
}

export function counterexampleOf(a: Record<string, unknown>): Counterexample | null {
  const c = a.counterexample as Counterexample | undefined;
  if (!c || typeof c !== 'object' || !c.op || !Array.isArray(c.prefix) || !Array.isArray(c.concurrent)) return null;
  return c;
}

const show = (v: unknown) => shortValue(v, new Set(), 3);
export function refText(o: Ref): string {
  const p = typeof o.process === 'number' ? `p${o.process}` : String(o.process);
  if (/^(read|get)/.test(o.f)) return `${p} ${o.f} → ${o.status === 'ok' ? show(o.output) : o.status}`;
  return `${p} ${o.f} ${show(o.input ?? o.output)}${o.status === 'ok' ? '' : ` (${o.status})`}`;
}

/** How many prefix steps the drawing shows before the stuck op (the table lists them all). */
const DRAWN_STEPS = 10;

export function linearizationView(shape: RunShape, a: Record<string, unknown>, anchor: string): string {
  const c = counterexampleOf(a);
  if (!c) return '';
  const steps = c.prefix.map((p, i) => ({ step: i + 1, ...p }));
  const recent = steps.slice(-DRAWN_STEPS);
  const cands = c.concurrent.slice(0, 16);
  const time = (ix: number, fallback: number) => {
    const e = ix >= 0 ? shape.eventAt(ix) : undefined;
    return e ? e.time - shape.origin : fallback;
  };
  type Bar = { ref: Ref; role: 'step' | 'stuck' | 'candidate'; step?: number; state?: unknown; s: number; e: number };
  const bars: Bar[] = [];
  const add = (ref: Ref, role: Bar['role'], step?: number, state?: unknown) => {
    const s = time(ref.index, 0);
    const e = ref.completeIndex >= 0 && ref.status !== 'info' && ref.status !== 'open' ? time(ref.completeIndex, shape.span) : NaN;
    bars.push({ ref, role, step, state, s, e });
  };
  for (const st of recent) add(st.op, 'step', st.step, st.state);
  add(c.op, 'stuck');
  const drawnIx = new Set(bars.map((b) => b.ref.index));
  for (const o of cands) if (!drawnIx.has(o.index)) add(o, 'candidate');
  let from = Math.min(...bars.map((b) => b.s));
  let to = Math.max(...bars.map((b) => (Number.isFinite(b.e) ? b.e : b.s)));
  const pad = Math.max((to - from) * 0.05, 1);
  from -= pad;
  to += pad;
  const procs = [...new Set(bars.map((b) => String(b.ref.process)))].sort((x, y) => x.localeCompare(y, 'en', { numeric: true }));
  const LANE = 34;
  const top = 6;
  const axis = makeAxis(from, to, 80, WIDTH, 200);
  const parts: string[] = [faultBands(shape, axis, top, top + procs.length * LANE, 0.16)];
  for (const w of shape.faults) if (w.end >= from && w.start <= to) parts.push(`<text x="${px(Math.max(axis.left, axis.x(w.start)) + 2)}" y="${top + procs.length * LANE - 3}" class="faultlabel" fill="${faultHue(w.kind)}">${esc(w.label)}</text>`);
  for (const [i, p] of procs.entries()) {
    const y = top + i * LANE;
    parts.push(`<line x1="${axis.left}" x2="${axis.right}" y1="${y + LANE}" y2="${y + LANE}" stroke="#eee"/><text x="4" y="${y + 22}" class="lane">p${esc(p.replace(/^p/, ''))}</text>`);
  }
  const labelEnd = new Map<string, number>();
  const stateEnd = new Map<string, number>();
  const nodeOf = (r: Ref) => {
    const e = shape.eventAt(r.completeIndex >= 0 ? r.completeIndex : r.index);
    return e?.node ? ` @${e.node}` : '';
  };
  bars.sort((p, q) => p.s - q.s);
  for (const b of bars) {
    const lane = String(b.ref.process);
    const y = top + procs.indexOf(lane) * LANE;
    const x0 = axis.x(b.s);
    const open = !Number.isFinite(b.e);
    const x1 = Math.max(x0 + 3, open ? axis.right : axis.x(b.e));
    const colour = b.role === 'stuck' ? '#b00020' : b.role === 'candidate' ? '#e08a00' : OUTCOME_COLOUR[0];
    const style = b.role === 'stuck' ? ' stroke="#000" stroke-width="2"' : b.role === 'candidate' ? ` stroke="${colour}" stroke-width="2" stroke-dasharray="5 3" fill-opacity="0.25"` : ' fill-opacity="0.8"';
    const label = b.role === 'step' ? `${b.step}. ${refText(b.ref)}` : b.role === 'stuck' ? `✗ ${refText(b.ref)}` : `? ${refText(b.ref)}`;
    const tip = b.role === 'step' ? `step ${b.step} of the prefix: ${refText(b.ref)}; state after: ${show(b.state)}` : b.role === 'stuck' ? `stuck: ${refText(b.ref)} cannot follow state ${show(c.state)}` : `concurrent with the stuck op: ${refText(b.ref)}`;
    // a label that would run into the previous one in its lane is left out: the table and the
    // tooltip carry it whole
    const node = b.role === 'step' ? '' : nodeOf(b.ref);
    const text = `${label}${node}`;
    const fits = b.role === 'stuck' || (labelEnd.get(lane) ?? -Infinity) <= x0;
    if (fits) labelEnd.set(lane, x0 + text.length * 6.4 + 6);
    const stateText = b.role === 'step' ? `⇒ ${show(b.state)}` : '';
    const stateFits = (stateEnd.get(lane) ?? -Infinity) <= x1 + 3;
    if (stateText && stateFits) stateEnd.set(lane, x1 + 3 + stateText.length * 5.9 + 6);
    parts.push(
      `<g class="lin-${b.role}" data-event="${b.ref.index}" data-events="${b.ref.index} ${b.ref.completeIndex}"><rect x="${px(x0)}" y="${y + 14}" width="${px(x1 - x0)}" height="12" fill="${colour}"${style}/>` +
        (fits ? `<text x="${px(x0 + 1)}" y="${y + 10}" class="oplabel">${esc(text)}</text>` : '') +
        (stateText && stateFits ? `<text x="${px(x1 + 3)}" y="${y + 24}" class="where">${esc(stateText)}</text>` : '') +
        `<title>${esc(tip)}</title></g>`,
    );
  }
  const h = top + procs.length * LANE;
  parts.push(axisSvg(axis, h + 2, 6));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${h + 22}" viewBox="0 0 ${WIDTH} ${h + 22}" class="lin-svg" role="img" aria-label="partial linearization">${parts.join('')}</svg>`;

  // the table: every step of the prefix (older steps folded), then the stuck op and its candidates
  const row = (s: (typeof steps)[number]) => `<tr><td>${s.step}</td><td><code>${esc(refText(s.op))}</code></td><td><code>${esc(show(s.state))}</code></td><td class="ix">${s.op.index}</td></tr>`;
  const older = steps.slice(0, -DRAWN_STEPS);
  const keyText = c.key !== undefined ? `key ${esc(show(c.key))}` : 'the register';
  return (
    `<div class="lin" id="${anchor}-lin"><h4>Linearization of ${keyText}: ${steps.length} op(s) linearized, then stuck</h4>${svg}` +
    `<table class="lin-table"><tr><th>step</th><th>op (in linearization order)</th><th>state after</th><th>event</th></tr>` +
    (older.length ? `<tr><td colspan="4"><details><summary>${older.length} earlier step(s)</summary><table>${older.map(row).join('')}</table></details></td></tr>` : '') +
    recent.map(row).join('') +
    `<tr class="stuck"><td>✗</td><td><code>${esc(refText(c.op))}</code></td><td>no legal step from <code>${esc(show(c.state))}</code></td><td class="ix">${c.op.index}</td></tr></table>` +
    `<p>Concurrent with the stuck op, so tried before it in other orders: ${c.concurrent.length ? c.concurrent.map((o) => `<code>${esc(refText(o))}</code>`).join(', ') : '<b>none</b>: it can only follow the prefix, and the state after the prefix makes it illegal'}.` +
    ` The search checks each key on its own and stops at the first key with no linearization; keys not named here were not found to fail before it stopped.</p></div>`
  );
}
