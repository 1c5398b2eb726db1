// Shrinking a failing sim run through the command itself: the minimal run lands beside the
// original with its seed and fault plan, keeps the original's anomaly kind, and has at most a
// few faults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import shrinkCommand, { pickTarget } from '../commands/shrink.js';
import { InputError } from '../../ground/errors.js';
import { anomalyKinds, runOnSim, seedConfig } from '../sweep/seed-run.js';
import { blockstore } from '../../nodes/blockstore/system.js';

const out = mkdtempSync(join(tmpdir(), 'chaos-shrink-test-'));
test.after(() => rmSync(out, { recursive: true, force: true }));

test('chaos shrink: a failing failover run with vault-no-flush shrinks to a few faults that still fail', async () => {
  const cfg = seedConfig({ outDir: out, workload: 'failover', timeLimit: 5, bug: ['vault-no-flush'] }, 2, blockstore);
  const orig = await runOnSim(cfg, out);
  assert.equal(orig.results.valid, false, 'the original run fails');
  const target = pickTarget(anomalyKinds(orig.results));
  const write = process.stdout.write.bind(process.stdout);
  const errw = process.stderr.write.bind(process.stderr);
  let printed = '';
  process.stdout.write = ((s: string) => ((printed += s), true)) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  let code: number;
  try {
    code = await shrinkCommand([orig.dir], {});
  } finally {
    process.stdout.write = write;
    process.stderr.write = errw;
  }
  assert.equal(code, 1, printed);
  const shrunk = `${orig.dir}-shrunk`;
  assert.ok(existsSync(join(shrunk, 'history.jsonl')) && existsSync(join(shrunk, 'config.json')));
  const summary = JSON.parse(readFileSync(join(shrunk, 'shrink.json'), 'utf8'));
  const config = JSON.parse(readFileSync(join(shrunk, 'config.json'), 'utf8'));
  assert.equal(summary.target, target);
  assert.ok(summary.kinds.includes(target), 'the minimal run shows the same anomaly kind');
  assert.equal(config.seed, 2);
  assert.equal(config.plan.length, summary.minimal.faults);
  assert.ok(summary.minimal.faults <= 3, `at most a few faults: ${JSON.stringify(summary.minimal)}`);
  assert.ok(summary.minimal.faults < summary.original.faults || summary.minimal.ops < summary.original.ops, 'something was removed');
});

test('shrink keeps the kind closest to data loss', () => {
  assert.equal(pickTarget(['convergence:diverged', 'durability:lost-write', 'dr-prefix:torn-dr-image']), 'durability:lost-write');
  assert.equal(pickTarget(['latency:x', 'zzz:y']), 'latency:x');
});

test('chaos shrink refuses what it cannot shrink, with one line', async () => {
  await assert.rejects(() => shrinkCommand([join(out, 'nope')], {}), InputError);
  const cfg = seedConfig({ outDir: out, workload: 'register', nemesis: 'none', timeLimit: 1 }, 3, blockstore);
  const ok = await runOnSim(cfg, out);
  if (ok.results.valid !== false) await assert.rejects(() => shrinkCommand([ok.dir], {}), /found no violation/);
});
