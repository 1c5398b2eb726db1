// Swarm testing (Groce et al., and TigerBeetle's per-seed swarm options): instead of one fault
// mix for every run, each seed draws its own — which fault kinds are on at all, how often each
// comes, how long faults last, how many overlap, which nodes process faults favour — and, in
// the simulator, its own network and disk. A bug that needs a rare combination (a one-way cut
// overlapping a long pause of the primary, a dr snapshot while an interval is open) is found by
// the seeds whose mix leaves out the faults that would mask it, rather than by a hand-tuned
// shape per bug.
//
// The mix is data (config.json `swarm`, the report's fault section) and a function of the seed,
// the system and the runtime only, so `--nemesis swarm --seed N` reproduces it.
import { z } from 'zod';
import type { Rng } from '../../ground/rng.js';
import { processTargets, type NemesisSpace, type PlanOptions } from './plan.js';

export const SwarmMixSchema = z
  .object({
    /** The fault kinds on for this seed, in the space's order. */
    kinds: z.array(z.string()),
    /** Relative weight of each kind when a fault is drawn. */
    weights: z.record(z.string(), z.number().positive()),
    meanGapMs: z.number().positive(),
    minDurationMs: z.number().nonnegative(),
    maxDurationMs: z.number().nonnegative(),
    maxActive: z.number().int().positive(),
    /** Targets process faults draw from (roles or nodes); repeats weigh the draw. */
    targets: z.array(z.string()).min(1),
    /** Node parameters drawn for this seed (the system's own swarm draw), under any --param. */
    params: z.record(z.string(), z.unknown()).optional(),
    /** Client density drawn for this seed (simulator runs with no --think-ms / --concurrency). */
    thinkMs: z.number().nonnegative().optional(),
    concurrency: z.number().int().positive().optional(),
    /** The simulator's network and disk for this seed (sim runs only). */
    sim: z
      .object({
        net: z.record(z.string(), z.number()),
        disk: z.record(z.string(), z.unknown()),
        /** Standing clock rates per node for the whole run (any two within the core's drift
         *  bound), when the seed draws drifting clocks rather than clock-skew faults. */
        clocks: z.record(z.string(), z.number().positive()).optional(),
      })
      .optional(),
  })
  .strict();
export type SwarmMix = z.infer<typeof SwarmMixSchema>;

/** Kinds a swarm draws from: every kind of the space, each partition shape on its own (a
 *  seed with only primary-partner cuts is a different run from one with only site-dr cuts),
 *  and not the bare `partition` (it would only repeat its shapes). */
export function swarmPool(space: NemesisSpace): string[] {
  return space.kinds.filter((k) => k !== 'partition');
}

/**
 * Draws a seed's fault mix. Each kind is on with even odds (a once-only fault such as site
 * loss with one in four), at least one repeating kind is on, and the rates, durations and
 * overlap are drawn from ranges wide enough to give both quiet runs with a few long faults and
 * storms of short ones.
 */
export function drawSwarm(rng: Rng, space: NemesisSpace, timeLimitMs: number, timescaleMs?: number, opts: { without?: readonly string[] } = {}): SwarmMix {
  const pool = swarmPool(space);
  const isOnce = (k: string) => space.capabilities.get(k)?.once === true;
  const repeating = pool.filter((k) => !isOnce(k));
  let kinds = pool.filter((k) => rng.bool(isOnce(k) ? 0.25 : 0.5));
  if (!kinds.some((k) => !isOnce(k)) && repeating.length) kinds.push(rng.pick(repeating));
  kinds = pool.filter((k) => kinds.includes(k));
  const weights: Record<string, number> = {};
  for (const k of kinds) weights[k] = rng.pick([1, 2, 4]);
  const logUniform = (lo: number, hi: number) => Math.round(lo * Math.pow(hi / lo, rng.float()));
  const meanGapMs = logUniform(Math.max(100, timeLimitMs / 40), Math.max(200, timeLimitMs / 4));
  // Durations around the system's own timescale when it has one (a fault shorter than a
  // takeover and one longer are different runs), else around the run's length.
  const cap = Math.max(100, timeLimitMs / 3);
  const minDurationMs = timescaleMs
    ? Math.min(cap, logUniform(Math.max(20, timescaleMs * 0.05), Math.max(40, timescaleMs * 0.5)))
    : logUniform(Math.max(20, Math.min(50, timeLimitMs / 100)), Math.max(40, Math.min(1000, timeLimitMs / 10)));
  const maxDurationMs = timescaleMs
    ? Math.max(minDurationMs, Math.min(cap, logUniform(timescaleMs * 0.8, timescaleMs * 4)))
    : Math.max(minDurationMs, logUniform(Math.max(minDurationMs, 100), Math.max(minDurationMs + 1, Math.min(10_000, cap))));
  const maxActive = rng.pick([1, 2, 2, 3]);
  // Which nodes process faults favour: every role and every other node (dr) is possible, and
  // a seed may lean hard on one of them.
  const roles = processTargets(space).filter((t, i, xs) => xs.indexOf(t) === i);
  const targets = roles.flatMap((t) => Array<string>(rng.pick([0, 1, 1, 2, 4])).fill(t));
  // Kinds the seed has covered otherwise (standing clock rates stand in for clock-skew faults)
  // are dropped after every draw is made, so leaving one out moves no other draw of the seed.
  const without = new Set(opts.without ?? []);
  kinds = kinds.filter((k) => !without.has(k));
  for (const k of without) delete weights[k];
  const mix = { kinds, weights, meanGapMs, minDurationMs, maxDurationMs, maxActive, targets: targets.length ? targets : roles };
  return kinds.length ? mix : { ...mix, kinds: ['pause'], weights: { pause: 1 } };
}

/** The plan options a mix stands for. */
export function swarmPlanOptions(mix: SwarmMix, timeLimitMs: number): PlanOptions {
  return {
    kinds: mix.kinds,
    timeLimitMs,
    meanGapMs: mix.meanGapMs,
    minDurationMs: mix.minDurationMs,
    maxDurationMs: mix.maxDurationMs,
    maxActive: mix.maxActive,
    weights: mix.weights,
    targets: mix.targets,
  };
}

/** Client density for one sim seed: mostly the simulator's sparse default (many fault schedules
 *  per wall second), sometimes 3x or 10x denser (a backed-up dr journal, writes inside one
 *  fsync's latency), sometimes half the clients (a partner's cached block then written is
 *  likelier with fewer, as the stale-cache bugs need). */
export function drawLoad(rng: Rng, base: { thinkMs: number; concurrency: number }): { thinkMs: number; concurrency: number } {
  const thinkMs = Math.max(1, Math.round(base.thinkMs / rng.pick([1, 1, 1, 3, 10])));
  const concurrency = Math.max(1, Math.round(base.concurrency * rng.pick([0.5, 1, 1])));
  return { thinkMs, concurrency };
}
