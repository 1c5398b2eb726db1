// Fault plans as data. A plan is a list of timed steps drawn from the run's seed (or written
// by hand / by `chaos shrink`), so the same seed always injects the same faults at the same
// offsets. The executor (executor.ts) only carries a plan out; it never chooses.
//
// Plans are generic over the system under test: the faults any container can suffer (kill,
// pause, partitions in Jepsen's shapes) plus the faults the system declares as capabilities
// (ground/system.ts). A NemesisSpace is what the planner knows of the system.
import { z } from 'zod';
import { InputError } from '../../ground/errors.js';
import type { Rng } from '../../ground/rng.js';
import type { FaultCapability, LinkImpairment, PartitionShapeFn, System } from '../../ground/system.js';

/** Process faults may name a role instead of a node, resolved when the fault starts from what
 *  the nodes say about themselves, so "kill the primary" still means it after a takeover:
 *  `primary` is the candidate that says it holds the system's primary role, `partner` another
 *  candidate (the block store's b, an etcd follower, a Redis replica). */
export const ROLE_REFS = ['primary', 'partner'] as const;
export type RoleRef = (typeof ROLE_REFS)[number];

/** Kinds every runtime can do to any container (netem: links delayed, lossy, duplicating,
 *  reordering, in the shape of a partition). */
export const GENERIC_KINDS = ['partition', 'netem', 'kill', 'pause'] as const;

export const FaultStepSchema = z
  .object({
    /** Pairs the history's start and stop events. */
    id: z.number().int().nonnegative(),
    /** Ms after the workload starts. */
    at: z.number().nonnegative(),
    /** Ms the fault lasts before it is healed; 0 for instant faults (lose-journal). */
    durationMs: z.number().nonnegative(),
    /** partition, kill, pause, or a capability's kind. */
    kind: z.string().min(1),
    shape: z.string().optional(),
    /** The isolated side (partitions) or the nodes acted on; process faults may name a role. */
    targets: z.array(z.string().min(1)).min(1),
    /** Partitions: the one-way links dropped, [from, to]; netem: the links impaired. */
    links: z.array(z.tuple([z.string(), z.string()])).optional(),
    /** The fault's own parameters, drawn with the plan (a clock's rate, a netem's delay, a
     *  disk error's code ...), so a plan as data says everything the fault does. */
    args: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type FaultStep = z.infer<typeof FaultStepSchema>;
export const FaultPlanSchema = z.array(FaultStepSchema);

/** What the planner and the executor know of the system under test. */
export interface NemesisSpace {
  nodes: readonly string[];
  /** Nodes that may hold the primary role (roles resolve among these). */
  candidates: readonly string[];
  /** The status role that means primary. */
  primaryRole: string;
  /** Partition shapes by name, in the order `partition` draws from. */
  shapes: Readonly<Record<string, PartitionShapeFn>>;
  capabilities: ReadonlyMap<string, FaultCapability>;
  /** Every kind `--nemesis` accepts for this system. */
  kinds: readonly string[];
}

export function nemesisSpace(system: System, nodes: readonly string[], runtime?: 'docker' | 'sim'): NemesisSpace {
  const topo = system.topology(nodes);
  const both = (xs: readonly string[], ys: readonly string[]) => {
    const links: [string, string][] = [];
    for (const x of xs) for (const y of ys) links.push([x, y], [y, x]);
    return links;
  };
  // The system's own shapes sit between the generic two-sided ones and one-way, so that a
  // block-store plan draws exactly what it drew before shapes became the system's.
  const shapes: Record<string, PartitionShapeFn> = {
    isolate: (ns, draw) => {
      const n = draw.pick(ns);
      return { targets: [n], links: both([n], ns.filter((m) => m !== n)) };
    },
    halves: (ns, draw) => {
      const order = draw.shuffle([...ns]);
      const side = order.slice(0, Math.floor(order.length / 2));
      return { targets: side, links: both(side, order.slice(side.length)) };
    },
    ...(system.partitionShapes ?? {}),
    'one-way': (ns, draw) => {
      const from = draw.pick(ns);
      const to = draw.pick(ns.filter((n) => n !== from));
      return { targets: [to], links: [[from, to]] };
    },
  };
  const caps = new Map(system.capabilities.filter((c) => !runtime || c.runtimes.includes(runtime)).map((c) => [c.kind, c] as const));
  // A single node has no links to cut or impair.
  const links = nodes.length >= 2 ? ['partition', ...Object.keys(shapes).map((s) => `partition-${s}`), 'netem'] : [];
  const kinds = [...links, 'kill', 'pause', ...caps.keys()];
  return { nodes, candidates: topo.candidates, primaryRole: system.roles.primary, shapes, capabilities: caps, kinds };
}

export interface PlanOptions {
  kinds: readonly string[];
  /** Workload length (ms); faults start in its first 90% so the end is not all fault. */
  timeLimitMs: number;
  /** Mean quiet gap between fault starts, and fault duration range (ms). */
  meanGapMs?: number;
  minDurationMs?: number;
  maxDurationMs?: number;
  /** At most this many faults active at once. */
  maxActive?: number;
  /** Relative weights of `kinds` (swarm mixes); equal when absent. */
  weights?: Readonly<Record<string, number>>;
  /** The targets process faults draw from, repeats weighing the draw (swarm mixes); the
   *  primary twice, a partner and every other node once when absent. */
  targets?: readonly string[];
}

export function parseNemesisKinds(spec: string | undefined, space: NemesisSpace, where = '--nemesis'): string[] {
  if (spec === undefined) return [];
  const s = spec.trim();
  if (s === '' || s === 'none') return [];
  const out: string[] = [];
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    if (part === 'all') {
      // Everything but faults that end the cluster as it was (site loss): those are asked for by name.
      const generic = GENERIC_KINDS.filter((k) => space.kinds.includes(k));
      for (const k of [...generic, ...[...space.capabilities.values()].filter((c) => !c.once).map((c) => c.kind)]) if (!out.includes(k)) out.push(k);
      continue;
    }
    if (!space.kinds.includes(part)) {
      throw new InputError(`unknown fault kind '${part}'; expected swarm (the default), workload, none, all, or a comma-separated list of ${space.kinds.join(', ')}`, where);
    }
    if (!out.includes(part)) out.push(part);
  }
  return out;
}

const isClusterWide = (space: NemesisSpace, kind: string) => space.capabilities.get(kind)?.scope === 'cluster';

/** What a fault acts on, for overlaps: a node's links (cuts, impairments) or the node itself. */
export const layerOf = (kind: string): 'cut' | 'netem' | 'process' => (kind === 'partition' ? 'cut' : kind === 'netem' ? 'netem' : 'process');

/** Whether two steps may be active at once. Every heal must undo exactly its own fault: two
 *  faults of one layer (two cuts, two impairments, or two process faults such as kill, pause,
 *  a clock's skew) never share a node, and a cluster-wide fault (site loss) stands alone.
 *  Faults of different layers may overlap (a primary killed while cut off from its partner
 *  is the case several bugs need); runtimes keep cuts and impairments across restarts. */
export function conflicts(space: NemesisSpace, x: FaultStep, y: FaultStep): boolean {
  if (isClusterWide(space, x.kind) || isClusterWide(space, y.kind)) return true;
  if (layerOf(x.kind) !== layerOf(y.kind)) return false;
  const ny = stepNodes(space, y);
  return stepNodes(space, x).some((n) => ny.includes(n));
}

/** Nodes a step acts on (a role counts as every candidate it may resolve to). */
export function stepNodes(space: NemesisSpace, step: FaultStep): string[] {
  if (step.kind === 'partition' || step.kind === 'netem') {
    const s = new Set<string>();
    for (const [f, t] of step.links ?? []) { s.add(f); s.add(t); }
    return space.nodes.filter((n) => s.has(n));
  }
  if (isClusterWide(space, step.kind)) return [...space.nodes];
  const out = new Set<string>();
  for (const t of step.targets) {
    if ((ROLE_REFS as readonly string[]).includes(t)) for (const c of space.candidates) out.add(c);
    else out.add(t);
  }
  return space.nodes.filter((n) => out.has(n));
}

/** Targets process faults draw from: the primary most (takeovers, fencing and recovery happen
 *  there), a partner, and each node that never takes writes (the block store's dr). */
export function processTargets(space: NemesisSpace): string[] {
  return ['primary', 'primary', 'partner', ...space.nodes.filter((n) => !space.candidates.includes(n))];
}

/** A link impairment for a netem fault: delay, jitter, loss, duplication and reordering, each
 *  present or not, so a sweep sees slow, lossy, duplicating and reordering links apart and
 *  together. Loss stays partial: a cut is the partition's job. */
export function drawImpairment(rng: Rng): LinkImpairment {
  const p: LinkImpairment = {};
  if (rng.bool(0.7)) p.delayMs = rng.pick([1, 5, 20, 100]);
  if (p.delayMs !== undefined && rng.bool(0.6)) p.jitterMs = Math.round(p.delayMs * rng.float() * 10) / 10;
  if (rng.bool(0.4)) p.lossP = rng.pick([0.01, 0.05, 0.2]);
  if (rng.bool(0.4)) p.dupP = rng.pick([0.01, 0.05, 0.2]);
  if (rng.bool(0.4)) p.reorderP = rng.pick([0.05, 0.25]);
  return p;
}

function partitionStep(rng: Rng, space: NemesisSpace, shape: string): Pick<FaultStep, 'shape' | 'targets' | 'links'> {
  const { targets, links } = space.shapes[shape](space.nodes, rng);
  return { shape, targets, links };
}

function candidate(rng: Rng, space: NemesisSpace, kind: string, targets: readonly string[]): Omit<FaultStep, 'id' | 'at' | 'durationMs'> {
  if (kind === 'partition') return { kind: 'partition', ...partitionStep(rng, space, rng.pick(Object.keys(space.shapes))) };
  if (kind.startsWith('partition-')) return { kind: 'partition', ...partitionStep(rng, space, kind.slice('partition-'.length)) };
  if (kind === 'netem') return { kind, ...partitionStep(rng, space, rng.pick(Object.keys(space.shapes))), args: { ...drawImpairment(rng) } };
  if (kind === 'kill' || kind === 'pause') return { kind, targets: [rng.pick(targets)] };
  const cap = space.capabilities.get(kind);
  if (!cap) throw new Error(`unreachable: fault kind ${kind} is not in the nemesis space`);
  const args = cap.draw ? { args: cap.draw(rng) } : {};
  if (cap.scope === 'cluster') return { kind, targets: space.nodes.filter((n) => space.candidates.includes(n)), ...args };
  return { kind, targets: [rng.pick(cap.targets?.length ? cap.targets : targets)], ...args };
}

/** Draws a kind from `kinds`, by weight when weights are given. */
function pickKind(rng: Rng, kinds: readonly string[], weights?: Readonly<Record<string, number>>): string {
  if (!weights) return rng.pick(kinds);
  const total = kinds.reduce((t, k) => t + (weights[k] ?? 1), 0);
  let x = rng.float() * total;
  for (const k of kinds) if ((x -= weights[k] ?? 1) < 0) return k;
  return kinds[kinds.length - 1];
}

/** Draws a plan: fault starts form a Poisson-ish process; overlapping faults never share a node.
 *  A once-only fault (site loss), when asked for, happens once, late, and nothing follows it. */
export function generatePlan(rng: Rng, space: NemesisSpace, o: PlanOptions): FaultStep[] {
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
  const isOnce = (k: string) => space.capabilities.get(k)?.once === true;
  const isInstant = (k: string) => space.capabilities.get(k)?.instant === true;
  const others = kinds.filter((k) => !isOnce(k));
  const finale = kinds.find(isOnce);
  const finaleAt = finale ? Math.round(o.timeLimitMs * (0.4 + 0.3 * rng.float())) : Infinity;
  const steps: FaultStep[] = [];
  let t = Math.round(Math.min(rng.exp(meanGap), o.timeLimitMs * 0.3));
  const targets = o.targets?.length ? o.targets : processTargets(space);
  while (others.length > 0 && t < Math.min(lastStart, finaleAt)) {
    const c = candidate(rng, space, pickKind(rng, others, o.weights), targets);
    const durationMs = isInstant(c.kind) ? 0 : Math.round(minDur * Math.pow(maxDur / minDur, rng.float()));
    const step: FaultStep = { id: 0, at: t, durationMs, ...c };
    const end = Math.min(t + durationMs, finaleAt);
    step.durationMs = Math.max(0, end - t);
    const active = steps.filter((s) => s.at <= t && t < s.at + Math.max(s.durationMs, 1));
    if (active.length < maxActive && !active.some((a) => conflicts(space, a, step))) steps.push(step);
    t += Math.max(50, Math.round(rng.exp(meanGap)));
  }
  if (finale) {
    // Everything else is healed by then; the run carries on against what the fault left.
    steps.push({ id: 0, at: finaleAt, durationMs: 0, ...candidate(rng, space, finale, targets) });
  }
  steps.sort((x, y) => x.at - y.at);
  steps.forEach((s, i) => (s.id = i + 1));
  return steps;
}

/** A plan given by hand or by shrink: validated against the system, ids unique, sorted by start. */
export function validatePlan(plan: unknown, space: NemesisSpace, where = 'plan'): FaultStep[] {
  const r = FaultPlanSchema.safeParse(plan);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new InputError(`${issue.message} at ${[where, ...issue.path].join('.')}; expected a list of fault steps {id, at, durationMs, kind, targets, links?}`, where);
  }
  const ids = new Set<number>();
  const known: string[] = [...GENERIC_KINDS, ...space.capabilities.keys()];
  const isNode = (n: string) => space.nodes.includes(n);
  for (const s of r.data) {
    if (ids.has(s.id)) throw new InputError(`fault id ${s.id} appears twice; expected unique ids`, where);
    ids.add(s.id);
    if (!known.includes(s.kind)) throw new InputError(`fault ${s.id} has kind '${s.kind}'; expected one of ${known.join(', ')}`, where);
    if ((s.kind === 'partition' || s.kind === 'netem') && !(s.links && s.links.length)) throw new InputError(`${s.kind} ${s.id} has no links; expected links [[from, to], ...]`, where);
    if (s.kind === 'netem') checkImpairment(s.args ?? {}, `${where}: fault ${s.id} args`);
    for (const [f, t] of s.links ?? []) {
      if (!isNode(f) || !isNode(t) || f === t) throw new InputError(`fault ${s.id} has link [${f}, ${t}]; expected two different nodes of ${space.nodes.join(', ')}`, where);
    }
    const roles = s.kind !== 'partition' && s.kind !== 'netem' && !isClusterWide(space, s.kind);
    for (const t of s.targets) {
      if (!isNode(t) && !(roles && (ROLE_REFS as readonly string[]).includes(t))) {
        throw new InputError(`fault ${s.id} targets '${t}'; expected node names ${space.nodes.join(', ')}${roles ? ` or a role (${ROLE_REFS.join(', ')})` : ''}`, where);
      }
    }
  }
  return [...r.data].sort((x, y) => x.at - y.at || x.id - y.id);
}

const IMPAIRMENT_KEYS = ['delayMs', 'jitterMs', 'lossP', 'dupP', 'reorderP'] as const;

/** A netem fault's args: the LinkImpairment fields only, numbers >= 0, chances at most 1. */
export function checkImpairment(args: Record<string, unknown>, where: string): LinkImpairment {
  for (const [k, v] of Object.entries(args)) {
    if (!(IMPAIRMENT_KEYS as readonly string[]).includes(k)) throw new InputError(`unknown netem field '${k}'; expected ${IMPAIRMENT_KEYS.join(', ')}`, where);
    const chance = k.endsWith('P');
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (chance && v > 1)) {
      throw new InputError(`${k} is ${JSON.stringify(v)}; expected a number ${chance ? 'in [0, 1]' : '>= 0'}`, where);
    }
  }
  return args as LinkImpairment;
}
