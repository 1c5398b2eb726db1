// Fault plans as data. A plan is a list of timed steps drawn from the run's seed (or written
// by hand / by `chaos shrink`), so the same seed always injects the same faults at the same
// offsets. The executor (executor.ts) only carries a plan out; it never chooses.
import { z } from 'zod';
import { InputError } from '../../ground/errors.js';
import type { Rng } from '../../ground/rng.js';
import type { NodeName } from '../../nodes/blockstore/core/types.js';

export const PARTITION_SHAPES = ['isolate', 'halves', 'primary-partner', 'site-dr', 'one-way'] as const;
export type PartitionShape = (typeof PARTITION_SHAPES)[number];

/** What `--nemesis` accepts: a fault kind, or a partition restricted to one shape. */
export const NEMESIS_KINDS = [
  'partition',
  ...PARTITION_SHAPES.map((s) => `partition-${s}` as const),
  'kill',
  'kill-unsynced',
  'pause',
  'lose-journal',
  'site-loss',
] as const;
export type NemesisKind = (typeof NEMESIS_KINDS)[number];

const nodeName = z.enum(['a', 'b', 'dr']);
/** Process faults may name a role instead of a node: resolved when the fault starts, from
 *  what the pair says about itself, so "kill the primary" still means it after a takeover. */
export const ROLE_REFS = ['primary', 'partner'] as const;
export type RoleRef = (typeof ROLE_REFS)[number];
const targetRef = z.enum(['a', 'b', 'dr', 'primary', 'partner']);
export type TargetRef = z.infer<typeof targetRef>;

export const FaultStepSchema = z
  .object({
    /** Pairs the history's start and stop events. */
    id: z.number().int().nonnegative(),
    /** Ms after the workload starts. */
    at: z.number().nonnegative(),
    /** Ms the fault lasts before it is healed; 0 for instant faults (lose-journal). */
    durationMs: z.number().nonnegative(),
    kind: z.enum(['partition', 'kill', 'kill-unsynced', 'pause', 'lose-journal', 'site-loss']),
    shape: z.enum(PARTITION_SHAPES).optional(),
    /** The isolated side (partitions) or the nodes acted on; process faults may say primary/partner. */
    targets: z.array(targetRef).min(1),
    /** Partitions: the one-way links dropped, [from, to]. */
    links: z.array(z.tuple([nodeName, nodeName])).optional(),
  })
  .strict();
export type FaultStep = z.infer<typeof FaultStepSchema>;
export const FaultPlanSchema = z.array(FaultStepSchema);

export interface PlanOptions {
  kinds: readonly NemesisKind[];
  /** Workload length (ms); faults start in its first 90% so the end is not all fault. */
  timeLimitMs: number;
  /** Mean quiet gap between fault starts, and fault duration range (ms). */
  meanGapMs?: number;
  minDurationMs?: number;
  maxDurationMs?: number;
  /** At most this many faults active at once. */
  maxActive?: number;
}

const ALL: readonly NodeName[] = ['a', 'b', 'dr'];

export function parseNemesisKinds(spec: string | undefined, where = '--nemesis'): NemesisKind[] {
  if (spec === undefined) return [];
  const s = spec.trim();
  if (s === '' || s === 'none') return [];
  const out: NemesisKind[] = [];
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    if (part === 'all') {
      out.push('partition', 'kill', 'kill-unsynced', 'pause', 'lose-journal');
      continue;
    }
    if (!(NEMESIS_KINDS as readonly string[]).includes(part)) {
      throw new InputError(`unknown fault kind '${part}'; expected a comma-separated list of ${NEMESIS_KINDS.join(', ')}, all, or none`, where);
    }
    if (!out.includes(part as NemesisKind)) out.push(part as NemesisKind);
  }
  return out;
}

/** Whether two steps may be active at once. Every heal must undo exactly its own fault: two
 *  process faults (kill, pause ...) never share a node, two partitions never share a node,
 *  and site loss stands alone. A partition and a process fault may overlap (a primary killed
 *  while cut off from its partner is the case several bugs need); runtimes keep cuts across
 *  restarts. */
export function conflicts(x: FaultStep, y: FaultStep): boolean {
  if (x.kind === 'site-loss' || y.kind === 'site-loss') return true;
  const px = x.kind === 'partition';
  const py = y.kind === 'partition';
  if (px !== py) return false;
  const ny = stepNodes(y);
  return stepNodes(x).some((n) => ny.includes(n));
}

/** Nodes a step acts on (roles count as both nodes of the pair). */
export function stepNodes(step: FaultStep): NodeName[] {
  if (step.kind === 'partition') {
    const s = new Set<NodeName>();
    for (const [f, t] of step.links ?? []) { s.add(f); s.add(t); }
    return ALL.filter((n) => s.has(n));
  }
  if (step.kind === 'site-loss') return [...ALL];
  // A role may be either node of the pair by the time it resolves.
  const out = new Set<NodeName>();
  for (const t of step.targets) {
    if (t === 'primary' || t === 'partner') { out.add('a'); out.add('b'); }
    else out.add(t);
  }
  return ALL.filter((n) => out.has(n));
}

function partitionStep(rng: Rng, shape: PartitionShape): Pick<FaultStep, 'shape' | 'targets' | 'links'> {
  const both = (xs: readonly NodeName[], ys: readonly NodeName[]) => {
    const links: [NodeName, NodeName][] = [];
    for (const x of xs) for (const y of ys) links.push([x, y], [y, x]);
    return links;
  };
  switch (shape) {
    case 'isolate': {
      const n = rng.pick(ALL);
      return { shape, targets: [n], links: both([n], ALL.filter((m) => m !== n)) };
    }
    case 'halves': {
      const order = rng.shuffle([...ALL]);
      const side = order.slice(0, Math.floor(order.length / 2));
      return { shape, targets: side, links: both(side, order.slice(side.length)) };
    }
    case 'primary-partner':
      return { shape, targets: ['a'], links: both(['a'], ['b']) };
    case 'site-dr':
      return { shape, targets: ['dr'], links: both(['dr'], ['a', 'b']) };
    case 'one-way': {
      const from = rng.pick(ALL);
      const to = rng.pick(ALL.filter((n) => n !== from));
      return { shape, targets: [to], links: [[from, to]] };
    }
  }
}

function candidate(rng: Rng, kind: NemesisKind): Omit<FaultStep, 'id' | 'at' | 'durationMs'> {
  if (kind === 'partition') return { kind: 'partition', ...partitionStep(rng, rng.pick(PARTITION_SHAPES)) };
  if (kind.startsWith('partition-')) return { kind: 'partition', ...partitionStep(rng, kind.slice('partition-'.length) as PartitionShape) };
  switch (kind) {
    case 'kill':
    case 'pause':
      // The primary is where takeovers, fencing and vault recovery happen: hit it most.
      return { kind, targets: [rng.pick(['primary', 'primary', 'partner', 'dr'] as const)] };
    case 'kill-unsynced':
    case 'lose-journal':
      // Both hurt what a node has not yet synced or shipped; the primary holds most of that.
      return { kind, targets: [rng.pick(['primary', 'primary', 'partner'] as const)] };
    case 'site-loss':
      return { kind, targets: ['a', 'b'] };
  }
  throw new Error(`unreachable kind ${kind}`);
}

/** Draws a plan: fault starts form a Poisson-ish process; overlapping faults never share a node.
 *  Site loss, when asked for, happens once, late, and nothing follows it (a and b are gone). */
export function generatePlan(rng: Rng, o: PlanOptions): FaultStep[] {
  const kinds = o.kinds;
  if (kinds.length === 0) return [];
  const meanGap = o.meanGapMs ?? Math.max(500, Math.min(3000, o.timeLimitMs / 8));
  // Short faults matter as much as long ones: a node killed for less than the takeover time
  // comes back as primary and must recover on its own (vault, oplog); a long one forces a
  // takeover. Durations are drawn log-uniformly between the two.
  const minDur = o.minDurationMs ?? Math.min(300, o.timeLimitMs / 10);
  const maxDur = o.maxDurationMs ?? Math.max(minDur, Math.min(6000, o.timeLimitMs / 4));
  const maxActive = o.maxActive ?? 2;
  const lastStart = o.timeLimitMs * 0.9;
  const others = kinds.filter((k) => k !== 'site-loss');
  const siteLossAt = kinds.includes('site-loss') ? Math.round(o.timeLimitMs * (0.4 + 0.3 * rng.float())) : Infinity;
  const steps: FaultStep[] = [];
  let t = Math.round(Math.min(rng.exp(meanGap), o.timeLimitMs * 0.3));
  while (others.length > 0 && t < Math.min(lastStart, siteLossAt)) {
    const c = candidate(rng, rng.pick(others));
    const durationMs = c.kind === 'lose-journal' ? 0 : Math.round(minDur * Math.pow(maxDur / minDur, rng.float()));
    const step: FaultStep = { id: 0, at: t, durationMs, ...c };
    const end = Math.min(t + durationMs, siteLossAt);
    step.durationMs = Math.max(0, end - t);
    const active = steps.filter((s) => s.at <= t && t < s.at + Math.max(s.durationMs, 1));
    if (active.length < maxActive && !active.some((a) => conflicts(a, step))) steps.push(step);
    t += Math.max(50, Math.round(rng.exp(meanGap)));
  }
  if (siteLossAt !== Infinity) {
    // Everything else is healed by then; the run carries on against dr's image.
    steps.push({ id: 0, at: siteLossAt, durationMs: 0, ...candidate(rng, 'site-loss') });
  }
  steps.sort((x, y) => x.at - y.at);
  steps.forEach((s, i) => (s.id = i + 1));
  return steps;
}

/** A plan given by hand or by shrink: validated, ids unique, sorted by start. */
export function validatePlan(plan: unknown, where = 'plan'): FaultStep[] {
  const r = FaultPlanSchema.safeParse(plan);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new InputError(`${issue.message} at ${[where, ...issue.path].join('.')}; expected a list of fault steps {id, at, durationMs, kind, targets, links?}`, where);
  }
  const ids = new Set<number>();
  for (const s of r.data) {
    if (ids.has(s.id)) throw new InputError(`fault id ${s.id} appears twice; expected unique ids`, where);
    ids.add(s.id);
    if (s.kind === 'partition' && !(s.links && s.links.length)) throw new InputError(`partition ${s.id} has no links; expected links [[from, to], ...]`, where);
    if ((s.kind === 'partition' || s.kind === 'site-loss') && s.targets.some((t) => t === 'primary' || t === 'partner')) {
      throw new InputError(`${s.kind} ${s.id} names a role; expected node names a, b, dr`, where);
    }
  }
  return [...r.data].sort((x, y) => x.at - y.at || x.id - y.id);
}
