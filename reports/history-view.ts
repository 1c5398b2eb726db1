// The history view: every op by process over time on a canvas, with zoom (wheel, buttons, the
// anomaly cards' "show in history") and pan (drag). The ops travel as integer columns in a JSON
// block; a history too big to carry whole keeps every failed, indeterminate and anomaly op and
// an even sample of the ok ones, and says so. Plain script, no library, works from file://.
import { LEFT, RIGHT, WIDTH } from './axis.js';
import type { RunShape } from './facts.js';
import type { AnomalyMark } from './overview.js';
import { faultHue, OUTCOME_COLOUR, OUTCOME_NAME } from './overview.js';

/** Ops carried in full below this; above it ok ops are sampled (a 1M-op report stays small). */
export const MAX_DETAIL_OPS = 120_000;

export interface HistoryData {
  /** µs since origin. */
  s: number[];
  /** duration µs; -1: never completed (drawn to the end). */
  d: number[];
  l: number[];
  o: number[];
  f: number[];
  i: number[];
  lanes: string[];
  fs: string[];
  span: number;
  total: number;
  sampledEvery: number;
  faults: { s: number; e: number; label: string; colour: string }[];
  marks: { id: string; s: number; e: number; label: string }[];
}

export function historyData(shape: RunShape, marks: readonly AnomalyMark[], keep: ReadonlySet<number> = new Set()): HistoryData {
  const { ops } = shape;
  let okCount = 0;
  for (let k = 0; k < ops.n; k++) if (ops.outcome[k] === 0) okCount++;
  const notOk = ops.n - okCount;
  const room = Math.max(1, MAX_DETAIL_OPS - notOk - keep.size);
  const every = ops.n <= MAX_DETAIL_OPS ? 1 : Math.max(1, Math.ceil(okCount / room));
  const out: HistoryData = { s: [], d: [], l: [], o: [], f: [], i: [], lanes: ops.lanes, fs: ops.fs, span: Math.ceil(shape.span / 1e3), total: ops.n, sampledEvery: every, faults: [], marks: [] };
  let okSeen = 0;
  for (let k = 0; k < ops.n; k++) {
    const o = ops.outcome[k];
    if (o === 0 && every > 1 && okSeen++ % every !== 0 && !keep.has(k)) continue;
    out.s.push(Math.round(ops.start[k] / 1e3));
    out.d.push(o === 3 ? -1 : Math.round((ops.end[k] - ops.start[k]) / 1e3));
    out.l.push(ops.lane[k]);
    out.o.push(o);
    out.f.push(ops.f[k]);
    out.i.push(ops.invokeIndex[k]);
  }
  out.faults = shape.faults.map((w) => ({ s: Math.round(w.start / 1e3), e: Math.round(w.end / 1e3), label: w.label, colour: faultHue(w.kind) }));
  out.marks = marks.slice(0, 400).map((m) => ({ id: m.id, s: Math.round(m.from / 1e3), e: Math.round(m.to / 1e3), label: m.label }));
  return out;
}

/** JSON safe inside a <script> element. */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function historyViewHtml(data: HistoryData): string {
  const shown = data.s.length;
  const note =
    data.sampledEvery > 1
      ? `${shown.toLocaleString('en')} of ${data.total.toLocaleString('en')} ops carried: every failed, indeterminate and anomaly op, and 1 in ${data.sampledEvery} ok ops.`
      : `all ${data.total.toLocaleString('en')} ops.`;
  return `<div id="hv" class="hv">
<div class="hv-bar"><button type="button" data-hv="in">zoom in</button> <button type="button" data-hv="out">zoom out</button> <button type="button" data-hv="reset">whole run</button>
<span class="hv-range"></span> <span class="muted">Wheel to zoom at the pointer, drag to pan, hover for an op. Showing ${note}</span></div>
<canvas width="${WIDTH}" height="100" aria-label="history: every operation by process over time"></canvas>
<div class="hv-tip" hidden></div>
<script type="application/json" id="hv-data">${scriptJson(data)}</script>
</div>
<script>${HISTORY_SCRIPT}</script>`;
}

// Kept as plain ES2017 in a string: the report must open offline in any browser without a build.
const HISTORY_SCRIPT = `
(function () {
  var root = document.getElementById('hv');
  if (!root) return;
  var D = JSON.parse(document.getElementById('hv-data').textContent);
  var cv = root.querySelector('canvas');
  var tip = root.querySelector('.hv-tip');
  var range = root.querySelector('.hv-range');
  var ctx = cv.getContext('2d');
  var L = ${LEFT}, R = ${WIDTH - RIGHT}, W = ${WIDTH};
  var COL = ${JSON.stringify(OUTCOME_COLOUR)}, NAME = ${JSON.stringify(OUTCOME_NAME)};
  var n = D.s.length, lanes = D.lanes.length || 1;
  var laneH = Math.max(4, Math.min(18, Math.floor(560 / lanes)));
  var TOP = 16, H = TOP + lanes * laneH + 24;
  var dpr = window.devicePixelRatio || 1;
  cv.style.width = W + 'px'; cv.style.height = H + 'px';
  cv.width = Math.round(W * dpr); cv.height = Math.round(H * dpr);
  var span = Math.max(1, D.span), v0 = 0, v1 = span;
  // per outcome: draw ok first so failures are never hidden under it
  var byOutcome = [[], [], [], []];
  for (var k = 0; k < n; k++) byOutcome[D.o[k]].push(k);
  // per lane, ops sorted by start, for hover
  var byLane = []; for (var j = 0; j < lanes; j++) byLane.push([]);
  for (k = 0; k < n; k++) byLane[D.l[k]].push(k);
  function xOf(t) { return L + (t - v0) / (v1 - v0) * (R - L); }
  function tOf(x) { return v0 + (x - L) / (R - L) * (v1 - v0); }
  function fmt(us) { var a = Math.abs(us); return a >= 1e6 ? (us / 1e6).toFixed(3) + ' s' : a >= 1e3 ? (us / 1e3).toFixed(2) + ' ms' : Math.round(us) + ' µs'; }
  function step(sp) { var raw = sp / 10, p = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / p; return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p; }
  function draw() {
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    ctx.font = '11px system-ui, sans-serif';
    var bottom = TOP + lanes * laneH;
    var labelEnd = -1;
    D.faults.forEach(function (f) {
      var a = Math.max(L, xOf(f.s)), b = Math.min(R, Math.max(xOf(f.e), a + 2));
      if (b < L || a > R) return;
      ctx.globalAlpha = 0.13; ctx.fillStyle = f.colour; ctx.fillRect(a, TOP, b - a, bottom - TOP);
      // a fault's name only where it does not run over the previous one
      if (a >= labelEnd) { ctx.globalAlpha = 0.9; ctx.fillText(f.label, a + 2, 11); labelEnd = a + ctx.measureText(f.label).width + 8; }
    });
    ctx.globalAlpha = 1;
    ctx.fillStyle = '#333';
    var every = Math.max(1, Math.ceil(11 / laneH));
    for (var j = 0; j < lanes; j += every) ctx.fillText(D.lanes[j], 4, TOP + j * laneH + Math.min(laneH, 12));
    var bh = Math.max(2, laneH - 3);
    // Ops at least a pixel wide are drawn as bars; narrower ones are counted per lane and pixel
    // column (ok ops weighted by the sampling) and drawn as that column's share of each outcome,
    // so a zoomed-out view of a huge history shows proportions, not whichever op came last.
    var cols = Math.ceil(R - L) + 1, agg = new Float64Array(lanes * cols * 4), any = false;
    var upp = (v1 - v0) / (R - L);
    for (var o = 0; o < 4; o++) {
      ctx.fillStyle = COL[o];
      var list = byOutcome[o];
      for (var q = 0; q < list.length; q++) {
        var k = list[q], s = D.s[k], e = D.d[k] < 0 ? span : s + D.d[k];
        if (e < v0 || s > v1) continue;
        if (e - s < upp) {
          var c = Math.floor(xOf((s + e) / 2) - L);
          if (c >= 0 && c < cols) { agg[(D.l[k] * cols + c) * 4 + o] += o === 0 ? D.sampledEvery : 1; any = true; }
          continue;
        }
        var x0 = Math.max(L, xOf(s)), x1 = Math.min(R, xOf(e));
        ctx.fillRect(x0, TOP + D.l[k] * laneH + 1, Math.max(1, x1 - x0), bh);
      }
    }
    if (any) {
      for (var ln = 0; ln < lanes; ln++) {
        for (var c2 = 0; c2 < cols; c2++) {
          var b = (ln * cols + c2) * 4, tot = agg[b] + agg[b + 1] + agg[b + 2] + agg[b + 3];
          if (!tot) continue;
          var y = TOP + ln * laneH + 1 + bh;
          for (var o2 = 0; o2 < 4; o2++) {
            if (!agg[b + o2]) continue;
            // a rare outcome still gets a pixel: it must stay findable
            var hgt = Math.max(1, Math.round(bh * agg[b + o2] / tot));
            ctx.fillStyle = COL[o2]; ctx.fillRect(L + c2, y - hgt, 1, hgt); y -= hgt;
          }
        }
      }
    }
    D.marks.forEach(function (m) {
      var a = xOf(m.s), b = Math.max(xOf(m.e), a + 2);
      if (b < L || a > R) return;
      ctx.strokeStyle = '#b00020'; ctx.lineWidth = 1.5; ctx.strokeRect(Math.max(L, a), TOP - 2, Math.min(R, b) - Math.max(L, a), bottom - TOP + 4);
    });
    ctx.fillStyle = '#555'; ctx.strokeStyle = '#999'; ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(L, bottom + 2); ctx.lineTo(R, bottom + 2); ctx.stroke();
    var st = step(v1 - v0), dec = Math.max(0, Math.min(6, -Math.floor(Math.log10(st / 1e6) + 1e-9)));
    ctx.textAlign = 'center';
    for (var t = Math.ceil(v0 / st) * st; t <= v1; t += st) { var x = xOf(t); ctx.fillRect(x, bottom + 2, 1, 4); ctx.fillText((t / 1e6).toFixed(dec) + 's', x, bottom + 17); }
    ctx.textAlign = 'start';
    range.textContent = fmt(v0) + ' to ' + fmt(v1);
  }
  function zoom(factor, atX) {
    var t = tOf(atX == null ? (L + R) / 2 : atX), w = Math.min(span, Math.max(2, (v1 - v0) * factor));
    var a = t - (t - v0) * w / (v1 - v0); set(a, a + w);
  }
  function set(a, b) {
    var w = b - a; if (a < 0) { a = 0; b = w; } if (b > span) { b = span; a = Math.max(0, span - w); }
    v0 = a; v1 = Math.max(a + 1, b); draw();
  }
  root.addEventListener('click', function (ev) {
    var b = ev.target.closest && ev.target.closest('[data-hv]'); if (!b) return;
    var what = b.getAttribute('data-hv');
    if (what === 'in') zoom(0.5); else if (what === 'out') zoom(2); else set(0, span);
  });
  cv.addEventListener('wheel', function (ev) { ev.preventDefault(); var r = cv.getBoundingClientRect(); zoom(ev.deltaY > 0 ? 1.25 : 0.8, ev.clientX - r.left); }, { passive: false });
  var drag = null;
  cv.addEventListener('mousedown', function (ev) { drag = { x: ev.clientX, a: v0, b: v1 }; });
  window.addEventListener('mouseup', function () { drag = null; });
  cv.addEventListener('mousemove', function (ev) {
    var r = cv.getBoundingClientRect(), x = ev.clientX - r.left, y = ev.clientY - r.top;
    if (drag) { var dt = (drag.x - ev.clientX) / (R - L) * (drag.b - drag.a); set(drag.a + dt, drag.b + dt); tip.hidden = true; return; }
    var lane = Math.floor((y - TOP) / laneH), t = tOf(x), tol = (v1 - v0) / (R - L) * 3, best = -1;
    if (lane >= 0 && lane < lanes) {
      var list = byLane[lane];
      for (var q = 0; q < list.length; q++) { var k = list[q], s = D.s[k], e = D.d[k] < 0 ? span : s + D.d[k]; if (s - tol <= t && t <= e + tol) { best = k; if (D.o[k] !== 0) break; } if (s > t + tol) break; }
    }
    if (best < 0) { tip.hidden = true; return; }
    tip.hidden = false;
    tip.style.left = (x + 12) + 'px'; tip.style.top = (y + 12) + 'px';
    tip.textContent = D.lanes[D.l[best]] + ' ' + D.fs[D.f[best]] + ' ' + NAME[D.o[best]] + ' at ' + fmt(D.s[best]) + (D.d[best] >= 0 ? ', took ' + fmt(D.d[best]) : ', never completed') + ' (event #' + D.i[best] + ')';
  });
  cv.addEventListener('mouseleave', function () { tip.hidden = true; });
  window.chaosZoom = function (a, b) { var pad = Math.max((b - a) * 0.1, 1000); set(a - pad, b + pad); root.scrollIntoView({ block: 'start' }); };
  document.addEventListener('click', function (ev) {
    var z = ev.target.closest && ev.target.closest('[data-zoom]'); if (!z) return;
    var p = z.getAttribute('data-zoom').split(','); window.chaosZoom(+p[0], +p[1]);
  });
  draw();
  root.setAttribute('data-drawn', String(n));
})();
`;
