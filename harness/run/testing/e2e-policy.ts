// How many seeds the docker end-to-end test gives each bug case before it calls the switch
// unfound. Real timing varies, and on a loaded 2-core machine (CI runners, or this one shared
// by several jobs) a single run finds some switches less often than on an idle one, so the
// test retries with the next seed and stops at the first find: a case costs one run when the
// switch is found at once and only pays for more when it is not. The numbers come from
// scripts/e2e-under-load.ts (found rates under load are in harness/run/README.md).
import type { BugCase } from './e2e.js';

/** Workload seconds of a docker e2e run without a shape of its own. */
export const DOCKER_TIME_S = 6;
/** Cases run on the workload's default shape. */
export const MAX_SEEDS = 3;
/** Cases with a docker shape of their own (fixed plan, parameters). */
export const MAX_SEEDS_SHAPED = 4;

export function seedsFor(c: BugCase): number {
  const d = c.docker ?? {};
  if (d.todo) return 1;
  if (c.dockerSeeds) return c.dockerSeeds;
  return d.plan || d.timeLimitS ? MAX_SEEDS_SHAPED : MAX_SEEDS;
}
