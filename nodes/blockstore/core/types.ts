// The sans-IO contract of a block-store node (SYSTEM.md). A node core is a state machine:
// the shell (nodes/server: TCP + files) or the simulator (harness/runtime/sim: seeded
// network, clock, disk) feeds it Inputs and carries out the Effects it returns. The core
// never touches sockets, files, clocks or randomness: time arrives as `now` on every input.
//
// The owner of nodes/core may extend these types; keep the shape (step(input) -> effects)
// and keep both drivers compiling.

export type NodeName = 'a' | 'b' | 'dr';
export const NODE_NAMES: readonly NodeName[] = ['a', 'b', 'dr'];

/** The bug switches of SYSTEM.md; names are part of the interface. */
export const BUG_SWITCHES = [
  'ack-before-invalidate',
  'ack-without-partner',
  'torn-barrier',
  'skip-missing-data',
  'volatile-bitmap',
  'no-index-replication',
  'vault-no-flush',
  'ack-before-fsync',
  'sync-dr-journal',
] as const;
export type BugSwitch = (typeof BUG_SWITCHES)[number];

export interface NodeParams {
  /** Number of blocks in the volume. */
  blocks: number;
  /** Longest value a block accepts (bytes of UTF-8). */
  maxValueBytes: number;
  /** Read lease a grants b (ms of the node's clock). */
  leaseMs: number;
  /** How long b waits without hearing from a before taking over (> leaseMs). */
  takeoverMs: number;
  /** Heartbeat period between a and b. */
  heartbeatMs: number;
  /** Journal barrier closes every barrierMs or barrierWrites writes, whichever first. */
  barrierMs: number;
  barrierWrites: number;
  /** Replication journal capacity (entries) before it overflows and dr needs a bitmap resync. */
  journalCapacity: number;
  /** Peer request timeout before a retry. */
  retryMs: number;
}

export interface NodeConfig {
  name: NodeName;
  /** Role at first start; a node that restarts finds its current role from disk/epoch. */
  role: 'primary' | 'partner' | 'dr';
  bugs: readonly BugSwitch[];
  params: NodeParams;
}

// ---- storage ------------------------------------------------------------------------------
// Storage is a set of append-only record files on named volumes. `local` is the node's own
// NVRAM / volume; `backend` is the shared backend (mounted by a and b only). A record's
// location is its 0-based index in its file. Appended records are volatile until an fsync of
// that file completes: a crash may drop any unsynced suffix (the simulator drops it exactly;
// the real shell drops it on the lose-journal / kill-unsynced faults).
export type Volume = 'local' | 'backend';
export type RecordFile = { volume: Volume; file: string };

/** What the driver hands a (re)starting core: every record of every file it can see. */
export type DiskImage = Record<Volume, Record<string, string[]>>;

// ---- client requests ------------------------------------------------------------------------
export type ClientRequest =
  | { f: 'read'; block: number }
  | { f: 'write'; block: number; value: string }
  | { f: 'cas'; block: number; expected: string | null; value: string }
  | { f: 'status' }
  | { f: 'lose-journal' }
  | { f: 'dr-snapshot' }
  | { f: 'dr-restore'; barrier: number }
  | { f: 'promote' };

export type ClientReply =
  | {
      ok: true;
      node: NodeName;
      /** reads: the value (null = never written); cas: whether it swapped is `ok` itself. */
      value?: string | null;
      source?: 'oplog' | 'cache' | 'backend';
      version?: number;
      epoch?: number;
      /** status / dr-snapshot / dr-restore payloads. */
      status?: NodeStatus;
      image?: DrImage;
    }
  | {
      ok: false;
      node: NodeName;
      /** not-primary, no-lease, fenced, cas-mismatch, bad-block, value-too-long, bad-request,
       *  unavailable, recovering ... */
      error: string;
      /** true: the operation definitely did not take effect (history `fail`);
       *  false: it may have (history `info`). */
      definite: boolean;
      primary?: NodeName;
    };

export interface NodeStatus {
  node: NodeName;
  role: 'primary' | 'partner' | 'dr' | 'fenced' | 'recovering';
  epoch: number;
  /** Highest version this node has accepted/applied. */
  version: number;
  /** Journal barriers: last closed on a primary; last applied on dr. */
  barrier: number;
  /** dr only: false while a bitmap resync runs. */
  consistent?: boolean;
  resync?: { active: boolean; done: number; total: number };
  /** Version cut of dr's image (every block's latest write with version <= cut). */
  cut?: number;
  [extra: string]: unknown;
}

/** dr's image at a barrier: block -> value, with the barrier id and the version cut. */
export interface DrImage {
  barrier: number;
  cut: number;
  consistent: boolean;
  blocks: Record<number, { value: string; version: number }>;
}

// ---- inputs and effects -------------------------------------------------------------------
export type RequestId = string;
export type IoId = number;

export type Input =
  | { type: 'start'; now: number; disk: DiskImage }
  | { type: 'request'; now: number; req: RequestId; request: ClientRequest }
  | { type: 'message'; now: number; from: NodeName; msg: PeerMessage }
  | { type: 'timer'; now: number; timer: string }
  | { type: 'io-done'; now: number; io: IoId; ok: boolean; records?: string[] };

export type Effect =
  | { type: 'reply'; req: RequestId; reply: ClientReply }
  | { type: 'send'; to: NodeName; msg: PeerMessage }
  | { type: 'set-timer'; timer: string; at: number }
  | { type: 'cancel-timer'; timer: string }
  | { type: 'append'; io: IoId; target: RecordFile; records: string[] }
  | { type: 'fsync'; io: IoId; target: RecordFile }
  /** Read records [from, to) of a file (b reads the backend at a cached location). */
  | { type: 'read'; io: IoId; target: RecordFile; from: number; to: number }
  /** Remove a file entirely (journal truncation, lose-journal). */
  | { type: 'delete'; io: IoId; target: RecordFile }
  | { type: 'log'; level: 'info' | 'warn'; msg: string };

/** Peer messages are plain JSON; the core owns their shapes. */
export type PeerMessage = { kind: string; [field: string]: unknown };

export interface NodeCore {
  readonly name: NodeName;
  step(input: Input): Effect[];
}
