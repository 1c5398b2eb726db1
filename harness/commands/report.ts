// `chaos report RUN_DIR`: checks the recorded history again and rebuilds results.json,
// junit.xml and report.html (with its charts) from the run directory alone.
import { resolve, join } from 'node:path';
import { InputError, exitForRun, runVerdict } from '../../ground/errors.js';
import { rebuildReport } from '../../reports/index.js';
import { parseConfig, reproduceCommand } from '../run/config.js';
import { checkerLines, lastLine } from '../run/display.js';

export default async function report(args: string[]): Promise<number> {
  const dir = args[0];
  if (!dir) throw new InputError('expected a run directory', 'chaos report');
  const repro = (c: Record<string, unknown>): string => {
    try {
      const cfg = parseConfig(c);
      return cfg.planGiven ? reproduceCommand(cfg, join(dir, 'config.json')) : reproduceCommand(cfg);
    } catch {
      return `chaos replay ${dir}`;
    }
  };
  let reproduce = `chaos replay ${dir}`;
  const results = await rebuildReport(dir, (c) => (reproduce = repro(c)));
  process.stdout.write([...checkerLines(results), `report: ${resolve(join(dir, 'report.html'))}`, lastLine(results, reproduce)].join('\n') + '\n');
  // The run's own verdict: an interrupted run stays interrupted (3), a core crash is 1.
  return exitForRun(results.verdict ?? runVerdict(results.valid));
}
