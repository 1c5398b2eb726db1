// Test support for driving a System's clients by hand on the generic runtime: each op is
// recorded as it happens (invoke, then its completion) through the history writer, as the
// run loop does, so the checkers judge exactly what the clients saw.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { HistoryWriter } from '../../../ground/history/writer.js';
import type { HistoryEvent } from '../../../ground/history/types.js';
import type { Client, Op, Outcome } from '../../../ground/system.js';
import { LABEL } from './ownership.js';

export class Recorder {
  readonly writer: HistoryWriter;
  private readonly t0 = process.hrtime.bigint();
  private faultId = 0;

  constructor(dir = mkdtempSync(join(tmpdir(), 'chaos-hist-'))) {
    this.writer = new HistoryWriter(join(dir, 'history.jsonl'), () => Number(process.hrtime.bigint() - this.t0));
  }

  get events(): readonly HistoryEvent[] {
    return this.writer.events!;
  }

  /** One operation: invoke recorded, one request, completion recorded. */
  async op(process: number, client: Client, op: Op, meta?: Record<string, unknown>): Promise<Outcome> {
    this.writer.append({ process, type: 'invoke', f: op.f, key: op.key, value: op.value, node: client.node, ...(meta ? { meta } : {}) });
    const out = await client.invoke(op);
    const value = out.status === 'ok' ? out.value : op.f === 'read' || op.f === 'read-set' ? undefined : op.value;
    this.writer.append({ process, type: out.status, f: op.f, key: op.key, value, node: out.node, meta: { ...(out.meta ?? {}), ...(meta ?? {}), ...(out.status !== 'ok' ? { error: out.error } : {}) } });
    return out;
  }

  /** A fault's start and stop around `fn`, as the nemesis records them. */
  async fault<T>(kind: string, targets: string[], fn: () => Promise<T>): Promise<T> {
    const faultId = ++this.faultId;
    const meta = { fault: kind, targets, faultId } as unknown as HistoryEvent['meta'];
    this.writer.append({ process: 'nemesis', type: 'info', f: 'start', value: kind, meta });
    try {
      return await fn();
    } finally {
      this.writer.append({ process: 'nemesis', type: 'info', f: 'stop', value: kind, meta });
    }
  }

  close(): void {
    this.writer.close();
  }
}

/** Polls `fn` until it returns a value that is not null/undefined, or fails after `ms`. */
export async function until<T>(what: string, ms: number, fn: () => Promise<T | null | undefined>, everyMs = 100): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v !== null && v !== undefined) return v;
    if (Date.now() > end) assert.fail(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** What the engine still holds of a run (containers incl. partition helpers, networks, volumes). */
export async function leftovers(docker: Docker, runId: string): Promise<{ containers: number; networks: number; volumes: number }> {
  const label = [`${LABEL.run}=${runId}`];
  const containers = await docker.listContainers({ all: true, filters: { label } });
  const networks = await docker.listNetworks({ filters: { label } });
  const volumes = (await docker.listVolumes({ filters: { label } })).Volumes ?? [];
  return { containers: containers.length, networks: networks.length, volumes: volumes.length };
}

/** Packets the DROP rules of a node's INPUT chain have dropped so far. */
export function droppedPackets(rulesWithCounters: string): number {
  let n = 0;
  for (const line of rulesWithCounters.split('\n')) {
    const m = /^\s*(\d+)\s+\d+\s+DROP\b/.exec(line);
    if (m) n += Number(m[1]);
  }
  return n;
}
