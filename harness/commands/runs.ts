// `chaos runs [--out DIR] [--json]`: lists past runs under the runs directory (newest first),
// rewrites DIR/index.html and points DIR/latest at the last finished run.
import { existsSync, statSync } from 'node:fs';
import { InputError } from '../../ground/errors.js';
import { listRuns, pointLatestFinished, writeRunsIndex } from '../suite/runs-list.js';
import { durationText } from '../suite/index-html.js';

export default async function runs(_args: string[], opts: Record<string, unknown>): Promise<number> {
  const root = String(opts.out ?? 'runs');
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new InputError('no such directory; expected a runs directory (chaos run writes runs/ by default)', root);
  const list = listRuns(root);
  const index = writeRunsIndex(root, list);
  const latest = pointLatestFinished(root, list);
  if (opts.json === true) {
    process.stdout.write(JSON.stringify({ root, index, latest: latest?.dir ?? null, runs: list }, null, 2) + '\n');
    return 0;
  }
  const word = (v: (typeof list)[number]['verdict']) => (v === true ? 'valid' : v === false ? 'INVALID' : v === 'unknown' ? 'unknown' : 'unfinished');
  const lines = list.map((r) =>
    [
      new Date(r.startedMs).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      word(r.verdict).padEnd(10),
      r.system.padEnd(10),
      r.runtime.padEnd(6),
      r.workload.padEnd(9),
      `seed ${r.seed ?? '?'}`.padEnd(12),
      (r.durationMs === undefined ? '' : durationText(r.durationMs)).padStart(8),
      ` ${r.path}`,
    ].join(' '),
  );
  lines.push(`${list.length} run(s); index: ${index}${latest ? `; latest -> ${latest.path}` : ''}`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
