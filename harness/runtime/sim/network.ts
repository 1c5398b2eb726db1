// The simulated network between nodes (and between clients and nodes). Every message gets a
// seeded delay; some get a long extra delay (which reorders them behind later messages);
// some are dropped; one-way cuts drop everything on a link, checked both when a message is
// sent and when it would arrive (a cut made mid-flight catches messages on the wire).
import type { Rng } from '../../../ground/rng.js';

export interface NetParams {
  /** Base one-way delay, uniform in [minDelayMs, maxDelayMs]. */
  minDelayMs: number;
  maxDelayMs: number;
  /** Chance a node-to-node message is late by an extra exponential delay (reordering). */
  reorderP: number;
  reorderMeanMs: number;
  /** Chance a node-to-node message is silently lost (nodes retry on timers). */
  dropP: number;
}

export const DEFAULT_NET: NetParams = {
  minDelayMs: 0.1,
  maxDelayMs: 1.5,
  reorderP: 0.02,
  reorderMeanMs: 5,
  dropP: 0.002,
};

const MS = 1_000_000;

export class SimNetwork {
  private cuts = new Set<string>();

  constructor(private readonly rng: Rng, readonly params: NetParams = DEFAULT_NET) {}

  cut(from: string, to: string): void {
    this.cuts.add(`${from}>${to}`);
  }

  heal(from: string, to: string): void {
    this.cuts.delete(`${from}>${to}`);
  }

  healAll(): void {
    this.cuts.clear();
  }

  isCut(from: string, to: string): boolean {
    // Asked twice per message; most of a run has no cut at all.
    return this.cuts.size > 0 && this.cuts.has(`${from}>${to}`);
  }

  activeCuts(): string[] {
    return [...this.cuts];
  }

  /** Delay in ns for one message, or null when it is dropped at send time. */
  delay(from: string, to: string, lossy: boolean): number | null {
    if (this.isCut(from, to)) return null;
    const p = this.params;
    // Draw a fixed number of values per message so a drop does not shift later draws.
    const base = p.minDelayMs + this.rng.float() * (p.maxDelayMs - p.minDelayMs);
    const late = this.rng.float() < p.reorderP;
    const extra = this.rng.exp(p.reorderMeanMs);
    const lost = this.rng.float() < p.dropP;
    if (lossy && lost) return null;
    return Math.round((base + (lossy && late ? extra : 0)) * MS);
  }
}
