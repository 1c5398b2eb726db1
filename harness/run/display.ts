// What `chaos run` prints: the first line (runtime and why), a live one-line progress display
// on a terminal, and the last line (verdict and the exact command that reproduces the run).
import type { ComposedResult } from '../../checkers/types.js';
import type { Progress } from './execute.js';

export function progressLine(p: Progress, timeLimitS: number): string {
  const c = p.counts;
  const done = c.ok + c.fail + c.info;
  const faults = p.active.length ? p.active.join(' ') : 'none';
  const t = p.phase === 'workload' ? `${Math.min(p.elapsedS, timeLimitS).toFixed(1)}/${timeLimitS}s` : p.phase;
  return `[${t}] ops ${done} (ok ${c.ok}, fail ${c.fail}, info ${c.info}) faults: ${faults}`;
}

/** Throttles redraws by wall clock: display only, never part of the run. */
export function liveDisplay(stream: NodeJS.WriteStream, timeLimitS: number, everyMs = 150): { update(p: Progress): void; clear(): void } {
  let last = 0;
  let shown = false;
  const width = () => Math.max(20, (stream.columns ?? 100) - 1);
  return {
    update(p) {
      const now = performance.now();
      if (now - last < everyMs && p.phase === 'workload') return;
      last = now;
      const line = progressLine(p, timeLimitS).slice(0, width());
      stream.write(`\r\x1b[2K${line}`);
      shown = true;
    },
    clear() {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}

export function verdictWord(v: ComposedResult['valid']): string {
  return v === true ? 'VALID' : v === false ? 'INVALID' : 'UNKNOWN';
}

export function checkerLines(r: ComposedResult): string[] {
  return Object.keys(r.checkers)
    .sort()
    .map((name) => {
      const c = r.checkers[name];
      const kinds = [...new Set(c.anomalies.map((a) => a.kind))];
      const extra = c.valid === false ? `: ${c.anomalies.length} anomalies (${kinds.join(', ')})` : c.valid === 'unknown' && c.reason ? `: ${c.reason}` : '';
      return `  ${name.padEnd(20)} ${verdictWord(c.valid).toLowerCase()}${extra}`;
    });
}

/** The run's verdict word: CRASH and INTERRUPTED beside the checkers' three. */
export function runWord(r: ComposedResult): string {
  return r.verdict ? r.verdict.toUpperCase() : verdictWord(r.valid);
}

/** What a signal cut short, in words (null when the run ran to its end). */
export function interruptedText(r: ComposedResult): string | null {
  const i = r.interrupted;
  if (!i) return null;
  return `interrupted by ${i.signal} during ${i.phase} after ${i.ranS} s of ${i.plannedS} s, ${i.faultsStarted} of ${i.faultsPlanned} planned faults started`;
}

export function lastLine(r: ComposedResult, reproduce: string): string {
  const bad = Object.keys(r.checkers).filter((n) => r.checkers[n].valid === false).sort();
  const unk = Object.keys(r.checkers).filter((n) => r.checkers[n].valid === 'unknown').sort();
  const which = r.valid === false ? ` (${bad.join(', ')})` : r.valid === 'unknown' && unk.length ? ` (${unk.join(', ')} unknown)` : '';
  const cut = interruptedText(r);
  // An interrupted run did not run its shape: the line offers the whole shape again, and says so.
  if (cut) return `${runWord(r)}${which}; ${cut}; the whole run: ${reproduce}`;
  return `${runWord(r)}${which}; reproduce with: ${reproduce}`;
}
