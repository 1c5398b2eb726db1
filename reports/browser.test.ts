// report.html in a real browser (Debian's chromium, headless): a valid run and runs with a stale
// cache read, a lost write, a torn dr image and a non-linearizable key each load with no console
// error and no broken image, draw their history, and draw every anomaly they show with the ops
// its checker named. Screenshots go to artifacts/screenshots/ (kept by CI, ignored by git).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ComposedResult } from '../checkers/types.js';
import type { HistoryEvent } from '../ground/history/types.js';
import { findChromium, inspectReport, launch } from './browser.js';
import { readHistory } from './index.js';
import { MAX_NAMED } from './anomaly.js';
import { runShape } from './facts.js';
import { allSamples } from '../scripts/report-samples.js';

const SHOTS = resolve(process.env.CHAOS_SCREENSHOTS ?? 'artifacts/screenshots');
const chromium = findChromium();
// CI installs chromium (scripts/setup.sh): there a missing browser is a failure, not a skip
const skip = !chromium && !process.env.CI ? 'chromium is not installed (apt-get install chromium)' : false;

test('reports open in chromium: no console error, every image loaded, each anomaly drawn naming the ops its checker named', { skip, timeout: 300_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'chaos-browser-'));
  const browser = await launch();
  try {
    const samples = await allSamples(work);
    for (const s of samples) {
      const facts = await inspectReport(browser, join(s.dir, 'report.html'), { path: join(SHOTS, `${s.name}.png`) });
      assert.deepEqual(facts.consoleErrors, [], `${s.name}: console errors`);
      assert.deepEqual(facts.brokenImages, [], `${s.name}: broken images`);
      assert.ok(facts.historyDrawn > 0 && facts.historyPainted, `${s.name}: the history view drew its ops`);
      const results = JSON.parse(readFileSync(join(s.dir, 'results.json'), 'utf8')) as ComposedResult;
      if (s.name === 'valid') {
        assert.equal(results.valid, true);
        assert.match(facts.verdict, /^valid Nothing went wrong/);
        assert.equal(facts.drawings.length, 0);
        continue;
      }
      assert.match(facts.verdict, /^INVALID /, s.name);
      assert.ok(s.expect.length > 0, `${s.name}: the sample has anomalies`);
      const events: HistoryEvent[] = readHistory(join(s.dir, 'history.jsonl'));
      const isOpEvent = (ix: number) => events[ix] !== undefined && events[ix].process !== 'nemesis';
      const shape = runShape(events);
      // every kind the run shows is drawn at least once
      for (const k of s.expect) {
        const [checker, kind] = [k.slice(0, k.indexOf(':')), k.slice(k.indexOf(':') + 1)];
        assert.ok(facts.drawings.some((d) => d.checker === checker && d.kind === kind && (d.svg || d.lin)), `${s.name}: ${k} is drawn`);
      }
      // and each drawing highlights exactly the client ops its anomaly names
      for (const d of facts.drawings) {
        const anomaly = results.checkers[d.checker].anomalies.filter((a) => a.kind === d.kind)[d.n - 1];
        assert.ok(anomaly, `${s.name}: ${d.id} is an anomaly of results.json`);
        const named = anomaly.events.filter(isOpEvent);
        const drawn = new Set(d.events);
        // a drawing shows the first MAX_NAMED named ops (by time); a checker naming more is listed
        if (new Set(named.map((ix) => shape.opOfEvent(ix))).size > MAX_NAMED) continue;
        for (const ix of named) assert.ok(drawn.has(ix), `${s.name}: ${d.id} draws event ${ix} its checker named`);
      }
      assert.ok(facts.zoom, `${s.name}: anomalies have "show in history"`);
      if (facts.zoom.share < 0.5) assert.notEqual(facts.zoom.after, facts.zoom.before, `${s.name}: "show in history" zooms the history view`);
    }
    assert.deepEqual(samples.map((s) => s.name), ['valid', 'stale-cache-read', 'lost-write', 'torn-dr', 'torn-dr-image', 'nonlinearizable']);
  } finally {
    await browser.close();
    rmSync(work, { recursive: true, force: true });
  }
});
