// The sans-IO block-store node (SYSTEM.md): `createNode(config).step(input) -> effects`.
// Drivers: nodes/server (TCP + files), harness/runtime/sim (seeded network/clock/disk), and
// nodes/core/testing (the in-memory cluster the unit tests use).
import { Node } from './node.js';
import type { NodeConfig, NodeCore } from './types.js';

export * from './types.js';
export { TO_END } from './ctx.js';
export { VERSION_SPAN, epochOfVersion } from './records.js';

/** Throws on an unknown bug switch (a start-time error, never ignored). */
export function createNode(config: NodeConfig): NodeCore {
  return new Node(config);
}
export { corruptJournal, JOURNAL_CORRUPTIONS, type JournalCorruption } from './corrupt.js';
