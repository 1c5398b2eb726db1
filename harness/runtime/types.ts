// The runtime seam (DESIGN.md): one interface, two worlds (docker containers, the
// deterministic simulator), generic over nodes named by strings. It offers the lifecycle and
// the faults any container can suffer (kill, start, pause, resume, one-way link cuts); a
// system's own faults are its capabilities (ground/system.ts), built on this surface.
import type { FaultSurface, System } from '../../ground/system.js';

export interface ClusterSpec {
  runId: string;
  system: System;
  nodes: readonly string[];
  bugs: readonly string[];
  params: Readonly<Record<string, unknown>>;
  /** Per-op client timeout (ms of the runtime's clock). */
  clientTimeoutMs: number;
  /** Where node logs go (the run directory's nodes/). */
  logDir: string;
  seed: number;
  /** The simulator's network and disk parameters for this run (a swarm draws them per seed);
   *  other runtimes ignore them. */
  sim?: { net?: Record<string, unknown>; disk?: Record<string, unknown>; clocks?: Record<string, number> };
}

export interface Runtime extends FaultSurface {
  up(spec: ClusterSpec): Promise<void>;
  /** Stops and removes everything this run made (and nothing else), on error too. Idempotent. */
  down(): Promise<void>;
  /** The node's log so far (for the run directory's nodes/<name>.log). */
  logs(node: string): Promise<string>;
  /** Heal every generic fault: links, pauses, dead nodes restarted. Idempotent. */
  healAll(): Promise<void>;
}

/** Factories the run loop picks from (harness/run selects; each runtime module exports one). */
export type RuntimeFactory = (opts: { seed: number; runId: string }) => Runtime | Promise<Runtime>;

