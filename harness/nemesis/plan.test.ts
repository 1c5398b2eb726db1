import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '../../ground/rng.js';
import { InputError } from '../../ground/errors.js';
import { blockstore } from '../../nodes/blockstore/system.js';
import { conflicts as conflictsIn, generatePlan as generateIn, layerOf, nemesisSpace, parseNemesisKinds as parseIn, stepNodes as stepNodesIn, validatePlan as validateIn, type FaultStep, type PlanOptions } from './plan.js';

// The block store's space: what these plans were first written against.
const BS = nemesisSpace(blockstore, blockstore.nodes(blockstore.params.defaults));
type NemesisKind = string;
const generatePlan = (rng: Rng, o: PlanOptions) => generateIn(rng, BS, o);
const validatePlan = (plan: unknown) => validateIn(plan, BS);
const parseNemesisKinds = (spec: string) => parseIn(spec, BS);
const conflicts = (x: FaultStep, y: FaultStep) => conflictsIn(BS, x, y);
const stepNodes = (x: FaultStep) => stepNodesIn(BS, x);

const kindsArb = fc.subarray([...BS.kinds], { minLength: 1 });

test('the same seed draws the same plan; a different stream draws another', () => {
  const kinds: NemesisKind[] = ['partition', 'kill', 'pause', 'lose-journal'];
  const a = generatePlan(new Rng(7).fork('nemesis'), { kinds, timeLimitMs: 30_000 });
  const b = generatePlan(new Rng(7).fork('nemesis'), { kinds, timeLimitMs: 30_000 });
  const c = generatePlan(new Rng(8).fork('nemesis'), { kinds, timeLimitMs: 30_000 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.ok(a.length >= 3, `a 30 s run gets several faults, got ${a.length}`);
});

test('plans respect time, fault exclusivity, and site loss comes last', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 40 }), kindsArb, fc.integer({ min: 2_000, max: 60_000 }), (seed, kinds, timeLimitMs) => {
      const plan = generatePlan(new Rng(seed), { kinds, timeLimitMs });
      assert.deepEqual(validatePlan(plan), plan);
      for (let i = 0; i < plan.length; i++) {
        const s = plan[i];
        assert.ok(s.at < timeLimitMs, 'starts inside the run');
        assert.equal(s.id, i + 1);
        if (s.kind === 'lose-journal') assert.equal(s.durationMs, 0);
        for (let j = 0; j < i; j++) {
          const o = plan[j];
          const overlap = o.at <= s.at && s.at < o.at + Math.max(o.durationMs, 1);
          if (overlap) assert.ok(!conflicts(o, s), `steps ${o.id} and ${s.id} conflict while both active`);
          if (overlap && layerOf(o.kind) === layerOf(s.kind)) assert.ok(!stepNodes(s).some((n) => stepNodes(o).includes(n)));
        }
      }
      const sl = plan.findIndex((s) => s.kind === 'site-loss');
      if (kinds.includes('site-loss')) assert.equal(sl, plan.length - 1);
      else assert.equal(sl, -1);
      // Every fault asked for only: shapes restricted when a partition shape was named.
      for (const s of plan) {
        if (s.kind === 'partition') assert.ok(kinds.includes('partition') || kinds.includes(`partition-${s.shape}` as NemesisKind));
        else assert.ok(kinds.includes(s.kind as NemesisKind));
      }
    }),
    { numRuns: 200 },
  );
});

test('partition shapes cut the links they name', () => {
  const plan = generatePlan(new Rng(3), { kinds: ['partition-primary-partner'], timeLimitMs: 20_000 });
  assert.ok(plan.length > 0);
  for (const s of plan) assert.deepEqual(s.links, [['a', 'b'], ['b', 'a']]);
  const oneWay = generatePlan(new Rng(3), { kinds: ['partition-one-way'], timeLimitMs: 20_000 });
  for (const s of oneWay) assert.equal(s.links!.length, 1);
  const site = generatePlan(new Rng(3), { kinds: ['partition-site-dr'], timeLimitMs: 20_000 });
  for (const s of site) assert.equal(s.links!.length, 4);
});

test('nemesis lists parse, and bad ones are one-line input errors', () => {
  assert.deepEqual(parseNemesisKinds('none'), []);
  assert.deepEqual(parseNemesisKinds('kill, pause,kill'), ['kill', 'pause']);
  assert.throws(() => parseNemesisKinds('kill,explode'), (e: unknown) => e instanceof InputError && /explode/.test(e.message) && !e.message.includes('\n'));
  assert.throws(() => validatePlan([{ id: 1, at: 0, durationMs: 10, kind: 'kill' }]), InputError);
  assert.throws(() => validatePlan([{ id: 1, at: 0, durationMs: 10, kind: 'partition', targets: ['a'] }]), /links/);
  assert.throws(() => validatePlan([{ id: 1, at: 0, durationMs: 10, kind: 'kill', targets: ['z'] }]), (e: unknown) => e instanceof InputError && /'z'.*a, b, dr/.test(e.message));
  assert.throws(() => validatePlan([{ id: 1, at: 0, durationMs: 10, kind: 'failover', targets: ['a'] }]), (e: unknown) => e instanceof InputError && /kind 'failover'/.test(e.message));
});

test('a system without capabilities gets only the generic faults, over its own node names', () => {
  const plain = { ...blockstore, name: 'plain', capabilities: [], partitionShapes: {}, nodes: () => ['n1', 'n2', 'n3'], topology: (ns: readonly string[]) => ({ primary: ns[0], candidates: [...ns], readNodes: [...ns] }) };
  const space = nemesisSpace(plain, ['n1', 'n2', 'n3']);
  assert.deepEqual(space.kinds, ['partition', 'partition-isolate', 'partition-halves', 'partition-one-way', 'netem', 'kill', 'pause']);
  assert.throws(() => parseIn('lose-journal', space), InputError);
  const plan = generateIn(new Rng(11), space, { kinds: parseIn('all', space), timeLimitMs: 30_000 });
  assert.ok(plan.length > 3);
  for (const s of plan) {
    for (const t of s.targets) assert.ok(['n1', 'n2', 'n3', 'primary', 'partner'].includes(t), t);
    for (const [f, t] of s.links ?? []) assert.ok(space.nodes.includes(f) && space.nodes.includes(t));
  }
  assert.deepEqual(validateIn(plan, space), plan);
});
