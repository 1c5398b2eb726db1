// index.html's own script, run in a DOM (happy-dom): clicking a column sorts the rows (numbers
// as numbers), the text box and the select filter them, and the count says how many show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Window } from 'happy-dom';
import { renderIndex, verdictCell } from './index-html.js';

test('index.html sorts by a clicked column and filters by text and by the select, offline', async () => {
  const html = renderIndex({
    title: 'chaos suite t',
    lines: ['3 runs'],
    columns: [{ key: 'case', label: 'case' }, { key: 'seed', label: 'seed', numeric: true }, { key: 'outcome', label: 'outcome' }, { key: 'verdict', label: 'verdict' }],
    rows: [
      { case: { text: 'reg' }, seed: { text: '10', sort: 10 }, outcome: { text: 'met' }, verdict: verdictCell(true) },
      { case: { text: 'lies' }, seed: { text: '2', sort: 2 }, outcome: { text: 'unmet' }, verdict: verdictCell(false) },
      { case: { text: 'reg' }, seed: { text: '33', sort: 33 }, outcome: { text: 'met' }, verdict: verdictCell(true) },
    ],
    selectBy: 'outcome',
  });
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|https?:\/\//, 'nothing loaded from elsewhere');
  const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1];
  const w = new Window({ settings: { enableJavaScriptEvaluation: true, suppressInsecureJavaScriptEnvironmentWarning: true } });
  try {
    const d = w.document;
    d.body.innerHTML = /<body>([\s\S]*?)<script>/.exec(html)![1];
    const el = d.createElement('script');
    el.textContent = script;
    d.body.appendChild(el);
    const seeds = () => [...d.querySelectorAll('tbody tr')].map((r) => r.children[1].textContent);
    const shown = () => [...d.querySelectorAll('tbody tr')].filter((r) => r.className !== 'hide').map((r) => `${r.children[0].textContent}#${r.children[1].textContent}`);
    assert.equal(d.getElementById('n')!.textContent, '3 of 3 rows');
    const seedHead = d.querySelectorAll('thead th')[1] as unknown as { click(): void; className: string };
    seedHead.click();
    assert.deepEqual(seeds(), ['2', '10', '33'], 'numeric ascending, not 10 < 2 as text');
    seedHead.click();
    assert.deepEqual(seeds(), ['33', '10', '2'], 'descending on the second click');
    assert.match(seedHead.className, /desc/);
    const q = d.getElementById('q') as unknown as { value: string; dispatchEvent(e: unknown): void };
    q.value = 'REG';
    q.dispatchEvent(new w.Event('input'));
    assert.deepEqual(shown(), ['reg#33', 'reg#10']);
    assert.equal(d.getElementById('n')!.textContent, '2 of 3 rows');
    q.value = '';
    const sel = d.getElementById('s') as unknown as { value: string; dispatchEvent(e: unknown): void };
    sel.value = 'unmet';
    sel.dispatchEvent(new w.Event('change'));
    assert.deepEqual(shown(), ['lies#2']);
  } finally {
    await w.happyDOM.close();
  }
});
