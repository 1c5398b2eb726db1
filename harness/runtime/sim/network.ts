// The simulated network between nodes (and between clients and nodes). Every message gets a
// seeded delay; some get a long extra delay (which reorders them behind later messages);
// some are dropped; one-way cuts drop everything on a link, checked both when a message is
// sent and when it would arrive (a cut made mid-flight catches messages on the wire).
import type { Rng } from '../../../ground/rng.js';
import type { LinkImpairment } from '../../../ground/system.js';

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

/**
 * Per-link impairment, in the shape of `tc netem` (a fault sets it on one direction of a link and
 * heals it): an added delay with uniform jitter, loss, duplication, and reordering (a message
 * that skips the added delay and so overtakes the ones still held back). Loss applies to
 * node-to-node traffic only, as every other loss does here.
 */
export type LinkParams = LinkImpairment;

/**
 * Per-seed network parameters (swarm testing): each seed gets its own base delays, reordering
 * and loss, drawn from `rng`, so a sweep covers fast and slow, clean and lossy networks. Loss
 * stays low enough that the nodes' retries always get through within a run.
 */
export function drawNetParams(rng: Rng): NetParams {
  const minDelayMs = 0.05 + rng.float() * 0.5;
  return {
    minDelayMs,
    maxDelayMs: minDelayMs + 0.2 + rng.float() * rng.pick([1, 3, 10]),
    reorderP: rng.pick([0, 0.01, 0.02, 0.05, 0.1]),
    reorderMeanMs: 1 + rng.float() * 20,
    dropP: rng.pick([0, 0.001, 0.002, 0.01, 0.03]),
  };
}

const MS = 1_000_000;

export class SimNetwork {
  private cuts = new Set<string>();
  private links = new Map<string, LinkParams>();

  constructor(private readonly rng: Rng, readonly params: NetParams = DEFAULT_NET) {}

  /** Sets (replaces) the impairment of the link `from -> to`. */
  netem(from: string, to: string, p: LinkParams): void {
    for (const [k, v] of Object.entries(p)) {
      if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (k.endsWith('P') && v > 1))) {
        throw new Error(`netem ${from}->${to}: ${k} must be a number${k.endsWith('P') ? ' in [0, 1]' : ' >= 0'}, got ${String(v)}`);
      }
    }
    this.links.set(`${from}>${to}`, { ...p });
  }

  healNetem(from: string, to: string): void {
    this.links.delete(`${from}>${to}`);
  }

  activeNetem(): Array<{ from: string; to: string; params: LinkParams }> {
    return [...this.links].map(([k, params]) => {
      const [from, to] = k.split('>');
      return { from, to, params };
    });
  }

  /** A second copy of a message on an impaired link, or null (no duplicate this time). */
  duplicate(from: string, to: string): number | null {
    if (this.links.size === 0) return null;
    const l = this.links.get(`${from}>${to}`);
    if (!l || !l.dupP || !(this.rng.float() < l.dupP)) return null;
    return this.delay(from, to, false);
  }

  cut(from: string, to: string): void {
    this.cuts.add(`${from}>${to}`);
  }

  heal(from: string, to: string): void {
    this.cuts.delete(`${from}>${to}`);
  }

  /** Heals every cut and every impaired link. */
  healAll(): void {
    this.cuts.clear();
    this.links.clear();
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
    let ms = base + (lossy && late ? extra : 0);
    // Impaired links draw only while impaired, so a seed without netem keeps its old draws.
    if (this.links.size > 0) {
      const l = this.links.get(`${from}>${to}`);
      if (l) {
        const jitter = (this.rng.float() * 2 - 1) * (l.jitterMs ?? 0);
        const skip = this.rng.float() < (l.reorderP ?? 0);
        const drop = this.rng.float() < (l.lossP ?? 0);
        if (lossy && drop) return null;
        if (!skip) ms += Math.max(0, (l.delayMs ?? 0) + jitter);
      }
    }
    return Math.round(ms * MS);
  }
}
