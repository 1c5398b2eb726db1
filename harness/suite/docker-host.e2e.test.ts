// Docker runs against another engine through DOCKER_HOST: a second dockerd on its own socket,
// started here and torn down after. It lives in a network namespace of its own (with its own
// data root, exec root, pidfile, cgroup parent and socket under a temporary directory), so its
// iptables rules and bridges never touch the machine's main engine, which other work shares;
// the suite runs in that namespace too, where the engine publishes its ports.
// Needs root, dockerd, ip (iproute2) and nsenter; skipped otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/chaos.mjs', import.meta.url));
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const why = process.getuid?.() !== 0
  ? 'needs root'
  : !['dockerd', 'ip', 'nsenter', 'docker', 'unshare'].every(has)
    ? 'needs dockerd, docker, ip, nsenter and unshare'
    : spawnSync('unshare', ['-n', 'true']).status !== 0
      ? 'cannot create a network namespace here (a container without CAP_SYS_ADMIN?)'
      : undefined;

const sh = (args: string[], env: NodeJS.ProcessEnv = process.env) => spawnSync(args[0], args.slice(1), { encoding: 'utf8', env });

test('a docker suite runs on a second engine named by DOCKER_HOST', { skip: why, timeout: 300_000 }, async (t) => {
  const id = `chaos-d2-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  const dir = mkdtempSync(join(tmpdir(), `${id}-`));
  const sock = join(dir, 'docker.sock');
  const pidfile = join(dir, 'docker.pid');
  const host = `unix://${sock}`;
  const env = { ...process.env, DOCKER_HOST: host, TESTCONTAINERS_RYUK_DISABLED: 'true', TESTCONTAINERS_HOST_OVERRIDE: 'localhost', FORCE_COLOR: '0' };
  let daemon: ReturnType<typeof spawn> | undefined;
  let nsMade = false;
  const teardown = async () => {
    if (daemon && daemon.exitCode === null) {
      const gone = new Promise((r) => daemon!.once('exit', r));
      daemon.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 30_000))]);
      if (daemon.exitCode === null) daemon.kill('SIGKILL');
    }
    // A daemon killed hard can leave its overlay mounts behind.
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n').reverse()) {
      const mnt = line.split(' ')[1];
      if (mnt?.startsWith(dir)) sh(['umount', '-l', mnt]);
    }
    if (nsMade) sh(['ip', 'netns', 'del', id]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    assert.equal(sh(['ip', 'netns', 'add', id]).status, 0, 'ip netns add');
    nsMade = true;
    sh(['ip', 'netns', 'exec', id, 'ip', 'link', 'set', 'lo', 'up']);
    // nsenter, not `ip netns exec`: the latter remounts /sys and hides the cgroup mounts dockerd needs.
    daemon = spawn('nsenter', [`--net=/run/netns/${id}`, 'dockerd', '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--pidfile', pidfile, '-H', host, '--bridge=none', '--userland-proxy=false', `--cgroup-parent=${id}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    daemon.stderr!.on('data', (b) => void (log = (log + b).slice(-4000)));
    const t0 = Date.now();
    while (sh(['docker', 'info', '--format', '{{.ID}}'], env).status !== 0) {
      assert.ok(daemon.exitCode === null, `the second dockerd exited: ${log}`);
      assert.ok(Date.now() - t0 < 60_000, `the second dockerd did not answer in 60 s: ${log}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(sh(['docker', 'images', '-q'], env).stdout.trim(), '', 'a fresh engine, no image yet');

    const suite = join(dir, 'remote.yaml');
    writeFileSync(suite, 'name: remote\ncases:\n  - {name: reg, runtime: docker, workload: register, seeds: [1], time-limit: 3, unknown: retry, retries: 1}\n  - {name: sim, workload: register, seeds: [1], time-limit: 1}\n');
    const r = spawnSync('nsenter', [`--net=/run/netns/${id}`, process.execPath, BIN, 'suite', suite, '--runtime', 'docker', '--out', join(dir, 'runs')], { encoding: 'utf8', env });
    t.diagnostic(r.stdout.trim().split('\n').at(-1) ?? '');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const summary = JSON.parse(readFileSync(join(dir, 'runs', 'suites', 'remote-docker', 'latest', 'summary.json'), 'utf8'));
    assert.deepEqual(summary.cases.map((c: { name: string; runtime: string; outcome: string }) => [c.name, c.runtime, c.outcome]), [['reg', 'docker', 'met']]);
    // The run used that engine: the node image was built and imported there, and the run's
    // containers, networks and volumes were removed from it.
    assert.match(sh(['docker', 'images', '--format', '{{.Repository}}'], env).stdout, /^chaos-node$/m);
    assert.equal(sh(['docker', 'ps', '-aq'], env).stdout.trim(), '');
    assert.equal(sh(['docker', 'volume', 'ls', '-q'], env).stdout.trim(), '');
    assert.ok(existsSync(join(dir, 'runs', 'suites', 'remote-docker', 'latest', 'junit.xml')));
  } finally {
    await teardown();
  }
});
