// The wire format shared by clients, admin tools and peers: newline-delimited JSON, one
// frame per line. Chosen over length prefixes because it is debuggable with `nc` and the
// cost measured in bench:node is dominated by fsync, not by parsing. A line longer than the
// cap is refused without being buffered whole, so a hostile peer cannot grow our memory.
//
// Node built-ins only: the server ships in a container without node_modules.

/** Longest frame (bytes, without the newline) either side accepts. */
export const MAX_FRAME_BYTES = 64 * 1024;

export type FrameEvent =
  | { kind: 'frame'; value: unknown }
  | { kind: 'bad-json'; text: string }
  | { kind: 'oversized'; bytes: number };

/** Splits a byte stream into frames. Feed chunks; it returns what each chunk completed. */
export class FrameDecoder {
  private parts: Buffer[] = [];
  private pending = 0;
  /** True while skipping the rest of an oversized line. */
  private skipping = false;
  private skipped = 0;

  constructor(private readonly max = MAX_FRAME_BYTES) {}

  push(chunk: Buffer): FrameEvent[] {
    const out: FrameEvent[] = [];
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      const end = nl === -1 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (this.skipping) {
        this.skipped += piece.length;
      } else if (this.pending + piece.length > this.max) {
        this.skipping = true;
        this.skipped = this.pending + piece.length;
        this.parts = [];
        this.pending = 0;
      } else if (piece.length > 0) {
        this.parts.push(piece);
        this.pending += piece.length;
      }
      if (nl === -1) break;
      if (this.skipping) {
        out.push({ kind: 'oversized', bytes: this.skipped });
        this.skipping = false;
        this.skipped = 0;
      } else if (this.pending > 0) {
        const text = (this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts)).toString('utf8');
        this.parts = [];
        this.pending = 0;
        out.push(parseFrame(text));
      }
      start = nl + 1;
    }
    return out;
  }

  /** Bytes held for an unfinished line (slow-client accounting). */
  get buffered(): number {
    return this.pending;
  }

  /** An oversized line is being skipped: report it before the newline arrives. */
  get overflowing(): boolean {
    return this.skipping;
  }
}

function parseFrame(text: string): FrameEvent {
  try {
    return { kind: 'frame', value: JSON.parse(text) };
  } catch {
    return { kind: 'bad-json', text: text.length > 80 ? `${text.slice(0, 80)}...` : text };
  }
}

export function encodeFrame(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

// ---- the envelopes on the wire ----------------------------------------------------------
// Client -> server: {"id": <number|string>, "op": ClientRequest}
// Server -> client: {"id": ..., "reply": ClientReply}
// Peer hello (first frame of a peer connection): {"peer": "a"|"b"|"dr", "epoch"?: ...}
// Peer -> peer afterwards: {"msg": PeerMessage}
export interface ClientFrame {
  id: number | string;
  op: unknown;
}
