import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { FrameDecoder } from '../wire/frames.js';
import { PeerLinks } from './peers.js';

const quiet = () => undefined;
const tune = { maxQueuedBytes: 256 * 1024, connectTimeoutMs: 300, stallMs: 150, backoffMinMs: 20, backoffMaxMs: 100 };

function listen(onConn: (s: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onConn);
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ server, port: (server.address() as { port: number }).port })));
}

test('messages arrive after a hello; sends to a peer that is not up yet queue, then flow once it is', async () => {
  const got: unknown[] = [];
  let hello: unknown;
  const { server, port } = await listen((s) => {
    const d = new FrameDecoder();
    s.on('data', (c) => {
      for (const ev of d.push(c)) if (ev.kind === 'frame') (hello === undefined ? (hello = ev.value) : got.push(ev.value));
    });
  });
  const links = new PeerLinks('a', new Map([['b', { host: '127.0.0.1', port }]]), quiet, tune);
  for (let i = 0; i < 5; i++) links.send('b', { kind: 'ping', i });
  links.send('dr', { kind: 'nowhere' }); // not a configured peer: dropped silently
  while (got.length < 5) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(hello, { peer: 'a' });
  assert.deepEqual(got, [0, 1, 2, 3, 4].map((i) => ({ msg: { kind: 'ping', i } })));
  links.close();
  server.close();
});

test('a black-holed peer never blocks the sender: bounded queue, drops, stall teardown and redial', async () => {
  let conns = 0;
  const held: Socket[] = [];
  const { server, port } = await listen((s) => {
    conns++;
    s.pause(); // never reads: the link's buffers fill and stop draining
    held.push(s);
  });
  const links = new PeerLinks('a', new Map([['b', { host: '127.0.0.1', port }]]), quiet, tune);
  while (conns === 0) await new Promise((r) => setTimeout(r, 10));
  const big = 'x'.repeat(16 * 1024);
  const t0 = performance.now();
  for (let i = 0; i < 2000; i++) links.send('b', { kind: 'bulk', big });
  assert.ok(performance.now() - t0 < 2000, 'sending never waits on the peer');
  const st = links.stats().b;
  assert.ok(st.dropped > 0, `dropped ${st.dropped}`);
  // Once the stall is noticed the link is torn down and redialled.
  const deadline = Date.now() + 5000;
  while (conns < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(conns >= 2, `redialled (${conns} connections)`);
  links.close();
  for (const s of held) s.destroy();
  server.close();
});
