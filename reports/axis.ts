// One time axis for every drawing of a run (fault timeline, roles, charts, anomaly marks and the
// history view): the same width, left margin and mapping, so a moment is at the same x in all.
export const WIDTH = 1100;
export const LEFT = 170;
export const RIGHT = 16;

export interface Axis {
  /** ns (since origin) to x pixels. */
  x(t: number): number;
  from: number;
  to: number;
  left: number;
  right: number;
}

export function makeAxis(from: number, to: number, left = LEFT, width = WIDTH, right = RIGHT): Axis {
  const span = Math.max(1, to - from);
  const plot = width - left - right;
  return { x: (t) => left + ((t - from) / span) * plot, from, to, left, right: width - right };
}

/** A round tick step (1, 2 or 5 times a power of ten) giving about `want` ticks over `span`. */
export function tickStep(span: number, want = 10): number {
  const raw = Math.max(span, 1e-12) / want;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/** ns as a short readable time: 12.5 s, 340 ms, 85 µs. */
export function fmtDuration(ns: number): string {
  const a = Math.abs(ns);
  if (a >= 1e9) return `${+(ns / 1e9).toPrecision(4)} s`;
  if (a >= 1e6) return `${+(ns / 1e6).toPrecision(3)} ms`;
  if (a >= 1e3) return `${+(ns / 1e3).toPrecision(3)} µs`;
  return `${Math.round(ns)} ns`;
}

/** Tick labels in seconds with as many decimals as the step needs. */
export function ticks(axis: Axis, want = 10): { x: number; label: string }[] {
  const step = tickStep(axis.to - axis.from, want);
  const decimals = Math.max(0, Math.min(9, -Math.floor(Math.log10(step / 1e9) + 1e-9)));
  const out: { x: number; label: string }[] = [];
  for (let t = Math.ceil(axis.from / step) * step; t <= axis.to + step * 1e-6; t += step) out.push({ x: axis.x(t), label: `${(t / 1e9).toFixed(decimals)}s` });
  return out;
}

export const esc = (s: string): string =>
  s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

export const px = (v: number): string => (Math.round(v * 10) / 10).toString();

export function axisSvg(axis: Axis, y: number, want = 10): string {
  return (
    `<line x1="${axis.left}" x2="${axis.right}" y1="${y}" y2="${y}" stroke="#999"/>` +
    ticks(axis, want)
      .map((t) => `<line x1="${px(t.x)}" x2="${px(t.x)}" y1="${y}" y2="${y + 4}" stroke="#999"/><text x="${px(t.x)}" y="${y + 15}" class="tick" text-anchor="middle">${t.label}</text>`)
      .join('')
  );
}

/** Light grid lines at the axis ticks, drawn behind a chart. */
export function gridSvg(axis: Axis, top: number, bottom: number, want = 10): string {
  return ticks(axis, want)
    .map((t) => `<line x1="${px(t.x)}" x2="${px(t.x)}" y1="${top}" y2="${bottom}" stroke="#eee"/>`)
    .join('');
}
