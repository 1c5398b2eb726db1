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
  // Switches only the issue-14 faults can find (clock drift, journal corruption, disk errors).
  'lease-ignores-drift',
  'trust-journal',
  'ack-after-failed-fsync',
] as const;
export type BugSwitch = (typeof BUG_SWITCHES)[number];

/**
 * The clock bound the lease arithmetic tolerates (core README, "Clocks"): any two nodes'
 * clock rates differ by at most this factor minus one (0.2: one clock may run up to 20% faster
 * than another). Constant offsets between nodes are always harmless (no time is compared across
 * nodes); a clock that steps within one incarnation is outside the contract.
 */
export const CLOCK_DRIFT_BOUND = 0.2;

/**
 * Coverage marks (TigerBeetle's marks, Antithesis's "sometimes" assertions): a named event the
 * core emits as a `mark` effect each time it takes one of a mechanism's interesting paths.
 * Drivers count them per node (sim: `SimWorld.marks()`; real shell: `marks` in the status
 * reply), so a run can report them and a sweep can list the ones no seed reached.
 */
export const MARKS = [
  // mech 1: partner location cache and read leases
  'partner-cache-hit', // b served a read from its location cache under a lease
  'partner-lease-expired', // b refused a read: its lease had run out
  'lease-drift-margin', // b refused a read inside the clock-drift margin of its lease
  'lease-wait', // a waited out b's read lease before acking without b
  'partner-out-of-sync', // a stopped pairing with b (silence, unanswered invalidation)
  'partner-resynced', // b took a's resync snapshot and is in sync again
  // mech 4: takeover
  'takeover', // b won the epoch and serves as primary
  'takeover-mirror-replay', // ... with mirrored oplog entries overlaid on the backend index
  'fencing-refusal', // a primary learned of a newer epoch and stepped down (its acks refused)
  'dr-stale-epoch-refused', // dr refused a message from an epoch older than the newest it saw
  // mech 5: vault
  'vault-flush', // a restarting owner flushed dirty vault pages before serving
  // mech 2: journal loss and bitmap recovery
  'journal-lost', // the journal could no longer cover dr (lose-journal, crash, corruption)
  'journal-overflow', // the journal overflowed its capacity during a dr lag
  'bitmap-resync-started', // a resync of the recovery bitmap's blocks began
  'full-resync-started', // a resync of every block (dr from another lineage) began
  'bitmap-resync-interrupted', // a resync was abandoned before it finished
  'bitmap-resync-finished', // dr applied a resync's close and is consistent again
  // mech 3 / 7: barriers
  'metadata-only-entry', // a journal entry kept only its metadata (dr lagging)
  'metadata-only-interval', // a barrier shipped with an interval end (dr consistent only later)
  'barrier-streamed', // a part of the open barrier went out before its close
  'barrier-applied', // dr applied a whole barrier
  // mech 6 / 8
  'restore-earlier-barrier', // dr rebuilt the image of a barrier older than its latest
  'promotion', // dr was promoted to primary after a site loss
  // the issue-14 faults
  'journal-corruption-detected', // a journal record failed its checksum at restart
  'disk-error-write-retried', // a client write's fsync failed: its records were written again before the ack
  'disk-error-retried', // an internal fsync failed and was retried before going on
] as const;
export type Mark = (typeof MARKS)[number];

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
  /** `error`: the errno name of a failed IO (EIO, ENOSPC ...), when the driver knows it. A
   *  failed append is also reported by the next fsync of its file (it fails too). */
  | { type: 'io-done'; now: number; io: IoId; ok: boolean; records?: string[]; error?: string };

export type Effect =
  | { type: 'reply'; req: RequestId; reply: ClientReply }
  | { type: 'send'; to: NodeName; msg: PeerMessage }
  | { type: 'set-timer'; timer: string; at: number }
  | { type: 'cancel-timer'; timer: string }
  /** `unawaited`: no continuation waits for this IO, so its completion would change nothing
   *  and a driver may leave it unreported (the simulator does: one event fewer per record
   *  appended). Its effect on the disk is the same. */
  | { type: 'append'; io: IoId; target: RecordFile; records: string[]; unawaited?: true }
  | { type: 'fsync'; io: IoId; target: RecordFile; unawaited?: true }
  /** Read records [from, to) of a file (b reads the backend at a cached location). */
  | { type: 'read'; io: IoId; target: RecordFile; from: number; to: number }
  /** Remove a file entirely (journal truncation, lose-journal). */
  | { type: 'delete'; io: IoId; target: RecordFile; unawaited?: true }
  | { type: 'log'; level: 'info' | 'warn'; msg: string }
  /** A coverage mark (MARKS): the driver counts it for this node; it changes nothing. */
  | { type: 'mark'; name: Mark };

/** Peer messages are plain JSON; the core owns their shapes. */
export type PeerMessage = { kind: string; [field: string]: unknown };

export interface NodeCore {
  readonly name: NodeName;
  step(input: Input): Effect[];
}
