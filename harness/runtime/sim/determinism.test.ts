// Determinism of whole runs on the simulator with the real node core, run loop, workloads and
// nemesis: the same (config, seed, code) gives a byte-identical history.jsonl, and a replay
// of a recorded config.json does too. Short simulated runs keep the suite fast.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../run/config.js';
import { runOnSim, seedConfig } from '../../sweep/seed-run.js';
import { blockstore } from '../../../nodes/blockstore/system.js';

const SEEDS = Array.from({ length: 20 }, (_, i) => 100 + i);
const out = mkdtempSync(join(tmpdir(), 'chaos-sim-det-'));
test.after(() => rmSync(out, { recursive: true, force: true }));

const history = (dir: string) => readFileSync(join(dir, 'history.jsonl'), 'utf8');

test('20 seeds x 2 runs: byte-identical histories (mixed faults, all three nodes)', async () => {
  const distinct = new Set<string>();
  for (const seed of SEEDS) {
    const workload = ['register', 'failover', 'dr'][seed % 3];
    // Half at the simulator's default think time, half at docker's denser 10 ms.
    const cfg = seedConfig({ outDir: out, workload, timeLimit: 3, thinkMs: seed % 2 ? 10 : undefined }, seed, blockstore);
    const x = await runOnSim(cfg, out);
    const y = await runOnSim(cfg, out);
    const hx = history(x.dir);
    assert.ok(hx.split('\n').length > 20, `seed ${seed}: the run did something`);
    assert.equal(history(y.dir), hx, `seed ${seed} (${workload}): the second run's history differs`);
    distinct.add(hx);
    rmSync(x.dir, { recursive: true, force: true });
    rmSync(y.dir, { recursive: true, force: true });
  }
  assert.equal(distinct.size, SEEDS.length, 'different seeds give different histories');
});

test('a replay of a recorded run (config.json as written) is identical', async () => {
  const cfg = seedConfig({ outDir: out, workload: 'register', nemesis: 'partition,kill,pause,lose-journal', timeLimit: 4 }, 4242, blockstore);
  const first = await runOnSim(cfg, out);
  const recorded = parseConfig(JSON.parse(readFileSync(join(first.dir, 'config.json'), 'utf8')), blockstore);
  const again = await runOnSim(recorded, out);
  assert.equal(history(again.dir), history(first.dir));
  assert.deepEqual(again.results.valid, first.results.valid);
});
