// Appends history events to history.jsonl as they happen. Each event is written with one
// synchronous write(2) on an O_APPEND descriptor, so a harness killed at any point leaves
// every event it recorded on disk (the kernel holds it even if the process dies).
// `fsync` is called on close, and on demand for callers that need it on stable storage.
import { openSync, writeSync, fsyncSync, closeSync } from 'node:fs';
import type { HistoryEvent } from './types.js';

export type NewEvent = Omit<HistoryEvent, 'index' | 'time'> & { time?: number };

export class HistoryWriter {
  private fd: number | null;
  private next = 0;
  readonly events: HistoryEvent[] | null;

  /** `clock` gives ns since run start; `keep` also retains events in memory for checkers. */
  constructor(readonly path: string, private readonly clock: () => number, keep = true) {
    this.fd = openSync(path, 'a');
    this.events = keep ? [] : null;
  }

  append(e: NewEvent): HistoryEvent {
    if (this.fd === null) throw new Error(`history ${this.path} is closed`);
    // Fixed key order keeps lines readable and byte-identical across replays.
    const ev = stripUndefined({
      index: this.next++,
      time: e.time ?? this.clock(),
      process: e.process,
      type: e.type,
      f: e.f,
      key: e.key,
      value: e.value,
      node: e.node,
      meta: e.meta,
    }) as HistoryEvent;
    writeSync(this.fd, JSON.stringify(ev) + '\n');
    this.events?.push(ev);
    return ev;
  }

  sync(): void {
    if (this.fd !== null) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === null) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
  }
}

function stripUndefined<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}
