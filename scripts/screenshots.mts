// `npm run screenshots [OUT]`: makes the sample runs (scripts/report-samples.ts), opens each
// report in chromium and saves what a reader sees first (OUT/<name>.png, the first screen) and
// the whole page (OUT/<name>-full.png). OUT defaults to artifacts/screenshots.
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inspectReport, launch } from '../reports/browser.js';
import { allSamples } from './report-samples.js';

const out = resolve(process.argv[2] ?? 'artifacts/screenshots');
const work = join(out, 'runs');
rmSync(work, { recursive: true, force: true });
const samples = await allSamples(work);
const browser = await launch();
try {
  for (const s of samples) {
    const first = await inspectReport(browser, join(s.dir, 'report.html'), { path: join(out, `${s.name}.png`) });
    await inspectReport(browser, join(s.dir, 'report.html'), { path: join(out, `${s.name}-full.png`), fullPage: true });
    const bad = first.consoleErrors.length + first.brokenImages.length;
    process.stdout.write(`${s.name}: ${join(out, `${s.name}.png`)}  (${s.story}; ${first.drawings.length} drawing(s)${bad ? `; PROBLEMS: ${[...first.consoleErrors, ...first.brokenImages].join('; ')}` : ''})\n  run: ${s.dir}\n`);
  }
} finally {
  await browser.close();
}
