// The discrete-event heart of the simulator: a virtual clock (integer ns) and a queue of
// events ordered by (time, sequence number), so ties always resolve in scheduling order.
//
// Determinism across async code: the run loop, workloads and nemesis are ordinary async
// functions that await sim promises (sleep, client replies). The pump runs internal events
// (peer messages, timers, disk completions) back to back in one macrotask, but stops right
// after any event that settles a promise the outside world awaits (`wake`), and continues in
// a fresh setImmediate. Every microtask that the wake released therefore runs, and may
// schedule new events at the current virtual time, before the next event is taken.
// The clock only moves while someone outside awaits the sim (`pending > 0`): a caller doing
// something else (a checker, real file IO) sees a frozen clock, never a skipped one.

interface Ev {
  time: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export interface Handle {
  cancel(): void;
}

export class Scheduler {
  private heap: Ev[] = [];
  private seq = 0;
  private clock = 0;
  private pending = 0;
  private pumpQueued = false;
  private woke = false;
  private stopped = false;
  /** Events run so far (a benchmark figure, and a guard against runaway loops). */
  events = 0;

  /** Virtual ns since the run started. */
  now(): number {
    return this.clock;
  }

  /** Runs `fn` at virtual time `time` (ns; clamped to now). */
  at(time: number, fn: () => void): Handle {
    const ev: Ev = { time: Math.max(this.clock, Math.round(time)), seq: this.seq++, fn, cancelled: false };
    this.push(ev);
    return { cancel: () => void (ev.cancelled = true) };
  }

  after(delayNs: number, fn: () => void): Handle {
    return this.at(this.clock + delayNs, fn);
  }

  /**
   * A promise the outside world awaits. The pump runs while at least one is open;
   * `settle` marks the event boundary so the awaiting code runs before the next event.
   */
  external<T>(): { promise: Promise<T>; settle: (v: T) => void } {
    let resolve!: (v: T) => void;
    const promise = new Promise<T>((r) => (resolve = r));
    let done = false;
    this.pending++;
    this.kick();
    return {
      promise,
      settle: (v: T) => {
        if (done) return;
        done = true;
        this.pending--;
        this.woke = true;
        resolve(v);
      },
    };
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
      this.clock = ev.time;
      this.events++;
      ev.fn();
      if (this.woke) break;
    }
    if (!this.stopped && this.pending > 0 && this.heap.length > 0) this.kick();
  };

  // ---- binary heap on (time, seq) ----
  private less(x: Ev, y: Ev): boolean {
    return x.time < y.time || (x.time === y.time && x.seq < y.seq);
  }

  private push(ev: Ev): void {
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): Ev {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
