// The history model: one event a line of history.jsonl (see docs/architecture.md).
// Every checker reads these; every runtime and workload writes them through HistoryWriter.

/** invoke opens an operation; ok/fail/info complete it (fail: definitely did not happen,
 *  info: may or may not have happened). Nemesis events are always `info`. */
export type EventType = 'invoke' | 'ok' | 'fail' | 'info';

/** A client process id, or the nemesis. */
export type ProcessId = number | 'nemesis';

/** Where a read's value came from on the serving node (SYSTEM.md, mechanism 1 and 4). */
export type ReadSource = 'oplog' | 'cache' | 'backend';

export interface HistoryEvent {
  /** 0-based position in the history, strictly increasing. */
  index: number;
  /** Nanoseconds since run start, monotonic (virtual in the sim runtime). */
  time: number;
  process: ProcessId;
  type: EventType;
  /** Operation: read | write | cas | get | put | append | dr-snapshot | dr-restore | final-read ...
   *  For the nemesis: `start` or `stop` (the fault itself is in `value`). */
  f: string;
  /** The block (storage workloads) or key (kv histories); absent for a single register. */
  key?: string | number | null;
  /** Invocations carry the argument, completions the result (reads: the value read).
   *  cas: [expected, new]. dr-snapshot/dr-restore completions: {block: value} image. */
  value?: unknown;
  /** The node that served (completions) or was asked (invocations). */
  node?: string;
  meta?: EventMeta;
}

/** Optional facts the storage checkers use; absent facts make the checker that needs them
 *  answer `unknown`, never `valid`. */
export interface EventMeta {
  /** Reads: where the value came from. */
  source?: ReadSource;
  /** Reads: version of the value returned; writes/cas ok: version assigned. 0 = never written. */
  version?: number;
  /** Failures: the error code the node or client gave. */
  error?: string;
  /** dr observations: barrier id applied / restored, and the version cut the node reports. */
  barrier?: number;
  cut?: number;
  /** dr observations: whether dr says its image is consistent (false while a resync runs). */
  consistent?: boolean;
  /** Nemesis: fault kind (partition, kill, pause, or a capability the system declares such as
   *  kill-unsynced, lose-journal, site-loss, failover), its targets, and an id pairing start with stop. */
  fault?: string;
  targets?: string[];
  faultId?: number;
  /** Reads done after the final heal (the durability checker judges these). */
  final?: boolean;
  /** Node epoch observed with the reply. */
  epoch?: number;
  [extra: string]: unknown;
}


/** A completed operation: an invocation paired with its completion (or none: still open). */
export interface Operation {
  process: ProcessId;
  f: string;
  key?: string | number | null;
  /** Argument of the invocation. */
  input: unknown;
  /** Result of the completion; undefined if the op never completed or ended `info`. */
  output: unknown;
  /** `ok`, `fail`, `info`, or `open` when no completion was seen (treated like info). */
  status: 'ok' | 'fail' | 'info' | 'open';
  /** Invocation and completion times (ns). An open/info op has end = Infinity for checkers. */
  start: number;
  end: number;
  /** Indexes of the invoke and completion events in the history (-1 if none). */
  invokeIndex: number;
  completeIndex: number;
  node?: string;
  meta?: EventMeta;
}
