// The verdict in one sentence, and anomalies grouped by (checker, kind). Knows no checker by
// name: a few familiar kinds read better in words, any other kind is named as it is.
import type { Anomaly, ComposedResult } from '../checkers/types.js';

export interface AnomalyGroup {
  checker: string;
  kind: string;
  anomalies: Anomaly[];
}

export function groupAnomalies(results: ComposedResult): AnomalyGroup[] {
  const groups = new Map<string, AnomalyGroup>();
  for (const checker of Object.keys(results.checkers).sort()) {
    for (const a of results.checkers[checker].anomalies ?? []) {
      const id = `${checker}\u0000${a.kind}`;
      let g = groups.get(id);
      if (!g) groups.set(id, (g = { checker, kind: a.kind, anomalies: [] }));
      g.anomalies.push(a);
    }
  }
  // the biggest story first; ties keep checker order
  return [...groups.values()].sort((x, y) => y.anomalies.length - x.anomalies.length);
}

const WORDS: Record<string, [string, string]> = {
  'lost-write': ['acknowledged write was lost', 'acknowledged writes were lost'],
  'lost-after-takeover': ['acknowledged write was lost in a takeover', 'acknowledged writes were lost in takeovers'],
  'stale-cache-read': ['read returned a stale cached value', 'reads returned stale cached values'],
  nonlinearizable: ['key has no linearizable order of its operations', 'keys have no linearizable order of their operations'],
  'torn-dr-image': ['dr image is torn (no version cut matches it)', 'dr images are torn (no version cut matches them)'],
  'dr-cut-mismatch': ['dr image reports a cut it does not hold', 'dr images report cuts they do not hold'],
  'wrong-value': ['final read returned a value never written there', 'final reads returned values never written there'],
  lost: ['acknowledged element was lost', 'acknowledged elements were lost'],
  diverged: ['replica diverged from the primary', 'replicas diverged from the primary'],
  'not-converged': ['replica did not converge after the heal', 'replicas did not converge after the heal'],
};

export function kindPhrase(kind: string, n: number): string {
  const w = WORDS[kind];
  return w ? `${n} ${n === 1 ? w[0] : w[1]}` : `${n} ${kind} anomal${n === 1 ? 'y' : 'ies'}`;
}

export interface VerdictLine {
  cls: 'ok' | 'bad' | 'unk';
  word: string;
  sentence: string;
}

export function verdictLine(results: ComposedResult, facts: { ops: number; spanS: number; faults: number }, skipped: Record<string, string> = {}): VerdictLine {
  const groups = groupAnomalies(results);
  const run = `${facts.ops.toLocaleString('en')} ops over ${facts.spanS.toFixed(1)} s with ${facts.faults} fault${facts.faults === 1 ? '' : 's'} injected`;
  if (results.valid === false) {
    const told = groups.map((g) => `${kindPhrase(g.kind, g.anomalies.length)} (${g.checker})`);
    for (const [name, c] of Object.entries(results.checkers)) if (c.valid === false && !(c.anomalies ?? []).length) told.push(`${name} found a violation${c.reason ? `: ${c.reason}` : ''}`);
    return { cls: 'bad', word: 'INVALID', sentence: `${sentenceCase(joinAnd(told))}, in ${run}.` };
  }
  if (results.valid === true) {
    const nSkipped = Object.keys(skipped).length;
    return { cls: 'ok', word: 'valid', sentence: `Nothing went wrong: no checker found an anomaly in ${run}${nSkipped ? ` (${nSkipped} checker${nSkipped === 1 ? '' : 's'} not applicable to this run)` : ''}.` };
  }
  const undecided = Object.entries(results.checkers).filter(([, c]) => c.valid === 'unknown');
  const first = undecided[0];
  return {
    cls: 'unk',
    word: 'unknown',
    sentence: `No violation found in ${run}, but ${undecided.length} checker${undecided.length === 1 ? '' : 's'} could not decide${first ? `: ${first[0]}: ${first[1].reason ?? 'no reason given'}` : ''}.`,
  };
}

function joinAnd(xs: string[]): string {
  return xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
}
const sentenceCase = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
