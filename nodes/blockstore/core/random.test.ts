// Seeded random fault schedules (testing/nemesis.ts) with no bug switch on: reads fresh, acked
// writes kept, dr converged after heal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { runSchedule, step } from './testing/nemesis.js';

test('random faults, no bug switch: reads fresh, acked writes kept, dr converges', () => {
  fc.assert(
    fc.property(fc.array(step, { minLength: 20, maxLength: 80 }), (faults) => {
      const err = runSchedule(faults);
      assert.equal(err, null);
    }),
    { numRuns: 25, seed: 424242 },
  );
});
