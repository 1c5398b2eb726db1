// The built-in systems as values, for code that must judge a config without waiting (a suite
// file is checked line by line before anything runs). `chaos run` loads them lazily instead
// (load.ts), so a block-store run never loads the etcd or Redis modules.
import type { System } from '../../ground/system.js';
import { blockstore } from '../../nodes/blockstore/system.js';
import { system as etcd } from '../../nodes/etcd/system.js';
import { system as redis } from '../../nodes/redis/system.js';

export const BUILT_IN: Readonly<Record<string, System>> = { blockstore, etcd, redis };
