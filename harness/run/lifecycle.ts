// One signal lifecycle for every command that runs nodes (run, replay, shrink, sweep). SIGINT
// and SIGTERM (what `timeout`, CI job limits, Kubernetes and `docker stop` send) both start the
// same orderly end: the run stops invoking, heals every fault, reads back, tears its cluster
// down, writes what was recorded and ends `interrupted` (exit 3). A second signal quits at once
// (128 + signal number, the shell's convention) and says how to remove what was left behind.

const SIGNO: Record<string, number> = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface Lifecycle {
  /** Aborts on the first signal; its reason is the signal's name. */
  readonly signal: AbortSignal;
  /** The first signal's name, or null while none came. */
  received(): string | null;
  /** Removes the handlers (call once the command's work is done). */
  dispose(): void;
  /** Sets what runs before each message (a live display clears its line). */
  beforeMessage(fn: () => void): void;
}

export interface LifecycleOptions {
  /** Names the command in its messages (`chaos run`). */
  command: string;
  /** Called before the first message (e.g. to clear a live progress line). */
  beforeMessage?: () => void;
  /** For tests: how to quit on the second signal. */
  exit?: (code: number) => void;
  write?: (s: string) => void;
}

export function installLifecycle(o: LifecycleOptions): Lifecycle {
  const abort = new AbortController();
  const write = o.write ?? ((s: string) => process.stderr.write(s));
  const exit = o.exit ?? ((code: number) => process.exit(code));
  let first: string | null = null;
  let before = o.beforeMessage;
  const on = (sig: string) => {
    before?.();
    if (first === null) {
      first = sig;
      write(`${o.command}: ${sig} received; stopping the workload, healing faults, reading back and tearing down (send it again to quit at once)\n`);
      abort.abort(sig);
      return;
    }
    write(`${o.command}: second signal (${sig}); quitting now without cleanup. Containers, networks and volumes of this run may be left: \`chaos down\` removes those of runs whose process is gone\n`);
    exit(128 + (SIGNO[sig] ?? 15));
  };
  const handlers = SIGNALS.map((s) => [s, () => on(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  return {
    signal: abort.signal,
    received: () => first,
    beforeMessage: (fn) => { before = fn; },
    dispose() {
      for (const [s, h] of handlers) process.off(s, h);
    },
  };
}
