// Simulated storage: the block store's disk model (nodes/blockstore/core/disk-model.ts), the
// same semantics of append, fsync and crash that the core's own test cluster uses.
export { RecordVolume as SimVolume } from '../../../nodes/blockstore/core/disk-model.js';
