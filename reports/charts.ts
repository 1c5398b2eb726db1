// PNG charts of a run (chartjs-node-canvas): latency of every op over time with fault windows
// shaded behind, and throughput per second by outcome. Loaded only when a report is drawn.
import type { HistoryEvent } from '../ground/history/types.js';
import { faultColour, faultWindows, opPoints, type FaultWindow } from './timeline.js';

const W = 1000;
const H = 360;

type Canvas = { renderToBuffer(cfg: unknown, mime?: 'image/png'): Promise<Buffer> };
let canvas: Canvas | null = null;
async function getCanvas(): Promise<Canvas> {
  if (!canvas) {
    const { ChartJSNodeCanvas } = await import('chartjs-node-canvas');
    canvas = new ChartJSNodeCanvas({ width: W, height: H, backgroundColour: 'white' }) as unknown as Canvas;
  }
  return canvas;
}

/** A chart.js plugin that shades each fault window across the plot area. */
function shadeFaults(windows: FaultWindow[]) {
  return {
    id: 'faultWindows',
    beforeDatasetsDraw(chart: any) {
      const { ctx, chartArea, scales } = chart;
      const x = scales.x;
      ctx.save();
      for (const w of windows) {
        const x0 = Math.max(chartArea.left, x.getPixelForValue(w.start));
        const x1 = Math.min(chartArea.right, Math.max(x.getPixelForValue(w.end), x0 + 2));
        if (x1 <= chartArea.left || x0 >= chartArea.right) continue;
        ctx.fillStyle = faultColour(w.kind);
        ctx.fillRect(x0, chartArea.top, x1 - x0, chartArea.bottom - chartArea.top);
        ctx.fillStyle = 'rgba(0,0,0,0.55)';
        ctx.font = '10px sans-serif';
        ctx.fillText(w.label, x0 + 2, chartArea.top + 10 + (w.id % 3) * 11);
      }
      ctx.restore();
    },
  };
}

const TYPE_COLOUR = { ok: 'rgba(30, 140, 60, 0.6)', fail: 'rgba(230, 140, 0, 0.8)', info: 'rgba(200, 30, 30, 0.9)' } as const;

/** Thins a series evenly so a long run still draws fast; ok points thin first, failures never. */
function thin<T>(xs: T[], max: number): T[] {
  if (xs.length <= max) return xs;
  const step = xs.length / max;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(xs[Math.floor(i * step)]);
  return out;
}

export async function latencyChart(events: readonly HistoryEvent[]): Promise<Buffer> {
  const pts = opPoints(events);
  const windows = faultWindows(events);
  const endS = events.length ? (events[events.length - 1].time - events[0].time) / 1e9 : 1;
  const datasets = (['ok', 'fail', 'info'] as const).map((type) => {
    const sel = pts.filter((p) => p.type === type);
    return {
      label: `${type} (${sel.length})`,
      data: thin(sel, type === 'ok' ? 8000 : 4000).map((p) => ({ x: p.t, y: Math.max(p.ms, 0.01) })),
      backgroundColor: TYPE_COLOUR[type],
      pointRadius: type === 'ok' ? 1.2 : 2.2,
      showLine: false,
    };
  });
  const c = await getCanvas();
  return c.renderToBuffer(
    {
      type: 'scatter',
      data: { datasets },
      options: {
        animation: false,
        plugins: { title: { display: true, text: 'Latency per operation (faults shaded)' } },
        scales: {
          x: { type: 'linear', min: 0, max: Math.ceil(endS), title: { display: true, text: 'time since the first event (s)' } },
          y: { type: 'logarithmic', title: { display: true, text: 'latency (ms, log)' } },
        },
      },
      plugins: [shadeFaults(windows)],
    },
    'image/png',
  );
}

export async function throughputChart(events: readonly HistoryEvent[]): Promise<Buffer> {
  const pts = opPoints(events);
  const windows = faultWindows(events);
  const endS = Math.max(1, Math.ceil(events.length ? (events[events.length - 1].time - events[0].time) / 1e9 : 1));
  const buckets = { ok: new Array(endS + 1).fill(0), fail: new Array(endS + 1).fill(0), info: new Array(endS + 1).fill(0) };
  for (const p of pts) buckets[p.type][Math.min(endS, Math.floor(p.t + p.ms / 1000))]++;
  const c = await getCanvas();
  return c.renderToBuffer(
    {
      type: 'line',
      data: {
        datasets: (['ok', 'fail', 'info'] as const).map((type) => ({
          label: `${type} ops/s`,
          data: buckets[type].map((y: number, x: number) => ({ x: x + 0.5, y })),
          borderColor: TYPE_COLOUR[type],
          backgroundColor: TYPE_COLOUR[type],
          pointRadius: 0,
          borderWidth: 1.5,
          stepped: true,
        })),
      },
      options: {
        animation: false,
        parsing: false,
        plugins: { title: { display: true, text: 'Throughput by outcome (faults shaded)' } },
        scales: {
          x: { type: 'linear', min: 0, max: endS, title: { display: true, text: 'time since the first event (s)' } },
          y: { beginAtZero: true, title: { display: true, text: 'completions per second' } },
        },
      },
      plugins: [shadeFaults(windows)],
    },
    'image/png',
  );
}
