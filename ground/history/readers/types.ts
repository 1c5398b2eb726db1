// What every history reader returns: events in the native schema, a locator for error
// messages, and the facts about the source format that decide checker semantics.
import type { HistoryEvent } from '../types.js';

export type Format = 'jsonl' | 'edn' | 'jepsen-log' | 'porcupine-kv';

export interface ReadHistory {
  format: Format;
  events: HistoryEvent[];
  /** `file:line` of event i. */
  locate: (i: number) => string;
}
