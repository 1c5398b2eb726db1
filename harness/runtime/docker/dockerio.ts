// The few engine calls beyond dockerode's own: exec with an exit code, logs as text, and
// waiting for the server's `ready` line after a restart of an existing container.
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';

export interface ExecResult { code: number; output: string }

export async function execIn(docker: Docker, id: string, cmd: string[]): Promise<ExecResult> {
  const exec = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  docker.modem.demuxStream(stream, out, out);
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  const info = await exec.inspect();
  return { code: info.ExitCode ?? -1, output: Buffer.concat(chunks).toString('utf8') };
}

/** Non-TTY container logs come as frames: [stream, 0, 0, 0, size(4, BE)] + payload. */
export function demuxLogs(buf: Buffer): string {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

export async function containerLogs(docker: Docker, id: string): Promise<string> {
  const buf = (await docker.getContainer(id).logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
  return demuxLogs(Buffer.isBuffer(buf) ? buf : Buffer.from(buf));
}

/**
 * Resolves when the container prints a line matching `ready` after `sinceSec` (unix seconds, fractional), so an earlier life's ready line in
 * the same log does not count. `stderr`: look there too (etcd logs to stderr).
 */
export async function waitForReady(docker: Docker, id: string, sinceSec: number, timeoutMs: number, ready: RegExp, stderr = false): Promise<void> {
  // Per line, and stateless (a `g` flag would carry lastIndex from one test to the next).
  const line = new RegExp(ready.source, ready.flags.replace('g', '').includes('m') ? ready.flags.replace('g', '') : `${ready.flags.replace('g', '')}m`);
  const stream = (await docker.getContainer(id).logs({ stdout: true, stderr, follow: true, since: sinceSec as unknown as number })) as NodeJS.ReadableStream & { destroy(): void };
  const out = new PassThrough();
  docker.modem.demuxStream(stream, out, stderr ? out : new PassThrough());
  await new Promise<void>((resolve, reject) => {
    let text = '';
    const done = (err?: Error) => {
      clearTimeout(timer);
      stream.destroy();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => done(new Error(`container ${id.slice(0, 12)}: no ready line within ${timeoutMs} ms`)), timeoutMs);
    out.on('data', (c: Buffer) => {
      text += c.toString('utf8');
      if (line.test(text)) done();
      else if (text.length > 1 << 16) text = text.slice(-1024);
    });
    stream.on('end', () => done(new Error(`container ${id.slice(0, 12)} exited before its ready line`)));
    stream.on('error', (e: Error) => done(e));
  });
}

/**
 * A shell kept open inside a container. Partitions must start and stop within milliseconds;
 * a fresh exec costs three engine round trips and a process start, a line written to a shell
 * that is already there costs only the command itself.
 */
export class ContainerShell {
  private queue: Promise<unknown> = Promise.resolve();
  private buffer = '';
  private waiter: ((text: string | null) => void) | null = null;
  private ended = false;
  private seq = 0;

  private constructor(private readonly stream: NodeJS.ReadWriteStream & { destroy(): void }) {}

  static async open(docker: Docker, id: string): Promise<ContainerShell> {
    const exec = await docker.getContainer(id).exec({ Cmd: ['/bin/sh'], AttachStdin: true, AttachStdout: true, AttachStderr: true });
    const stream = (await exec.start({ hijack: true, stdin: true })) as unknown as NodeJS.ReadWriteStream & { destroy(): void };
    const shell = new ContainerShell(stream);
    const out = new PassThrough();
    docker.modem.demuxStream(stream, out, out);
    out.on('data', (c: Buffer) => shell.onData(c.toString('utf8')));
    const end = () => shell.onEnd();
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
    return shell;
  }

  get alive(): boolean {
    return !this.ended;
  }

  private onData(s: string): void {
    this.buffer += s;
    this.waiter?.(this.buffer);
  }

  private onEnd(): void {
    this.ended = true;
    this.waiter?.(null);
  }

  /** Runs `script` in the shell; resolves with its exit code and output. */
  run(script: string, timeoutMs = 5000): Promise<ExecResult> {
    const next = this.queue.then(() => this.runNow(script, timeoutMs));
    this.queue = next.catch(() => {});
    return next;
  }

  private runNow(script: string, timeoutMs: number): Promise<ExecResult> {
    if (this.ended) return Promise.reject(new Error('container shell is closed'));
    const mark = `__chaos_done_${++this.seq}`;
    this.buffer = '';
    return new Promise<ExecResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        this.close();
        reject(new Error(`container shell: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const re = new RegExp(`${mark} (\\d+)\\n`);
      this.waiter = (text) => {
        if (text === null) {
          clearTimeout(timer);
          this.waiter = null;
          reject(new Error('container shell ended'));
          return;
        }
        const m = re.exec(text);
        if (!m) return;
        clearTimeout(timer);
        this.waiter = null;
        resolve({ code: Number(m[1]), output: text.slice(0, m.index) });
      };
      this.stream.write(`{ ${script}\n} 2>&1; echo ${mark} $?\n`);
    });
  }

  close(): void {
    this.ended = true;
    try {
      this.stream.end('exit\n');
    } catch {
      // already gone
    }
    this.stream.destroy();
  }
}
