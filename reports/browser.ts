// Opens a report in a real browser (Debian's chromium, headless, through puppeteer-core) and
// tells what a reader would meet: console errors, images that failed to load, the anomaly
// drawings and the operations they name. Used by the browser tests and `npm run screenshots`.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CHROMIUM_PATHS = [process.env.CHAOS_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((p): p is string => !!p);

export function findChromium(): string | null {
  return CHROMIUM_PATHS.find((p) => existsSync(p)) ?? null;
}

export interface PageFacts {
  consoleErrors: string[];
  brokenImages: string[];
  /** Per drawn anomaly card: its id and the history indexes its highlighted ops carry. */
  drawings: { id: string; checker: string; kind: string; n: number; events: number[]; svg: boolean; lin: boolean }[];
  verdict: string;
  historyDrawn: number;
  /** The history canvas has non-white pixels (the ops were drawn). */
  historyPainted: boolean;
  /** The history view's range before and after the first "show in history" button was clicked. */
  zoom?: { before: string; after: string; share: number };
}

type Browser = { newPage(): Promise<any>; close(): Promise<void> };

export async function launch(): Promise<Browser> {
  const exe = findChromium();
  if (!exe) throw new Error(`no chromium found (looked at ${CHROMIUM_PATHS.join(', ')}); install it with apt-get install chromium`);
  const puppeteer = (await import('puppeteer-core')).default;
  return (await puppeteer.launch({ executablePath: exe, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--allow-file-access-from-files'] })) as unknown as Browser;
}

/** Loads a report file, collects what went wrong in it, and saves a screenshot when asked. */
export async function inspectReport(browser: Browser, file: string, screenshot?: { path: string; fullPage?: boolean; clip?: 'top' }): Promise<PageFacts> {
  const page = await browser.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (m: any) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e: Error) => consoleErrors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r: any) => consoleErrors.push(`request failed: ${r.url()}`));
  try {
    await page.setViewport({ width: 1180, height: 1400, deviceScaleFactor: 1 });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const facts = (await page.evaluate(PAGE_FACTS)) as Omit<PageFacts, 'consoleErrors'>;
    let zoom: PageFacts['zoom'];
    if (await page.$('button.zoom')) {
      // the narrowest anomaly's button: it must narrow the view
      const before = (await page.evaluate(`document.querySelector('#hv .hv-range').textContent`)) as string;
      const share = (await page.evaluate(`(() => {
        const bs = [...document.querySelectorAll('button.zoom')];
        const w = (b) => { const p = b.dataset.zoom.split(','); return p[1] - p[0]; };
        bs.sort((x, y) => w(x) - w(y));
        bs[0].click();
        return w(bs[0]) / JSON.parse(document.getElementById('hv-data').textContent).span;
      })()`)) as number;
      const after = (await page.evaluate(`document.querySelector('#hv .hv-range').textContent`)) as string;
      zoom = { before, after, share };
      await page.evaluate('window.scrollTo(0, 0)');
    }
    if (screenshot) {
      mkdirSync(dirname(screenshot.path), { recursive: true });
      await page.screenshot({ path: screenshot.path, fullPage: screenshot.fullPage ?? false });
    }
    return { ...facts, consoleErrors, ...(zoom ? { zoom } : {}) };
  } finally {
    await page.close();
  }
}

// Runs in the page (a string: the project compiles without the DOM's types).
const PAGE_FACTS = `(() => {
  const imgs = [...document.images].filter((i) => !i.complete || i.naturalWidth === 0).map((i) => i.src);
  // an inline SVG drawing with no size or no content is a broken image too
  const emptySvgs = [...document.querySelectorAll('svg')].filter((s) => s.getBoundingClientRect().width === 0 || !s.childElementCount).map((s) => 'svg.' + s.getAttribute('class'));
  const drawings = [...document.querySelectorAll('article.anomaly')].map((a) => {
    const ev = [];
    a.querySelectorAll('.named-op, .lin-stuck, .lin-step, .lin-candidate').forEach((n) => (n.getAttribute('data-events') || '').split(' ').forEach((x) => x !== '' && ev.push(Number(x))));
    return { id: a.id, checker: a.dataset.checker, kind: a.dataset.kind, n: Number(a.dataset.n), events: ev, svg: !!a.querySelector('svg.anomaly-svg'), lin: !!a.querySelector('svg.lin-svg') };
  });
  const cv = document.querySelector('#hv canvas');
  let painted = false;
  if (cv) {
    const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
    for (let i = 0; i < d.length; i += 4 * 97) if (d[i + 3] > 0 && (d[i] < 200 || d[i + 1] < 200)) { painted = true; break; }
  }
  const v = document.querySelector('.verdict');
  const hv = document.getElementById('hv');
  return { brokenImages: imgs.concat(emptySvgs), drawings, verdict: v ? v.textContent : '', historyDrawn: Number(hv ? hv.getAttribute('data-drawn') : -1), historyPainted: painted };
})()`;
