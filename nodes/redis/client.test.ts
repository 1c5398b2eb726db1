// The Redis client's ok / fail / info rule and its RESP framing, against a scripted server on
// loopback: what each reply (or silence) means for the history, and that one op is one command.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it, test } from 'node:test';
import { RedisClient } from './client.js';
import { encodeCommand, parseReply, RedisError } from './resp.js';

test('RESP: commands are arrays of bulk strings; replies of every type parse, split anywhere', () => {
  assert.equal(encodeCommand(['SET', 'k', 'é']).toString(), '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n');
  const wire = Buffer.from('+OK\r\n-READONLY no\r\n:7\r\n$-1\r\n$3\r\nabc\r\n*2\r\n$1\r\n1\r\n:2\r\n*-1\r\n');
  const all: unknown[] = [];
  let pos = 0;
  for (;;) {
    const r = parseReply(wire, pos);
    if (!r) break;
    all.push(r.reply);
    pos = r.next;
  }
  assert.deepEqual(all.map((r) => (r instanceof RedisError ? `ERR:${r.code}` : r)), ['OK', 'ERR:READONLY', 7, null, 'abc', ['1', 2], null]);
  // Every strict prefix of a reply is incomplete, never a wrong parse.
  const one = Buffer.from('*2\r\n$3\r\nabc\r\n:12\r\n');
  for (let i = 0; i < one.length; i++) assert.equal(parseReply(one.subarray(0, i)), null);
});

/** A server whose answer to each command is chosen by the test. */
describe('redis client outcomes', () => {
  let server: Server;
  let port: number;
  let answer: (args: string[]) => string | null = () => '+OK\r\n';
  const seen: string[][] = [];
  const sockets = new Set<Socket>();

  before(async () => {
    server = createServer((s) => {
      sockets.add(s);
      let buf = Buffer.alloc(0);
      s.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        for (;;) {
          const r = parseReply(buf);
          if (!r) break;
          buf = buf.subarray(r.next);
          const args = r.reply as string[];
          seen.push(args);
          const a = answer(args);
          if (a === 'CLOSE') s.destroy();
          else if (a?.startsWith('LATE:')) setTimeout(() => s.writable && s.write(a.slice(5)), 500);
          else if (a !== null) s.write(a);
        }
      });
      s.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });

  const client = () => new RedisClient('n1', { host: '127.0.0.1', port }, 300);

  it('ok replies: values round-trip as JSON, a set read is sorted', async () => {
    const c = client();
    answer = (a) => (a[0] === 'GET' ? '$2\r\n42\r\n' : a[0] === 'SMEMBERS' ? '*3\r\n$1\r\n3\r\n$1\r\n1\r\n$3\r\n"x"\r\n' : ':1\r\n');
    assert.deepEqual(await c.invoke({ f: 'read', key: 'k' }), { status: 'ok', node: 'n1', value: 42 });
    assert.deepEqual(await c.invoke({ f: 'read-set', key: 's' }), { status: 'ok', node: 'n1', value: [1, 3, 'x'] });
    assert.equal((await c.invoke({ f: 'add', key: 's', value: 5 })).status, 'ok');
    assert.deepEqual(seen.at(-1), ['SADD', 's', '5']);
    await c.close();
  });

  it('cas is one EVAL; 0 means the value differed (fail), expecting null sends the absent flag', async () => {
    const c = client();
    answer = () => ':0\r\n';
    const n = seen.length;
    const r = await c.invoke({ f: 'cas', key: 'k', value: [null, 2] });
    assert.equal(r.status, 'fail');
    assert.equal(seen.length, n + 1, 'exactly one command');
    assert.deepEqual([seen.at(-1)![0], seen.at(-1)![2], seen.at(-1)![3], seen.at(-1)![5], seen.at(-1)![6]], ['EVAL', '1', 'k', '2', '1']);
    answer = () => ':1\r\n';
    assert.equal((await c.invoke({ f: 'cas', key: 'k', value: [1, 2] })).status, 'ok');
    assert.deepEqual(seen.at(-1)!.slice(4), ['1', '2', '0']);
    await c.close();
  });

  it('an error reply is fail (Redis refused it whole)', async () => {
    const c = client();
    answer = () => "-READONLY You can't write against a read only replica.\r\n";
    const r = await c.invoke({ f: 'write', key: 'k', value: 1 });
    assert.equal(r.status, 'fail');
    assert.equal(r.meta?.error, 'READONLY');
    await c.close();
  });

  it('silence: a write is info, a read is fail; the late reply does not answer the next op', async () => {
    const c = client();
    answer = () => null;
    assert.equal((await c.invoke({ f: 'write', key: 'k', value: 1 })).status, 'info');
    assert.equal((await c.invoke({ f: 'add', key: 's', value: 1 })).status, 'info');
    answer = () => 'LATE:$1\r\n1\r\n';
    assert.equal((await c.invoke({ f: 'read', key: 'k' })).status, 'fail');
    answer = (a) => (a[0] === 'GET' ? '$1\r\n9\r\n' : '+OK\r\n');
    assert.deepEqual(await c.invoke({ f: 'read', key: 'k' }), { status: 'ok', node: 'n1', value: 9 });
    await c.close();
  });

  it('a connection closed after sending: write info; nothing listening: fail, nothing sent', async () => {
    const c = client();
    answer = () => 'CLOSE';
    assert.equal((await c.invoke({ f: 'write', key: 'k', value: 1 })).status, 'info');
    await c.close();
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const d = new RedisClient('n2', { host: '127.0.0.1', port: deadPort }, 300);
    const r = await d.invoke({ f: 'write', key: 'k', value: 1 });
    assert.equal(r.status, 'fail');
    assert.equal(r.meta?.error, 'unsent');
    await d.close();
  });
});
