// a, b and dr as real processes on 127.0.0.1: write, SIGKILL a, b takes over with every acked
// write readable, a comes back as partner, dr converges to the primary; and bad input against
// a live replicating cluster leaves it serving with nothing acked lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectClient, type TcpBlockClient } from '../client/tcp.js';
import type { NodeName, NodeStatus } from '../core/types.js';
import { freePorts, nodeArgs, spawnServer, type NodeProc } from './procs.js';

const FAST = ['--blocks', '32', '--max-value-bytes', '32', '--lease-ms', '300', '--takeover-ms', '700', '--heartbeat-ms', '50', '--retry-ms', '100', '--barrier-ms', '30'];
const ALL: NodeName[] = ['a', 'b', 'dr'];

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function cluster(t: import('node:test').TestContext) {
  const root = mkdtempSync(join(tmpdir(), 'chaos-int-'));
  const [pa, pb, pdr] = await freePorts(3);
  const ports: Record<NodeName, number> = { a: pa, b: pb, dr: pdr };
  const procs = new Map<NodeName, NodeProc>();
  /** Every process of the test, restarts included, for the log dump on failure. */
  const lives: NodeProc[] = [];
  const clients: TcpBlockClient[] = [];
  const start = async (n: NodeName, role?: 'primary' | 'partner' | 'dr') => {
    const p = await spawnServer(n, ports[n], nodeArgs(n, ports, { root }, ALL, FAST, role));
    procs.set(n, p);
    lives.push(p);
    return p;
  };
  const client = (n: NodeName, timeoutMs = 2000) => {
    const c = connectClient({ host: '127.0.0.1', port: ports[n], node: n, timeoutMs });
    clients.push(c);
    return c;
  };
  t.after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(lives.map((p) => p.kill('SIGKILL')));
    if (process.env.CHAOS_KEEP_LOGS) console.log(dump(1000));
    rmSync(root, { recursive: true, force: true });
  });
  /** The last lines each process printed: attached to a failure so CI shows what the nodes saw. */
  const dump = (lines = 25) =>
    lives.map((p) => `\n--- ${p.name} (pid ${p.proc.pid})\n${p.output.join('').trimEnd().split('\n').slice(-lines).join('\n')}`).join('');
  const explain = async (body: () => Promise<void>) => {
    try {
      await body();
    } catch (e) {
      if (e instanceof Error) e.message += `\nnode logs:${dump()}`;
      throw e;
    }
  };
  // b and dr first so a finds its partner at once.
  await Promise.all([start('b'), start('dr')]);
  await start('a');
  return { ports, procs, start, client, explain };
}

/** Until the primary reports its partner in sync. A write admitted before that goes the solo
 *  way, and with the core of a88280d such a write can keep the pair re-claiming epochs (reported
 *  to the core's owner), so the scenarios start from a paired primary. */
async function paired(c: TcpBlockClient): Promise<void> {
  await until('a to pair with b', 10_000, async () => ((await status(c))?.partner === 'paired' ? true : undefined));
}

async function status(c: TcpBlockClient): Promise<NodeStatus | undefined> {
  const s = await c.status();
  return s.status === 'ok' ? s.info : undefined;
}

test('a, b and dr as processes: SIGKILL a, b takes over with every acked write, a rejoins as partner, dr converges', { timeout: 30_000 }, async (t) => {
  const { procs, start, client, explain } = await cluster(t);
  await explain(async () => {
    const ca = client('a');
    const acked = new Map<number, string>();
    // Takeover needs b in sync; waiting for it also keeps the first writes off the core's
    // solo path (see paired()).
    await paired(ca);
    await until('a to ack writes', 5000, async () => ((await ca.write(0, 'first')).status === 'ok' ? true : undefined));
    acked.set(0, 'first');
    for (let i = 0; i < 40; i++) {
      const block = i % 32;
      const r = await ca.write(block, `a${i}`);
      assert.equal(r.status, 'ok', JSON.stringify(r));
      acked.set(block, `a${i}`);
    }

    await procs.get('a')!.kill('SIGKILL');
    const cb = client('b');
    await until('b to take over', 10_000, async () => ((await status(cb))?.role === 'primary' ? true : undefined));
    for (const [block, value] of acked) {
      const r = await cb.read(block);
      assert.equal(r.status, 'ok', `read ${block} from b: ${JSON.stringify(r)}`);
      assert.equal(r.status === 'ok' && r.value, value, `block ${block} after takeover`);
    }
    for (let i = 0; i < 10; i++) {
      const r = await cb.write(i, `b${i}`);
      assert.equal(r.status, 'ok', JSON.stringify(r));
      acked.set(i, `b${i}`);
    }

    await start('a', 'partner');
    const ca2 = client('a');
    await until('a to rejoin as partner', 10_000, async () => ((await status(ca2))?.role === 'partner' ? true : undefined));
    const refused = await ca2.write(1, 'from-old-primary');
    assert.notEqual(refused.status, 'ok', 'a returning node must not accept writes as primary');

    const cdr = client('dr');
    const primary = await status(cb);
    assert.ok(primary);
    const image = await until('dr to converge', 15_000, async () => {
      const s = await status(cdr);
      if (!s || s.consistent === false || (s.cut ?? s.version) < primary.version) return undefined;
      const snap = await cdr.drSnapshot();
      return snap.status === 'ok' ? snap.image : undefined;
  });
  for (const [block, value] of acked) assert.equal(image.blocks[block]?.value, value, `dr block ${block}`);
  });
});

test('bad input against a live cluster: clear refusals, the node keeps serving, nothing acked lost', { timeout: 30_000 }, async (t) => {
  const { ports, client, explain } = await cluster(t);
  await explain(async () => {
    const ca = client('a');
    await paired(ca);
    await until('a to ack writes', 5000, async () => ((await ca.write(0, 'kept')).status === 'ok' ? true : undefined));

    const unknown = await ca.read(1000);
    assert.equal(unknown.status, 'fail');
    assert.match((unknown as { error: string }).error, /^bad-block/);
    const long = await ca.write(1, 'x'.repeat(33));
    assert.equal(long.status, 'fail');
    assert.match((long as { error: string }).error, /^value-too-long/);

    // Malformed and oversized frames, then a flood of idle and chatty connections.
    const garbage = await new Promise<string>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: ports.a });
      let buf = '';
      s.on('data', (d) => {
        buf += d;
        if (buf.split('\n').length > 2) {
          s.destroy();
          resolve(buf);
        }
      });
      s.write(`\u0000\u00ff not json\n${'{'.repeat(100_000)}\n`);
  });
  assert.match(garbage, /"error":"bad-request"/);
  assert.match(garbage, /"error":"frame-too-large"/);
  const flood = Array.from({ length: 300 }, () => {
    const s = connect({ host: '127.0.0.1', port: ports.a });
    s.on('error', () => undefined);
    s.write('{"id":1,"op":{"f":"status"}}\n');
    return s;
  });
  await new Promise((r) => setTimeout(r, 300));
  for (const s of flood) s.destroy();

  const after = await until('a to serve after the flood', 5000, async () => {
    const r = await ca.write(2, 'after');
    return r.status === 'ok' ? r : undefined;
  });
  assert.equal(after.status, 'ok');
  const kept = await ca.read(0);
  assert.equal(kept.status === 'ok' && kept.value, 'kept');
  const h = await ca.health();
  assert.equal(h.status, 'ok');
  });
});

test('the process refuses an unknown bug switch or a bad flag with one line and exit 2', async () => {
  const { spawnSync } = await import('node:child_process');
  const { REPO_ROOT } = await import('./procs.js');
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'nodes', 'blockstore', 'server.ts'), ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
  const base = ['--name', 'a', '--role', 'primary', '--data', join(tmpdir(), 'chaos-never-used'), '--listen', '127.0.0.1:0'];
  for (const [args, re] of [
    [[...base, '--bug', 'not-a-bug'], /^--bug: unknown bug switch "not-a-bug"/],
    [[...base, '--lease-ms', 'soon'], /^--lease-ms: expected a positive integer/],
  ] as const) {
    const r = run(...args);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    assert.equal(r.stdout, '');
  }
});
