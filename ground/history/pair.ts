// Pairs invocations with their completions, per process. This is where a history's shape is
// validated: a completion with no open invocation, or a second invocation while one is
// open, is bad input (InputError naming the event's location).
import { InputError } from '../errors.js';
import type { HistoryEvent, Operation, ProcessId } from './types.js';

/** Locates event i for error messages (e.g. `file:line`); defaults to `event i`. */
export type Locate = (i: number) => string;

export interface Paired {
  /** Client operations in invocation order. Nemesis events are not operations. */
  ops: Operation[];
  /** Nemesis events, in history order. */
  nemesis: HistoryEvent[];
}

export function pairHistory(events: readonly HistoryEvent[], locate: Locate = (i) => `event ${i}`): Paired {
  const ops: Operation[] = [];
  const nemesis: HistoryEvent[] = [];
  const open = new Map<ProcessId, Operation>();
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (e.process === 'nemesis') {
      nemesis.push(e);
      continue;
    }
    if (e.type === 'invoke') {
      const prev = open.get(e.process);
      if (prev) {
        throw new InputError(
          `process ${e.process} invoked ${e.f} while its ${prev.f} (invoked at ${locate(prev.invokeIndex)}) had not completed; expected a completion first`,
          locate(i),
        );
      }
      const op: Operation = {
        process: e.process,
        f: e.f,
        key: e.key,
        input: e.value,
        output: undefined,
        status: 'open',
        start: e.time,
        end: Infinity,
        invokeIndex: i,
        completeIndex: -1,
        node: e.node,
        meta: e.meta,
      };
      open.set(e.process, op);
      ops.push(op);
      continue;
    }
    const op = open.get(e.process);
    if (!op) {
      throw new InputError(`a ${e.type} completion of ${e.f} for process ${e.process} with no open invocation; expected an invoke first`, locate(i));
    }
    if (op.f !== e.f) {
      throw new InputError(`process ${e.process} completed ${e.f} but its open invocation is ${op.f}; expected a completion of ${op.f}`, locate(i));
    }
    open.delete(e.process);
    op.status = e.type;
    op.completeIndex = i;
    op.output = e.type === 'info' ? undefined : e.value;
    if (e.type !== 'info') op.end = e.time;
    if (e.node !== undefined) op.node = e.node;
    if (e.meta !== undefined) op.meta = { ...op.meta, ...e.meta };
  }
  return { ops, nemesis };
}
