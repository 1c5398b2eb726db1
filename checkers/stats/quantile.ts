// Nearest-rank quantiles over a sorted sample; summaries in milliseconds.

export interface LatencySummary {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

/** q in [0, 1]; `sorted` ascending. Nearest rank, so every reported figure was observed. */
export function quantile(sorted: ArrayLike<number>, q: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const rank = Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
  return sorted[rank];
}

const round = (x: number | null): number | null => (x === null ? null : Math.round(x * 1000) / 1000);

/** Sorts in place. Values in ms. */
export function summarize(sample: Float64Array | number[]): LatencySummary {
  const s = sample instanceof Float64Array ? sample.sort() : Float64Array.from(sample).sort();
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += s[i];
  return {
    count: s.length,
    p50: round(quantile(s, 0.5)),
    p95: round(quantile(s, 0.95)),
    p99: round(quantile(s, 0.99)),
    max: round(s.length ? s[s.length - 1] : null),
    mean: round(s.length ? sum / s.length : null),
  };
}

/** A growable Float64 buffer: 1M latencies without 1M boxed numbers. */
export class Samples {
  private buf = new Float64Array(64);
  private n = 0;
  push(x: number): void {
    if (this.n === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = x;
  }
  get length(): number {
    return this.n;
  }
  view(): Float64Array {
    return this.buf.subarray(0, this.n);
  }
  summary(): LatencySummary {
    return summarize(this.buf.slice(0, this.n));
  }
}
