// `chaos report RUN_DIR [--recheck]`: rebuilds junit.xml and report.html from the run directory
// alone, with the recorded verdict (results.json); --recheck (or no recorded verdict) runs every
// checker over the history again and rewrites results.json too.
import { resolve, join } from 'node:path';
import { InputError, exitForRun, runVerdict } from '../../ground/errors.js';
import { rebuildReport } from '../../reports/index.js';
import { existsSync } from 'node:fs';
import { reproduceCommand } from '../run/config.js';
import { loadRunConfig } from '../run/load-config.js';
import { checkerLines, lastLine } from '../run/display.js';

export default async function report(args: string[], opts: Record<string, unknown> = {}): Promise<number> {
  const dir = args[0];
  if (!dir) throw new InputError('expected a run directory', 'chaos report');
  if (!existsSync(join(dir, 'config.json'))) throw new InputError('not a run directory; expected config.json and history.jsonl in it', dir);
  // The system the run names decides which checkers judge it, as it did when the run ended.
  const { config, system } = await loadRunConfig(join(dir, 'config.json'));
  const reproduce = config.planGiven ? reproduceCommand(config, join(dir, 'config.json')) : reproduceCommand(config);
  const results = await rebuildReport(dir, (c) => system.checkers(c), () => reproduce, { recheck: Boolean(opts.recheck) });
  const how = results.rechecked ? 'checked the history again' : 'verdict as recorded in results.json (--recheck runs the checkers again)';
  process.stdout.write([...checkerLines(results), `report: ${resolve(join(dir, 'report.html'))} (${how})`, lastLine(results, reproduce)].join('\n') + '\n');
  // The run's own verdict: an interrupted run stays interrupted (3), a core crash is 1.
  return exitForRun(results.verdict ?? runVerdict(results.valid));
}
