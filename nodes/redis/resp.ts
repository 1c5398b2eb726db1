// A minimal RESP2 connection over net.Socket: one command out, one reply in, in order. No
// reconnect, no offline queue, no retry: the caller decides what a lost connection means for
// the operation in flight (Redis clients in the wild hide all three, which would turn one
// history operation into several requests).
import { connect, type Socket } from 'node:net';

export type Reply = string | number | null | Reply[] | RedisError;

/** An error reply (`-ERR ...`, `-READONLY ...`): Redis refused the command, it had no effect. */
export class RedisError {
  constructor(readonly message: string) {}
  get code(): string {
    return this.message.split(' ')[0] ?? '';
  }
}

export function encodeCommand(args: readonly (string | number)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.from(String(a), 'utf8');
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Parses one reply at `pos`; returns it and the next position, or null when incomplete. */
export function parseReply(buf: Buffer, pos = 0): { reply: Reply; next: number } | null {
  if (pos >= buf.length) return null;
  const eol = buf.indexOf('\r\n', pos);
  if (eol < 0) return null;
  const type = String.fromCharCode(buf[pos]!);
  const line = buf.toString('utf8', pos + 1, eol);
  const after = eol + 2;
  switch (type) {
    case '+':
      return { reply: line, next: after };
    case '-':
      return { reply: new RedisError(line), next: after };
    case ':':
      return { reply: Number(line), next: after };
    case '$': {
      const n = Number(line);
      if (n < 0) return { reply: null, next: after };
      if (buf.length < after + n + 2) return null;
      return { reply: buf.toString('utf8', after, after + n), next: after + n + 2 };
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return { reply: null, next: after };
      const items: Reply[] = [];
      let p = after;
      for (let i = 0; i < n; i++) {
        const r = parseReply(buf, p);
        if (!r) return null;
        items.push(r.reply);
        p = r.next;
      }
      return { reply: items, next: p };
    }
    default:
      throw new Error(`RESP: unexpected type byte '${type}'`);
  }
}

/** Why a command got no reply: `unsent` when the connection never opened (nothing left this
 *  host), `timeout` or `closed` when it may have been executed. */
export class NoReply extends Error {
  constructor(readonly why: 'unsent' | 'timeout' | 'closed', detail: string) {
    super(`${why}: ${detail}`);
  }
}

export class RespConnection {
  private buf: Buffer = Buffer.alloc(0);
  private readonly waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  private dead: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (e) => this.fail(new NoReply('closed', e.message)));
    socket.on('close', () => this.fail(new NoReply('closed', 'connection closed')));
  }

  /** Opens a connection; rejects with NoReply('unsent') when it cannot. */
  static open(host: string, port: number, timeoutMs: number): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new NoReply('unsent', `connect timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new RespConnection(socket));
      });
      socket.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new NoReply('unsent', e.code ?? e.message));
      });
    });
  }

  get alive(): boolean {
    return this.dead === null;
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    let pos = 0;
    for (;;) {
      let r;
      try {
        r = parseReply(this.buf, pos);
      } catch (e) {
        this.fail(new NoReply('closed', (e as Error).message));
        return;
      }
      if (!r) break;
      pos = r.next;
      this.waiting.shift()?.resolve(r.reply);
    }
    this.buf = this.buf.subarray(pos);
  }

  private fail(e: Error): void {
    if (this.dead) return;
    this.dead = e;
    this.socket.destroy();
    for (const w of this.waiting.splice(0)) w.reject(e);
  }

  /** Sends one command and waits for its reply. On timeout the connection is closed (a late
   *  reply would otherwise answer the next command). */
  command(args: readonly (string | number)[], timeoutMs: number): Promise<Reply> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new NoReply('timeout', `no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.push({
        resolve: (r) => { clearTimeout(timer); resolve(r); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      this.socket.write(encodeCommand(args));
    });
  }

  close(): void {
    this.fail(new NoReply('closed', 'closed by the client'));
  }
}
