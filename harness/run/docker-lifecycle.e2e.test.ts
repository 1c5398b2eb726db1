// The lifecycle on real containers, through the CLI as a user or CI runs it: SIGTERM and SIGINT
// mid-run leave 0 containers, networks and volumes; two simultaneous runs of one seed are both
// valid and never touch each other; `chaos down` spares a live run and removes a dead one's
// leftovers. Resources are counted by the owning process's pid label only (a shared engine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import Docker from 'dockerode';
import { isDockerAvailable } from '../runtime/docker/engine.js';
import { LABEL, processStart } from '../runtime/docker/ownership.js';
import { chaos, ownedBy, until } from './testing/cli-child.js';

const available = await isDockerAvailable();
const skip = !available && !process.env.CI ? 'no Docker engine answers' : false;
const RUN = ['run', '--runtime', 'docker', '--workload', 'register', '--concurrency', '4'];

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  test(`docker: ${sig} mid-run heals, tears down (0 containers, networks, volumes left) and ends interrupted`, { skip }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'chaos-dsig-'));
    try {
      const c = chaos([...RUN, '--time-limit', '30', '--seed', '7', '--out', out]);
      await until('3 running containers', async () => (await ownedBy(c.pid)).running === 3, 120_000);
      await new Promise((r) => setTimeout(r, 3000)); // into the workload, faults under way
      c.proc.kill(sig);
      const r = await c.done;
      assert.equal(r.code, 3, `${r.out}\n${r.err}`);
      assert.match(r.out.trim().split('\n').at(-1)!, new RegExp(`^INTERRUPTED.*interrupted by ${sig} during (workload|up) after [\\d.]+ s of 30 s`));
      assert.deepEqual(await ownedBy(c.pid), { containers: 0, running: 0, networks: 0, volumes: 0 });
      const dir = r.out.match(/^run directory: (.+)$/m)![1];
      assert.equal(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).verdict, 'interrupted');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}

test('docker: two simultaneous runs of one seed are both valid; `chaos down` meanwhile spares them and removes a dead run\'s leftovers', { skip }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'chaos-par-'));
  const docker = new Docker();
  // A dead run's leftover: a volume labelled by a process that has exited (same host).
  const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
  const deadVol = `chaos-test-dead-${process.pid}-${Date.now()}`;
  await docker.createVolume({ Name: deadVol, Labels: { [LABEL.chaos]: '1', [LABEL.run]: deadVol, [LABEL.pid]: String(gone), [LABEL.pidStart]: '1', [LABEL.host]: hostname() } });
  try {
    const args = [...RUN, '--time-limit', '8', '--seed', '3', '--nemesis', 'partition,kill,pause', '--out', out];
    const a = chaos(args);
    const b = chaos(args);
    await until('both clusters up', async () => (await ownedBy(a.pid)).running === 3 && (await ownedBy(b.pid)).running === 3, 120_000);
    const before = [await ownedBy(a.pid), await ownedBy(b.pid)];
    const down = chaos(['down']);
    const d = await down.done;
    assert.equal(d.code, 0, d.err);
    assert.match(d.out, /of dead runs \(live runs spared/);
    const [oa, ob] = [await ownedBy(a.pid), await ownedBy(b.pid)];
    // Spared: its network, volumes and containers are all still there (a node the nemesis
    // killed meanwhile is stopped, not removed).
    for (const [n, now, was] of [['a', oa, before[0]], ['b', ob, before[1]]] as const) {
      assert.ok(now.networks === 1 && now.volumes === was.volumes && now.containers >= 3, `run ${n} spared: ${JSON.stringify(now)} after ${JSON.stringify(was)}`);
    }
    assert.equal((await docker.listVolumes({ filters: { name: [deadVol] } })).Volumes?.filter((v) => v.Name === deadVol).length ?? 0, 0, 'the dead run\'s volume is gone');
    const [ra, rb] = [await a.done, await b.done];
    for (const [n, r] of [['a', ra], ['b', rb]] as const) {
      assert.equal(r.code, 0, `run ${n}: ${r.out}\n${r.err}`);
      assert.match(r.out.trim().split('\n').at(-1)!, /^VALID; reproduce with: .*--seed 3$/);
    }
    const dirs = [ra, rb].map((r) => r.out.match(/^run directory: (.+)$/m)![1]);
    assert.notEqual(dirs[0], dirs[1]);
    assert.deepEqual(await ownedBy(a.pid), { containers: 0, running: 0, networks: 0, volumes: 0 });
    assert.deepEqual(await ownedBy(b.pid), { containers: 0, running: 0, networks: 0, volumes: 0 });
  } finally {
    await docker.getVolume(deadVol).remove().catch(() => {});
    rmSync(out, { recursive: true, force: true });
  }
});

test('docker: a second signal leaves the cluster, and `chaos down` then removes exactly it', { skip }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'chaos-dsig2-'));
  try {
    const c = chaos([...RUN, '--time-limit', '30', '--seed', '8', '--out', out]);
    await until('3 running containers', async () => (await ownedBy(c.pid)).running === 3, 120_000);
    c.proc.kill('SIGTERM');
    await until('the first signal to be seen', () => /SIGTERM received/.test(c.err()), 10_000, 20);
    c.proc.kill('SIGTERM');
    const r = await c.done;
    assert.equal(r.code, 143);
    assert.match(r.err, /`chaos down`/);
    assert.ok((await ownedBy(c.pid)).containers > 0, 'quitting at once leaves the cluster');
    assert.equal(processStart(c.pid), null, 'the harness is gone');
    const d = await chaos(['down']).done;
    assert.equal(d.code, 0, d.err);
    assert.deepEqual(await ownedBy(c.pid), { containers: 0, running: 0, networks: 0, volumes: 0 });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
