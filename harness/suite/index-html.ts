// One offline HTML page listing runs (the suite's index.html and runs/index.html): a table
// sortable by any column and filtered by text and by verdict, with a few lines of plain
// script. No CDN, no external file: it opens from a CI artifact as it is.
import { esc } from './escape.js';

export interface Cell {
  text: string;
  /** Sort key when it differs from the text (numbers, ISO times). */
  sort?: string | number;
  href?: string;
  /** A class for colour: ok, bad, unk, err. */
  tone?: 'ok' | 'bad' | 'unk' | 'err';
  title?: string;
}

export interface IndexPage {
  title: string;
  lines: string[];
  columns: { key: string; label: string; numeric?: boolean }[];
  rows: Record<string, Cell>[];
  /** The column whose values fill the filter's select (e.g. outcome or verdict). */
  selectBy?: string;
}

export function renderIndex(p: IndexPage): string {
  const head = p.columns.map((c, i) => `<th data-col="${i}"${c.numeric ? ' data-num="1"' : ''}>${esc(c.label)}</th>`).join('');
  const body = p.rows
    .map((r) => {
      const tds = p.columns.map((c) => {
        const cell = r[c.key] ?? { text: '' };
        const inner = cell.href ? `<a href="${esc(cell.href)}">${esc(cell.text)}</a>` : esc(cell.text);
        const attrs = [cell.sort !== undefined ? `data-sort="${esc(String(cell.sort))}"` : '', cell.tone ? `class="${cell.tone}"` : '', cell.title ? `title="${esc(cell.title)}"` : ''].filter(Boolean).join(' ');
        return `<td${attrs ? ' ' + attrs : ''}>${inner}</td>`;
      });
      const sel = p.selectBy ? ` data-sel="${esc(r[p.selectBy]?.text ?? '')}"` : '';
      return `<tr${sel}>${tds.join('')}</tr>`;
    })
    .join('\n');
  const options = p.selectBy ? [...new Set(p.rows.map((r) => r[p.selectBy!]?.text ?? ''))].sort().map((v) => `<option>${esc(v)}</option>`).join('') : '';
  const selectLabel = p.columns.find((c) => c.key === p.selectBy)?.label ?? '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(p.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em;margin:0 0 .3em}
p.l{margin:.15em 0;color:#444}
.bar{margin:1em 0 .6em;display:flex;gap:.8em;align-items:center}
input,select{font:inherit;padding:.2em .4em}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
th{cursor:pointer;user-select:none;background:#f4f4f4;position:sticky;top:0}
th.asc::after{content:" \\25b2"} th.desc::after{content:" \\25bc"}
td.ok{color:#1a7f37} td.bad{color:#c62828;font-weight:600} td.unk{color:#9a6700} td.err{color:#8250df;font-weight:600}
tr.hide{display:none}
code{font-size:12px}
</style></head><body>
<h1>${esc(p.title)}</h1>
${p.lines.map((l) => `<p class="l">${esc(l)}</p>`).join('\n')}
<div class="bar"><input id="q" type="search" placeholder="filter rows (text)" size="30">${p.selectBy ? `<label>${esc(selectLabel)} <select id="s"><option value="">all</option>${options}</select></label>` : ''}<span id="n"></span></div>
<table id="t"><thead><tr>${head}</tr></thead><tbody>
${body}
</tbody></table>
<script>
(function(){
  var t=document.getElementById('t'),tb=t.querySelector('tbody'),q=document.getElementById('q'),s=document.getElementById('s'),n=document.getElementById('n');
  var heads=Array.prototype.slice.call(t.querySelectorAll('thead th'));
  var rows=Array.prototype.slice.call(tb.querySelectorAll('tr'));
  function key(r,i,num){var c=r.children[i];var v=c.getAttribute('data-sort');if(v===null)v=c.textContent;return num?parseFloat(v)||0:v.toLowerCase();}
  function filter(){var text=q.value.toLowerCase(),sel=s?s.value:'',shown=0;
    rows.forEach(function(r){var ok=(!text||r.textContent.toLowerCase().indexOf(text)>=0)&&(!sel||r.getAttribute('data-sel')===sel);r.className=ok?'':'hide';if(ok)shown++;});
    n.textContent=shown+' of '+rows.length+' rows';}
  heads.forEach(function(th){th.addEventListener('click',function(){
    var i=+th.getAttribute('data-col'),num=th.getAttribute('data-num')==='1',asc=!th.classList.contains('asc');
    heads.forEach(function(h){h.classList.remove('asc');h.classList.remove('desc');});
    th.classList.add(asc?'asc':'desc');
    rows.sort(function(a,b){var x=key(a,i,num),y=key(b,i,num);return (x<y?-1:x>y?1:0)*(asc?1:-1);});
    rows.forEach(function(r){tb.appendChild(r);});});});
  q.addEventListener('input',filter);if(s)s.addEventListener('change',filter);filter();
})();
</script>
</body></html>
`;
}

export function verdictCell(v: true | false | 'unknown' | 'error' | undefined): Cell {
  if (v === true) return { text: 'valid', tone: 'ok' };
  if (v === false) return { text: 'invalid', tone: 'bad' };
  if (v === 'unknown') return { text: 'unknown', tone: 'unk' };
  if (v === 'error') return { text: 'error', tone: 'err' };
  return { text: 'unfinished', tone: 'unk' };
}

export function durationText(ms: number): string {
  return ms >= 60_000 ? `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
}
