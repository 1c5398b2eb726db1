// Coverage marks: a run of a system with marks records how often it took each of its
// mechanisms' paths (results.json `coverage`, every mark listed), and a sweep lists the marks
// no seed hit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blockstore } from '../../nodes/blockstore/system.js';
import { MARKS } from '../../nodes/blockstore/core/types.js';
import { runOnSim, seedConfig, type SeedResult } from '../sweep/seed-run.js';
import { sweepCoverage } from '../sweep/summary.js';

test('a sim run counts every coverage mark of the block store into results.json', async () => {
  const out = mkdtempSync(join(tmpdir(), 'chaos-cov-'));
  try {
    const r = await runOnSim(seedConfig({ outDir: out, workload: 'failover', timeLimit: 5, thinkMs: 10 }, 3, blockstore), out);
    const cov = r.results.coverage!;
    assert.deepEqual(Object.keys(cov).sort(), [...MARKS].sort());
    assert.ok(Object.values(cov).some((n) => n > 0), 'a failover run under faults takes some marked paths');
    assert.deepEqual(JSON.parse(readFileSync(join(r.dir, 'results.json'), 'utf8')).coverage, cov);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a sweep counts the seeds hitting each mark and names the marks none hit', () => {
  const seed = (n: number, coverage?: Record<string, number>): SeedResult => ({ seed: n, valid: true, kinds: [], simS: 1, wallMs: 1, errors: [], ...(coverage ? { coverage } : {}) });
  assert.equal(sweepCoverage([seed(1), seed(2)]), undefined, 'no marks reported: no coverage section');
  const c = sweepCoverage([seed(1, { takeover: 2, 'vault-flush': 0 }), seed(2, { takeover: 0, 'vault-flush': 0 }), seed(3)])!;
  assert.deepEqual(c.seedsHitting, { takeover: 1, 'vault-flush': 0 });
  assert.deepEqual(c.neverHit, ['vault-flush']);
  // A mark the workload cannot reach is listed apart, with its reason, not as missed; one it
  // reached anyway is simply hit.
  const u = sweepCoverage([seed(1, { takeover: 0, 'vault-flush': 0, promotion: 1 })], { takeover: 'no takeover here', promotion: 'never' })!;
  assert.deepEqual(u.neverHit, ['vault-flush']);
  assert.deepEqual(u.unreachable, { takeover: 'no takeover here' });
});
