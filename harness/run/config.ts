// A run's configuration: everything a run is a function of (with the code). It is written
// to config.json before the run starts, fault plan included, so `chaos replay` and
// `chaos shrink` can rerun or edit exactly what ran.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { InputError } from '../../ground/errors.js';
import { Rng } from '../../ground/rng.js';
import type { System } from '../../ground/system.js';
import { FaultPlanSchema, generatePlan, nemesisSpace, parseNemesisKinds, validatePlan, type FaultStep, type NemesisSpace } from '../nemesis/plan.js';
import { getWorkload } from '../../workloads/index.js';
import { drawLoad, drawSwarm, swarmPlanOptions, SwarmMixSchema, type SwarmMix } from '../nemesis/swarm.js';
import { drawClockRate, drawSimParams } from '../runtime/sim/world.js';

export const RunConfigSchema = z
  .object({
    /** Names runs/<test>/. */
    test: z.string().regex(/^[A-Za-z0-9._-]+$/),
    runtime: z.enum(['docker', 'sim']),
    /** A built-in system's name, or the absolute path of a user's System module. Configs
     *  written before systems were pluggable name none: the block store. */
    system: z.string().min(1).default('blockstore'),
    workload: z.string().min(1),
    nemesis: z.array(z.string()),
    timeLimitS: z.number().positive().max(24 * 3600),
    seed: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    bugs: z.array(z.string()),
    concurrency: z.number().int().positive().max(1000),
    /** The system's node parameters (its own schema checks them). */
    params: z.record(z.string(), z.unknown()),
    clientTimeoutMs: z.number().positive(),
    /** Mean think time between a process's ops (ms of the runtime clock). */
    thinkMs: z.number().nonnegative(),
    /** How long to wait after the final heal for the cluster to serve again (s). */
    recoveryS: z.number().nonnegative(),
    /** Stop invoking after this many workload ops (shrink thins a run with it). */
    opLimit: z.number().int().positive().optional(),
    /** The fault plan that runs. */
    plan: FaultPlanSchema,
    /** The seed's swarm mix when the plan was drawn from one (`--nemesis swarm`, the default):
     *  the kinds on, their weights, rates, durations, targets, and the simulator's network and
     *  disk. */
    swarm: SwarmMixSchema.optional(),
    /** true when the plan was given (replay, shrink, a hand-written config), not drawn from the seed. */
    planGiven: z.boolean().optional(),
    /** The file a given plan came from (`--plan FILE`, absolute): the reproduce line names it. */
    planFile: z.string().optional(),
    /** The node parameters that differ from the system's and the workload's defaults (`--param`
     *  on the reproduce line). */
    paramsGiven: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    /** Tolerances of the latency checker (checkers/stats/latency.ts); real containers on a
     *  shared machine jitter far more than the simulator's virtual clock. */
    latency: z.object({ tolerance: z.number().nonnegative(), slackMs: z.number().nonnegative(), minSamples: z.number().int().positive() }).partial().optional(),
  })
  .strict();
export type RunConfig = z.infer<typeof RunConfigSchema>;

/** The longest run a config may ask for (24 h). */
export const MAX_TIME_LIMIT_S = 24 * 3600;

/** A path as one shell word (quoted only when it needs to be). */
function shellWord(s: string): string {
  return /^[A-Za-z0-9_./@:+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Docker runs judge dr's effect on latency loosely: a 2-core machine running three containers,
 *  iptables changes and the harness itself adds milliseconds of noise to every write. */
export const DOCKER_LATENCY = { tolerance: 1.5, slackMs: 5 };

/**
 * The simulator's default mean think time per process (ms). Docker runs use the workload's
 * own (10 ms: ~760 ops/s from 10 clients), because real containers cost real seconds and a run
 * should be dense. A sim seed costs milliseconds, so the simulator spends its budget on many
 * sparse runs instead, i.e. more fault schedules per minute: at 300 ms a 30 s run holds ~1,000
 * ops. Most bug switches are found sooner per wall second that way; the two whose window needs
 * dense writes (an fsync's latency, a backed-up dr journal) are hunted at 10 ms
 * (harness/sweep/switches.ts). `--think-ms` sets either.
 */
export const SIM_THINK_MS = 300;

export interface RunOptions {
  runtime?: 'docker' | 'sim';
  /** How the config names the system (systemRef: a built-in name or an absolute path). */
  system?: string;
  workload?: string;
  nemesis?: string;
  timeLimit?: string | number;
  seed?: string | number;
  bug?: string[];
  concurrency?: string | number;
  opLimit?: string | number;
  /** Mean think time between a process's ops (ms); default per runtime (SIM_THINK_MS). */
  thinkMs?: string | number;
  clientTimeoutMs?: number;
  test?: string;
  plan?: unknown;
  params?: Record<string, unknown>;
  /** `--plan FILE`: a JSON fault plan (a list of steps), or a run's config.json (its plan). */
  planFile?: string;
  /** `--param key=value` (repeatable): node parameters over the workload's defaults. */
  param?: string[];
}

/** Reads `--plan FILE`: a list of fault steps as config.json holds them, or a whole config.json.
 *  The steps are validated against the system by buildConfig. */
export function readPlanFile(file: string): { plan: unknown[]; path: string } {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'}); expected a JSON fault plan file`, `--plan ${file}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new InputError('not JSON; expected a list of fault steps, or a run\'s config.json', `--plan ${file}`);
  }
  const plan = Array.isArray(raw) ? raw : raw && typeof raw === 'object' && Array.isArray((raw as { plan?: unknown }).plan) ? (raw as { plan: unknown[] }).plan : null;
  if (!plan) throw new InputError('neither a list of fault steps nor a config with a plan; expected [{id, at, durationMs, kind, targets, ...}]', `--plan ${file}`);
  return { plan, path };
}

/** Parses `--param key=value` flags: numbers where the value is one, else the word as given
 *  (etcd's reads=serializable). The system's own schema judges names and values. */
export function parseParams(flags: readonly string[] = []): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const f of flags) {
    const m = /^([A-Za-z][A-Za-z0-9_-]*)=(.+)$/.exec(f.trim());
    if (!m) throw new InputError(`'${f}' is not key=value; expected e.g. leaseMs=2500`, '--param');
    const v = m[2].trim();
    out[m[1]] = v === 'true' ? true : v === 'false' ? false : v !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
  }
  return out;
}

function num(v: string | number | undefined, flag: string, opts: { int?: boolean; min?: number } = {}): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  if (!Number.isFinite(n) || (opts.int && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min) || String(v).trim() === '') {
    throw new InputError(`'${v}' is not ${opts.int ? 'an integer' : 'a number'}${opts.min !== undefined ? ` >= ${opts.min}` : ''}`, flag);
  }
  return n;
}

/** A fresh seed when none is given: the one place a run may use ambient randomness, and it is printed. */
export function randomSeed(): number {
  const buf = new Uint32Array(1);
  globalThis.crypto.getRandomValues(buf);
  return buf[0] % 1_000_000;
}

/** The system's word on a workload: its defaults, or one line saying the system lacks it. */
function workloadSupport(system: System, workload: string, where: string) {
  const support = system.workloads[workload];
  if (!support || !getWorkload(workload)) {
    throw new InputError(`system '${system.name}' has no workload '${workload}'; expected one of ${Object.keys(system.workloads).join(', ')}`, where);
  }
  return support;
}

/** What the nemesis may do to this system in this runtime. */
export function spaceOf(system: System, config: Pick<RunConfig, 'params' | 'runtime'>): NemesisSpace {
  return nemesisSpace(system, system.nodes(config.params), config.runtime);
}

/** Builds a validated config from CLI-style options; the plan is drawn from the seed unless given. */
export function buildConfig(o: RunOptions, system: System): RunConfig {
  const workload = o.workload ?? 'register';
  const d = workloadSupport(system, workload, '--workload');
  const runtime = o.runtime ?? 'sim';
  for (const b of o.bug ?? []) {
    if (!system.bugs.includes(b)) throw new InputError(`unknown bug switch '${b}' for system '${system.name}'; expected one of ${system.bugs.join(', ') || '(none: it has no bug switches)'}`, '--bug');
  }
  const bugs = o.bug ?? [];
  const timeLimitS = num(o.timeLimit, '--time-limit', { min: 0.001 }) ?? 30;
  // Checked before the plan is drawn: a plan for ms typed as s would take minutes to build.
  if (timeLimitS > MAX_TIME_LIMIT_S) throw new InputError(`${timeLimitS} s is more than ${MAX_TIME_LIMIT_S} s (24 h); expected seconds, not milliseconds`, '--time-limit');
  const seed = num(o.seed, '--seed', { int: true, min: 0 }) ?? randomSeed();
  if (seed > Number.MAX_SAFE_INTEGER) throw new InputError(`seed too large; expected at most ${Number.MAX_SAFE_INTEGER}`, '--seed');
  if (o.plan !== undefined && o.planFile !== undefined) throw new InputError('a plan is given twice; expected either a plan or --plan FILE', '--plan');
  const fromFile = o.planFile !== undefined ? readPlanFile(o.planFile) : undefined;
  const planGiven = o.plan !== undefined || fromFile !== undefined;
  // The default nemesis is a swarm: the seed draws its own mix (harness/nemesis/swarm.ts), and
  // with it node parameters and, in the simulator, client density, network and disk; whatever
  // a flag sets stays as set. `--nemesis workload` is the workload's fixed list.
  const spec = o.nemesis?.trim();
  const swarmRng = !planGiven && (spec === undefined || spec === 'swarm') ? new Rng(seed).fork('swarm') : undefined;
  const givenConcurrency = num(o.concurrency, '--concurrency', { int: true, min: 1 });
  const opLimit = num(o.opLimit, '--op-limit', { int: true, min: 1 });
  const givenThink = num(o.thinkMs, '--think-ms', { min: 0 });
  const baseThink = runtime === 'sim' ? Math.max(d.thinkMs, SIM_THINK_MS) : d.thinkMs;
  const load = swarmRng && runtime === 'sim' ? drawLoad(swarmRng.fork('load'), { thinkMs: baseThink, concurrency: d.concurrency }) : undefined;
  const concurrency = givenConcurrency ?? load?.concurrency ?? d.concurrency;
  const thinkMs = givenThink ?? load?.thinkMs ?? baseThink;
  const given = { ...(o.params ?? {}), ...parseParams(o.param) };
  // Node parameters given by flag are a configuration as a whole (a lease and the takeover
  // that must exceed it go together): the swarm draws parameters only when none is given.
  const swarmParams = swarmRng && system.params.swarm && Object.keys(given).length === 0 ? system.params.swarm(swarmRng.fork('params')) : undefined;
  const base = system.params.parse({ ...(d.params ?? {}) });
  const params = withWhere('--param', () => system.params.parse({ ...(d.params ?? {}), ...(swarmParams ?? {}), ...given }));
  // What the reproduce line must say: values given by flag, and any other that differs from
  // the workload's defaults unless the swarm drew it (the seed draws it again).
  const paramsGiven = Object.fromEntries(Object.entries(params).filter(([k, v]) => (k in given || !(k in (swarmParams ?? {}))) && JSON.stringify(v) !== JSON.stringify(base[k]))) as Record<string, string | number | boolean>;
  const space = nemesisSpace(system, system.nodes(params), runtime);
  // In the simulator, half the seeds run every node's clock at its own rate for the whole run
  // (within the drift bound the leases tolerate) instead of clock-skew faults coming and going.
  const clockRng = swarmRng?.fork('clocks');
  const clocks = swarmRng && runtime === 'sim' && clockRng!.bool(0.5)
    ? Object.fromEntries(space.nodes.map((n) => [n, Math.round(drawClockRate(clockRng!, 0.5) * 1e4) / 1e4]))
    : undefined;
  const mix = swarmRng ? drawSwarm(swarmRng, space, timeLimitS * 1000, system.params.timescaleMs?.(params), { without: clocks ? ['clock-skew'] : [] }) : undefined;
  const swarm: SwarmMix | undefined = mix
    ? {
        ...mix,
        ...(swarmParams ? { params: swarmParams } : {}),
        ...(load && givenThink === undefined ? { thinkMs: load.thinkMs } : {}),
        ...(load && givenConcurrency === undefined ? { concurrency: load.concurrency } : {}),
        ...(runtime === 'sim' ? { sim: { ...(drawSimParams(seed, { dense: thinkMs < baseThink }) as unknown as NonNullable<SwarmMix['sim']>), ...(clocks ? { clocks } : {}) } } : {}),
      }
    : undefined;
  const nemesis = swarm ? swarm.kinds
    : spec === undefined || spec === 'swarm' || spec === 'workload' ? d.nemesis.filter((k) => space.kinds.includes(k))
    : parseNemesisKinds(o.nemesis, space);
  const plan: FaultStep[] = fromFile
    ? validatePlan(fromFile.plan, space, `--plan ${o.planFile}`)
    : planGiven
      ? validatePlan(o.plan, space, 'plan')
      : generatePlan(new Rng(seed).fork('nemesis'), space, swarm ? swarmPlanOptions(swarm, timeLimitS * 1000) : { kinds: nemesis, timeLimitMs: timeLimitS * 1000 });
  // A given plan is what runs: the config names its kinds, not a list that drew nothing.
  const kindsRun = planGiven ? [...new Set(plan.map((st) => (st.kind === 'partition' && st.shape && space.kinds.includes(`partition-${st.shape}`) ? `partition-${st.shape}` : st.kind)))] : nemesis;
  const systemName = o.system ?? system.name;
  const test = o.test ?? [...(systemName === 'blockstore' ? [] : [system.name]), workload, ...bugs].join('-');
  return parseConfig({
    test,
    runtime,
    system: systemName,
    workload,
    nemesis: kindsRun,
    timeLimitS,
    seed,
    bugs,
    concurrency,
    params,
    clientTimeoutMs: o.clientTimeoutMs ?? 1000,
    thinkMs,
    recoveryS: 10,
    ...(opLimit !== undefined ? { opLimit } : {}),
    plan,
    ...(swarm ? { swarm } : {}),
    ...(planGiven ? { planGiven: true } : {}),
    ...(fromFile ? { planFile: fromFile.path } : {}),
    ...(Object.keys(paramsGiven).length ? { paramsGiven } : {}),
    ...(runtime === 'docker' ? { latency: DOCKER_LATENCY } : {}),
  }, system, 'config');
}

/** A system's parameter error names the flag it came from. */
function withWhere<T>(where: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof InputError && !e.message.startsWith(where)) throw new InputError(e.message, where);
    throw e;
  }
}

/** Validates a config read from disk (config.json) or built in code, against its system. */
export function parseConfig(raw: unknown, system: System, where = 'config.json'): RunConfig {
  const r = RunConfigSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new InputError(`${issue.message} at ${issue.path.join('.') || '(top)'}; expected a chaos run config`, where);
  }
  const c = r.data;
  workloadSupport(system, c.workload, `${where}: workload`);
  for (const b of c.bugs) if (!system.bugs.includes(b)) throw new InputError(`unknown bug switch '${b}' for system '${system.name}'`, `${where}: bugs`);
  c.params = withWhere(`${where}: params`, () => system.params.parse(c.params));
  const space = spaceOf(system, c);
  for (const k of c.nemesis) if (!space.kinds.includes(k)) throw new InputError(`fault kind '${k}' is not one system '${system.name}' declares in ${c.runtime}; expected ${space.kinds.join(', ')}`, `${where}: nemesis`);
  if (c.plan.length) validatePlan(c.plan, space, `${where}: plan`);
  return c;
}

/** The system a config.json names, read before the config is validated against it. */
export function systemOfRaw(raw: unknown): string {
  const s = (raw as { system?: unknown } | null)?.system;
  return typeof s === 'string' && s ? s : 'blockstore';
}

/** The command line that reproduces a run with this config: node parameters that differ from
 *  the defaults as `--param`, and a given plan as `--plan` naming a file that holds it (the file
 *  it came from, or `planPath`: e.g. the run's own config.json). A given plan with no file to
 *  name cannot be put on one line; the caller says `chaos replay DIR` instead. */
export function reproduceCommand(c: RunConfig, planPath?: string): string {
  const parts = ['chaos run', ...(c.system !== 'blockstore' ? [`--system ${shellWord(c.system)}`] : []), `--runtime ${c.runtime}`, `--workload ${c.workload}`, `--nemesis ${c.swarm ? 'swarm' : c.nemesis.length ? c.nemesis.join(',') : 'none'}`, `--time-limit ${c.timeLimitS}`];
  for (const b of c.bugs) parts.push(`--bug ${b}`);
  for (const [k, v] of Object.entries(c.paramsGiven ?? {})) parts.push(`--param ${shellWord(`${k}=${v}`)}`);
  const plan = c.planGiven ? (planPath ?? c.planFile) : undefined;
  if (plan) parts.push(`--plan ${shellWord(plan)}`);
  parts.push(`--concurrency ${c.concurrency}`, `--think-ms ${c.thinkMs}`);
  if (c.opLimit !== undefined) parts.push(`--op-limit ${c.opLimit}`);
  parts.push(`--seed ${c.seed}`);
  return parts.join(' ');
}
