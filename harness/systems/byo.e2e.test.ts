// Bring your own system, end to end: a module at a temporary path, written the way a user
// would (importing chaos's image builder and a client, nothing registered anywhere), is run by
// `chaos run --system PATH` on real containers; a module that is not a System is one line and
// exit 2.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { isDockerAvailable } from '../runtime/docker/engine.js';

const BIN = fileURLToPath(new URL('../../bin/chaos.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const available = await isDockerAvailable();
const skip = available ? false : 'no docker engine answers (run scripts/setup.sh to install and start one)';
if (!available && process.env.CI) {
  test('docker engine is required in CI', () => assert.fail('no docker engine answers; CI must run scripts/setup.sh first'));
}

function chaos(argv: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...argv], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** A single-node key-value store of the user's own: a Redis server with no replicas. */
const USER_MODULE = `
import { binaryImage } from '${ROOT}nodes/image/binary.ts';
import { RedisClient } from '${ROOT}nodes/redis/client.ts';

const image = binaryImage({
  repo: 'chaos-byo-kv',
  debs: ['redis-server', 'redis-tools', 'libjemalloc2', 'liblzf1'],
  binaries: ['/usr/bin/redis-server'],
  dirs: ['/data'],
  entrypoint: ['/usr/bin/redis-server'],
});

export const system = {
  name: 'byo-kv',
  description: 'one Redis server, brought by a user',
  nodes: () => ['solo'],
  params: { defaults: {}, parse: (raw) => { if (Object.keys(raw).length) throw new Error('no params'); return {}; } },
  bugs: [],
  topology: (nodes) => ({ primary: nodes[0], candidates: [nodes[0]], readNodes: [nodes[0]] }),
  container: () => ({
    image,
    command: ['--port', '6379', '--bind', '0.0.0.0', '--protected-mode', 'no', '--dir', '/data', '--appendonly', 'yes'],
    clientPort: 6379,
    dataDir: '/data',
    readyLog: /Ready to accept connections/,
  }),
  client: (node, at, opts) => new RedisClient(node, at, opts.timeoutMs),
  status: async (client) => {
    const s = await client.status();
    return s && { node: s.node, role: 'solo' };
  },
  roles: { primary: 'solo' },
  capabilities: [],
  workloads: { register: { nemesis: ['pause'], concurrency: 3, thinkMs: 20, keys: 3 } },
  model: 'cas-register',
  checkers: () => ({ use: ['linearizability', 'stats'], skipped: {} }),
};
`;

test('chaos run --system PATH runs a user module on real containers', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-byo-'));
  try {
    const mod = join(dir, 'byo-kv.mts');
    writeFileSync(mod, USER_MODULE);
    const r = chaos(['run', '--system', mod, '--runtime', 'docker', '--time-limit', '4', '--seed', '5', '--out', join(dir, 'runs')]);
    assert.equal(r.code, 0, `${r.out}\n${r.err}`);
    const lines = r.out.trim().split('\n');
    assert.match(lines[0]!, /system byo-kv, workload register, nemesis swarm: pause \(/);
    assert.match(lines.at(-1)!, /^VALID; reproduce with: chaos run --system \S*byo-kv\.mts /);
    const run = realpathSync(join(dir, 'runs', 'latest'));
    const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
    assert.equal(config.system, mod);
    const results = JSON.parse(readFileSync(join(run, 'results.json'), 'utf8'));
    assert.equal(results.checkers.linearizability.valid, true);
    assert.ok(readFileSync(join(run, 'history.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"type":"ok"')).length > 20);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a module that is not a System is one line and exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-byo-'));
  try {
    const mod = join(dir, 'broken.mts');
    writeFileSync(mod, USER_MODULE.replace(/ {2}client: .*\n/, ''));
    const r = chaos(['run', '--system', mod, '--runtime', 'sim', '--time-limit', '1']);
    assert.equal(r.code, 2);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
    assert.match(r.err, /has no 'client'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
