// report.html: one self-contained offline page per run, verdict first. What went wrong in one
// sentence; anomalies grouped by kind, the first few of each drawn (and linearizability ones
// with their partial linearization), the rest in a table; then the run over one time axis
// (faults, who acked writes, anomaly marks, latency, throughput, write gaps, RTO); latency with
// and without faults; why ops failed; the zoomable history; checkers, faults and files.
import type { Anomaly, ComposedResult } from '../checkers/types.js';
import type { HistoryEvent } from '../ground/history/types.js';
import { anomalyEvents, anomalyOps, anomalySvg } from './anomaly.js';
import { esc, fmtDuration } from './axis.js';
import { faultImpacts, isWriteLike, latencySplit, runShape, type RunShape, type Summary } from './facts.js';
import { historyData, historyViewHtml } from './history-view.js';
import { linearizationView } from './linearization.js';
import { overviewSvg, type AnomalyMark } from './overview.js';
import { shortValue } from './values.js';
import { groupAnomalies, kindPhrase, verdictLine } from './verdict.js';

export { describeEvent } from './values.js';

export interface ReportInput {
  config: Record<string, unknown> & { test: string; seed: number; workload?: string; runtime?: string; bugs?: string[] };
  events: readonly HistoryEvent[];
  results: ComposedResult;
  errors?: readonly string[];
  reproduce?: string;
  /** Where this run came from (the run a shrunk run was shrunk from, the sweep that found it). */
  links?: readonly { label: string; href: string }[];
}

/** Anomalies drawn per (checker, kind); the rest go in a table. */
export const DRAWN_PER_KIND = 3;

const verdictText = (v: unknown) => (v === true ? 'valid' : v === false ? 'INVALID' : 'unknown');
const verdictClass = (v: unknown) => (v === true ? 'ok' : v === false ? 'bad' : 'unk');
const slug = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, '-');

/** The span of the ops an anomaly names, for marks and "show in history". */
function namedSpan(shape: RunShape, a: Anomaly): { from: number; to: number } | null {
  let from = Infinity;
  let to = -Infinity;
  for (const ix of a.events ?? []) {
    const k = shape.opOfEvent(ix);
    if (k < 0) continue;
    from = Math.min(from, shape.ops.start[k]);
    to = Math.max(to, shape.ops.outcome[k] >= 2 ? shape.ops.start[k] : shape.ops.end[k]);
  }
  return Number.isFinite(from) ? { from, to } : null;
}

function namedStarts(shape: RunShape, a: Anomaly): number[] {
  const at = new Set<number>();
  for (const ix of (a.events ?? []).slice(0, 40)) {
    const k = shape.opOfEvent(ix);
    if (k >= 0) at.add(shape.ops.start[k]);
  }
  return [...at];
}

function details(a: Anomaly): string {
  const skip = new Set(['kind', 'message', 'events', 'counterexample']);
  const rows = Object.entries(a)
    .filter(([k]) => !skip.has(k))
    .map(([k, v]) => {
      const text = shortValue(v, new Set(), 6);
      return `<dt>${esc(k)}</dt><dd title="${esc(text)}"><code>${esc(text)}</code></dd>`;
    });
  return rows.length ? `<dl class="facts">${rows.join('')}</dl>` : '';
}

function anomalyCard(shape: RunShape, checker: string, a: Anomaly, n: number, id: string): string {
  const span = namedSpan(shape, a);
  const zoom = span ? ` <button type="button" class="zoom" data-zoom="${Math.round(span.from / 1e3)},${Math.round(span.to / 1e3)}">show in history</button>` : '';
  const lin = linearizationView(shape, a as Record<string, unknown>, id);
  // the linearization view already draws the ops a nonlinearizable anomaly names
  const drawing = lin ? '' : anomalySvg(shape, a, id);
  return (
    `<article class="anomaly" id="${id}" data-checker="${esc(checker)}" data-kind="${esc(a.kind)}" data-n="${n}"><h4>${esc(a.kind)} #${n} <small>${esc(checker)}</small>${zoom}</h4><p class="msg">${esc(a.message)}</p>` +
    details(a) +
    (lin || drawing || '<p class="muted">This anomaly names no client operation of this history to draw.</p>') +
    (drawing ? '<p class="muted legend">Outlined and numbered: the ops the checker named, in time order. Faint, for context: the last write acked on each key the anomaly names, other ops on those keys nearby, and writes whose versions lie between those it names. Bands: faults.</p>' : '') +
    anomalyEvents(shape, a, id) +
    `</article>`
  );
}

function groupSection(shape: RunShape, g: ReturnType<typeof groupAnomalies>[number]): string {
  const base = `a-${slug(g.checker)}-${slug(g.kind)}`;
  const drawn = g.anomalies.slice(0, DRAWN_PER_KIND).map((a, i) => anomalyCard(shape, g.checker, a, i + 1, `${base}-${i + 1}`));
  const rest = g.anomalies.slice(DRAWN_PER_KIND);
  const table = rest.length
    ? `<details class="rest"${rest.length <= 12 ? ' open' : ''}><summary>${rest.length} more ${esc(g.kind)}</summary><table class="compact"><tr><th>#</th><th>what</th><th>events</th><th></th></tr>${rest
        .slice(0, 2000)
        .map((a, i) => {
          const span = namedSpan(shape, a);
          const m = a.message.length > 220 ? `${a.message.slice(0, 219)}…` : a.message;
          return `<tr id="${base}-${i + 1 + DRAWN_PER_KIND}"><td>${i + 1 + DRAWN_PER_KIND}</td><td title="${esc(a.message)}">${esc(m)}</td><td class="ix">${esc((a.events ?? []).slice(0, 8).join(' '))}</td><td>${span ? `<button type="button" class="zoom" data-zoom="${Math.round(span.from / 1e3)},${Math.round(span.to / 1e3)}">show</button>` : ''}</td></tr>`;
        })
        .join('')}</table>${rest.length > 2000 ? `<p>${rest.length - 2000} more in results.json</p>` : ''}</details>`
    : '';
  return `<section class="group"><h3>${esc(kindPhrase(g.kind, g.anomalies.length))} <small>${esc(g.checker)}: ${esc(g.kind)}</small></h3>${drawn.join('')}${table}</section>`;
}

const fmtMs = (s: Summary | null, k: keyof Summary) => (s ? (k === 'count' ? String(s[k]) : `${s[k] < 10 ? s[k].toFixed(2) : s[k].toFixed(1)}`) : '');

function latencyTable(shape: RunShape): string {
  const rows = latencySplit(shape);
  if (!rows.length) return '<p>No completed ops.</p>';
  const cols: (keyof Summary)[] = ['count', 'p50', 'p95', 'p99', 'max'];
  const head = `<tr><th rowspan="2">op</th><th colspan="5">without faults (ms)</th><th colspan="5">during faults (ms)</th></tr><tr>${[...cols, ...cols].map((c) => `<th>${c}</th>`).join('')}</tr>`;
  const body = rows
    .map((r) => {
      const slower = r.faultFree && r.duringFaults && r.duringFaults.p99 > 2 * r.faultFree.p99;
      return `<tr><td>${esc(r.f)}</td>${cols.map((c) => `<td>${fmtMs(r.faultFree, c)}</td>`).join('')}${cols.map((c) => `<td${slower && c === 'p99' ? ' class="warn"' : ''}>${fmtMs(r.duringFaults, c)}</td>`).join('')}</tr>`;
    })
    .join('');
  return `<table class="num">${head}${body}</table><p class="muted">An op counts as during faults when its invoke-to-completion interval overlaps any fault window. ok ops only.</p>`;
}

/** Refusals a system gives by design, as opposed to errors caused by faults. */
const EXPECTED: Record<string, string> = {
  'cas-mismatch': 'the compare-and-set found another value: a correct refusal',
  'not-cached': 'the node serves reads only from its cache and had none: a correct refusal',
  'no-lease': 'the node holds no read lease: a correct refusal',
  'not-primary': 'the node is not the primary (any more)',
  fenced: 'the node was fenced by a newer epoch',
  timeout: 'no answer in time: the op may or may not have happened',
  'connection refused': 'the node was down',
  unavailable: 'the node could not serve',
  recovering: 'the node was recovering',
};

function reasonsTable(shape: RunShape): string {
  const rows = shape.reasons;
  if (!rows.length) return '<p>Every op completed ok.</p>';
  const total = rows.reduce((s, r) => s + r.count, 0);
  return (
    `<table class="num"><tr><th>op</th><th>outcome</th><th>reason</th><th>count</th><th>during faults</th><th>what it means</th></tr>` +
    rows
      .slice(0, 60)
      .map((r) => `<tr><td>${esc(r.f)}</td><td class="o-${r.type}">${r.type}</td><td>${esc(r.reason)}</td><td>${r.count}</td><td>${r.duringFaults}</td><td class="muted">${esc(EXPECTED[r.reason] ?? '')}</td></tr>`)
      .join('') +
    `</table><p class="muted">${total} op(s) did not end ok. <b>fail</b>: definitely did not happen; <b>info</b>: may or may not have happened.</p>`
  );
}

function statsLine(shape: RunShape): string {
  const c = [0, 0, 0, 0];
  for (let k = 0; k < shape.ops.n; k++) c[shape.ops.outcome[k]]++;
  const reasons = (type: string) => {
    const rs = shape.reasons.filter((r) => r.type === type);
    if (!rs.length) return '';
    const by = new Map<string, number>();
    for (const r of rs) by.set(r.reason, (by.get(r.reason) ?? 0) + r.count);
    const top = [...by].sort((a, b) => b[1] - a[1]).slice(0, 3);
    return ` (${top.map(([r, n]) => `${n} ${esc(r)}`).join(', ')}${by.size > 3 ? ', …' : ''})`;
  };
  return `ok ${c[0]}, fail ${c[1]}<a href="#reasons">${reasons('fail')}</a>, info ${c[2]}${reasons('info')}${c[3] ? `, never completed ${c[3]}` : ''}`;
}

/** The seed's swarm mix (config.json \`swarm\`): what this run's faults were drawn from. */
function swarmHtml(mix: unknown): string {
  if (!mix || typeof mix !== 'object') return '';
  const m = mix as { kinds?: string[]; weights?: Record<string, number>; meanGapMs?: number; minDurationMs?: number; maxDurationMs?: number; maxActive?: number; targets?: string[]; params?: Record<string, unknown>; thinkMs?: number; concurrency?: number; sim?: { net?: Record<string, number>; disk?: Record<string, unknown> } };
  const kinds = (m.kinds ?? []).map((k) => `${esc(k)}${m.weights?.[k] ? ` ×${m.weights[k]}` : ''}`).join(', ') || 'none';
  const kv = (o: Record<string, unknown> | undefined) => Object.entries(o ?? {}).map(([k, v]) => `${esc(k)} ${esc(typeof v === 'number' ? String(Math.round(v * 1000) / 1000) : JSON.stringify(v))}`).join(', ');
  const rows = [
    `<li>fault kinds on (weight): ${kinds}</li>`,
    `<li>a fault every ${esc(String(m.meanGapMs))} ms on average, lasting ${esc(String(m.minDurationMs))}–${esc(String(m.maxDurationMs))} ms, at most ${esc(String(m.maxActive))} at once; process faults aim at ${esc((m.targets ?? []).join(', '))}</li>`,
    m.params ? `<li>node parameters: ${kv(m.params)}</li>` : '',
    m.thinkMs !== undefined || m.concurrency !== undefined ? `<li>clients: ${m.concurrency !== undefined ? `${m.concurrency} processes` : 'as configured'}, think ${m.thinkMs !== undefined ? `${m.thinkMs} ms` : 'as configured'}</li>` : '',
    m.sim?.net ? `<li>simulated network: ${kv(m.sim.net)}</li>` : '',
    m.sim?.disk ? `<li>simulated disk (µs): ${kv(m.sim.disk)}</li>` : '',
  ];
  return `<h3>Swarm mix of this seed</h3><ul class="swarm">${rows.join('')}</ul>`;
}

/** Coverage marks the nodes counted (results.json \`coverage\`): the mechanisms' paths this run took. */
function coverageHtml(cov: Record<string, number> | undefined): string {
  if (!cov || !Object.keys(cov).length) return '';
  const hit = Object.entries(cov).filter(([, n]) => n > 0);
  const missed = Object.keys(cov).filter((k) => !(cov[k] > 0));
  return `<section id="coverage"><h2>Coverage marks</h2><p>${hit.length} of ${Object.keys(cov).length} hit.</p>
<table class="compact num"><tr><th>mark</th><th>times</th></tr>${hit.map(([k, n]) => `<tr><td>${esc(k)}</td><td>${n}</td></tr>`).join('')}</table>
${missed.length ? `<p>Not hit: ${missed.map(esc).join(', ')}.</p>` : ''}</section>`;
}

export function renderHtml(r: ReportInput): string {
  const { config: cfg, events, results } = r;
  const shape = runShape(events);
  const skipped = (results as { skipped?: Record<string, string> }).skipped ?? {};
  const verdict = verdictLine(results, { ops: shape.ops.n, spanS: shape.span / 1e9, faults: shape.faults.length }, skipped);
  const groups = groupAnomalies(results);

  const marks: AnomalyMark[] = [];
  const keep = new Set<number>();
  for (const g of groups) {
    const base = `a-${slug(g.checker)}-${slug(g.kind)}`;
    g.anomalies.forEach((a, i) => {
      const span = namedSpan(shape, a);
      for (const ix of a.events ?? []) {
        const k = shape.opOfEvent(ix);
        if (k >= 0) keep.add(k);
      }
      if (span) marks.push({ id: `${base}-${i + 1}`, label: `${g.kind} #${i + 1}: ${a.message}`, ...span, at: namedStarts(shape, a) });
    });
  }
  const impacts = faultImpacts(shape, (f) => isWriteLike({ f } as HistoryEvent));

  const checkerRows = Object.keys(results.checkers)
    .sort()
    .map((name) => {
      const c = results.checkers[name];
      const kinds = [...new Set((c.anomalies ?? []).map((a) => a.kind))].join(', ');
      return `<tr><td>${esc(name)}</td><td class="${verdictClass(c.valid)}">${verdictText(c.valid)}</td><td>${(c.anomalies ?? []).length}${kinds ? ` (${esc(kinds)})` : ''}</td><td>${esc(c.reason ?? '')}</td></tr>`;
    });
  for (const name of Object.keys(skipped).sort()) checkerRows.push(`<tr><td>${esc(name)}</td><td>not applicable</td><td></td><td>${esc(skipped[name])}</td></tr>`);

  const faultRows = impacts.map(
    ({ fault: w, writeGap, recovery }) =>
      `<tr><td>${esc(String(w.id))}</td><td>${esc(w.label)}</td><td>${(w.start / 1e9).toFixed(3)}</td><td>${w.stopped ? (w.end / 1e9).toFixed(3) : 'never'}</td><td>${writeGap ? esc(fmtDuration(writeGap.to - writeGap.from)) : ''}</td><td>${recovery ? `${esc(fmtDuration(recovery.time - w.start))} (${esc(recovery.node)})` : ''}</td><td>${esc(w.error ?? '')}</td></tr>`,
  );
  // The run's own verdict (interrupted, crash) stands over the checkers' composition.
  const own = results.verdict && results.verdict !== 'valid' && results.verdict !== 'unknown' ? results.verdict : null;
  const shown = own ? { ...verdict, word: own.toUpperCase(), cls: own === 'crash' ? 'bad' : 'unk' } : verdict;
  const i = results.interrupted;
  const cutNote = i ? `<p class="unk">Interrupted by ${esc(i.signal)} during ${esc(i.phase)} after ${i.ranS} s of ${i.plannedS} s; ${i.faultsStarted} of ${i.faultsPlanned} planned faults started. The verdict covers only what ran.</p>` : '';
  const title = `chaos ${cfg.test} seed ${cfg.seed}: ${shown.word}`;
  const links = (r.links ?? []).map((l) => `<a href="${esc(l.href)}">${esc(l.label)}</a>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${CSS}</style></head><body>
<header><h1>${esc(cfg.test)} <small>seed ${esc(String(cfg.seed))}</small></h1>
<p class="verdict ${shown.cls}"><b>${shown.word}</b> ${esc(verdict.sentence)}</p>
${cutNote}
<p class="meta">workload <b>${esc(String(cfg.workload ?? '?'))}</b>, runtime <b>${esc(String(cfg.runtime ?? '?'))}</b>, bugs <b>${esc((cfg.bugs ?? []).join(', ') || 'none')}</b>; ${statsLine(shape)}.</p>
${links.length ? `<p class="origin">${links.join(' · ')}</p>` : ''}
${r.reproduce ? `<p>Reproduce: <code>${esc(r.reproduce)}</code></p>` : ''}
<nav><a href="#anomalies">anomalies</a> · <a href="#run">run over time</a> · <a href="#latency">latency</a> · <a href="#reasons">failures by reason</a> · <a href="#history">history</a> · <a href="#checkers">checkers</a> · <a href="#faults">faults</a>${(results as { coverage?: unknown }).coverage ? ' · <a href="#coverage">coverage</a>' : ''}</nav></header>
${r.errors && r.errors.length ? `<section><h2>Harness errors</h2><pre>${r.errors.map((e) => esc(e)).join('\n')}</pre></section>` : ''}
<section id="anomalies"><h2>Anomalies</h2>
${groups.length ? `<table class="compact kinds"><tr><th>count</th><th>kind</th><th>checker</th></tr>${groups.map((g) => `<tr><td>${g.anomalies.length}</td><td><a href="#a-${slug(g.checker)}-${slug(g.kind)}-1">${esc(g.kind)}</a></td><td>${esc(g.checker)}</td></tr>`).join('')}</table>${groups.map((g) => groupSection(shape, g)).join('\n')}` : '<p>none</p>'}
</section>
<section id="run"><h2>The run over time</h2>
${overviewSvg(shape, marks, impacts)}
</section>
<section id="latency"><h2>Latency with and without faults</h2>${latencyTable(shape)}</section>
<section id="reasons"><h2>Why ops did not end ok</h2>${reasonsTable(shape)}</section>
<section id="history"><h2>History</h2>${historyViewHtml(historyData(shape, marks, keep))}</section>
<section id="checkers"><h2>Checkers</h2>
<table><tr><th>checker</th><th>verdict</th><th>anomalies</th><th>note</th></tr>${checkerRows.join('')}</table></section>
<section id="faults"><h2>Faults</h2>
<table class="num"><tr><th>id</th><th>fault</th><th>start (s)</th><th>stop (s)</th><th>write gap</th><th>RTO (took over)</th><th>error</th></tr>${faultRows.join('') || '<tr><td colspan="7">no faults</td></tr>'}</table>
${swarmHtml(cfg.swarm)}</section>
${coverageHtml((results as { coverage?: Record<string, number> }).coverage)}
<footer><p>Files: <a href="config.json">config.json</a>, <a href="history.jsonl">history.jsonl</a>, <a href="results.json">results.json</a>, <a href="junit.xml">junit.xml</a>, <a href="nodes/">nodes/</a>. Times count from the run's start (history time 0).</p></footer>
</body></html>
`;
}

const CSS = `
body{font-family:system-ui,sans-serif;margin:1.2em auto;max-width:1120px;color:#222;padding:0 .6em}
h1{margin:.2em 0}h1 small,h3 small,h4 small{color:#777;font-weight:normal}
h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.2em .5em;text-align:left;font-size:13px;vertical-align:top}
table.num td{font-variant-numeric:tabular-nums}
.ok{color:#186a2e}.bad{color:#b00020}.unk{color:#a06000}.warn{background:#fff0d0}
.verdict{font-size:1.25em;padding:.5em .7em;border-radius:4px;margin:.4em 0}
.verdict.ok{background:#e8f5ec}.verdict.bad{background:#fdecee}.verdict.unk{background:#fff4e0}
.verdict b{text-transform:uppercase;margin-right:.4em}
.meta,.origin{margin:.3em 0}.muted{color:#666;font-size:12px}nav{font-size:14px;margin:.4em 0}
.anomaly{border-left:4px solid #b00020;padding:.1em 0 .4em .8em;margin:.8em 0}
.anomaly h4{margin:.3em 0}.msg{margin:.3em 0}p.legend{margin:0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:0 .8em;font-size:12px;margin:.3em 0}dl.facts dt{color:#666}dl.facts dd{margin:0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;max-width:1000px}
ol.events{font-size:12px;padding-left:2.2em}ol.events li{margin:.2em 0}ol.events li:target{background:#fff3b0}
li.nem{list-style:none;color:#555}
code{background:#f3f3f3;padding:0 .25em;font-size:12px}pre{background:#f6f6f6;padding:.5em;overflow:auto;font-size:12px;max-height:24em}
svg{display:block;margin:.4em 0;overflow:visible}
svg text{font-family:system-ui,sans-serif}
svg .tick{font-size:10px;fill:#555}svg .lane{font-size:11px;fill:#333}svg .sect{font-size:11px;font-weight:bold;fill:#222}
svg .oplabel{font-size:11px;fill:#111}svg .where{font-size:10px;fill:#444}svg .ctxlabel{font-size:9px;fill:#666}
svg .badge{font-size:10px;fill:#fff;font-weight:bold}svg .inbar{font-size:9px;fill:#fff}svg .faultlabel{font-size:10px;font-weight:bold}
svg a:hover rect{stroke:#ff0}
.lin-table .stuck td{background:#fdecee}.ix{color:#777;font-size:11px}
button.zoom{font-size:11px;margin-left:.6em}
.hv{position:relative}.hv-bar{font-size:12px;margin:.3em 0}.hv canvas{border:1px solid #ddd;cursor:grab;display:block}
.hv-tip{position:absolute;background:#222;color:#fff;font-size:12px;padding:.2em .4em;border-radius:3px;pointer-events:none;white-space:nowrap}
.o-fail{color:#b06000}.o-info{color:#b00020}
footer{margin-top:2em;font-size:13px;color:#555}
`;
