// The simulator's client is only a transport: the real client's rule (nodes/blockstore/client/
// outcome.ts) decides ok / fail / info, so a paused node times a read out `fail` and a write
// `info`, exactly as the TCP client reports them.
import { SIM_LAYOUT } from '../../../nodes/blockstore/system.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNode } from '../../../nodes/blockstore/core/index.js';
import { SimWorld } from './world.js';
import { SimClient } from './client.js';

test('the simulator\'s client follows the same rule: a paused node times a read out `fail`, a write `info`', async () => {
  const params = { blocks: 8, maxValueBytes: 16, leaseMs: 400, takeoverMs: 1000, heartbeatMs: 100, barrierMs: 200, barrierWrites: 8, journalCapacity: 64, retryMs: 100 };
  const w = new SimWorld({ seed: 1, nodes: ['a', 'b', 'dr'], bugs: [], params, createCore: createNode, layout: SIM_LAYOUT });
  for (const n of ['a', 'b', 'dr'] as const) w.start(n);
  await w.sched.sleep(300e6);
  const c = new SimClient(w, 'a', 200);
  w.pause('a');
  const [r, wr] = await Promise.all([c.read(1), c.write(1, 'x')]);
  assert.deepEqual([r.status, wr.status], ['fail', 'info']);
  w.crash('a', 'process');
  const refused = await c.write(1, 'y');
  assert.equal(refused.status, 'fail', 'connection refused: nothing was sent');
});
