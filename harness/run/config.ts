// A run's configuration: everything a run is a function of (with the code). It is written
// to config.json before the run starts, fault plan included, so `chaos replay` and
// `chaos shrink` can rerun or edit exactly what ran.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { InputError } from '../../ground/errors.js';
import { Rng } from '../../ground/rng.js';
import { BUG_SWITCHES, type NodeParams } from '../../nodes/blockstore/core/types.js';
import { FaultPlanSchema, NEMESIS_KINDS, generatePlan, parseNemesisKinds, validatePlan, type FaultStep, type NemesisKind } from '../nemesis/plan.js';
import { WORKLOAD_NAMES, workloadDefaults, type WorkloadName } from '../../workloads/index.js';

export const DEFAULT_PARAMS: NodeParams = {
  blocks: 64,
  maxValueBytes: 64,
  leaseMs: 400,
  takeoverMs: 1000,
  heartbeatMs: 100,
  barrierMs: 200,
  barrierWrites: 32,
  journalCapacity: 1024,
  retryMs: 100,
};

const ParamsSchema = z
  .object({
    blocks: z.number().int().positive(),
    maxValueBytes: z.number().int().positive(),
    leaseMs: z.number().positive(),
    takeoverMs: z.number().positive(),
    heartbeatMs: z.number().positive(),
    barrierMs: z.number().positive(),
    barrierWrites: z.number().int().positive(),
    journalCapacity: z.number().int().positive(),
    retryMs: z.number().positive(),
  })
  .refine((p) => p.takeoverMs > p.leaseMs, { message: 'takeoverMs must exceed leaseMs' });

export const RunConfigSchema = z
  .object({
    /** Names runs/<test>/. */
    test: z.string().regex(/^[A-Za-z0-9._-]+$/),
    runtime: z.enum(['docker', 'sim']),
    workload: z.enum(WORKLOAD_NAMES),
    nemesis: z.array(z.enum(NEMESIS_KINDS)),
    timeLimitS: z.number().positive().max(24 * 3600),
    seed: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    bugs: z.array(z.enum(BUG_SWITCHES)),
    concurrency: z.number().int().positive().max(1000),
    params: ParamsSchema,
    clientTimeoutMs: z.number().positive(),
    /** Mean think time between a process's ops (ms of the runtime clock). */
    thinkMs: z.number().nonnegative(),
    /** How long to wait after the final heal for the cluster to serve again (s). */
    recoveryS: z.number().nonnegative(),
    /** Stop invoking after this many workload ops (shrink thins a run with it). */
    opLimit: z.number().int().positive().optional(),
    /** The fault plan that runs. */
    plan: FaultPlanSchema,
    /** true when the plan was given (replay, shrink, a hand-written config), not drawn from the seed. */
    planGiven: z.boolean().optional(),
    /** The file a given plan came from (`--plan FILE`, absolute): the reproduce line names it. */
    planFile: z.string().optional(),
    /** Tolerances of the latency checker (checkers/stats/latency.ts); real containers on a
     *  shared machine jitter far more than the simulator's virtual clock. */
    latency: z.object({ tolerance: z.number().nonnegative(), slackMs: z.number().nonnegative(), minSamples: z.number().int().positive() }).partial().optional(),
  })
  .strict();
export type RunConfig = z.infer<typeof RunConfigSchema>;

/** Docker runs judge dr's effect on latency loosely: a 2-core machine running three containers,
 *  iptables changes and the harness itself adds milliseconds of noise to every write. */
/** The longest run a config may ask for (24 h). */
export const MAX_TIME_LIMIT_S = 24 * 3600;

/** A path as one shell word (quoted only when it needs to be). */
function shellWord(s: string): string {
  return /^[A-Za-z0-9_./@:+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

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
  params?: Partial<NodeParams>;
  /** `--plan FILE`: a JSON fault plan (a list of steps), or a run's config.json (its plan). */
  planFile?: string;
  /** `--param key=value` (repeatable): node parameters over the workload's defaults. */
  param?: string[];
}

/** Reads `--plan FILE`: a list of fault steps as config.json holds them, or a whole config.json. */
export function readPlanFile(file: string): { plan: FaultStep[]; path: string } {
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
  return { plan: validatePlan(plan, `--plan ${file}`), path };
}

const PARAM_KEYS = Object.keys(DEFAULT_PARAMS) as (keyof NodeParams)[];

/** Parses `--param key=value` flags into node parameters (numbers; names as config.json has them). */
export function parseParams(flags: readonly string[] = []): Partial<NodeParams> {
  const out: Partial<NodeParams> = {};
  for (const f of flags) {
    const m = /^([A-Za-z]+)=(.+)$/.exec(f.trim());
    if (!m) throw new InputError(`'${f}' is not key=value; expected e.g. leaseMs=2500`, '--param');
    const key = m[1] as keyof NodeParams;
    if (!PARAM_KEYS.includes(key)) throw new InputError(`unknown node parameter '${m[1]}'; expected one of ${PARAM_KEYS.join(', ')}`, '--param');
    out[key] = num(m[2], `--param ${key}`, { min: 0 })!;
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

/** Builds a validated config from CLI-style options; the plan is drawn from the seed unless given. */
export function buildConfig(o: RunOptions): RunConfig {
  const workload = (o.workload ?? 'register') as WorkloadName;
  if (!(WORKLOAD_NAMES as readonly string[]).includes(workload)) {
    throw new InputError(`unknown workload '${o.workload}'; expected one of ${WORKLOAD_NAMES.join(', ')}`, '--workload');
  }
  const d = workloadDefaults(workload);
  const nemesis: NemesisKind[] = o.nemesis === undefined ? [...d.nemesis] : parseNemesisKinds(o.nemesis);
  const bugs = o.bug ?? [];
  for (const b of bugs) {
    if (!(BUG_SWITCHES as readonly string[]).includes(b)) throw new InputError(`unknown bug switch '${b}'; expected one of ${BUG_SWITCHES.join(', ')}`, '--bug');
  }
  const timeLimitS = num(o.timeLimit, '--time-limit', { min: 0.001 }) ?? 30;
  // Checked before the plan is drawn: a plan for ms typed as s would take minutes to build.
  if (timeLimitS > MAX_TIME_LIMIT_S) throw new InputError(`${timeLimitS} s is more than ${MAX_TIME_LIMIT_S} s (24 h); expected seconds, not milliseconds`, '--time-limit');
  const seed = num(o.seed, '--seed', { int: true, min: 0 }) ?? randomSeed();
  if (seed > Number.MAX_SAFE_INTEGER) throw new InputError(`seed too large; expected at most ${Number.MAX_SAFE_INTEGER}`, '--seed');
  const concurrency = num(o.concurrency, '--concurrency', { int: true, min: 1 }) ?? d.concurrency;
  const opLimit = num(o.opLimit, '--op-limit', { int: true, min: 1 });
  const runtime = o.runtime ?? 'sim';
  const thinkMs = num(o.thinkMs, '--think-ms', { min: 0 }) ?? (runtime === 'sim' ? Math.max(d.thinkMs, SIM_THINK_MS) : d.thinkMs);
  const params = { ...DEFAULT_PARAMS, ...(d.params ?? {}), ...(o.params ?? {}), ...parseParams(o.param) };
  if (params.takeoverMs <= params.leaseMs) throw new InputError(`takeoverMs (${params.takeoverMs}) must exceed leaseMs (${params.leaseMs})`, '--param');
  if (o.plan !== undefined && o.planFile !== undefined) throw new InputError('a plan is given twice; expected either a plan or --plan FILE', '--plan');
  const fromFile = o.planFile !== undefined ? readPlanFile(o.planFile) : undefined;
  const planGiven = o.plan !== undefined || fromFile !== undefined;
  const plan: FaultStep[] = fromFile
    ? fromFile.plan
    : planGiven
    ? validatePlan(o.plan, 'plan')
    : generatePlan(new Rng(seed).fork('nemesis'), { kinds: nemesis, timeLimitMs: timeLimitS * 1000 });
  const test = o.test ?? [workload, ...bugs].join('-');
  return parseConfig({
    test,
    runtime,
    workload,
    nemesis,
    timeLimitS,
    seed,
    bugs: bugs as RunConfig['bugs'],
    concurrency,
    params,
    clientTimeoutMs: o.clientTimeoutMs ?? 1000,
    thinkMs,
    recoveryS: 10,
    ...(opLimit !== undefined ? { opLimit } : {}),
    plan,
    ...(planGiven ? { planGiven: true } : {}),
    ...(fromFile ? { planFile: fromFile.path } : {}),
    ...(runtime === 'docker' ? { latency: DOCKER_LATENCY } : {}),
  }, 'config');
}

/** Validates a config read from disk (config.json) or built in code. */
export function parseConfig(raw: unknown, where = 'config.json'): RunConfig {
  const r = RunConfigSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new InputError(`${issue.message} at ${issue.path.join('.') || '(top)'}; expected a chaos run config`, where);
  }
  if (r.data.plan.length) validatePlan(r.data.plan, `${where}: plan`);
  return r.data;
}

/** The command line that reproduces a run with this config: node parameters that differ from
 *  the workload's defaults as `--param`, and a given plan as `--plan` naming a file that holds
 *  it (the file it came from, or `planPath`: e.g. the run's own config.json). A given plan with
 *  no file to name cannot be put on one line; the caller says `chaos replay DIR` instead. */
export function reproduceCommand(c: RunConfig, planPath?: string): string {
  const parts = ['chaos run', `--runtime ${c.runtime}`, `--workload ${c.workload}`, `--nemesis ${c.nemesis.length ? c.nemesis.join(',') : 'none'}`, `--time-limit ${c.timeLimitS}`];
  for (const b of c.bugs) parts.push(`--bug ${b}`);
  const base = { ...DEFAULT_PARAMS, ...(workloadDefaults(c.workload).params ?? {}) };
  for (const k of PARAM_KEYS) if (c.params[k] !== base[k]) parts.push(`--param ${k}=${c.params[k]}`);
  const plan = c.planGiven ? (planPath ?? c.planFile) : undefined;
  if (plan) parts.push(`--plan ${shellWord(plan)}`);
  parts.push(`--concurrency ${c.concurrency}`, `--think-ms ${c.thinkMs}`);
  if (c.opLimit !== undefined) parts.push(`--op-limit ${c.opLimit}`);
  parts.push(`--seed ${c.seed}`);
  return parts.join(' ');
}
