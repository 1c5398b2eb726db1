// Suite files: YAML, validated with zod, normalised into cases the runner can expand. A bad
// file is one InputError naming the file, the line and the key, and what was expected.
//
// Keys follow `chaos run`'s flags (`time-limit`, `think-ms`, ...); node parameters keep
// config.json's names (`leaseMs`). `defaults:` is merged under every case.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { z } from 'zod';
import { InputError } from '../../ground/errors.js';
import { parseSeeds } from '../sweep/range.js';
import { buildConfig, type RunConfig } from '../run/config.js';
import { storageCheckers } from '../../checkers/compose.js';
import type { System } from '../../ground/system.js';
import { BUILT_IN } from '../systems/builtin.js';
import { loadSystem } from '../systems/load.js';
export const UNKNOWN_RULES = ['fail', 'pass', 'retry', 'report'] as const;
export type UnknownRule = (typeof UNKNOWN_RULES)[number];

/** The checkers a case may name in `expect: {invalid: [...]}` (results.json's keys). */
export function checkerNames(): string[] {
  return ['linearizability', ...Object.keys(storageCheckers())].sort();
}

const MAX_SEEDS_PER_CASE = 100_000;
const name = z.string().regex(/^[A-Za-z0-9._-]+$/, 'a name of letters, digits, . _ -');

const seedsField = z.union([
  z.number().int().nonnegative(),
  z.string(),
  z.array(z.number().int().nonnegative()).min(1),
]);

const expectField = z.union([
  z.literal('valid'),
  z
    .object({
      invalid: z.array(z.string()).min(1),
      /** `any`: some seed of the case must find it (a planted bug); `every`: each seed must. */
      find: z.enum(['any', 'every']).default('any'),
    })
    .strict(),
]);

const caseFields = {
  system: z.string().optional(),
  runtime: z.enum(['sim', 'docker']).optional(),
  workload: z.string().optional(),
  nemesis: z.union([z.string(), z.array(z.string())]).optional(),
  seeds: seedsField.optional(),
  'time-limit': z.number().positive().max(24 * 3600).optional(),
  'think-ms': z.number().nonnegative().optional(),
  concurrency: z.number().int().positive().max(1000).optional(),
  'op-limit': z.number().int().positive().optional(),
  params: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).optional(),
  plan: z.array(z.unknown()).optional(),
  bugs: z.array(z.string()).optional(),
  expect: expectField.optional(),
  unknown: z.enum(UNKNOWN_RULES).optional(),
  retries: z.number().int().min(1).max(10).optional(),
};

const CaseSchema = z.object({ name, ...caseFields }).strict();
const SuiteSchema = z
  .object({
    name,
    description: z.string().optional(),
    /** Which run directories stay: `all`, or `failing` (runs that met a `valid` expectation
     *  with a valid verdict are removed; a sim run is a function of its seed, so its reproduce
     *  command rebuilds it). */
    keep: z.enum(['all', 'failing']).default('all'),
    defaults: z.object(caseFields).strict().optional(),
    cases: z.array(CaseSchema).min(1),
  })
  .strict();

export type Expectation = { verdict: 'valid' } | { verdict: 'invalid'; checkers: string[]; find: 'any' | 'every' };

/** One case, normalised: everything a run of one of its seeds needs, as plain data (it is
 *  posted to worker threads). */
export interface SuiteCase {
  name: string;
  system: string;
  runtime: 'sim' | 'docker';
  workload: string;
  nemesis?: string;
  seeds: number[];
  timeLimitS: number;
  thinkMs?: number;
  concurrency?: number;
  opLimit?: number;
  params?: Record<string, number | string | boolean>;
  plan?: unknown[];
  bugs: string[];
  expect: Expectation;
  unknown: UnknownRule;
  /** Extra attempts of a seed that ended unknown (rule `retry`). */
  retries: number;
}

export interface Suite {
  name: string;
  description?: string;
  keep: 'all' | 'failing';
  cases: SuiteCase[];
  /** The file it came from (messages). */
  file: string;
}

/** Reads and validates a suite file; every problem is one InputError line. */
export function loadSuite(path: string): Suite {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read the suite file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); expected a YAML suite file`, path);
  }
  return parseSuite(text, path);
}

export function parseSuite(text: string, file: string): Suite {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const line = e.linePos?.[0]?.line ?? (e.pos ? lines.linePos(e.pos[0]).line : undefined);
    throw new InputError(`${e.message.split('\n')[0]}; expected YAML`, line ? `${file}:${line}` : file);
  }
  const raw = doc.toJS();
  const at = (path: readonly PropertyKey[]) => `${file}${lineOf(doc, lines, path)}`;
  const r = SuiteSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const key = issue.path.length ? issue.path.map(String).join('.') : '(top)';
    throw new InputError(`${key}: ${issueText(issue)}`, at(issue.path));
  }
  const s = r.data;
  const seen = new Set<string>();
  const cases: SuiteCase[] = s.cases.map((c, i) => {
    const where = (key?: string) => at(key ? ['cases', i, key] : ['cases', i]);
    if (seen.has(c.name)) throw new InputError(`cases.${i}.name: '${c.name}' names two cases; expected unique case names`, where('name'));
    seen.add(c.name);
    const m = { ...(s.defaults ?? {}), ...c };
    const fieldWhere = (key: string) => (key in c ? where(key) : at(['defaults', key]));
    // A built-in system by name, or a module path (relative to the suite file).
    const named = m.system ?? 'blockstore';
    const isPath = named.includes('/') || /\.(m?[jt]s)$/.test(named);
    if (!isPath && !BUILT_IN[named]) {
      throw new InputError(`cases.${i}.system: unknown system '${named}'; expected one of ${Object.keys(BUILT_IN).join(', ')}, or a path to a module that exports a System`, fieldWhere('system'));
    }
    const system = isPath && !isAbsolute(named) ? resolve(dirname(file), named) : named;
    const runtime = m.runtime ?? 'sim';
    const seeds = seedList(m.seeds ?? [1], fieldWhere('seeds'), `cases.${i}.seeds`);
    const expect: Expectation = m.expect === undefined || m.expect === 'valid'
      ? { verdict: 'valid' }
      : { verdict: 'invalid', checkers: [...m.expect.invalid].sort(), find: m.expect.find };
    if (expect.verdict === 'invalid') {
      const known = checkerNames();
      for (const ch of expect.checkers) {
        if (!known.includes(ch)) throw new InputError(`cases.${i}.expect.invalid: unknown checker '${ch}'; expected some of ${known.join(', ')}`, fieldWhere('expect'));
      }
    }
    const unknown = m.unknown ?? 'report';
    if (unknown === 'retry' && runtime === 'sim') {
      throw new InputError(`cases.${i}.unknown: a sim run is a function of its seed, so a retry ends as it did; expected fail, pass or report for a sim case`, fieldWhere('unknown'));
    }
    if (m.retries !== undefined && unknown !== 'retry') {
      throw new InputError(`cases.${i}.retries: only counts with unknown: retry; expected no retries key or unknown: retry`, fieldWhere('retries'));
    }
    const out: SuiteCase = {
      name: c.name,
      system,
      runtime,
      workload: m.workload ?? 'register',
      ...(m.nemesis !== undefined ? { nemesis: Array.isArray(m.nemesis) ? (m.nemesis.length ? m.nemesis.join(',') : 'none') : m.nemesis } : {}),
      seeds,
      timeLimitS: m['time-limit'] ?? 30,
      ...(m['think-ms'] !== undefined ? { thinkMs: m['think-ms'] } : {}),
      ...(m.concurrency !== undefined ? { concurrency: m.concurrency } : {}),
      ...(m['op-limit'] !== undefined ? { opLimit: m['op-limit'] } : {}),
      ...(m.params ? { params: m.params } : {}),
      ...(m.plan ? { plan: m.plan } : {}),
      bugs: m.bugs ?? [],
      expect,
      unknown,
      retries: unknown === 'retry' ? (m.retries ?? 2) : 0,
    };
    // Everything else a run checks (workload, nemesis kinds, bug switches, parameters, the
    // plan) is checked here once by building the first seed's config, so a typo fails the
    // suite before anything runs. A module system is checked once it is loaded (checkModules).
    try {
      if (BUILT_IN[system]) caseConfig(out, seeds[0], BUILT_IN[system]);
    } catch (e) {
      if (e instanceof InputError) throw new InputError(`case '${c.name}': ${e.message}`, where());
      throw e;
    }
    return out;
  });
  return { name: s.name, ...(s.description ? { description: s.description } : {}), keep: s.keep, cases, file };
}

/** Loads the module systems a suite names and checks their cases as parseSuite checks the
 *  built-in ones: one line, exit 2, before anything runs. */
export async function checkModules(suite: Suite): Promise<void> {
  for (const c of suite.cases) {
    if (BUILT_IN[c.system]) continue;
    const system = await loadSystem(c.system, `${suite.file}: case '${c.name}': system`);
    try {
      caseConfig(c, c.seeds[0], system);
    } catch (e) {
      if (e instanceof InputError) throw new InputError(`case '${c.name}': ${e.message}`, suite.file);
      throw e;
    }
  }
}

/** The system a case names, loaded. */
export function caseSystem(c: SuiteCase): Promise<System> {
  return BUILT_IN[c.system] ? Promise.resolve(BUILT_IN[c.system]) : loadSystem(c.system);
}

/** The run config of one seed of a case: what `chaos run` with the case's flags builds. */
export function caseConfig(c: SuiteCase, seed: number, system: System): RunConfig {
  return buildConfig({
    runtime: c.runtime,
    system: c.system,
    workload: c.workload,
    nemesis: c.nemesis,
    timeLimit: c.timeLimitS,
    seed,
    bug: c.bugs,
    concurrency: c.concurrency,
    opLimit: c.opLimit,
    thinkMs: c.thinkMs,
    test: c.name,
    ...(c.params ? { params: c.params } : {}),
    ...(c.plan ? { plan: c.plan } : {}),
  }, system);
}

function seedList(v: number | string | number[], where: string, key: string): number[] {
  let seeds: number[];
  if (typeof v === 'number') seeds = [v];
  else if (Array.isArray(v)) seeds = v;
  else {
    const r = parseSeeds(v, where);
    if (r.to - r.from + 1 > MAX_SEEDS_PER_CASE) throw new InputError(`${key}: '${v}' spans more than ${MAX_SEEDS_PER_CASE} seeds; expected a smaller range (split the case)`, where);
    seeds = Array.from({ length: r.to - r.from + 1 }, (_, i) => r.from + i);
  }
  const sorted = [...new Set(seeds)].sort((a, b) => a - b);
  if (sorted.length !== seeds.length) throw new InputError(`${key}: a seed is listed twice; expected distinct seeds`, where);
  if (sorted.some((s) => !Number.isSafeInteger(s))) throw new InputError(`${key}: expected whole seeds up to ${Number.MAX_SAFE_INTEGER}`, where);
  return sorted;
}

function issueText(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}; expected only the keys docs/ci.md lists`;
  if (issue.code === 'invalid_value') return `expected one of ${issue.values.map((v) => String(v)).join(', ')}`;
  if (issue.code === 'invalid_union') return 'expected ' + unionHint(issue.path);
  return issue.message.replace(/^Invalid input: /, '');
}

function unionHint(path: readonly PropertyKey[]): string {
  const last = String(path[path.length - 1]);
  if (last === 'seeds') return 'a seed, a list of seeds or a range A..B';
  if (last === 'expect') return "'valid' or {invalid: [checker, ...], find: any|every}";
  if (last === 'nemesis') return 'fault kinds, comma-separated or a list';
  return 'another shape';
}

/** ":line" of the deepest node of `path` the document has (the key itself when the value is absent). */
function lineOf(doc: Document, lines: LineCounter, path: readonly PropertyKey[]): string {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true);
    if (isNode(node) && node.range) return `:${lines.linePos(node.range[0]).line}`;
  }
  return '';
}
