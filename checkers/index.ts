// Every checker by the name results.json and a System's `checkers()` selection use
// (ground/system.ts CheckerSelection): the run loop resolves a system's names here.
import { InputError } from '../ground/errors.js';
import { storageCheckers } from './compose.js';
import { linearizability } from './linearizability/index.js';
import { setChecker } from './set/index.js';
import type { Checker } from './types.js';

export function allCheckers(): Record<string, Checker> {
  return { linearizability, ...storageCheckers(), set: setChecker };
}

/** The named checkers, in the order named; an unknown name is bad input (a user's system). */
export function checkersByName(names: readonly string[]): Record<string, Checker> {
  const all = allCheckers();
  const out: Record<string, Checker> = {};
  for (const n of names) {
    const c = all[n];
    if (!c) throw new InputError(`unknown checker '${n}'; known: ${Object.keys(all).join(', ')}`);
    out[n] = c;
  }
  return out;
}
