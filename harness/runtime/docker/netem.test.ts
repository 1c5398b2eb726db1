// Link impairments on real containers (netem of the Runtime seam): the block store through the
// generic runtime, each impairment measured where it must show (a write waiting for the
// partner's invalidation ack, TCP connects from inside one node's container to another's), and
// gone again when restored, across restarts of either end, and after healAll. One cluster of
// this test's own run id; down() removes it and nothing else.
import assert from 'node:assert/strict';
import { after, before, describe, it, test } from 'node:test';
import Docker from 'dockerode';
import { blockstore, NODE_PORT } from '../../../nodes/blockstore/system.js';
import { createContainerRuntime, type ContainerRuntime } from './cluster.js';
import { execIn } from './dockerio.js';
import { isDockerAvailable } from './engine.js';
import { leftovers, until } from './testkit.js';

test('an impairment is checked before anything is done: finite, non-negative, chances at most 1, known fields', async () => {
  const rt = createContainerRuntime({ runId: 'netem-check' });
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ lossP: 2 }, /^Error: netem a->b: lossP must be a number in \[0, 1\], got 2$/],
    [{ dupP: -0.1 }, /dupP must be a number in \[0, 1\]/],
    [{ reorderP: Number.NaN }, /reorderP must be a number in \[0, 1\], got NaN/],
    [{ delayMs: -5 }, /delayMs must be a number in \[0, \d+\] ms, got -5/],
    [{ jitterMs: Number.POSITIVE_INFINITY }, /jitterMs must be a number .* got Infinity/],
    [{ delayMs: '150' }, /delayMs must be a number/],
    [{ delay: 150 }, /unknown field 'delay' \(expected delayMs, jitterMs, lossP, dupP, reorderP\)/],
  ];
  for (const [imp, re] of bad) await assert.rejects(rt.netem('a', 'b', imp as never), (e: Error) => re.test(String(e)), JSON.stringify(imp));
});

const available = await isDockerAvailable();
const skip = available ? false : 'no docker engine answers (run scripts/setup.sh to install and start one)';
if (!available && process.env.CI) {
  test('docker engine is required in CI', () => assert.fail('no docker engine answers; CI must run scripts/setup.sh first'));
}

const docker = new Docker();
const runId = `test-netem-${process.pid}`;
const DELAY = 150;

describe('link impairments (netem) on real containers', { skip }, () => {
  let rt: ContainerRuntime;

  /** TCP connect times (ms) from inside `from`'s container to `to`'s server, `n` one after
   *  another ('timeout' after `timeoutMs`). A connect takes one round trip: SYN there, SYN-ACK
   *  back, so a delay either way shows in full. */
  async function connects(from: string, to: string, n = 3, timeoutMs = 1000): Promise<Array<number | string>> {
    const js = `const net=require('net');require('dns').lookup(${JSON.stringify(rt.where(to).container)},(e,ip)=>{` +
      `if(e){console.log(JSON.stringify([e.code]));return}const out=[];` +
      `const one=()=>{if(out.length>=${n}){console.log(JSON.stringify(out));process.exit(0)}let done=false;` +
      `const fin=(v)=>{if(done)return;done=true;clearTimeout(t);s.destroy();out.push(v);one()};` +
      `const t0=process.hrtime.bigint();const s=net.connect(${NODE_PORT},ip);` +
      `const t=setTimeout(()=>fin('timeout'),${timeoutMs});` +
      `s.on('connect',()=>fin(Number(process.hrtime.bigint()-t0)/1e6));s.on('error',(e)=>fin(e.code))};one()})`;
    const r = await execIn(docker, rt.where(from).id, ['/usr/bin/node', '-e', js]);
    return JSON.parse(r.output.trim().split('\n').pop()!) as Array<number | string>;
  }

  const fastest = (xs: Array<number | string>) => Math.min(...xs.map((x) => (typeof x === 'number' ? x : Infinity)));

  async function assertDelayed(from: string, to: string, atLeast: number, why: string): Promise<void> {
    const ms = await connects(from, to, 2);
    assert.ok(ms.every((x) => typeof x === 'number' && x >= atLeast), `${why}: connects ${from}->${to} took ${JSON.stringify(ms)} ms, expected each >= ${atLeast}`);
  }

  async function assertFast(from: string, to: string, why: string): Promise<void> {
    const ms = await connects(from, to);
    assert.ok(fastest(ms) < 50, `${why}: connects ${from}->${to} took ${JSON.stringify(ms)} ms, expected one under 50`);
  }

  async function timedWrite(key: number): Promise<number> {
    const t0 = performance.now();
    const w = await rt.client('a').invoke({ f: 'write', key, value: `v${key}-${Date.now()}` });
    assert.equal(w.status, 'ok', JSON.stringify(w));
    return performance.now() - t0;
  }

  async function paired(): Promise<string> {
    return until('a primary paired with its partner', 15_000, async () => {
      for (const n of ['a', 'b']) {
        const st = (await rt.status(n)) as Record<string, unknown> | null;
        if (st?.role === 'primary' && st.partner === 'paired') return n;
      }
      return null;
    });
  }

  before(async () => {
    rt = createContainerRuntime({ runId });
    await rt.up({ runId, system: blockstore, nodes: ['a', 'b', 'dr'], bugs: [], params: {}, clientTimeoutMs: 1500, logDir: '', seed: 1 });
  });

  after(async () => {
    await rt?.down();
  });

  it(`a ${DELAY} ms delay on a->b makes each write at a wait that long for b's ack; restored, writes are fast again`, async () => {
    assert.equal(await paired(), 'a');
    for (let k = 0; k < 3; k++) await timedWrite(k);
    await rt.netem('a', 'b', { delayMs: DELAY });
    const slow = [];
    for (let k = 0; k < 3; k++) slow.push(await timedWrite(k));
    assert.ok(slow.every((ms) => ms >= DELAY), `writes under the delay took ${slow.map(Math.round)} ms`);
    await assertFast('dr', 'b', 'only the impaired link is slow');
    const st = await rt.netemState('a');
    assert.equal(st.rules.length, 2, `the mark's rule and one link's: ${st.rules.join(' | ')}`);
    assert.match(st.rules[1]!, new RegExp(`-d ${rt.where('b').ip!.replace(/\./g, '\\.')}/32 .*NFQUEUE`));
    assert.equal(st.daemons, 1);
    await rt.netem('a', 'b', null);
    const fast = [];
    for (let k = 0; k < 3; k++) fast.push(await timedWrite(k));
    assert.ok(Math.min(...fast) < DELAY / 2, `writes after the restore took ${fast.map(Math.round)} ms`);
    await until('a holds no impairment', 3000, async () => ((s) => (s.rules.length === 0 && s.daemons === 0 ? s : null))(await rt.netemState('a')));
  });

  it('loss 1.0 both ways between a and b splits them as a cut does; restored, they pair again', async () => {
    await rt.netem('a', 'b', { lossP: 1 });
    await rt.netem('b', 'a', { lossP: 1 });
    assert.deepEqual(await connects('a', 'b', 1, 500), ['timeout']);
    assert.deepEqual(await connects('b', 'a', 1, 500), ['timeout']);
    await assertFast('dr', 'a', 'the other links are untouched');
    // a stops counting b as its partner (and then acks alone), or b takes over: either way the
    // pair has split, which a lossless link never does.
    await until('a and b split', 5000, async () => {
      const [sa, sb] = (await Promise.all([rt.status('a'), rt.status('b')])) as Array<Record<string, unknown> | null>;
      return (sa?.role === 'primary' && sa.partner !== 'paired') || sb?.role === 'primary' ? true : null;
    });
    const host = (await rt.client('a').invoke({ f: 'status' })).status;
    assert.equal(host, 'ok', "the harness's own traffic to a is not impaired");
    await rt.netem('a', 'b', null);
    await rt.netem('b', 'a', null);
    await assertFast('a', 'b', 'restored');
    await paired();
  });

  it('an impairment survives restarts of the sender and the receiver, lands on a paused sender, is replaced by a second one, and healAll removes every one', async () => {
    await rt.netem('a', 'b', { delayMs: DELAY });
    await assertDelayed('a', 'b', DELAY, 'applied');
    await rt.kill('a');
    await rt.start('a');
    await assertDelayed('a', 'b', DELAY, "the sender's new life re-applied it");
    await rt.kill('b');
    await rt.start('b');
    await assertDelayed('a', 'b', DELAY, "it follows the receiver's new address");
    // Replaced: one chaos-netemd for the link, with the new delay.
    await rt.netem('a', 'b', { delayMs: 2 * DELAY, jitterMs: 10 });
    await assertDelayed('a', 'b', 2 * DELAY - 10, 'replaced');
    await until('the replaced chaos-netemd is gone', 3000, async () => ((s) => (s.daemons === 1 ? s : null))(await rt.netemState('a')));
    // A frozen sender gets it too: its helper is not frozen with it.
    await rt.pause('dr');
    await rt.netem('dr', 'b', { delayMs: DELAY });
    await rt.resume('dr');
    await assertDelayed('dr', 'b', DELAY, 'applied while the sender was paused');
    await rt.kill('dr');
    await rt.healAll();
    for (const n of ['a', 'b', 'dr']) {
      const s = await until(`${n} holds no impairment`, 3000, async () => ((st) => (st.rules.length === 0 && st.daemons === 0 ? st : null))(await rt.netemState(n)));
      assert.deepEqual(s, { rules: [], daemons: 0 });
    }
    await assertFast('a', 'b', 'healed');
    await assertFast('dr', 'b', 'healed');
  });

  it('down leaves nothing of the run', async () => {
    await rt.down();
    assert.deepEqual(await leftovers(docker, runId), { containers: 0, networks: 0, volumes: 0 });
  });
});
