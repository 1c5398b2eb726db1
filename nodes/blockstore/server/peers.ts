// Best-effort peer transport: one outbound TCP connection per peer, used only to send; the
// peer's own outbound connection to us carries its messages back (so each direction fails
// on its own, as a one-way iptables cut does). Messages may be lost and the core retries;
// nothing here may ever block the core: while a peer is unreachable, messages are dropped
// once a small buffer is full, and a connection whose kernel buffers stop draining (packets
// dropped on the floor) is torn down and redialled with backoff.
import { Socket, connect } from 'node:net';
import type { NodeName, PeerMessage } from '../core/types.js';
import { encodeFrame } from '../wire/frames.js';

export interface PeerAddress {
  host: string;
  port: number;
}

export interface PeerStats {
  sent: number;
  dropped: number;
  connects: number;
}

export interface LinkTuning {
  /** Most bytes queued towards one peer before further messages are dropped. */
  maxQueuedBytes: number;
  connectTimeoutMs: number;
  /** A link whose send buffer has not shrunk for this long is presumed black-holed. */
  stallMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
}

export const DEFAULT_TUNING: LinkTuning = {
  maxQueuedBytes: 1 << 20,
  connectTimeoutMs: 1000,
  stallMs: 2000,
  backoffMinMs: 50,
  backoffMaxMs: 1000,
};

class PeerLink {
  private socket: Socket | null = null;
  private connected = false;
  /** Frames waiting for the connection to open. */
  private waiting: string[] = [];
  private waitingBytes = 0;
  private backoff: number;
  private redial: NodeJS.Timeout | null = null;
  private stallTimer: NodeJS.Timeout | null = null;
  private lastWritable = 0;
  private closed = false;
  readonly stats: PeerStats = { sent: 0, dropped: 0, connects: 0 };

  constructor(
    private readonly self: NodeName,
    readonly name: NodeName,
    private readonly addr: PeerAddress,
    private readonly log: (msg: string) => void,
    private readonly tune: LinkTuning,
  ) {
    this.backoff = tune.backoffMinMs;
    this.dial();
  }

  send(msg: PeerMessage): void {
    const frame = encodeFrame({ msg });
    if (this.connected && this.socket) {
      if (this.socket.writableLength + frame.length > this.tune.maxQueuedBytes) {
        this.stats.dropped++;
        return;
      }
      this.socket.write(frame);
      this.stats.sent++;
      return;
    }
    if (this.waitingBytes + frame.length > this.tune.maxQueuedBytes) {
      this.stats.dropped++;
      return;
    }
    this.waiting.push(frame);
    this.waitingBytes += frame.length;
  }

  close(): void {
    this.closed = true;
    if (this.redial) clearTimeout(this.redial);
    if (this.stallTimer) clearInterval(this.stallTimer);
    this.socket?.destroy();
  }

  private dial(): void {
    if (this.closed) return;
    const s = connect({ host: this.addr.host, port: this.addr.port });
    this.socket = s;
    s.setNoDelay(true);
    const timeout = setTimeout(() => s.destroy(new Error('connect timeout')), this.tune.connectTimeoutMs);
    s.once('connect', () => {
      clearTimeout(timeout);
      this.connected = true;
      this.backoff = this.tune.backoffMinMs;
      this.stats.connects++;
      s.setKeepAlive(true, 1000);
      s.write(encodeFrame({ peer: this.self }));
      // Messages queued while dialling may be stale; the core retries what matters, but the
      // newest state is worth delivering, so they go out in order.
      for (const f of this.waiting) s.write(f);
      this.stats.sent += this.waiting.length;
      this.waiting = [];
      this.waitingBytes = 0;
      this.lastWritable = 0;
      this.stallTimer = setInterval(() => this.checkStall(s), this.tune.stallMs);
      this.stallTimer.unref();
    });
    // We never expect data on our outbound link; drain anything so it cannot back up.
    s.on('data', () => undefined);
    s.on('error', () => undefined);
    s.once('close', () => {
      clearTimeout(timeout);
      if (this.stallTimer) clearInterval(this.stallTimer);
      this.stallTimer = null;
      const was = this.connected;
      this.connected = false;
      if (this.socket === s) this.socket = null;
      if (this.closed) return;
      if (was) this.log(`peer ${this.name}: link lost, redialling`);
      this.redial = setTimeout(() => this.dial(), this.backoff);
      this.backoff = Math.min(this.tune.backoffMaxMs, this.backoff * 2);
    });
  }

  /** A link whose send buffer has not shrunk for a whole stall period is presumed black-holed. */
  private checkStall(s: Socket): void {
    const w = s.writableLength;
    if (w > 0 && w >= this.lastWritable && this.lastWritable > 0) {
      this.log(`peer ${this.name}: link stalled with ${w} bytes queued, redialling`);
      s.destroy();
      return;
    }
    this.lastWritable = w;
  }
}

export class PeerLinks {
  private links = new Map<NodeName, PeerLink>();

  constructor(self: NodeName, peers: ReadonlyMap<NodeName, PeerAddress>, log: (msg: string) => void, tune: LinkTuning = DEFAULT_TUNING) {
    for (const [name, addr] of peers) this.links.set(name, new PeerLink(self, name, addr, log, tune));
  }

  /** Best effort: a message to an unknown or unreachable peer is dropped. */
  send(to: NodeName, msg: PeerMessage): void {
    this.links.get(to)?.send(msg);
  }

  stats(): Record<string, PeerStats> {
    return Object.fromEntries([...this.links].map(([n, l]) => [n, l.stats]));
  }

  close(): void {
    for (const l of this.links.values()) l.close();
  }
}
