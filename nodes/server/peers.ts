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

/** Most bytes queued towards one peer before further messages are dropped. */
const MAX_QUEUED_BYTES = 1 << 20;
const CONNECT_TIMEOUT_MS = 1000;
const STALL_MS = 2000;
const BACKOFF_MIN_MS = 50;
const BACKOFF_MAX_MS = 1000;

class PeerLink {
  private socket: Socket | null = null;
  private connected = false;
  /** Frames waiting for the connection to open. */
  private waiting: string[] = [];
  private waitingBytes = 0;
  private backoff = BACKOFF_MIN_MS;
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
  ) {
    this.dial();
  }

  send(msg: PeerMessage): void {
    const frame = encodeFrame({ msg });
    if (this.connected && this.socket) {
      if (this.socket.writableLength + frame.length > MAX_QUEUED_BYTES) {
        this.stats.dropped++;
        return;
      }
      this.socket.write(frame);
      this.stats.sent++;
      return;
    }
    if (this.waitingBytes + frame.length > MAX_QUEUED_BYTES) {
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
    const timeout = setTimeout(() => s.destroy(new Error('connect timeout')), CONNECT_TIMEOUT_MS);
    s.once('connect', () => {
      clearTimeout(timeout);
      this.connected = true;
      this.backoff = BACKOFF_MIN_MS;
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
      this.stallTimer = setInterval(() => this.checkStall(s), STALL_MS);
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
      this.backoff = Math.min(BACKOFF_MAX_MS, this.backoff * 2);
    });
  }

  /** A link whose send buffer has not shrunk for STALL_MS is presumed black-holed. */
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

  constructor(self: NodeName, peers: ReadonlyMap<NodeName, PeerAddress>, log: (msg: string) => void) {
    for (const [name, addr] of peers) this.links.set(name, new PeerLink(self, name, addr, log));
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
