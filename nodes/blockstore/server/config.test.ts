import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../../ground/errors.js';
import { parseServerArgs } from './config.js';

const base = ['--name', 'a', '--role', 'primary', '--data', '/tmp/x', '--listen', '127.0.0.1:0'];

test('a full command line parses', () => {
  const c = parseServerArgs([...base, '--backend', '/tmp/be', '--peer', 'b=127.0.0.1:7001', '--peer', 'dr=[::1]:7002', '--bug', 'torn-barrier', '--blocks', '128', '--lease-ms', '300', '--drop-unsynced']);
  assert.equal(c.node.name, 'a');
  assert.deepEqual(c.node.bugs, ['torn-barrier']);
  assert.equal(c.node.params.blocks, 128);
  assert.equal(c.node.params.leaseMs, 300);
  assert.deepEqual(c.peers.get('dr'), { host: '::1', port: 7002 });
  assert.equal(c.dropUnsynced, true);
  assert.equal(c.backendDir, '/tmp/be');
});

test('mistakes are one-line input errors', () => {
  const cases: [string[], RegExp][] = [
    [[...base, '--bug', 'nope'], /--bug: unknown bug switch "nope"/],
    [[...base, '--frobnicate'], /Unknown option '--frobnicate'/],
    [[...base, '--blocks', '0'], /--blocks: expected a positive integer/],
    [[...base, '--peer', 'c=1.2.3.4:5'], /--peer: expected NAME=HOST:PORT/],
    [[...base, '--peer', 'a=127.0.0.1:1'], /not its own peer/],
    [['--name', 'a', '--role', 'primary', '--data', 'd'], /--listen: is required/],
    [['--name', 'z', '--role', 'primary', '--data', 'd', '--listen', 'h:1'], /--name: expected a\|b\|dr/],
    [[...base.slice(0, 6), '--listen', 'nohost'], /--listen: expected HOST:PORT/],
  ];
  for (const [argv, re] of cases) {
    assert.throws(() => parseServerArgs(argv), (e: unknown) => e instanceof InputError && re.test(e.message) && !e.message.includes('\n'), argv.join(' '));
  }
});
