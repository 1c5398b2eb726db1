// The discrete-event heart of the simulator: a virtual clock (integer ns) and a queue of
// events ordered by (time, sequence number), so ties always resolve in scheduling order.
//
// Determinism across async code: the run loop, workloads and nemesis are ordinary async
// functions that await sim promises (sleep, client replies). The pump runs internal events
// (peer messages, timers, disk completions) back to back, but stops right after any event that
// settles a promise the outside world awaits (`wake`), and goes on only once every microtask
// that the wake released has run (they may schedule new events at the current virtual time
// before the next event is taken). It goes on in a process.nextTick queued from a microtask:
// Node runs the nextTick queue only when the microtask queue is empty, so the pump runs after
// the whole chain of continuations however deep, without a turn of the event loop per wake (the
// turns were a tenth of a sparse run's CPU profile). Every YIELD_EVERY wakes it takes a turn
// anyway (setImmediate), so signals, timers and worker messages are still served.
// The clock only moves while someone outside awaits the sim (`pending > 0`): a caller doing
// something else (a checker, real file IO) sees a frozen clock, never a skipped one.

const MAX_SAME_INSTANT = 1_000_000;
/** Wakes between turns of the event loop (see above): tens of ms of work at most. */
const YIELD_EVERY = 512;
/** Events waiting at once. A three-node cluster keeps a few thousand (timers, messages, IO);
 *  millions mean something multiplies events faster than time drains them (a message storm),
 *  a run that would otherwise grow until the process dies instead of ending with a verdict. */
const MAX_PENDING_EVENTS = 2_000_000;

// An event is its own cancel handle: no closure per event on the hot path.
class Ev {
  cancelled = false;
  constructor(
    readonly time: number,
    readonly seq: number,
    readonly fn: () => void,
  ) {}
  cancel(): void {
    this.cancelled = true;
  }
}

export interface Handle {
  cancel(): void;
}

interface OpenWait {
  fail(e: Error): void;
}

/** One open wait of the outside world (a class, not closures: one is made per client op). */
export class Waiter<T> implements OpenWait {
  private done = false;
  readonly promise: Promise<T>;
  private resolveFn!: (v: T) => void;
  private rejectFn!: (e: Error) => void;
  constructor(private readonly sched: Scheduler) {
    this.promise = new Promise<T>((res, rej) => {
      this.resolveFn = res;
      this.rejectFn = rej;
    });
  }
  settle(v: T): void {
    if (this.done) return;
    this.done = true;
    this.sched.released(this);
    this.resolveFn(v);
  }
  /** Ends the wait with an error (the simulation cannot go on); a later settle is ignored. */
  fail(e: Error): void {
    this.done = true;
    this.rejectFn(e);
  }
}

export class Scheduler {
  private heap: Ev[] = [];
  private seq = 0;
  private clock = 0;
  private pending = 0;
  private pumpQueued = false;
  private woke = false;
  private stopped = false;
  private failure: Error | null = null;
  private readonly open = new Set<OpenWait>();
  private sameInstant = 0;
  private wakes = 0;
  /** Events run so far (a benchmark figure, and a guard against runaway loops). */
  events = 0;

  /** Virtual ns since the run started. */
  now(): number {
    return this.clock;
  }

  /** Runs `fn` at virtual time `time` (ns; clamped to now). */
  at(time: number, fn: () => void): Handle {
    const ev = new Ev(Math.max(this.clock, Math.round(time)), this.seq++, fn);
    this.push(ev);
    return ev;
  }

  after(delayNs: number, fn: () => void): Handle {
    return this.at(this.clock + delayNs, fn);
  }

  /**
   * A promise the outside world awaits. The pump runs while at least one is open;
   * `settle` marks the event boundary so the awaiting code runs before the next event.
   */
  external<T>(): Waiter<T> {
    const w = new Waiter<T>(this);
    if (this.failure) {
      w.fail(this.failure);
      return w;
    }
    this.pending++;
    this.open.add(w);
    this.kick();
    return w;
  }

  /** A waiter settled: one fewer open, and the pump yields after this event. */
  released(w: OpenWait): void {
    this.pending--;
    this.open.delete(w);
    this.woke = true;
  }

  /** Waits `ns` of virtual time. */
  sleep(ns: number): Promise<void> {
    const x = this.external<void>();
    this.after(Math.max(0, ns), () => x.settle());
    return x.promise;
  }

  /** Stops the pump for good (runtime down): open promises stay open. */
  stop(): void {
    this.stopped = true;
    this.heap = [];
  }

  /**
   * The simulation cannot go on (a livelock): every open and future wait rejects with `err`,
   * so the run loop's error path runs instead of a hang.
   */
  abort(err: Error): void {
    this.failure = err;
    this.stopped = true;
    this.heap = [];
    this.pending = 0;
    const open = [...this.open];
    this.open.clear();
    for (const w of open) w.fail(err);
  }

  private kick(): void {
    if (this.pumpQueued || this.stopped) return;
    this.pumpQueued = true;
    setImmediate(this.pump);
  }

  private pump = (): void => {
    this.pumpQueued = false;
    this.woke = false;
    while (!this.stopped && this.pending > 0 && this.heap.length > 0) {
      const ev = this.pop();
      if (ev.cancelled) continue;
      // Something rescheduling itself at the same instant forever would freeze the clock;
      // a count of events without time moving is a deterministic way to notice.
      if (ev.time === this.clock) {
        if (++this.sameInstant > MAX_SAME_INSTANT) {
          this.abort(new Error(`sim: livelock at ${this.clock} ns: ${MAX_SAME_INSTANT} events without time advancing`));
          return;
        }
      } else this.sameInstant = 0;
      this.clock = ev.time;
      this.events++;
      ev.fn();
      if (this.woke) break;
    }
    // Past this line the loop ended on a wake.
    if (this.stopped || this.pending === 0 || this.heap.length === 0) return;
    if (++this.wakes % YIELD_EVERY === 0) {
      this.kick();
      return;
    }
    this.pumpQueued = true;
    queueMicrotask(this.pumpAfterMicrotasks);
  };

  /** Queued behind the wake's continuations: by the time this tick runs, they all have. */
  private pumpAfterMicrotasks = (): void => {
    process.nextTick(this.pump);
  };

  // ---- binary heap on (time, seq) ----
  private less(x: Ev, y: Ev): boolean {
    return x.time < y.time || (x.time === y.time && x.seq < y.seq);
  }

  private push(ev: Ev): void {
    const h = this.heap;
    let i = h.length;
    if (i >= MAX_PENDING_EVENTS) {
      this.abort(new Error(`sim: event storm at ${this.clock} ns: ${MAX_PENDING_EVENTS} events pending at once`));
      return;
    }
    h.push(ev);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(ev, h[p])) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = ev;
  }

  private pop(): Ev {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    const n = h.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && this.less(h[r], h[l]) ? r : l;
        if (!this.less(h[c], last)) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
