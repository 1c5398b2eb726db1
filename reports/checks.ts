// The checkers a run is judged by, by name (results.json's keys). Linearizability is loaded
// from checkers/linearizability when present; its absence makes its verdict unknown, never valid.
import type { Checker } from '../checkers/types.js';
import { storageCheckers } from '../checkers/compose.js';

/** A site loss ends the volume's history as a register: the promoted dr starts from its own
 *  image, older than the last acked writes by design (the RPO, which durability and stats
 *  measure). Linearizability judges the ops invoked before the first site loss; the era after
 *  it is judged by durability and dr-prefix, which know about eras. */
export function beforeSiteLoss(check: Checker): Checker {
  return (ctx) => {
    const loss = ctx.paired.nemesis.find((e) => e.f === 'start' && e.meta?.fault === 'site-loss');
    if (!loss) return check(ctx);
    const ops = ctx.paired.ops.filter((o) => o.start < loss.time);
    const judged = Promise.resolve(check({ ...ctx, paired: { ...ctx.paired, ops } }));
    return judged.then((r) => ({ ...r, stats: { ...(r.stats ?? {}), judgedUntilSiteLossNs: loss.time, opsAfterSiteLoss: ctx.paired.ops.length - ops.length } }));
  };
}

let loaded: Promise<Checker> | null = null;

/** Loaded once per process: an import() per run costs a round trip to tsx's loader thread,
 *  a few percent of a simulated run in a sweep. */
function linearizability(): Promise<Checker> {
  loaded ??= (async (): Promise<Checker> => {
    const spec = '../checkers/linearizability/index.js';
    try {
      const mod = (await import(spec)) as { linearizability?: Checker };
      if (typeof mod.linearizability === 'function') return beforeSiteLoss(mod.linearizability);
    } catch {
      // not built yet
    }
    return () => ({ valid: 'unknown', anomalies: [], reason: 'the linearizability checker is not available in this build' });
  })();
  return loaded;
}

/** Which checkers a run can be judged by, from its config. A checker whose invariant the run
 *  gives no chance to observe is left out (and named in `skipped`), not reported unknown:
 *  latency needs a window where dr alone is cut off; convergence needs dr to stay dr. */
export function applicable(config: Record<string, unknown>): { use: (name: string) => boolean; skipped: Record<string, string> } {
  const plan = Array.isArray(config.plan) ? (config.plan as { kind?: string; targets?: string[] }[]) : null;
  const skipped: Record<string, string> = {};
  if (plan) {
    // The latency checker compares writes while dr alone is cut off with fault-free writes:
    // it needs a dr fault that nothing else overlaps, long enough to see writes in.
    const steps = plan as { kind?: string; targets?: string[]; at?: number; durationMs?: number }[];
    const alone = steps.some((s, i) => s.kind !== 'site-loss' && (s.targets ?? []).includes('dr') && (s.durationMs ?? 0) >= 500 &&
      !steps.some((o, j) => j !== i && (o.at ?? 0) < (s.at ?? 0) + (s.durationMs ?? 0) && (s.at ?? 0) < (o.at ?? 0) + Math.max(o.durationMs ?? 0, 1)));
    if (!alone) skipped.latency = 'no fault in the plan cuts dr off alone for 500 ms or more: dr\'s effect on write latency is not observable';
    if (plan.some((s) => s.kind === 'site-loss')) {
      skipped.convergence = 'the site was lost: dr became the primary, there is no dr left to converge';
      // Only the dr workload samples dr during the run; the others image dr once, at the end,
      // and after a site loss there is no dr to image.
      if (config.workload !== 'dr') skipped['dr-prefix'] = 'the site was lost and this workload images dr only at the end: there is no dr image to judge';
    }
  }
  return { use: (n) => !(n in skipped), skipped };
}

export async function runCheckerSet(config: Record<string, unknown> = {}): Promise<{ checkers: Record<string, Checker>; skipped: Record<string, string> }> {
  const all: Record<string, Checker> = { linearizability: await linearizability(), ...storageCheckers() };
  const { use, skipped } = applicable(config);
  return { checkers: Object.fromEntries(Object.entries(all).filter(([n]) => use(n))), skipped };
}
