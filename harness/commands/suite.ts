// `chaos suite FILE [--shard i/n] [--parallel K] [--workers K] [--out DIR] [--json]` and
// `chaos suite merge DIR... [--out DIR] [--json]`: run a suite file's cases (harness/suite) and
// write junit.xml, summary.json and index.html into <out>/suites/<name>/<stamp>[-shardIofN]/.
// Exit 0 every case met its expectation, 1 one did not, 3 only unknowns stood in the way,
// 4 a harness failure, 2 bad input.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { InputError } from '../../ground/errors.js';
import { stamp, pointLatest } from '../run/run-dir.js';
import { selectRuntime } from '../run/runtime-select.js';
import { parseShard } from '../sweep/range.js';
import { checkModules, loadSuite, type Suite, type SuiteCase } from '../suite/schema.js';
import { shardSpecs } from '../suite/expand.js';
import { runSuite } from '../suite/runner.js';
import { writeSuiteOutputs, type SuiteSummary } from '../suite/outputs.js';
import { findOutputs, mergeOutputs } from '../suite/merge.js';
import { failureMessage } from '../suite/junit.js';
import type { RunRecord } from '../suite/types.js';
import type { RunSpec } from '../suite/expand.js';

/** base/name, or base/name-2, -3 ...: two suites started in the same second never share one. */
function freshDir(base: string, name: string): string {
  let dir = resolve(join(base, name));
  for (let i = 2; existsSync(dir); i++) dir = resolve(join(base, `${name}-${i}`));
  mkdirSync(dir, { recursive: true });
  return dir;
}

function count(v: unknown, flag: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new InputError(`'${String(v)}' is not a count; expected a whole number 1..256`, flag);
  return n;
}

const word = (v: RunRecord['verdict']) => (v === true ? 'VALID' : v === false ? 'INVALID' : v === 'unknown' ? 'UNKNOWN' : 'ERROR');

export default async function suite(args: string[], opts: Record<string, unknown>): Promise<number> {
  const file = args[0];
  if (!file) throw new InputError('no suite file; expected chaos suite FILE or chaos suite merge DIR...', 'chaos suite');
  const spec = onlyRuntime(loadSuite(file), opts.runtime as string | undefined);
  await checkModules(spec);
  const shard = parseShard(opts.shard as string | undefined);
  const parallel = count(opts.parallel, '--parallel', 1);
  const workers = count(opts.workers, '--workers', Math.max(1, availableParallelism()));
  const specs = shardSpecs(spec, shard);
  const byName = new Map(spec.cases.map((c) => [c.name, c]));
  const dockerRuns = specs.filter((s) => byName.get(s.case)!.runtime === 'docker').length;
  // Fail before anything runs: docker cases with no engine are bad input, as for chaos run.
  if (dockerRuns) await selectRuntime('docker');
  const outRoot = String(opts.out ?? 'runs');
  const base = join(outRoot, 'suites', spec.name);
  const dir = freshDir(base, `${stamp(new Date())}${shard.count > 1 ? `-shard${shard.index}of${shard.count}` : ''}`);
  const json = opts.json === true;
  const err = process.stderr;
  const tty = err.isTTY === true && !json;
  err.write(
    `chaos suite ${spec.name}: ${specs.length} run(s) of ${spec.cases.length} case(s)${shard.count > 1 ? ` (shard ${shard.index}/${shard.count})` : ''}: ` +
      `${specs.length - dockerRuns} sim on ${Math.min(workers, Math.max(1, specs.length - dockerRuns))} worker thread(s), ${dockerRuns} docker ${parallel > 1 ? `${parallel} at a time` : 'one at a time'}; output ${dir}\n`,
  );

  const abort = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts === 1) {
      err.write('\nchaos suite: interrupted; finishing the runs under way (Ctrl-C again to quit now)\n');
      abort.abort();
    } else process.exit(130);
  };
  process.on('SIGINT', onSigint);
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const running = new Map<number, string>();
  let done = 0;
  const seen = { invalid: 0, unknown: 0 };
  const status = () => `suite ${spec.name}: ${done}/${specs.length} runs (${seen.invalid} invalid, ${seen.unknown} unknown); running ${[...running.values()].slice(0, 3).join(', ') || '-'}`;
  // A terminal that reports no width (0) gets 100 columns.
  const live = (line: string) => tty && err.write(`\r\x1b[2K${line.slice(0, Math.max(20, (err.columns || 100) - 1))}`);
  let outcome;
  try {
    outcome = await runSuite({
      suite: spec,
      specs,
      runsDir: join(dir, 'runs'),
      workers,
      parallel,
      signal: abort.signal,
      onStart: (s: RunSpec, c: SuiteCase) => {
        running.set(s.index, `${c.name} seed ${s.seed}`);
        live(status());
      },
      onRun: (r, n, total) => {
        done = n;
        for (const [k, v] of running) if (v === `${r.case} seed ${r.seed}`) running.delete(k);
        if (r.verdict === false) seen.invalid++;
        else if (r.verdict !== true) seen.unknown++;
        const line = `[${n}/${total}] ${r.case} seed ${r.seed} (${r.runtime}): ${word(r.verdict)}${r.kinds.length ? ` ${r.kinds.join(' ')}` : ''} ${(r.durationMs / 1000).toFixed(2)}s${r.attempts > 1 ? ` after ${r.attempts} attempts` : ''}`;
        if (tty) {
          // A terminal keeps one live line, and a line for every run that was not valid.
          if (r.verdict !== true) err.write(`\r\x1b[2K${line}\n`);
          live(status());
        } else if (!json) err.write(line + '\n');
      },
    });
  } finally {
    process.off('SIGINT', onSigint);
    if (tty) err.write('\r\x1b[2K');
  }
  const summary = writeSuiteOutputs(dir, {
    spec,
    shardCount: shard.count,
    shards: shard.count > 1 ? [shard.index] : [1],
    startedAt,
    wallS: (performance.now() - t0) / 1000,
    interrupted: outcome.interrupted,
    records: outcome.records,
    notRun: outcome.notRun,
  });
  pointLatest(base, dir);
  printSummary(summary, dir, json);
  return summary.exit;
}

/** `--runtime sim|docker`: only the cases on that runtime (a Kubernetes Indexed Job of sim
 *  shards, a machine without docker). The filtered suite is a suite of its own: its shards
 *  merge with each other, not with shards of the whole file. */
function onlyRuntime(s: Suite, runtime: string | undefined): Suite {
  if (runtime === undefined) return s;
  if (runtime !== 'sim' && runtime !== 'docker') throw new InputError(`'${runtime}' is not a runtime; expected sim or docker`, '--runtime');
  const cases = s.cases.filter((c) => c.runtime === runtime);
  if (!cases.length) throw new InputError(`no case runs on ${runtime}; expected a suite with ${runtime} cases`, `${s.file} --runtime ${runtime}`);
  return { ...s, name: `${s.name}-${runtime}`, cases };
}

export function printSummary(s: SuiteSummary, dir: string, json: boolean): void {
  if (json) {
    const { spec: _spec, ...rest } = s;
    process.stdout.write(JSON.stringify({ dir, ...rest }, null, 2) + '\n');
    return;
  }
  const out: string[] = [];
  for (const c of s.cases) {
    out.push(`${c.outcome.toUpperCase().padEnd(7)} ${c.name}: ${c.note}`);
    for (const r of c.runs.filter((x) => x.outcome === 'unmet' || x.outcome === 'error' || x.outcome === 'unknown').slice(0, 5)) {
      out.push(...failureMessage(r).split('\n').map((l) => `          ${l}`));
    }
  }
  if (s.notRun.length) out.push(`NOT RUN ${s.notRun.length} run(s): ${s.notRun.slice(0, 10).map((n) => `${n.case} seed ${n.seed}`).join(', ')}${s.notRun.length > 10 ? ' ...' : ''}`);
  const rel = (f: string) => {
    const r = relative(process.cwd(), join(dir, f));
    return r && !r.startsWith('..') ? r : join(dir, f);
  };
  out.push(`junit: ${rel('junit.xml')}  index: ${rel('index.html')}  summary: ${rel('summary.json')}`);
  const c = s.counts;
  const head = s.exit === 0 ? 'PASSED' : s.exit === 1 ? 'FAILED' : s.exit === 3 ? 'UNKNOWN' : 'HARNESS FAILURE';
  out.push(
    `${head}: ${c.cases.met} of ${s.cases.length} case(s) met their expectation (${c.cases.unmet} not, ${c.cases.unknown} unknown, ${c.cases.error} harness failures); ` +
      `${c.runs} runs: ${c.verdicts.valid} valid, ${c.verdicts.invalid} invalid, ${c.verdicts.unknown} unknown in ${s.wallS}s`,
  );
  process.stdout.write(out.join('\n') + '\n');
}

export async function merge(args: string[], opts: Record<string, unknown>): Promise<number> {
  if (!args.length) throw new InputError('no directories; expected chaos suite merge DIR...', 'chaos suite merge');
  const dirs = findOutputs(args);
  const outRoot = String(opts.out ?? 'runs');
  // The name comes from the first summary; the directory is made by mergeOutputs.
  const { readSummary } = await import('../suite/outputs.js');
  const name = readSummary(dirs[0]).suite;
  const base = join(outRoot, 'suites', name);
  const dir = freshDir(base, `${stamp(new Date())}-merged`);
  let merged;
  try {
    merged = mergeOutputs(dirs, dir);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true }); // refused before anything was written
    throw e;
  }
  const { summary, missing } = merged;
  if (missing.length) process.stderr.write(`chaos suite merge: shard(s) ${missing.join(', ')} of ${summary.shardCount} missing; their ${summary.counts.notRun} run(s) count as not run\n`);
  pointLatest(base, dir);
  printSummary(summary, dir, opts.json === true);
  return summary.exit;
}
