// A failure of the harness itself: exit 4, its stack in a log file, one line on stderr. The log
// goes into the run directory when one is known (harness-error.log), else into the temp dir.
import { appendFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../../ground/errors.js';
import { stamp } from './run-dir.js';

let runDir: string | null = null;

/** The directory of the run in progress: a failure from now on is logged there. */
export function setFailureDir(dir: string | null): void {
  runDir = dir;
}

/** Writes the stack to a log file and one line to stderr; returns EXIT.harness (4). */
export function harnessFailure(e: unknown, where?: string): number {
  const text = e instanceof Error ? (e.stack ?? e.message) : String(e);
  const first = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  let log: string;
  try {
    log = logFailure(text, where ?? runDir ?? undefined);
  } catch {
    process.stderr.write(`chaos: harness failure: ${first}\n${text}\n`);
    return EXIT.harness;
  }
  process.stderr.write(`chaos: harness failure: ${first} (stack in ${log})\n`);
  return EXIT.harness;
}

/** Appends a stack to `dir/harness-error.log` (or a fresh temp file); returns its path. */
export function logFailure(text: string, dir?: string): string {
  const path = dir ? join(dir, 'harness-error.log') : join(tmpdir(), `chaos-harness-error-${stamp(new Date())}-${process.pid}.log`);
  if (dir) mkdirSync(dir, { recursive: true });
  appendFileSync(path, `${new Date().toISOString()} ${text}\n`);
  return path;
}
