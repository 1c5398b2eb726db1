// The shell and the TCP client against a stand-in core, in process: protocol, bad input,
// connection floods, and the fail/info split. The real core runs in server.integration.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectClient } from '../client/tcp.js';
import { parseServerArgs } from './config.js';
import { NodeShell } from './shell.js';
import { fakeCore } from './testing.js';
import { parseCoreCrashes } from '../../../ground/core-crash.js';

const quiet = () => undefined;

async function startShell(dir: string, extra: string[] = [], hang = new Set<number>()) {
  const config = parseServerArgs(['--name', 'a', '--role', 'primary', '--data', dir, '--listen', '127.0.0.1:0', '--blocks', '8', '--max-value-bytes', '16', ...extra]);
  const shell = new NodeShell({ config, createCore: (c) => fakeCore(c, hang), log: quiet });
  const addr = await shell.start();
  return { shell, port: addr.port };
}

/** Sends raw bytes and collects `n` reply frames. */
function raw(port: number, bytes: string | Buffer, n: number): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    let buf = '';
    const out: unknown[] = [];
    s.on('data', (d) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        out.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
        if (out.length === n) {
          s.destroy();
          resolve(out);
        }
      }
    });
    s.on('error', reject);
    s.write(bytes);
  });
}

test('reads, writes and CAS report node, source and version; acked writes survive a restart that drops unsynced tails', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-shell-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let { shell, port } = await startShell(dir);
  let c = connectClient({ host: '127.0.0.1', port, node: 'a', timeoutMs: 2000 });
  assert.deepEqual(await c.read(3), { status: 'ok', node: 'a', value: null, source: 'oplog', version: 0 });
  assert.deepEqual(await c.write(3, 'x'), { status: 'ok', node: 'a', version: 1, epoch: 1 });
  assert.deepEqual(await c.cas(3, 'x', 'y'), { status: 'ok', node: 'a', version: 2, epoch: 1 });
  const miss = await c.cas(3, 'x', 'z');
  assert.equal(miss.status, 'fail');
  assert.match((miss as { error: string }).error, /^cas-mismatch/);
  await c.close();
  await shell.stop();

  ({ shell, port } = await startShell(dir, ['--drop-unsynced']));
  t.after(() => shell.stop());
  c = connectClient({ host: '127.0.0.1', port, node: 'a', timeoutMs: 2000 });
  const r = await c.read(3);
  assert.equal(r.status === 'ok' && r.value, 'y');
  await c.close();
});

test('bad input gets a clear refusal and the node keeps serving', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-shell-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { shell, port } = await startShell(dir);
  t.after(() => shell.stop());
  const c = connectClient({ host: '127.0.0.1', port, node: 'a', timeoutMs: 2000 });
  assert.equal((await c.write(0, 'kept')).status, 'ok');

  const unknown = await c.read(99);
  assert.deepEqual(unknown, { status: 'fail', node: 'a', error: 'bad-block: block 99 is outside 0..7' });
  const long = await c.write(1, 'x'.repeat(17));
  assert.deepEqual(long, { status: 'fail', node: 'a', error: 'value-too-long: value is 17 bytes, at most 16' });
  const weird = await c.request({ f: 'explode' });
  assert.ok(weird.kind === 'reply' && !weird.reply.ok && weird.reply.error === 'bad-request' && weird.reply.definite);

  const replies = (await raw(port, `{not json\n{"id":1}\n{"id":2,"op":{"f":"write","block":"0","value":"v"}}\n${'x'.repeat(70_000)}\n{"id":3,"op":{"f":"read","block":0}}\n`, 5)) as {
    id: unknown;
    reply: { ok: boolean; error?: string; value?: string };
    detail?: string;
  }[];
  assert.deepEqual(
    replies.map((r) => [r.id, r.reply.ok ? 'ok' : r.reply.error]),
    [[null, 'bad-request'], [1, 'bad-request'], [2, 'bad-request'], [null, 'frame-too-large'], [3, 'ok']],
  );
  assert.match(replies[0].detail!, /not JSON/);
  assert.match(replies[2].detail!, /block must be an integer/);
  assert.equal(replies[4].reply.value, 'kept');

  const r = await c.read(0);
  assert.equal(r.status === 'ok' && r.value, 'kept');
  await c.close();
});

test('a flood of connections is capped with a clear refusal; the node keeps serving', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-shell-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { shell, port } = await startShell(dir, ['--max-clients', '20']);
  t.after(() => shell.stop());
  const keep = connectClient({ host: '127.0.0.1', port, node: 'a', timeoutMs: 2000 });
  assert.equal((await keep.write(1, 'before')).status, 'ok');

  const socks: Socket[] = [];
  const results = await Promise.all(
    Array.from({ length: 60 }, () =>
      new Promise<string>((resolve) => {
        const s = connect({ host: '127.0.0.1', port });
        socks.push(s);
        s.on('error', () => resolve('error'));
        s.on('close', () => resolve('closed'));
        s.on('data', (d) => resolve(JSON.parse(d.toString().split('\n')[0]).reply.ok ? 'served' : JSON.parse(d.toString().split('\n')[0]).reply.error));
        s.write('{"id":1,"op":{"f":"status"}}\n');
      }),
    ),
  );
  const served = results.filter((r) => r === 'served').length;
  const refused = results.filter((r) => r === 'too-many-connections').length;
  assert.equal(served, 19); // the cap, less the client kept open
  assert.equal(served + refused, 60);
  for (const s of socks) s.destroy();

  const r = await keep.read(1);
  assert.equal(r.status === 'ok' && r.value, 'before');
  const fresh = connectClient({ host: '127.0.0.1', port, node: 'a', timeoutMs: 2000 });
  await new Promise((res) => setTimeout(res, 50)); // let the closes land
  assert.equal((await fresh.write(2, 'after')).status, 'ok');
  await fresh.close();
  await keep.close();
});

test('fail vs info: refused before sending is fail, a timeout on a write is info, on a read fail', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-shell-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { shell, port } = await startShell(dir, [], new Set([5]));
  t.after(() => shell.stop());
  const c = connectClient({ host: '127.0.0.1', port, node: 'a', timeoutMs: 150 });
  assert.deepEqual(await c.write(5, 'v'), { status: 'info', node: 'a', error: 'timeout' });
  assert.deepEqual(await c.read(5), { status: 'fail', node: 'a', error: 'timeout' });
  assert.equal((await c.write(4, 'v')).status, 'ok'); // a fresh connection after the timeout
  await c.close();

  // A port nobody listens on: take a free one and close it.
  const free = await new Promise<number>((res) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => res(p));
    });
  });
  const dead = connectClient({ host: '127.0.0.1', port: free, node: 'b', timeoutMs: 500 });
  assert.deepEqual(await dead.write(0, 'v'), { status: 'fail', node: 'b', error: 'connection refused' });
  await dead.close();
});

test('a connection lost after sending a write is info', async () => {
  // A server that reads the request and hangs up without answering.
  const srv = createServer((s) => s.once('data', () => s.destroy()));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  const c = connectClient({ host: '127.0.0.1', port, node: 'a', timeoutMs: 1000 });
  assert.deepEqual(await c.write(0, 'v'), { status: 'info', node: 'a', error: 'connection lost' });
  await c.close();
  await new Promise((r) => srv.close(r));
});

test('a core exception is logged as a CORE-CRASH line and stops the node instead of serving on', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-shell-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = parseServerArgs(['--name', 'a', '--role', 'primary', '--data', dir, '--listen', '127.0.0.1:0', '--blocks', '8', '--max-value-bytes', '16']);
  const lines: string[] = [];
  let stopped!: () => void;
  const crashed = new Promise<void>((r) => (stopped = r));
  const shell = new NodeShell({
    config,
    log: (level, msg) => lines.push(`${level} ${msg}`),
    onCoreCrash: () => stopped(),
    createCore: (c) => {
      const inner = fakeCore(c);
      return { ...inner, step: (input) => { if (input.type === 'request' && input.request.f === 'write' && input.request.block === 5) throw new RangeError('core bug'); return inner.step(input); } };
    },
  });
  const { port } = await shell.start();
  t.after(() => shell.stop());
  const c = connectClient({ host: '127.0.0.1', port, node: 'a', timeoutMs: 2000 });
  assert.equal((await c.write(1, 'fine')).status, 'ok');
  const r = await c.write(5, 'boom');
  assert.equal(r.status, 'info', 'indeterminate: the write may or may not have happened');
  await crashed;
  const marks = parseCoreCrashes(lines.join('\n'), 'a');
  assert.equal(marks.length, 1);
  assert.equal(marks[0].node, 'a');
  assert.match(marks[0].input, /"f":"write".*"block":5/);
  assert.match(marks[0].stack, /^RangeError: core bug/);
  // stopped: nothing answers on the port any more
  const after = await c.read(1);
  assert.notEqual(after.status, 'ok');
  await c.close();
});
