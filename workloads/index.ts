// The workloads `chaos run --workload` knows.
import type { Workload, WorkloadDefaults } from './types.js';
import { register } from './register.js';
import { failover } from './failover.js';
import { dr } from './dr.js';

export const WORKLOAD_NAMES = ['register', 'failover', 'dr'] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

const BY_NAME: Record<WorkloadName, Workload> = { register, failover, dr };

export function getWorkload(name: WorkloadName): Workload {
  return BY_NAME[name];
}
export function workloadDefaults(name: WorkloadName): WorkloadDefaults {
  return BY_NAME[name].defaults;
}
export type { Workload, WorkloadContext } from './types.js';
