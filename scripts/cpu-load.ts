// CPU load for soaks and found-rate measurements: N busy child processes (a `stress -c N`
// without the Debian package), ended with the parent. Used by scripts/soak-signals.ts and
// scripts/e2e-under-load.ts; each child is ended by its own pid.
import { spawn, type ChildProcess } from 'node:child_process';

export function startCpuLoad(n: number): { stop(): void } {
  const kids: ChildProcess[] = [];
  for (let i = 0; i < n; i++) {
    kids.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
  }
  const stop = () => {
    for (const k of kids) if (k.exitCode === null && k.pid) try { process.kill(k.pid, 'SIGKILL'); } catch { /* gone */ }
  };
  process.once('exit', stop);
  return { stop };
}
