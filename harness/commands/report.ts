// `chaos report RUN_DIR`: checks the recorded history again and rebuilds results.json,
// junit.xml and report.html (with its charts) from the run directory alone.
import { resolve, join } from 'node:path';
import { InputError, exitFor } from '../../ground/errors.js';
import { rebuildReport } from '../../reports/index.js';
import { existsSync } from 'node:fs';
import { reproduceCommand } from '../run/config.js';
import { loadRunConfig } from '../run/load-config.js';
import { checkerLines, lastLine } from '../run/display.js';

export default async function report(args: string[]): Promise<number> {
  const dir = args[0];
  if (!dir) throw new InputError('expected a run directory', 'chaos report');
  if (!existsSync(join(dir, 'config.json'))) throw new InputError('not a run directory; expected config.json and history.jsonl in it', dir);
  // The system the run names decides which checkers judge it, as it did when the run ended.
  const { config, system } = await loadRunConfig(join(dir, 'config.json'));
  const reproduce = config.planGiven ? `chaos replay ${dir}` : reproduceCommand(config);
  const results = await rebuildReport(dir, (c) => system.checkers(c), () => reproduce);
  process.stdout.write([...checkerLines(results), `report: ${resolve(join(dir, 'report.html'))}`, lastLine(results, reproduce)].join('\n') + '\n');
  return exitFor(results.valid);
}
