// The workloads `chaos run --workload` knows. Which of them a system supports, with its
// defaults, is the system's word (System.workloads).
import type { Workload } from './types.js';
import { register } from './register.js';
import { failover } from './failover.js';
import { dr } from './dr.js';
import { set } from './set.js';

const BY_NAME: Readonly<Record<string, Workload>> = { register, failover, dr, set };

export const WORKLOAD_NAMES = Object.keys(BY_NAME);

export function getWorkload(name: string): Workload | undefined {
  return BY_NAME[name];
}
export type { Workload, WorkloadContext } from './types.js';
