// What workloads see of a node: typed operations whose outcome maps straight onto the
// history's ok / fail / info. Implemented over TCP (nodes/client) and in the simulator.
import type { DrImage, NodeName, NodeStatus } from '../core/types.js';

export type OpOutcome<T> =
  | ({ status: 'ok'; node: NodeName } & T)
  /** Definitely did not take effect (a refusal, a CAS whose expected value did not match). */
  | { status: 'fail'; node: NodeName; error: string }
  /** May or may not have taken effect (timeout, connection lost after sending). */
  | { status: 'info'; node: NodeName; error: string };

export interface ReadResult { value: string | null; source: 'oplog' | 'cache' | 'backend'; version: number; epoch?: number }
export interface WriteResult { version: number; epoch?: number }

export interface BlockClient {
  readonly node: NodeName;
  read(block: number): Promise<OpOutcome<ReadResult>>;
  write(block: number, value: string): Promise<OpOutcome<WriteResult>>;
  cas(block: number, expected: string | null, value: string): Promise<OpOutcome<WriteResult>>;
  status(): Promise<OpOutcome<{ info: NodeStatus }>>;
  drSnapshot(): Promise<OpOutcome<{ image: DrImage }>>;
  drRestore(barrier: number): Promise<OpOutcome<{ image: DrImage }>>;
  loseJournal(): Promise<OpOutcome<object>>;
  close(): Promise<void>;
}
