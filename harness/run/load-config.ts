// A recorded run's config.json, with the system it names loaded and the config validated
// against it: what replay, report and shrink start from.
import { existsSync, readFileSync } from 'node:fs';
import { InputError } from '../../ground/errors.js';
import type { System } from '../../ground/system.js';
import { loadSystem } from '../systems/load.js';
import { parseConfig, systemOfRaw, type RunConfig } from './config.js';

export async function loadRunConfig(path: string): Promise<{ config: RunConfig; system: System }> {
  if (!existsSync(path)) throw new InputError('no config.json here; expected a run directory made by chaos run', path);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new InputError('not JSON; expected a run config', path);
  }
  const system = await loadSystem(systemOfRaw(raw), `${path}: system`);
  return { config: parseConfig(raw, system, path), system };
}
