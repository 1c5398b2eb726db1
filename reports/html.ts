// report.html: one self-contained page per run: the verdict per checker, each anomaly with
// the ops it names, the fault timeline, and the PNG charts beside it.
import type { ComposedResult } from '../checkers/types.js';
import type { HistoryEvent } from '../ground/history/types.js';
import { faultColour, faultWindows, opPoints } from './timeline.js';
import { xmlEscape as esc } from './junit.js';

export interface ReportInput {
  config: Record<string, unknown> & { test: string; seed: number; workload?: string; runtime?: string; bugs?: string[] };
  events: readonly HistoryEvent[];
  results: ComposedResult;
  errors?: readonly string[];
  reproduce?: string;
  charts?: { latency?: string; throughput?: string };
}

const verdictText = (v: unknown) => (v === true ? 'valid' : v === false ? 'INVALID' : 'unknown');
const verdictClass = (v: unknown) => (v === true ? 'ok' : v === false ? 'bad' : 'unk');

export function describeEvent(e: HistoryEvent): string {
  const parts = [`#${e.index}`, `t=${(e.time / 1e9).toFixed(3)}s`, `p${e.process}`, e.type, e.f];
  if (e.key !== undefined && e.key !== null) parts.push(`block ${e.key}`);
  if (e.value !== undefined) parts.push(JSON.stringify(e.value).slice(0, 120));
  if (e.node) parts.push(`@${e.node}`);
  const m = e.meta ?? {};
  const facts = Object.entries(m).filter(([k]) => k !== 'versions').map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`);
  if (facts.length) parts.push(`[${facts.join(' ')}]`);
  return parts.join(' ');
}

function percentile(xs: number[], p: number): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

function timelineSvg(events: readonly HistoryEvent[]): string {
  const ws = faultWindows(events);
  const end = Math.max(1e-9, events.length ? (events[events.length - 1].time - events[0].time) / 1e9 : 1);
  const W = 1000, row = 18, pad = 150;
  const lanes = [...new Set(ws.map((w) => w.label))];
  const h = Math.max(1, lanes.length) * row + 24;
  const x = (t: number) => pad + ((W - pad - 10) * t) / end;
  const bars = ws.map((w) => {
    const y = lanes.indexOf(w.label) * row + 4;
    const colour = faultColour(w.kind).replace(/[\d.]+\)$/, '0.8)');
    return `<rect x="${x(w.start).toFixed(1)}" y="${y}" width="${Math.max(2, x(w.end) - x(w.start)).toFixed(1)}" height="${row - 6}" fill="${colour}"><title>${esc(`${w.label}: ${w.start.toFixed(2)}s - ${w.end.toFixed(2)}s${w.error ? ` (error: ${w.error})` : ''}`)}</title></rect>`;
  });
  const labels = lanes.map((l, i) => `<text x="4" y="${i * row + 16}" font-size="11">${esc(l)}</text>`);
  const ticks: string[] = [];
  const step = end > 60 ? 10 : end > 20 ? 5 : end > 5 ? 1 : 0.5;
  for (let t = 0; t <= end; t += step) ticks.push(`<text x="${x(t).toFixed(1)}" y="${h - 4}" font-size="10" text-anchor="middle">${t}s</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" class="timeline">${labels.join('')}${bars.join('')}${ticks.join('')}</svg>`;
}

export function renderHtml(r: ReportInput): string {
  const { config, events, results } = r;
  const byIndex = new Map(events.map((e) => [e.index, e]));
  const pts = opPoints(events);
  const lat = pts.filter((p) => p.type === 'ok').map((p) => p.ms);
  const count = (t: string) => pts.filter((p) => p.type === t).length;
  const span = events.length ? (events[events.length - 1].time - events[0].time) / 1e9 : 0;
  const checkerRows = Object.keys(results.checkers)
    .sort()
    .map((name) => {
      const c = results.checkers[name];
      const kinds = [...new Set(c.anomalies.map((a) => a.kind))].join(', ');
      return `<tr><td>${esc(name)}</td><td class="${verdictClass(c.valid)}">${verdictText(c.valid)}</td><td>${c.anomalies.length}${kinds ? ` (${esc(kinds)})` : ''}</td><td>${esc(c.reason ?? '')}</td></tr>`;
    });
  const skipped = (results as { skipped?: Record<string, string> }).skipped ?? {};
  for (const name of Object.keys(skipped).sort()) checkerRows.push(`<tr><td>${esc(name)}</td><td>not applicable</td><td></td><td>${esc(skipped[name])}</td></tr>`);
  const anomalies: string[] = [];
  for (const name of Object.keys(results.checkers).sort()) {
    const c = results.checkers[name];
    c.anomalies.slice(0, 30).forEach((a, i) => {
      const evs = (a.events ?? []).slice(0, 12).map((ix) => byIndex.get(ix)).filter((e): e is HistoryEvent => !!e);
      anomalies.push(
        `<div class="anomaly"><h3>${esc(name)} #${i + 1}: ${esc(a.kind)}</h3><p>${esc(a.message)}</p>` +
          (evs.length ? `<pre>${evs.map((e) => esc(describeEvent(e))).join('\n')}</pre>` : '') +
          `</div>`,
      );
    });
    if (c.anomalies.length > 30) anomalies.push(`<p>${esc(name)}: ${c.anomalies.length - 30} more anomalies in results.json</p>`);
  }
  const faults = faultWindows(events).map(
    (w) => `<tr><td>${w.id}</td><td>${esc(w.kind)}</td><td>${esc(w.label)}</td><td>${w.start.toFixed(3)}</td><td>${w.end.toFixed(3)}</td><td>${esc(w.error ?? '')}</td></tr>`,
  );
  const cfg = config;
  // The run's own verdict (interrupted, crash) over the checkers' composition when there is one.
  const word = results.verdict && results.verdict !== 'valid' && results.verdict !== 'unknown' ? results.verdict.toUpperCase() : verdictText(results.valid);
  const i = results.interrupted;
  const cutNote = i ? `<p class="unk">Interrupted by ${esc(i.signal)} during ${esc(i.phase)} after ${i.ranS} s of ${i.plannedS} s; ${i.faultsStarted} of ${i.faultsPlanned} planned faults started. The verdict covers only what ran.</p>` : '';
  const title = `chaos ${cfg.test} seed ${cfg.seed}: ${word}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5em;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;font-size:14px}
.ok{color:#186a2e;font-weight:bold}.bad{color:#b00020;font-weight:bold}.unk{color:#a06000;font-weight:bold}
.verdict{font-size:1.6em}.anomaly{border-left:4px solid #b00020;padding-left:.8em;margin:1em 0}
pre{background:#f6f6f6;padding:.5em;overflow-x:auto;font-size:12px}img{max-width:100%;border:1px solid #ddd}
code{background:#f0f0f0;padding:0 .3em}
</style></head><body>
<h1>${esc(cfg.test)} <small>seed ${esc(String(cfg.seed))}</small></h1>
<p class="verdict ${verdictClass(results.valid)}">${word}</p>
${cutNote}
<p>workload <b>${esc(String(cfg.workload ?? ''))}</b>, runtime <b>${esc(String(cfg.runtime ?? ''))}</b>, bugs <b>${esc((cfg.bugs ?? []).join(', ') || 'none')}</b>, ${pts.length} ops over ${span.toFixed(1)} s (ok ${count('ok')}, fail ${count('fail')}, info ${count('info')}); ok latency p50 ${percentile(lat, 50).toFixed(2)} ms, p99 ${percentile(lat, 99).toFixed(2)} ms.</p>
${r.reproduce ? `<p>Reproduce: <code>${esc(r.reproduce)}</code></p>` : ''}
<h2>Checkers</h2>
<table><tr><th>checker</th><th>verdict</th><th>anomalies</th><th>note</th></tr>${checkerRows.join('')}</table>
${r.errors && r.errors.length ? `<h2>Harness errors</h2><pre>${r.errors.map(esc).join('\n')}</pre>` : ''}
<h2>Anomalies</h2>
${anomalies.length ? anomalies.join('\n') : '<p>none</p>'}
<h2>Faults</h2>
${timelineSvg(events)}
<table><tr><th>id</th><th>kind</th><th>fault</th><th>start (s)</th><th>stop (s)</th><th>error</th></tr>${faults.join('') || '<tr><td colspan="6">no faults</td></tr>'}</table>
<h2>Charts</h2>
${r.charts?.latency ? `<p><img src="${esc(r.charts.latency)}" alt="latency over time"></p>` : ''}
${r.charts?.throughput ? `<p><img src="${esc(r.charts.throughput)}" alt="throughput over time"></p>` : ''}
<p>Files: <a href="config.json">config.json</a>, <a href="history.jsonl">history.jsonl</a>, <a href="results.json">results.json</a>, <a href="junit.xml">junit.xml</a>, <a href="nodes/">nodes/</a></p>
</body></html>
`;
}
