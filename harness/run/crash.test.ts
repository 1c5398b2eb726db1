// A core exception (a throw inside step()) is a verdict of its own, `crash`, naming the node,
// the input and the stack; the simulator does not turn it into an injected crash, and the real
// server stops instead of serving on (nodes/blockstore/server/shell.test.ts has that side).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNode } from '../../nodes/blockstore/core/index.js';
import type { NodeConfig } from '../../nodes/blockstore/core/types.js';
import { SimRuntime } from '../runtime/sim/index.js';
import { buildConfig } from './config.js';
import { blockstore } from '../../nodes/blockstore/system.js';
import { executeRun } from './execute.js';
import { exitForRun, EXIT } from '../../ground/errors.js';
import { parseCoreCrashes, coreCrashLine } from '../../ground/core-crash.js';
import { lastLine } from './display.js';
import { renderJunit } from '../../reports/junit.js';

/** The real core, except that node `a` throws on its 40th write request. */
function faultyCore(cfg: NodeConfig) {
  const core = createNode(cfg);
  let writes = 0;
  return {
    ...core,
    name: core.name,
    step(input: Parameters<typeof core.step>[0]) {
      if (cfg.name === 'a' && input.type === 'request' && input.request.f === 'write' && ++writes === 40) throw new TypeError('boom: bad index in the journal');
      return core.step(input);
    },
  };
}

test('a core exception in the simulator ends the run with verdict crash, naming node, input and stack', async () => {
  const out = mkdtempSync(join(tmpdir(), 'chaos-crash-'));
  try {
    const config = buildConfig({ runtime: 'sim', workload: 'register', nemesis: 'none', timeLimit: 3, seed: 5, concurrency: 4, thinkMs: 20 }, blockstore);
    const runtime = new SimRuntime({ seed: config.seed, runId: 't', createCore: faultyCore });
    const { dir, results } = await executeRun(config, { runtime, system: blockstore, outDir: out, skipHtml: true });
    assert.equal(results.verdict, 'crash');
    assert.equal(results.valid, false);
    assert.equal(exitForRun(results.verdict!), EXIT.invalid);
    const a = results.checkers.core.anomalies;
    assert.equal(a.length, 1);
    assert.equal(a[0].kind, 'core-crash');
    assert.equal(a[0].node, 'a');
    assert.match(String(a[0].input), /"type":"request".*"f":"write"/);
    assert.match(String(a[0].stack), /TypeError: boom: bad index in the journal\n\s+at /);
    assert.match(a[0].message, /^node a: the core threw on input \{"type":"request".*: TypeError: boom/);
    const log = readFileSync(join(dir, 'nodes', 'a.log'), 'utf8');
    assert.doesNotMatch(log, /sim: (killed|crash)/, 'not an injected crash');
    assert.match(lastLine(results, 'x'), /^CRASH \(core\)/);
    assert.match(renderJunit({ test: 't', seed: 5 }, results), /name="core"><failure message="1 anomalies: core-crash" type="crash">/);
    assert.equal(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).verdict, 'crash');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('core crash markers survive any log prefix and a torn line', () => {
  const line = coreCrashLine('b', { type: 'timer', now: 5, timer: 'lease' }, new Error('x\ny'));
  const log = `2026-11-30T00:00:00Z info serving\n2026-11-30T00:00:01Z error ${line}\n${line.slice(0, 30)}\n`;
  const cs = parseCoreCrashes(log, 'b');
  assert.equal(cs.length, 2);
  assert.equal(cs[0].node, 'b');
  assert.match(cs[0].input, /"timer":"lease"/);
  assert.match(cs[0].stack, /^Error: x\ny/);
  assert.equal(cs[1].input, '(unreadable)');
  assert.equal(parseCoreCrashes('core threw? no marker here\n').length, 0);
});
