// Which system a run tests: a built-in one by name, or a user's module by path (`--system
// ./my-store.ts`), which must export a System as `system` or as its default export. A module
// that does not is one line (exit 2) naming what is missing; the harness never half-runs it.
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError } from '../../ground/errors.js';
import type { System } from '../../ground/system.js';

/** Built-in systems, loaded only when named (etcd and Redis pull in nothing the block store needs). */
const BUILT_IN: Readonly<Record<string, () => Promise<System>>> = {
  blockstore: async () => (await import('../../nodes/blockstore/system.js')).blockstore,
  etcd: async () => (await import('../../nodes/etcd/system.js')).system,
  redis: async () => (await import('../../nodes/redis/system.js')).system,
};

export const BUILT_IN_SYSTEMS = Object.keys(BUILT_IN);

const FUNCTIONS = ['nodes', 'topology', 'container', 'client', 'status', 'checkers'] as const;

/** Says what a module's export lacks to be a System, or null when it is one. */
export function systemProblem(x: unknown): string | null {
  if (!x || typeof x !== 'object') return 'exports no System (expected `export const system` or a default export)';
  const s = x as Record<string, unknown>;
  if (typeof s.name !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/i.test(s.name)) return "its System has no valid 'name' (letters, digits, . _ -)";
  if (typeof s.description !== 'string') return "its System has no 'description' (a string)";
  for (const f of FUNCTIONS) if (typeof s[f] !== 'function') return `its System has no '${f}' (a function)`;
  const p = s.params as Record<string, unknown> | undefined;
  if (!p || typeof p !== 'object' || typeof p.defaults !== 'object' || typeof p.parse !== 'function') return "its System has no 'params' ({defaults, parse})";
  if (!Array.isArray(s.bugs)) return "its System has no 'bugs' (a list, maybe empty)";
  const roles = s.roles as Record<string, unknown> | undefined;
  if (!roles || typeof roles.primary !== 'string') return "its System has no 'roles.primary' (the status role that takes writes)";
  if (!Array.isArray(s.capabilities)) return "its System has no 'capabilities' (a list, maybe empty)";
  for (const c of s.capabilities as Record<string, unknown>[]) {
    if (!c || typeof c.kind !== 'string' || typeof c.apply !== 'function' || (c.scope !== 'node' && c.scope !== 'cluster') || !Array.isArray(c.runtimes)) {
      return `its capability ${JSON.stringify((c as { kind?: unknown })?.kind ?? c)} needs kind, scope ('node' | 'cluster'), runtimes and apply()`;
    }
  }
  const w = s.workloads as Record<string, unknown> | undefined;
  if (!w || typeof w !== 'object' || Object.keys(w).length === 0) return "its System has no 'workloads' (at least one, e.g. register)";
  return null;
}

let tsx: Promise<unknown> | undefined;

/** A user's module may be TypeScript; the compiled CLI (dist/) runs without a loader for it, so
 *  tsx is registered the first time a .ts module is asked for. */
function typescriptLoader(path: string): Promise<unknown> {
  if (!/\.[cm]?ts$/.test(path) || import.meta.url.endsWith('.ts')) return Promise.resolve();
  tsx ??= import('tsx/esm/api').then((m) => m.register());
  return tsx;
}

/** A path names a module; anything else is a built-in name. */
const looksLikePath = (s: string) => s.includes('/') || /\.(m?[jt]s)$/.test(s);

/** Loads the system a run names; `where` is the flag or file that named it. */
export async function loadSystem(spec: string | undefined, where = '--system'): Promise<System> {
  const name = spec ?? 'blockstore';
  if (!looksLikePath(name)) {
    const load = BUILT_IN[name];
    if (!load) throw new InputError(`unknown system '${name}'; expected one of ${BUILT_IN_SYSTEMS.join(', ')}, or a path to a module that exports a System`, where);
    return load();
  }
  const path = isAbsolute(name) ? name : resolve(name);
  if (!existsSync(path)) throw new InputError(`no such file ${path}; expected a module that exports a System`, where);
  let mod: Record<string, unknown>;
  try {
    await typescriptLoader(path);
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(`could not load ${path}: ${(e as Error).message.split('\n')[0]}`, where);
  }
  const sys = mod.system ?? mod.default;
  const problem = systemProblem(sys);
  if (problem) throw new InputError(`${path} ${problem}`, where);
  return sys as System;
}

/** How a config names its system: built-ins by name, modules by absolute path (a replay from
 *  another directory must find the same file). */
export function systemRef(spec: string | undefined): string {
  const name = spec ?? 'blockstore';
  return looksLikePath(name) && !isAbsolute(name) ? resolve(name) : name;
}
