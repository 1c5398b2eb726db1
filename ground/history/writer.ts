// Appends history events to history.jsonl as they happen.
//
// Two policies, because the two runtimes lose different things when the harness dies:
// - `each-event` (docker, the default): every event is written with one synchronous write(2)
//   on an O_APPEND descriptor, so a harness killed at any point leaves every event it
//   recorded on disk (the kernel holds it even if the process dies), and close fsyncs. What a
//   real cluster acknowledged cannot be asked for again.
// - `replayable` (the simulator): events are batched into writes of about 64 KiB and the rest
//   is written on close, without fsync. A sim run is a pure function of its config.json
//   (written before the first event) and code, so `chaos replay` regenerates every byte a
//   killed harness did not write; meanwhile a write(2) per event was 40% of a sim run's time.
// - `held` (sweep seeds on the simulator): replayable too, and nothing is written while the run
//   goes; `save()` writes the whole file once the verdict says the run is kept. A sweep deletes
//   every passing seed's directory, so writing its history was work done to be thrown away.
import { openSync, writeSync, fsyncSync, closeSync } from 'node:fs';
import type { HistoryEvent } from './types.js';

export type NewEvent = Omit<HistoryEvent, 'index' | 'time'> & { time?: number };

export type FlushPolicy = 'each-event' | 'replayable' | 'held';

export interface WriterOptions {
  /** Also retain events in memory for the checkers (default true). */
  keep?: boolean;
  flush?: FlushPolicy;
}

const BATCH_CHARS = 64 * 1024;

export class HistoryWriter {
  private fd: number | null;
  private open = true;
  private next = 0;
  private pending = '';
  private readonly batched: boolean;
  private readonly held: boolean;
  private saved = false;
  readonly events: HistoryEvent[] | null;

  /** `clock` gives ns since run start. */
  constructor(readonly path: string, private readonly clock: () => number, opts: WriterOptions = {}) {
    this.held = opts.flush === 'held';
    if (this.held && opts.keep === false) throw new Error('a held history needs its events kept');
    this.fd = this.held ? null : openSync(path, 'a');
    this.events = opts.keep === false ? null : [];
    this.batched = opts.flush === 'replayable';
  }

  append(e: NewEvent): HistoryEvent {
    if (!this.open) throw new Error(`history ${this.path} is closed`);
    // Fixed key order keeps lines readable and byte-identical across replays; absent fields
    // are left out rather than written as null.
    const ev = { index: this.next++, time: e.time ?? this.clock(), process: e.process, type: e.type } as HistoryEvent;
    if (e.f !== undefined) ev.f = e.f;
    if (e.key !== undefined) ev.key = e.key;
    if (e.value !== undefined) ev.value = e.value;
    if (e.node !== undefined) ev.node = e.node;
    if (e.meta !== undefined) ev.meta = e.meta;
    if (this.held) {
      this.events!.push(ev);
      return ev;
    }
    const line = eventLine(ev);
    if (this.batched) this.queue(line);
    else writeSync(this.fd!, line);
    this.events?.push(ev);
    return ev;
  }

  /** Batches a line, writing the batch once it fills. */
  private queue(line: string): void {
    this.pending += line;
    if (this.pending.length >= BATCH_CHARS) this.flush();
  }

  /** A `held` history: writes every event to the file, as the other policies would have.
   *  Called once, after close, for a run that is kept. */
  save(): void {
    if (!this.held || this.saved) return;
    this.saved = true;
    this.fd = openSync(this.path, 'a');
    try {
      for (const ev of this.events!) this.queue(eventLine(ev));
      this.flush();
    } finally {
      closeSync(this.fd);
      this.fd = null;
    }
  }

  /** Writes what a `replayable` writer holds (a no-op for `each-event`). */
  flush(): void {
    if (this.fd === null || this.pending === '') return;
    writeSync(this.fd, this.pending);
    this.pending = '';
  }

  /** Everything appended so far, on stable storage. */
  sync(): void {
    if (this.fd === null) return;
    this.flush();
    fsyncSync(this.fd);
  }

  close(): void {
    this.open = false;
    if (this.fd === null) return;
    this.flush();
    if (!this.batched) fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
  }
}

/** JSON.stringify(ev) + newline, byte for byte, written out for the event's fixed key order:
 *  the generic walk over an event's varying shapes was the largest single cost of a sparse
 *  simulated run (9% of its CPU profile). Nested values still go through JSON.stringify. */
function eventLine(ev: HistoryEvent): string {
  let s = `{"index":${ev.index},"time":${json(ev.time)},"process":${json(ev.process)},"type":${json(ev.type)}`;
  if (ev.f !== undefined) s += field('f', ev.f);
  if (ev.key !== undefined) s += field('key', ev.key);
  if (ev.value !== undefined) s += field('value', ev.value);
  if (ev.node !== undefined) s += field('node', ev.node);
  if (ev.meta !== undefined) s += field('meta', ev.meta);
  return s + '}\n';
}

// A property JSON.stringify would leave out (a function, a symbol) is left out here too.
function field(name: string, v: unknown): string {
  const j = json(v);
  return j === undefined ? '' : `,"${name}":${j}`;
}

// Printable ASCII without a quote or a backslash: JSON.stringify would print it as is.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function json(v: unknown): string {
  // A number prints the same either way, but NaN and Infinity, which JSON makes null.
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'string' && PLAIN.test(v)) return `"${v}"`;
  return JSON.stringify(v) as string;
}
