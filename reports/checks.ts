// The checkers by name (results.json's keys): the system under test names the ones that judge
// its runs (System.checkers), this resolves them. Linearizability is loaded from
// checkers/linearizability when present; its absence makes its verdict unknown, never valid.
import type { Checker } from '../checkers/types.js';
import type { CheckerSelection } from '../ground/system.js';
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

/** Every checker a system may name. */
export async function allCheckers(): Promise<Record<string, Checker>> {
  return { linearizability: await linearizability(), ...storageCheckers() };
}

export const CHECKER_NAMES = ['linearizability', ...Object.keys(storageCheckers())];

/** The checkers of a selection; a name no checker answers to is judged unknown (a system that
 *  names a checker this build lacks must not pass for want of it). */
export async function runCheckerSet(selection: CheckerSelection): Promise<{ checkers: Record<string, Checker>; skipped: Record<string, string> }> {
  const all = await allCheckers();
  const checkers: Record<string, Checker> = {};
  for (const name of selection.use) {
    checkers[name] = all[name] ?? (() => ({ valid: 'unknown', anomalies: [], reason: `no checker named '${name}' in this build; expected one of ${Object.keys(all).join(', ')}` }));
  }
  return { checkers, skipped: selection.skipped };
}
