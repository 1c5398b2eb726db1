// The etcd client's ok / fail / info rule and request shapes, against a scripted stand-in for
// the v3 JSON gateway on loopback: one op is one POST, timeouts and errors map as documented.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { EtcdClient } from './client.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('etcd client outcomes', () => {
  let server: Server;
  let port: number;
  const seen: { path: string; body: Record<string, unknown> }[] = [];
  let answer: (path: string, body: Record<string, unknown>) => { status?: number; json?: unknown; hang?: boolean } = () => ({ json: {} });

  before(async () => {
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (d) => (text += d));
      req.on('end', () => {
        const body = JSON.parse(text || '{}') as Record<string, unknown>;
        seen.push({ path: req.url!, body });
        const a = answer(req.url!, body);
        if (a.hang) return;
        res.writeHead(a.status ?? 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(a.json ?? {}));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  // Generous where an answer comes (the first fetch of a process loads undici; the machine is
  // shared), short where the test waits for a timeout.
  const client = (serializableReads = false, timeoutMs = 5000) => new EtcdClient('n1', { host: '127.0.0.1', port }, { timeoutMs, serializableReads });
  const impatient = () => client(false, 300);

  it('read is one range; absent is null; serializable only when asked', async () => {
    answer = () => ({ json: { header: { revision: '5' }, kvs: [{ key: b64('k'), value: b64('42'), mod_revision: '4' }], count: '1' } });
    assert.deepEqual(await client().invoke({ f: 'read', key: 'k' }), { status: 'ok', node: 'n1', value: 42, meta: { revision: 4, serializable: false } });
    assert.deepEqual(seen.at(-1), { path: '/v3/kv/range', body: { key: b64('k') } });
    answer = () => ({ json: { header: { revision: '5' } } });
    const r = await client(true).invoke({ f: 'read', key: 3 });
    assert.equal(r.status === 'ok' ? r.value : 'x', null);
    assert.deepEqual(seen.at(-1)!.body, { key: b64('3'), serializable: true });
  });

  it('cas is one txn comparing the value (or, for null, that the key was never created); no succeeded = fail', async () => {
    answer = () => ({ json: { header: { revision: '9' }, succeeded: true } });
    assert.equal((await client().invoke({ f: 'cas', key: 'k', value: [1, 2] })).status, 'ok');
    const txn = seen.at(-1)!;
    assert.equal(txn.path, '/v3/kv/txn');
    assert.deepEqual(txn.body.compare, [{ key: b64('k'), target: 'VALUE', result: 'EQUAL', value: b64('1') }]);
    assert.deepEqual(txn.body.success, [{ request_put: { key: b64('k'), value: b64('2') } }]);
    await client().invoke({ f: 'cas', key: 'k', value: [null, 2] });
    assert.deepEqual(seen.at(-1)!.body.compare, [{ key: b64('k'), target: 'CREATE', result: 'EQUAL', create_revision: '0' }]);
    // proto3 JSON leaves `succeeded: false` out.
    answer = () => ({ json: { header: { revision: '9' } } });
    const r = await client().invoke({ f: 'cas', key: 'k', value: [1, 2] });
    assert.equal(r.status, 'fail');
  });

  it('a write that times out or gets a server error is info; a read that does is fail', async () => {
    answer = () => ({ hang: true });
    assert.equal((await impatient().invoke({ f: 'write', key: 'k', value: 1 })).status, 'info');
    assert.equal((await impatient().invoke({ f: 'cas', key: 'k', value: [1, 2] })).status, 'info');
    assert.equal((await impatient().invoke({ f: 'read', key: 'k' })).status, 'fail');
    answer = () => ({ status: 503, json: { error: 'etcdserver: request timed out', code: 14, message: 'etcdserver: request timed out' } });
    const w = await client().invoke({ f: 'write', key: 'k', value: 1 });
    assert.deepEqual([w.status, w.status !== 'ok' ? w.error : ''], ['info', 'etcdserver: request timed out']);
    assert.equal((await client().invoke({ f: 'read', key: 'k' })).status, 'fail');
  });

  it('a refusal before raft (too many requests) is fail; so is a write that could not connect', async () => {
    answer = () => ({ status: 429, json: { error: 'etcdserver: too many requests', code: 8, message: 'etcdserver: too many requests' } });
    assert.equal((await client().invoke({ f: 'write', key: 'k', value: 1 })).status, 'fail');
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const deadPort = (dead.address() as { port: number }).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const c = new EtcdClient('n2', { host: '127.0.0.1', port: deadPort }, { timeoutMs: 5000 });
    const r = await c.invoke({ f: 'write', key: 'k', value: 1 });
    assert.deepEqual([r.status, r.status !== 'ok' ? r.error : ''], ['fail', 'ECONNREFUSED']);
  });

  it('status names the leader by member id', async () => {
    answer = () => ({ json: { header: { member_id: '7', raft_term: '3', revision: '11' }, leader: '7', raftIndex: '20', raftTerm: '3' } });
    const s = await client().status();
    assert.deepEqual([s?.role, s?.epoch, s?.version], ['leader', 3, 11]);
    answer = () => ({ json: { header: { member_id: '7' }, leader: '9' } });
    assert.equal((await client().status())?.role, 'follower');
  });
});
