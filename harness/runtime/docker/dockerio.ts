// The few engine calls testcontainers does not cover: exec with an exit code, logs as text, and
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
 * Resolves when the container prints `ready ...` after `sinceSec` (unix seconds, fractional),
 * so an earlier life's ready line in the same log does not count.
 */
export async function waitForReady(docker: Docker, id: string, sinceSec: number, timeoutMs: number): Promise<void> {
  const stream = (await docker.getContainer(id).logs({ stdout: true, stderr: false, follow: true, since: sinceSec as unknown as number })) as NodeJS.ReadableStream & { destroy(): void };
  const out = new PassThrough();
  docker.modem.demuxStream(stream, out, new PassThrough());
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
      if (/^ready \S+ \S+/m.test(text)) done();
      else if (text.length > 1 << 16) text = text.slice(-1024);
    });
    stream.on('end', () => done(new Error(`container ${id.slice(0, 12)} exited before its ready line`)));
    stream.on('error', (e: Error) => done(e));
  });
}
