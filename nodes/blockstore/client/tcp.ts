// The TCP BlockClient workloads use against real nodes (wire format: nodes/wire/frames.ts).
//
// Outcomes follow the history's rules, decided in outcome.ts (shared with the simulator's
// client): this file is only the transport.
//
// One connection per client, opened lazily and reopened after any loss or timeout (a timed-out
// link may be black-holed by a partition; a fresh one recovers as soon as it heals).
import { connect, type Socket } from 'node:net';
import type { ClientReply, ClientRequest, DrImage, NodeName, NodeStatus } from '../core/types.js';
import { encodeFrame, FrameDecoder } from '../wire/frames.js';
import type { BlockClient, OpOutcome, ReadResult, WriteResult } from './types.js';
import { outcome, type Raw } from './outcome.js';

export type { Raw };

export interface ConnectOptions {
  host: string;
  port: number;
  /** The node this client talks to (replies name the node that actually served). */
  node: NodeName;
  /** Per-operation timeout, connect included. */
  timeoutMs: number;
}

interface Pending {
  socket: Socket;
  resolve: (r: Raw) => void;
  timer: NodeJS.Timeout;
}


export function connectClient(opts: ConnectOptions): TcpBlockClient {
  return new TcpBlockClient(opts);
}

export class TcpBlockClient implements BlockClient {
  readonly node: NodeName;
  private socket: Socket | null = null;
  private opening: Promise<Socket> | null = null;
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly opts: ConnectOptions) {
    this.node = opts.node;
  }

  async read(block: number): Promise<OpOutcome<ReadResult>> {
    const r = await this.request({ f: 'read', block });
    return this.shape(r, false, (rep) => ({
      value: rep.value ?? null,
      source: rep.source ?? 'backend',
      version: rep.version ?? 0,
      ...(rep.epoch !== undefined ? { epoch: rep.epoch } : {}),
    }));
  }

  async write(block: number, value: string): Promise<OpOutcome<WriteResult>> {
    return this.shape(await this.request({ f: 'write', block, value }), true, versionOf);
  }

  async cas(block: number, expected: string | null, value: string): Promise<OpOutcome<WriteResult>> {
    return this.shape(await this.request({ f: 'cas', block, expected, value }), true, versionOf);
  }

  async status(): Promise<OpOutcome<{ info: NodeStatus }>> {
    return this.shape(await this.request({ f: 'status' }), false, (rep) => ({ info: rep.status as NodeStatus }));
  }

  async drSnapshot(): Promise<OpOutcome<{ image: DrImage }>> {
    return this.shape(await this.request({ f: 'dr-snapshot' }), false, (rep) => ({ image: rep.image as DrImage }));
  }

  async drRestore(barrier: number): Promise<OpOutcome<{ image: DrImage }>> {
    return this.shape(await this.request({ f: 'dr-restore', barrier }), true, (rep) => ({ image: rep.image as DrImage }));
  }

  async loseJournal(): Promise<OpOutcome<object>> {
    return this.shape(await this.request({ f: 'lose-journal' }), true, () => ({}));
  }

  /** Site-loss recovery: make this node (dr) the primary. */
  async promote(): Promise<OpOutcome<{ info?: NodeStatus; cut?: number }>> {
    // The reply's version is the cut of the image dr was promoted from.
    return this.shape(await this.request({ f: 'promote' }), true, (rep) => ({ ...(rep.status ? { info: rep.status } : {}), ...(typeof rep.version === 'number' ? { cut: rep.version } : {}) }));
  }

  /** Fault request (issue 14): this node's clock runs at `rate` from now, and starts at
   *  `offsetMs` from its next start. Handled by the shell, never by the core. */
  async clockSkew(offsetMs: number, rate: number): Promise<OpOutcome<object>> {
    return this.shape(await this.request({ f: 'clock-skew', offsetMs, rate }), false, () => ({}));
  }

  /** Fault request: corrupts the node's journal file (seen at its next start). */
  async corruptJournal(how: 'flip' | 'torn', seed = 0): Promise<OpOutcome<{ corrupted: string | null }>> {
    const r = await this.request({ f: 'corrupt-journal', how, seed });
    return this.shape(r, false, () => ({ corrupted: (r.kind === 'reply' ? r.extra.corrupted ?? null : null) as string | null }));
  }

  /** Fault request: the node's next `count` fsyncs (or local appends) fail with `code`; 0 heals. */
  async diskErrors(op: 'fsync' | 'append', code: 'EIO' | 'ENOSPC', count: number, volume?: 'local' | 'backend'): Promise<OpOutcome<object>> {
    return this.shape(await this.request({ f: 'disk-errors', op, code, count, ...(volume ? { volume } : {}) }), false, () => ({}));
  }

  /** The shell's own health report (not a core request): connections, io counters, peers. */
  async health(): Promise<OpOutcome<{ health: Record<string, unknown> }>> {
    const r = await this.request({ f: 'health' });
    return this.shape(r, false, () => ({ health: (r.kind === 'reply' ? r.extra.health : {}) as Record<string, unknown> }));
  }

  /** Sends any op object (tests send malformed ones) and returns what came back. */
  async request(op: ClientRequest | Record<string, unknown>): Promise<Raw> {
    const deadline = Date.now() + this.opts.timeoutMs;
    let s: Socket;
    try {
      s = await this.open(deadline);
    } catch (e) {
      return { kind: 'not-sent', error: (e as Error).message };
    }
    const id = this.nextId++;
    return new Promise<Raw>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ kind: 'lost', error: 'timeout' });
        // The link may be black-holed; start afresh next time. Others in flight on it are lost.
        this.drop(s, 'connection reset after a timeout');
      }, Math.max(1, deadline - Date.now()));
      this.pending.set(id, { socket: s, resolve, timer });
      s.write(encodeFrame({ id, op }));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.socket) this.drop(this.socket, 'client closed');
  }

  // ---- internals ---------------------------------------------------------------------------

  private shape<T>(r: Raw, mutates: boolean, ok: (rep: ClientReply & { ok: true }) => T): OpOutcome<T> {
    return outcome(this.node, r, mutates, ok);
  }

  private open(deadline: number): Promise<Socket> {
    if (this.closed) return Promise.reject(new Error('client closed'));
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    if (this.opening) return this.opening;
    this.opening = new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: this.opts.host, port: this.opts.port });
      s.setNoDelay(true);
      const decoder = new FrameDecoder();
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error('connect timeout'));
      }, Math.max(1, deadline - Date.now()));
      s.once('connect', () => {
        clearTimeout(timer);
        s.setKeepAlive(true, 1000);
        this.socket = s;
        resolve(s);
      });
      s.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new Error(e.code === 'ECONNREFUSED' ? 'connection refused' : `connect failed: ${e.code ?? e.message}`));
      });
      s.on('error', () => undefined);
      s.on('data', (chunk: Buffer) => {
        for (const ev of decoder.push(chunk)) if (ev.kind === 'frame') this.onFrame(s, ev.value);
      });
      s.once('close', () => {
        clearTimeout(timer);
        this.drop(s, 'connection lost');
      });
    }).finally(() => {
      this.opening = null;
    });
    return this.opening;
  }

  private onFrame(s: Socket, v: unknown): void {
    if (!v || typeof v !== 'object') return;
    const { id, reply, detail, ...extra } = v as { id: unknown; reply: ClientReply; detail?: string };
    if (id === null && reply && !reply.ok && reply.error === 'too-many-connections') {
      // Refused at the door: nothing on this connection was executed.
      for (const [pid, p] of this.pending) {
        if (p.socket !== s) continue;
        clearTimeout(p.timer);
        this.pending.delete(pid);
        p.resolve({ kind: 'not-sent', error: 'too-many-connections' });
      }
      return;
    }
    if (typeof id !== 'number') return;
    const p = this.pending.get(id);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(id);
    p.resolve({ kind: 'reply', reply, detail, extra });
  }

  private drop(s: Socket, why: string): void {
    if (this.socket === s) this.socket = null;
    s.destroy();
    for (const [id, p] of this.pending) {
      if (p.socket !== s) continue;
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.resolve({ kind: 'lost', error: why });
    }
  }
}

function versionOf(rep: ClientReply & { ok: true }): WriteResult {
  return { version: rep.version ?? 0, ...(rep.epoch !== undefined ? { epoch: rep.epoch } : {}) };
}
