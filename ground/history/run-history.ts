// The one reader of a run's history.jsonl that every command uses (check, report, replay,
// shrink): the strict JSON Lines reader of `chaos check`. A torn or garbage line anywhere is
// bad input (one line naming file:line, exit 2); nothing is silently dropped, because a
// verdict over a history with lines missing would be a verdict the run did not earn.
import { existsSync, readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import type { HistoryEvent } from './types.js';
import { readJsonl } from './readers/jsonl.js';

export function readRunHistory(path: string): HistoryEvent[] {
  if (!existsSync(path)) throw new InputError('no such file; expected the history.jsonl a run wrote', path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); expected a readable history.jsonl`, path);
  }
  return readJsonl(text, path).events;
}
