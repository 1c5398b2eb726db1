// Every documented docker case runs from the CLI as a user types it: the plan files exist and
// equal the e2e table's plans, and the command in harness/run/README.md builds the very config
// the docker end-to-end test runs (same plan, parameters, concurrency, time limit).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { BUG_CASES, caseCommand, caseFile } from './testing/e2e.js';
import { buildProgram } from '../cli.js';
import { loadCommand } from '../commands/load.js';
import { buildConfig } from './config.js';
import { blockstore } from '../../nodes/blockstore/system.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(join(ROOT, 'harness/run/README.md'), 'utf8');

/** Parses a documented command with the real CLI definition (no action run). */
function optsOf(line: string): Record<string, unknown> {
  const program = buildProgram(loadCommand);
  const run = program.commands.find((c) => c.name() === 'run')!;
  run.action(() => {});
  program.parse(['node', 'chaos', ...line.replace(/^chaos /, '').split(/\s+/)]);
  return run.opts();
}

for (const c of BUG_CASES.filter((x) => x.docker)) {
  test(`docker case ${c.bug}: documented, and its command builds the e2e test's config`, () => {
    const d = c.docker!;
    const line = caseCommand(c);
    assert.ok(readme.includes(line), `harness/run/README.md lacks:\n${line}`);
    if (d.plan) assert.deepEqual(JSON.parse(readFileSync(join(ROOT, caseFile(c)), 'utf8')), d.plan, caseFile(c));
    const o = optsOf(line);
    const prev = process.cwd();
    process.chdir(ROOT);
    try {
      const fromCli = buildConfig({ runtime: 'docker', workload: o.workload as string, nemesis: o.nemesis as string | undefined, bug: o.bug as string[], seed: 1, timeLimit: o.timeLimit as string, concurrency: o.concurrency as string | undefined, thinkMs: o.thinkMs as string | undefined, planFile: o.plan as string | undefined, param: o.param as string[] }, blockstore);
      const fromTest = buildConfig({ runtime: 'docker', workload: c.workload, nemesis: d.nemesis ?? c.nemesis, bug: [c.bug], seed: 1, timeLimit: d.timeLimitS ?? 6, concurrency: d.concurrency, thinkMs: d.thinkMs, params: { ...c.params, ...d.params }, ...(d.plan ? { plan: d.plan } : {}) }, blockstore);
      const { planFile: _f, nemesis: _n1, ...a } = fromCli;
      const { nemesis: _n2, ...b } = fromTest;
      assert.deepEqual(a, b);
    } finally {
      process.chdir(prev);
    }
  });
}
