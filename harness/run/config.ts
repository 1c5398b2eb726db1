// A run's configuration: everything a run is a function of (with the code). It is written
// to config.json before the run starts, fault plan included, so `chaos replay` and
// `chaos shrink` can rerun or edit exactly what ran.
import { z } from 'zod';
import { InputError } from '../../ground/errors.js';
import { Rng } from '../../ground/rng.js';
import type { System } from '../../ground/system.js';
import { FaultPlanSchema, generatePlan, nemesisSpace, parseNemesisKinds, validatePlan, type FaultStep, type NemesisSpace } from '../nemesis/plan.js';
import { getWorkload } from '../../workloads/index.js';

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
    /** true when the plan was given (replay, shrink, a hand-written config), not drawn from the seed. */
    planGiven: z.boolean().optional(),
    /** Tolerances of the latency checker (checkers/stats/latency.ts); real containers on a
     *  shared machine jitter far more than the simulator's virtual clock. */
    latency: z.object({ tolerance: z.number().nonnegative(), slackMs: z.number().nonnegative(), minSamples: z.number().int().positive() }).partial().optional(),
  })
  .strict();
export type RunConfig = z.infer<typeof RunConfigSchema>;

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
  if (timeLimitS > 24 * 3600) throw new InputError(`${timeLimitS} s is more than a day; expected seconds (at most 86400)`, '--time-limit');
  const seed = num(o.seed, '--seed', { int: true, min: 0 }) ?? randomSeed();
  if (seed > Number.MAX_SAFE_INTEGER) throw new InputError(`seed too large; expected at most ${Number.MAX_SAFE_INTEGER}`, '--seed');
  const concurrency = num(o.concurrency, '--concurrency', { int: true, min: 1 }) ?? d.concurrency;
  const opLimit = num(o.opLimit, '--op-limit', { int: true, min: 1 });
  const thinkMs = num(o.thinkMs, '--think-ms', { min: 0 }) ?? (runtime === 'sim' ? Math.max(d.thinkMs, SIM_THINK_MS) : d.thinkMs);
  const params = system.params.parse({ ...(d.params ?? {}), ...(o.params ?? {}) });
  const space = nemesisSpace(system, system.nodes(params), runtime);
  const nemesis = o.nemesis === undefined ? d.nemesis.filter((k) => space.kinds.includes(k)) : parseNemesisKinds(o.nemesis, space);
  const planGiven = o.plan !== undefined;
  const plan: FaultStep[] = planGiven
    ? validatePlan(o.plan, space, 'plan')
    : generatePlan(new Rng(seed).fork('nemesis'), space, { kinds: nemesis, timeLimitMs: timeLimitS * 1000 });
  const systemName = o.system ?? system.name;
  const test = o.test ?? [...(systemName === 'blockstore' ? [] : [system.name]), workload, ...bugs].join('-');
  return parseConfig({
    test,
    runtime,
    system: systemName,
    workload,
    nemesis,
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
    ...(planGiven ? { planGiven: true } : {}),
    ...(runtime === 'docker' ? { latency: DOCKER_LATENCY } : {}),
  }, system, 'config');
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
  c.params = system.params.parse(c.params);
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

/** The command line that reproduces a run with this config. */
export function reproduceCommand(c: RunConfig): string {
  const parts = ['chaos run', ...(c.system !== 'blockstore' ? [`--system ${c.system}`] : []), `--runtime ${c.runtime}`, `--workload ${c.workload}`, `--nemesis ${c.nemesis.length ? c.nemesis.join(',') : 'none'}`, `--time-limit ${c.timeLimitS}`];
  for (const b of c.bugs) parts.push(`--bug ${b}`);
  parts.push(`--concurrency ${c.concurrency}`, `--think-ms ${c.thinkMs}`);
  if (c.opLimit !== undefined) parts.push(`--op-limit ${c.opLimit}`);
  parts.push(`--seed ${c.seed}`);
  return parts.join(' ');
}
