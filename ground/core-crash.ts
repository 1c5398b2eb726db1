// A node core that throws inside step() is a bug in the system under test, and a verdict of its
// own (`crash`). Every interpreter of the core (the real server's shell, the simulator's world)
// writes one marker line into the node's log when it happens and stops that node; the harness
// reads the markers back from nodes/<name>.log, so both runtimes report it the same way and
// `chaos report` can rebuild it from a run directory alone.

export const CORE_CRASH_MARK = 'CORE-CRASH ';

export interface CoreCrash {
  node: string;
  /** The input step() was given, as JSON (cut to INPUT_MAX characters). */
  input: string;
  /** The exception's stack (or message). */
  stack: string;
}

const INPUT_MAX = 600;

function inputText(input: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(input) ?? String(input);
  } catch {
    s = String(input);
  }
  return s.length > INPUT_MAX ? `${s.slice(0, INPUT_MAX)}...` : s;
}

/** The one-line marker (JSON keeps the stack's newlines inside the line). */
export function coreCrashLine(node: string, input: unknown, error: unknown): string {
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return CORE_CRASH_MARK + JSON.stringify({ node, input: inputText(input), stack } satisfies CoreCrash);
}

/** Every marker in a node's log text (any prefix before the marker is ignored: timestamps, levels). */
export function parseCoreCrashes(log: string, node?: string): CoreCrash[] {
  const out: CoreCrash[] = [];
  for (const line of log.split('\n')) {
    const at = line.indexOf(CORE_CRASH_MARK);
    if (at < 0) continue;
    try {
      const c = JSON.parse(line.slice(at + CORE_CRASH_MARK.length)) as Partial<CoreCrash>;
      if (typeof c.stack === 'string') out.push({ node: typeof c.node === 'string' ? c.node : (node ?? '?'), input: String(c.input ?? ''), stack: c.stack });
    } catch {
      // a torn last line of a killed node's log: the marker's start says enough
      out.push({ node: node ?? '?', input: '(unreadable)', stack: line.slice(at + CORE_CRASH_MARK.length) });
    }
  }
  return out;
}
