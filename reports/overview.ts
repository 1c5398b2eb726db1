// The run over time, in one SVG on one axis: fault lanes, who acknowledged writes (node and
// epoch) with the recoveries the nemesis saw, anomaly marks, latency of every op (binned into
// cells where points would pile up), and throughput by outcome with the write gap and RTO of
// each fault. Fault bands run behind all of it, so cause and effect line up vertically.
import { axisSvg, esc, fmtDuration, gridSvg, makeAxis, px, WIDTH, type Axis } from './axis.js';
import type { FaultImpact, RunShape } from './facts.js';

export const OUTCOME_COLOUR = ['#2e9d4a', '#e08a00', '#c62828', '#888888'] as const;
export const OUTCOME_NAME = ['ok', 'fail', 'info', 'open'] as const;

const FAULT_HUES: Record<string, string> = {
  partition: '#e07b28',
  kill: '#c83232',
  'kill-unsynced': '#96145a',
  pause: '#3c5ac8',
  'lose-journal': '#783ca0',
  'site-loss': '#222222',
  clock: '#1a8a8a',
};
export function faultHue(kind: string): string {
  if (FAULT_HUES[kind]) return FAULT_HUES[kind];
  let h = 0;
  for (const c of kind) h = (h * 31 + c.charCodeAt(0)) % 360;
  return `hsl(${h},55%,45%)`;
}

/** A distinct colour per epoch (golden-angle hues), so a change of epoch shows as a change of colour. */
export function epochColour(epoch: number | undefined): string {
  if (epoch === undefined) return '#607d8b';
  return `hsl(${Math.round((epoch * 137.508) % 360)},45%,55%)`;
}

export interface AnomalyMark {
  id: string;
  label: string;
  /** ns since origin of the named ops' span. */
  from: number;
  to: number;
  /** ns since origin of each named op's invocation. */
  at: number[];
}

const ROW = 16;

/** Fault bands across [top, bottom], behind a section. */
export function faultBands(shape: RunShape, axis: Axis, top: number, bottom: number, opacity = 0.1): string {
  return shape.faults
    .filter((w) => w.end >= axis.from && w.start <= axis.to)
    .map((w) => {
      const x0 = Math.max(axis.left, axis.x(w.start));
      const x1 = Math.min(axis.right, Math.max(axis.x(w.end), x0 + 2));
      return `<rect x="${px(x0)}" y="${top}" width="${px(x1 - x0)}" height="${bottom - top}" fill="${faultHue(w.kind)}" fill-opacity="${opacity}"/>`;
    })
    .join('');
}

export function overviewSvg(shape: RunShape, marks: readonly AnomalyMark[], impacts: readonly FaultImpact[]): string {
  const axis = makeAxis(0, Math.max(shape.span, 1));
  const parts: string[] = [];
  let y = 4;
  const section = (title: string) => {
    parts.push(`<text x="4" y="${y + 11}" class="sect">${esc(title)}</text>`);
    y += ROW;
  };

  // faults: one lane per distinct label
  const faultLanes = [...new Set(shape.faults.map((w) => w.label))];
  const faultTop = y;
  section(faultLanes.length ? 'faults' : 'faults: none injected');
  for (const [i, lane] of faultLanes.entries()) {
    const ly = y + i * ROW;
    parts.push(`<text x="12" y="${ly + 11}" class="lane">${esc(lane)}</text>`);
    for (const w of shape.faults.filter((f) => f.label === lane)) {
      const x0 = axis.x(w.start);
      const wd = Math.max(2, axis.x(w.end) - x0);
      parts.push(
        `<rect x="${px(x0)}" y="${ly + 2}" width="${px(wd)}" height="${ROW - 4}" fill="${faultHue(w.kind)}" fill-opacity="0.75" class="fault"><title>${esc(`${w.label} (fault ${w.id}): ${fmtDuration(w.start)} to ${w.stopped ? fmtDuration(w.end) : 'the end (never stopped)'}${w.error ? `; stop error: ${w.error}` : ''}`)}</title></rect>`,
      );
    }
  }
  y += faultLanes.length * ROW;

  // roles: who acknowledged writes, per node, coloured by epoch; recoveries marked
  const nodes = [...new Set(shape.roles.map((r) => r.node))].sort();
  if (nodes.length) {
    section('writes acknowledged by (colour = epoch)');
    for (const [i, node] of nodes.entries()) {
      const ly = y + i * ROW;
      parts.push(`<text x="12" y="${ly + 11}" class="lane">${esc(node)}</text>`);
      let lastLabelX = -Infinity;
      for (const seg of shape.roles.filter((r) => r.node === node)) {
        const x0 = axis.x(seg.start);
        const wd = Math.max(2, axis.x(seg.end) - x0);
        parts.push(
          `<rect x="${px(x0)}" y="${ly + 2}" width="${px(wd)}" height="${ROW - 4}" fill="${epochColour(seg.epoch)}" class="role"><title>${esc(`${node}${seg.epoch !== undefined ? ` epoch ${seg.epoch}` : ''}: ${seg.acks} write(s) acknowledged, ${fmtDuration(seg.start)} to ${fmtDuration(seg.end)}`)}</title></rect>`,
        );
        if (seg.epoch !== undefined && wd > 22 && x0 > lastLabelX) {
          parts.push(`<text x="${px(x0 + 3)}" y="${ly + 11}" class="inbar">e${seg.epoch}</text>`);
          lastLabelX = x0 + 24;
        }
      }
      for (const r of shape.recoveries.filter((rc) => rc.node === node)) {
        const x = axis.x(r.time);
        parts.push(`<path d="M${px(x)} ${ly + ROW - 1} l-5 -8 h10 z" fill="#111" class="recovery"><title>${esc(`${node} took over at ${fmtDuration(r.time)}${r.faultId !== undefined ? ` (after fault ${r.faultId})` : ''}`)}</title></path>`);
      }
    }
    y += nodes.length * ROW;
  }

  // anomaly marks: one lane, each mark linked to its drawing; faint guides carry the first
  // few down through the charts, so an anomaly's moment is read against latency and throughput
  const guides: number[] = [];
  let guideTop = 0;
  if (marks.length) {
    section(`anomalies (${marks.length}${marks.length > 400 ? ', first 400 marked' : ''})`);
    for (const m of marks.slice(0, 400)) {
      // a tick at each op the anomaly names, joined by a thin line: a lost write acked at 8 s
      // and read back empty at 31 s reads as two moments, not as 23 s of anomaly
      const x0 = axis.x(m.from);
      const x1 = axis.x(m.to);
      const mid = y - ROW / 2 + 1;
      const ticks = (m.at.length ? m.at : [m.from]).map((t) => `<rect x="${px(axis.x(t) - 1.5)}" y="${y - ROW + 3}" width="3" height="${ROW - 5}"/>`).join('');
      if (guides.length < 40) guides.push(...(m.at.length ? m.at : [m.from]).slice(0, 4).map((t) => axis.x(t)));
      guideTop = y;
      parts.push(
        `<a href="#${esc(m.id)}" class="amark"><g fill="#b00020"><line x1="${px(x0)}" x2="${px(Math.max(x1, x0 + 1))}" y1="${mid}" y2="${mid}" stroke="#b00020" stroke-opacity="0.6"/>${ticks}</g><title>${esc(m.label)}</title></a>`,
      );
    }
    y += 2;
  }

  // latency: log y, ops binned to 3x3 px cells per outcome so a million ops draw as ~10k rects
  y += 6;
  const latTop = y + ROW;
  const latH = 170;
  section('latency per op (log)');
  parts.push(latencyCells(shape, axis, latTop, latH));
  y = latTop + latH + 8;

  // throughput by outcome, write gaps and RTO
  const thrTop = y + ROW;
  const thrH = 130;
  section('completions per second by outcome; write gap and RTO per fault');
  parts.push(throughput(shape, axis, thrTop, thrH));
  y = thrTop + thrH + 4;
  const gaps = impacts.filter((i) => i.writeGap || i.recovery);
  if (gaps.length) {
    parts.push(`<text x="12" y="${y + 11}" class="lane">write gap / RTO</text>`);
    for (const g of gaps) {
      if (g.writeGap) {
        const x0 = axis.x(g.writeGap.from);
        const x1 = Math.max(x0 + 2, axis.x(g.writeGap.to));
        const dur = g.writeGap.to - g.writeGap.from;
        parts.push(
          `<g class="gap"><line x1="${px(x0)}" x2="${px(x1)}" y1="${y + 8}" y2="${y + 8}" stroke="#333" stroke-width="2"/><line x1="${px(x0)}" x2="${px(x0)}" y1="${y + 3}" y2="${y + 13}" stroke="#333"/><line x1="${px(x1)}" x2="${px(x1)}" y1="${y + 3}" y2="${y + 13}" stroke="#333"/><title>${esc(`${g.fault.label} (fault ${g.fault.id}): no write acknowledged for ${fmtDuration(dur)} after it began`)}</title></g>`,
        );
        if (x1 - x0 > 34) parts.push(`<text x="${px((x0 + x1) / 2)}" y="${y + 22}" class="tick" text-anchor="middle">${esc(fmtDuration(dur))}</text>`);
      }
      if (g.recovery) {
        const x = axis.x(g.recovery.time);
        const rto = g.recovery.time - g.fault.start;
        parts.push(`<g class="rto"><circle cx="${px(x)}" cy="${y + 8}" r="4" fill="#111"/><title>${esc(`RTO ${fmtDuration(rto)}: ${g.recovery.node} took over after ${g.fault.label} (fault ${g.fault.id})`)}</title></g><text x="${px(x + 6)}" y="${y + 12}" class="tick">RTO ${esc(fmtDuration(rto))}</text>`);
      }
    }
    y += 26;
  }
  y += 4;
  for (const gx of guides) parts.push(`<line x1="${px(gx)}" x2="${px(gx)}" y1="${guideTop}" y2="${y}" stroke="#b00020" stroke-opacity="0.3" stroke-dasharray="2 3" class="guide"/>`);
  parts.push(axisSvg(axis, y));
  const height = y + 22;
  const bands = faultBands(shape, axis, faultTop, y, 0.09);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" class="overview" role="img" aria-label="faults, roles, anomalies, latency and throughput on one time axis">${gridSvg(axis, faultTop, y)}${bands}${parts.join('')}</svg>`;
}

function latencyCells(shape: RunShape, axis: Axis, top: number, h: number): string {
  const { ops } = shape;
  let lo = Infinity;
  let hi = 0;
  for (let k = 0; k < ops.n; k++) {
    if (ops.outcome[k] === 3) continue;
    const ms = (ops.end[k] - ops.start[k]) / 1e6;
    if (ms > 0 && ms < lo) lo = ms;
    if (ms > hi) hi = ms;
  }
  if (!Number.isFinite(lo)) return `<text x="${axis.left}" y="${top + 20}" class="tick">no completed ops</text>`;
  const l0 = Math.floor(Math.log10(lo));
  const l1 = Math.max(l0 + 1, Math.ceil(Math.log10(Math.max(hi, lo))));
  const yOf = (ms: number) => top + h - ((Math.log10(Math.max(ms, 10 ** l0)) - l0) / (l1 - l0)) * h;
  const CELL = 3;
  const cells = [new Map<number, number>(), new Map<number, number>(), new Map<number, number>()];
  for (let k = 0; k < ops.n; k++) {
    const o = ops.outcome[k];
    if (o === 3) continue;
    const cx = Math.floor(axis.x(ops.start[k]) / CELL);
    const cy = Math.floor(yOf((ops.end[k] - ops.start[k]) / 1e6) / CELL);
    const key = cx * 4096 + cy;
    cells[o].set(key, (cells[o].get(key) ?? 0) + 1);
  }
  const out: string[] = [`<rect x="${axis.left}" y="${top}" width="${axis.right - axis.left}" height="${h}" fill="none" stroke="#ddd"/>`];
  for (let p = l0; p <= l1; p++) {
    const yy = yOf(10 ** p);
    out.push(`<line x1="${axis.left}" x2="${axis.right}" y1="${px(yy)}" y2="${px(yy)}" stroke="#eee"/><text x="${axis.left - 4}" y="${px(yy + 4)}" class="tick" text-anchor="end">${fmtDuration(10 ** p * 1e6)}</text>`);
  }
  // ok first, failures on top: the rare outcome must not hide under the common one
  for (const o of [0, 1, 2]) {
    const parts: string[] = [];
    for (const [key, n] of cells[o]) {
      const cx = Math.floor(key / 4096);
      const cy = key % 4096;
      const op = Math.min(1, 0.35 + Math.log2(n + 1) * 0.2);
      parts.push(`<rect x="${cx * CELL}" y="${cy * CELL}" width="${CELL}" height="${CELL}"${op < 1 ? ` fill-opacity="${op.toFixed(2)}"` : ''}/>`);
    }
    out.push(`<g fill="${OUTCOME_COLOUR[o]}" class="lat-${OUTCOME_NAME[o]}">${parts.join('')}</g>`);
  }
  out.push(legend(axis.right - 170, top + 4));
  return out.join('');
}

function legend(x: number, y: number): string {
  return OUTCOME_NAME.slice(0, 3)
    .map((n, i) => `<rect x="${x + i * 55}" y="${y}" width="9" height="9" fill="${OUTCOME_COLOUR[i]}"/><text x="${x + i * 55 + 12}" y="${y + 9}" class="tick">${n}</text>`)
    .join('');
}

function throughput(shape: RunShape, axis: Axis, top: number, h: number): string {
  const { ops } = shape;
  const plot = axis.right - axis.left;
  // about one bucket per 4 px, at least 1 ms wide
  const bucket = Math.max(1e6, (axis.to - axis.from) / Math.max(1, Math.floor(plot / 4)));
  const nb = Math.max(1, Math.ceil((axis.to - axis.from) / bucket) + 1);
  const counts = [new Float64Array(nb), new Float64Array(nb), new Float64Array(nb)];
  for (let k = 0; k < ops.n; k++) {
    const o = ops.outcome[k];
    if (o === 3) continue;
    counts[o][Math.min(nb - 1, Math.floor((ops.end[k] - axis.from) / bucket))]++;
  }
  const perSec = 1e9 / bucket;
  // the scale follows the bulk of the run: a burst (the final reads after the heal) is clipped
  // and marked rather than flattening every fault's dip to nothing
  const all: number[] = [];
  for (let b = 0; b < nb; b++) all.push((counts[0][b] + counts[1][b] + counts[2][b]) * perSec);
  all.sort((a, b) => a - b);
  const peak = all[all.length - 1] || 1;
  const bulk = all[Math.floor(all.length * 0.97)] * 1.25;
  const max = Math.max(1, bulk > 0 && bulk < peak ? bulk : peak);
  const clipped = max < peak;
  const yOf = (v: number) => Math.max(top, top + h - (v / max) * h);
  const out: string[] = [`<rect x="${axis.left}" y="${top}" width="${plot}" height="${h}" fill="none" stroke="#ddd"/>`];
  for (const frac of [0, 0.5, 1]) {
    const v = max * frac;
    out.push(`<text x="${axis.left - 4}" y="${px(yOf(v) + 4)}" class="tick" text-anchor="end">${v >= 100 ? Math.round(v) : +v.toPrecision(2)}/s</text>`);
  }
  for (const o of [0, 1, 2]) {
    if (!counts[o].some((v) => v > 0)) continue;
    const pts: string[] = [];
    for (let b = 0; b < nb; b++) {
      const x0 = axis.x(axis.from + b * bucket);
      const x1 = Math.min(axis.right, axis.x(axis.from + (b + 1) * bucket));
      const yy = px(yOf(counts[o][b] * perSec));
      pts.push(`${px(x0)},${yy} ${px(x1)},${yy}`);
    }
    out.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${OUTCOME_COLOUR[o]}" stroke-width="1.4" class="thr-${OUTCOME_NAME[o]}"/>`);
  }
  out.push(`<text x="${axis.left + 4}" y="${top + 11}" class="tick">bucket ${esc(fmtDuration(bucket))}${clipped ? `; scale clipped at ${Math.round(max)}/s (peak ${Math.round(peak)}/s)` : ''}</text>`);
  return out.join('');
}
