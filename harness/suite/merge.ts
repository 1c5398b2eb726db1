// `chaos suite merge DIR...`: joins the outputs of `--shard i/n` runs of one suite file into
// one summary, junit and index, judged exactly as an unsharded run would be (the cases a shard
// holds are whole, see expand.ts). A shard whose output is missing leaves its runs "not run",
// which makes the merged exit status 3 unless something failed.
import { existsSync, lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../ground/errors.js';
import { shardSpecs } from './expand.js';
import { readSummary, recordsOf, writeSuiteOutputs, type SuiteSummary } from './outputs.js';

/** The suite outputs under each argument: the directory itself, or (a downloaded CI artifact
 *  tree) every directory below it holding a summary.json. */
export function findOutputs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    if (!existsSync(a) || !statSync(a).isDirectory()) throw new InputError('no such directory; expected the output directory of chaos suite --shard', a);
    if (existsSync(join(a, 'summary.json'))) {
      out.push(realpathSync(a));
      continue;
    }
    const found: string[] = [];
    const walk = (d: string, depth: number) => {
      if (depth > 6) return;
      for (const name of readdirSync(d).sort()) {
        const p = join(d, name);
        // `latest` links name a directory found anyway; runs/ holds run directories only.
        // An earlier merge's output below the same folder is not a shard.
        if (name === 'runs' || /-merged(-\d+)?$/.test(name) || !lstatSync(p).isDirectory()) continue;
        if (existsSync(join(p, 'summary.json'))) found.push(realpathSync(p));
        else walk(p, depth + 1);
      }
    };
    walk(a, 0);
    if (!found.length) throw new InputError('no summary.json in it or below it; expected the output directory of chaos suite --shard', a);
    out.push(...found);
  }
  return [...new Set(out)];
}

export interface MergeResult {
  summary: SuiteSummary;
  missing: number[];
}

export function mergeOutputs(dirs: readonly string[], outDir: string): MergeResult {
  // The same output twice (a `latest` link that an artifact upload turned into a copy) is one.
  const byId = new Map<string, { dir: string; s: SuiteSummary }>();
  for (const d of dirs) {
    const s = readSummary(d);
    const id = `${s.fingerprint}|${s.shards.join(',')}|${s.startedAt}`;
    if (!byId.has(id)) byId.set(id, { dir: d, s });
  }
  const parts = [...byId.values()];
  const first = parts[0].s;
  const seen = new Map<number, string>();
  for (const { dir, s } of parts) {
    if (s.fingerprint !== first.fingerprint) throw new InputError(`suite '${s.suite}' (${s.fingerprint}) differs from '${first.suite}' (${first.fingerprint}) of ${parts[0].dir}; expected shards of one suite file`, dir);
    if (s.shardCount !== first.shardCount) throw new InputError(`split into ${s.shardCount} shards, ${parts[0].dir} into ${first.shardCount}; expected one --shard i/n count`, dir);
    for (const i of s.shards) {
      if (seen.has(i)) throw new InputError(`shard ${i}/${s.shardCount} is also in ${seen.get(i)}; expected each shard once`, dir);
      seen.set(i, dir);
    }
  }
  const n = first.shardCount;
  const missing = Array.from({ length: n }, (_, i) => i + 1).filter((i) => !seen.has(i));
  const spec = first.spec;
  const records = parts.flatMap(({ dir, s }) => recordsOf(dir, s));
  const notRun = [
    ...parts.flatMap(({ s }) => s.notRun),
    ...missing.flatMap((i) => shardSpecs(spec, { index: i, count: n }).map((x) => ({ case: x.case, seed: x.seed }))),
  ];
  const summary = writeSuiteOutputs(outDir, {
    spec,
    shardCount: n,
    shards: [...seen.keys()],
    startedAt: parts.map((p) => p.s.startedAt).sort()[0],
    // The shards ran side by side: the merged wall time is the longest shard's.
    wallS: Math.max(...parts.map((p) => p.s.wallS)),
    interrupted: parts.some((p) => p.s.interrupted),
    records,
    notRun,
  });
  return { summary, missing };
}
